import { Type, type Static } from 'typebox'
import { EXPERT_STATUSES, EXPERT_TITLES, PENALTY_KINDS, PROFILE_CHANGE_STATES, RELATION_KINDS, SPECIALTY_BRANCHES } from '../../../schema/index.ts'
import { IsoDate, Nullable, PageQuery, ProblemSchema, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { USERNAME_PATTERN } from '../accounts/accounts.rules.ts'
import { MOBILE_PATTERN } from '../notifier/notifier.rules.ts'
import { SPECIALTY_CODE_PATTERN } from './experts.rules.ts'

const Level3Code = Type.String({ pattern: '^[ABC][0-9]{6}$', description: 'a level-3 specialty code such as A010203' })
const CreditCode = Type.String({ minLength: 18, maxLength: 18, description: '统一社会信用代码' })
const OrganisationName = Type.String({ minLength: 1, maxLength: 200 })
const RegionCode = Type.String({ pattern: '^[0-9]{6}$', description: '行政区划代码 (6 digits)' })
const Reason = Type.String({ minLength: 1, maxLength: 500 })
const Note = Type.String({ minLength: 1, maxLength: 500 })

export const SpecialtyNodeSchema = Type.Object({
  code: Type.String(),
  level: Type.Integer({ minimum: 1, maximum: 3 }),
  branch: Type.Enum(SPECIALTY_BRANCHES),
  name: Type.String(),
  nameEn: Nullable(Type.String()),
  children: Type.Array(Type.Object({
    code: Type.String(),
    level: Type.Integer(),
    branch: Type.Enum(SPECIALTY_BRANCHES),
    name: Type.String(),
    nameEn: Nullable(Type.String()),
    children: Type.Array(Type.Object({
      code: Type.String(), level: Type.Integer(), branch: Type.Enum(SPECIALTY_BRANCHES), name: Type.String(), nameEn: Nullable(Type.String())
    }))
  }))
}, { description: 'A level-1 specialty with its level-2 and level-3 specialties' })
export type SpecialtyNode = Static<typeof SpecialtyNodeSchema>

export const SpecialtyRefSchema = Type.Object({ code: Type.String(), name: Type.String(), nameEn: Nullable(Type.String()) })

export const EmploymentSchema = Type.Object({
  id: Uuid,
  organisationName: Type.String(),
  creditCode: Type.String(),
  departmentId: Nullable(Uuid),
  fromDate: IsoDate,
  toDate: Nullable(IsoDate)
})
export type EmploymentView = Static<typeof EmploymentSchema>

export const RelationSchema = Type.Object({
  id: Uuid,
  kind: Type.Enum(RELATION_KINDS),
  organisationName: Type.String(),
  creditCode: Type.String(),
  note: Nullable(Type.String()),
  declaredAt: Timestamp,
  endedAt: Nullable(Timestamp)
})
export type RelationView = Static<typeof RelationSchema>

export const PenaltySchema = Type.Object({
  id: Uuid,
  kind: Type.Enum(PENALTY_KINDS),
  reason: Type.String(),
  fromDate: IsoDate,
  toDate: Nullable(IsoDate),
  recordedAt: Timestamp,
  /** whether it runs on the hall's today */
  inForce: Type.Boolean()
})
export type PenaltyView = Static<typeof PenaltySchema>

export const UnavailabilitySchema = Type.Object({ id: Uuid, fromDate: IsoDate, toDate: IsoDate, reason: Nullable(Type.String()) })
export type UnavailabilityView = Static<typeof UnavailabilitySchema>

const NewRelationSchema = StrictObject({
  kind: Type.Enum(RELATION_KINDS),
  organisationName: OrganisationName,
  creditCode: CreditCode,
  note: Type.Optional(Note)
})
export type NewRelation = Static<typeof NewRelationSchema>

const NewEmploymentSchema = StrictObject({
  organisationName: OrganisationName,
  creditCode: CreditCode,
  fromDate: IsoDate
})

/** What an expert may ask the hall to change; it applies only once approved. */
export const ProfileChangeInputSchema = Type.Union([
  StrictObject({ kind: Type.Literal('employment'), employment: NewEmploymentSchema }),
  StrictObject({ kind: Type.Literal('relation_added'), relation: NewRelationSchema }),
  StrictObject({ kind: Type.Literal('relation_ended'), relationId: Uuid })
], { description: 'employment: a new employer (the current one ends the day before); relation_added / relation_ended: a declared relation' })
export type ProfileChangeInput = Static<typeof ProfileChangeInputSchema>

export const ProfileChangeSchema = Type.Object({
  id: Uuid,
  expertId: Uuid,
  change: ProfileChangeInputSchema,
  state: Type.Enum(PROFILE_CHANGE_STATES),
  submittedAt: Timestamp,
  decidedAt: Nullable(Timestamp),
  refusalReason: Nullable(Type.String())
})
export type ProfileChangeView = Static<typeof ProfileChangeSchema>

export const ExpertSummarySchema = Type.Object({
  id: Uuid,
  accountId: Uuid,
  code: Type.String({ description: '专家证号' }),
  fullName: Type.String(),
  title: Type.Enum(EXPERT_TITLES),
  practiceSince: Type.Integer(),
  yearsOfPractice: Type.Integer({ description: 'counted by calendar year to the hall\'s today' }),
  regionCode: Type.String(),
  status: Type.Enum(EXPERT_STATUSES),
  specialties: Type.Array(Type.String()),
  employer: Nullable(Type.String({ description: 'the current employer\'s name' })),
  drawsThisYear: Type.Integer({ description: 'committees confirmed for drawings run in the hall\'s current year' }),
  pendingChange: Type.Boolean()
})
export type ExpertSummary = Static<typeof ExpertSummarySchema>

export const ExpertSchema = Type.Object({
  ...ExpertSummarySchema.properties,
  username: Type.String(),
  phone: Nullable(Type.String()),
  specialtyNames: Type.Array(SpecialtyRefSchema),
  employments: Type.Array(EmploymentSchema),
  relations: Type.Array(RelationSchema),
  penalties: Type.Array(PenaltySchema),
  unavailability: Type.Array(UnavailabilitySchema),
  changes: Type.Array(ProfileChangeSchema),
  createdAt: Timestamp
})
export type ExpertView = Static<typeof ExpertSchema>

export const ExpertListQuery = StrictObject({
  specialty: Type.Optional(Type.String({ pattern: SPECIALTY_CODE_PATTERN, description: 'a code of any level: A01 matches every specialty under it' })),
  region: Type.Optional(Type.String({ pattern: '^[0-9]{2,6}$', description: 'a region code or its leading digits (33 → Zhejiang)' })),
  status: Type.Optional(Type.Enum(EXPERT_STATUSES)),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'matches name, 专家证号 or login name' })),
  pendingChange: Type.Optional(Type.Boolean({ description: 'only experts with a change waiting for review' })),
  ...PageQuery
})
export type ExpertListFilter = Static<typeof ExpertListQuery>
export const ExpertListSchema = Type.Object({ items: Type.Array(ExpertSummarySchema), total: Type.Integer() })

const NewAccountSchema = StrictObject({
  username: Type.String({ pattern: USERNAME_PATTERN, maxLength: 64 }),
  phone: Type.String({ pattern: MOBILE_PATTERN, description: 'the expert\'s mobile; the hall vouches for it, so recovery codes reach it' }),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'omit to get a one-time password shown once' }))
})

export const CreateExpertSchema = StrictObject({
  account: Type.Union([StrictObject({ accountId: Uuid }), NewAccountSchema], { description: 'an existing person\'s account, or a new one' }),
  fullName: Type.String({ minLength: 1, maxLength: 100 }),
  title: Type.Enum(EXPERT_TITLES),
  practiceSince: Type.Integer({ minimum: 1900, maximum: 2200 }),
  regionCode: RegionCode,
  specialties: Type.Array(Level3Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
  employment: Type.Optional(StrictObject({ ...NewEmploymentSchema.properties, departmentId: Type.Optional(Uuid) }))
})
export type CreateExpert = Static<typeof CreateExpertSchema>

export const CreatedExpertSchema = Type.Object({
  expert: ExpertSchema,
  oneTimePassword: Nullable(Type.String({ description: 'shown once; the expert must change it at first sign-in' }))
})

export const UpdateExpertSchema = StrictObject({
  fullName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  title: Type.Optional(Type.Enum(EXPERT_TITLES)),
  practiceSince: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2200 })),
  regionCode: Type.Optional(RegionCode),
  specialties: Type.Optional(Type.Array(Level3Code, { minItems: 1, maxItems: 20, uniqueItems: true }))
}, { minProperties: 1 })
export type UpdateExpert = Static<typeof UpdateExpertSchema>

export const RecordEmploymentSchema = StrictObject({ ...NewEmploymentSchema.properties, departmentId: Type.Optional(Uuid) })
export type RecordEmployment = Static<typeof RecordEmploymentSchema>

export const RecordRelationSchema = NewRelationSchema

export const RecordPenaltySchema = StrictObject({
  kind: Type.Enum(PENALTY_KINDS),
  reason: Reason,
  fromDate: IsoDate,
  toDate: Type.Optional(IsoDate)
})
export type RecordPenalty = Static<typeof RecordPenaltySchema>

export const EndPenaltySchema = StrictObject({ toDate: IsoDate })

export const RefuseChangeSchema = StrictObject({ reason: Reason })

export const DeclareUnavailabilitySchema = StrictObject({ fromDate: IsoDate, toDate: IsoDate, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })
export type DeclareUnavailability = Static<typeof DeclareUnavailabilitySchema>

export const ExpertParams = StrictObject({ expertId: Uuid })
export const ChangeParams = StrictObject({ expertId: Uuid, changeId: Uuid })
export const PenaltyParams = StrictObject({ expertId: Uuid, penaltyId: Uuid })
export const RelationParams = StrictObject({ expertId: Uuid, relationId: Uuid })
export const OwnChangeParams = StrictObject({ changeId: Uuid })
export const OwnUnavailabilityParams = StrictObject({ unavailabilityId: Uuid })

export const ImportSchema = Type.Object({
  id: Uuid,
  rows: Type.Integer(),
  fileSha256: Type.String(),
  importedAt: Timestamp,
  experts: Type.Array(Type.Object({ id: Uuid, code: Type.String(), fullName: Type.String(), username: Type.String() }))
})
export type ImportView = Static<typeof ImportSchema>

export const ImportRowProblemSchema = Type.Object({
  path: Type.String({ description: '/rows/<line>/<field>' }),
  message: Type.String(),
  row: Type.Integer({ description: 'the line of the file (the header is line 1)' }),
  field: Type.String({ description: 'the column\'s key (fullName, phone, username, …) or "row"' }),
  code: Type.String({ description: 'REQUIRED, PHONE_INVALID, SPECIALTY_UNKNOWN, USERNAME_TAKEN, …' })
})

/** The import's refusal: problem+json whose `errors` list every wrong row (nothing was written). */
export const ImportProblemSchema = Type.Object({
  ...ProblemSchema.properties,
  errors: Type.Optional(Type.Array(ImportRowProblemSchema))
})
