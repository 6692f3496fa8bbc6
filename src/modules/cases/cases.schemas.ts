import { Type, type Static } from 'typebox'
import { CASE_MODES } from '../../../schema/index.ts'
import { Fen, Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { CASE_STATES, SPECIAL_PROCEDURES } from './cases.rules.ts'

export const CaseStateSchema = Type.Enum(CASE_STATES)
export const CaseModeSchema = Type.Enum(CASE_MODES)
const Colour = Type.Union([Type.Literal('green'), Type.Literal('yellow'), Type.Literal('red')])
const Reason = Type.String({ minLength: 1, maxLength: 1000 })
const MaterialCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$' })

export const ApplicantSchema = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  idNumber: Type.String({ pattern: '^[0-9A-Z]{15,18}$', description: 'resident ID or unified social credit code' }),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{5,20}$' }))
})

/** The fields of an application (multipart fields; the files are parts named by material code). */
export const ApplicationFieldsSchema = StrictObject({
  itemId: Uuid,
  request: Type.String({ minLength: 1, maxLength: 4000 }),
  majorProject: Type.Optional(Type.Boolean()),
  /** at a window: the receiving window and the applicant in person */
  windowId: Type.Optional(Uuid),
  applicant: Type.Optional(ApplicantSchema)
})
export type ApplicationFields = Static<typeof ApplicationFieldsSchema>

const MaterialView = Type.Object({ id: Uuid, code: Type.String(), fileName: Type.String(), size: Type.Integer(), sha256: Type.String(), uploadedAt: Timestamp })
const PauseView = Type.Object({ kind: Type.String(), reason: Type.String(), limitWorkingDays: Nullable(Type.Integer()), startedAt: Timestamp, endedAt: Nullable(Timestamp) })
const SubtaskView = Type.Object({
  departmentId: Uuid, state: Type.String(), dueAt: Timestamp, opinion: Nullable(Type.String()), doneAt: Nullable(Timestamp), takenOverAt: Nullable(Timestamp), late: Type.Boolean()
})

export const CaseSchema = Type.Object({
  id: Uuid,
  number: Type.String(),
  itemId: Uuid,
  itemCode: Type.String(),
  itemName: Type.String(),
  itemVersion: Type.Integer(),
  departmentId: Uuid,
  windowId: Nullable(Uuid),
  mode: CaseModeSchema,
  channel: Type.String(),
  applicant: Type.Object({ name: Type.String(), idNumber: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) }),
  request: Type.String(),
  state: CaseStateSchema,
  submittedAt: Timestamp,
  receivedAt: Timestamp,
  acceptanceDueAt: Timestamp,
  acceptedAt: Nullable(Timestamp),
  deemedAccepted: Type.Boolean(),
  promisedWorkingDays: Type.Integer(),
  clock: Nullable(Type.Object({ dueAt: Nullable(Timestamp), colour: Nullable(Colour), workingDaysLeft: Nullable(Type.Integer()), paused: Type.Boolean() })),
  requiredMaterials: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), required: Type.Boolean() })),
  missingMaterials: Type.Array(Type.String()),
  materials: Type.Array(MaterialView),
  correction: Nullable(Type.Object({ materials: Type.Array(Type.String()), note: Type.String(), stage: Type.String(), givenAt: Timestamp, answeredAt: Nullable(Timestamp) })),
  pauses: Type.Array(PauseView),
  subtasks: Type.Array(SubtaskView),
  refusalReasons: Nullable(Type.Array(Type.String())),
  decision: Nullable(Type.String()),
  decisionReasons: Nullable(Type.Array(Type.String())),
  decidedAt: Nullable(Timestamp),
  result: Nullable(Type.Object({ number: Type.String(), sha256: Type.String(), signer: Type.String(), issuedAt: Timestamp })),
  deliveredAt: Nullable(Timestamp),
  closedAt: Nullable(Timestamp),
  withdrawnAt: Nullable(Timestamp),
  payment: Nullable(Type.Object({ noticeId: Uuid, code: Type.String(), status: Type.String(), totalFen: Fen, requiredBeforeResult: Type.Boolean(), receiptNumber: Nullable(Type.String()) })),
  rating: Nullable(Type.Object({ level: Type.Integer(), comment: Type.String(), ratedAt: Timestamp }))
})
export type CaseView = Static<typeof CaseSchema>

export const FiledCaseSchema = Type.Object({
  case: CaseSchema,
  queryCode: Type.String({ description: 'shown once, printed on the receipt: with the case number it opens the public progress query' })
})

export const CaseParams = StrictObject({ caseId: Uuid })
export const MaterialParams = StrictObject({ caseId: Uuid, materialId: Uuid })
export const SubtaskParams = StrictObject({ caseId: Uuid, departmentId: Uuid })
export const CaseListQuery = StrictObject({
  state: Type.Optional(CaseStateSchema),
  departmentId: Type.Optional(Uuid),
  windowId: Type.Optional(Uuid),
  colour: Type.Optional(Colour),
  ...PageQuery
})

export const RefuseSchema = StrictObject({ reasons: Type.Array(Reason, { minItems: 1, maxItems: 20 }) })
export const CorrectionNoticeSchema = StrictObject({
  materials: Type.Array(MaterialCode, { minItems: 1, maxItems: 50, uniqueItems: true }),
  note: Type.String({ maxLength: 2000 })
})
export const PauseSchema = StrictObject({
  kind: Type.Enum(SPECIAL_PROCEDURES),
  reason: Type.String({ maxLength: 1000 }),
  limitWorkingDays: Type.Integer({ minimum: 0, maximum: 120 })
})
export const DecisionSchema = StrictObject({
  decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
  reasons: Type.Array(Reason, { maxItems: 20 })
})
export const SubtaskOpinionSchema = StrictObject({ agree: Type.Boolean(), opinion: Reason })
export const ResultSignatureSchema = StrictObject({ signature: Type.String({ minLength: 16, maxLength: 64 * 1024, description: 'base64 CMS SignedData, detached, over the result JSON from result-draft' }) })
export const ResultDraftSchema = Type.Object({ json: Type.String(), sha256: Type.String() })
export const DeliverySchema = StrictObject({ method: Type.Union([Type.Literal('window'), Type.Literal('post'), Type.Literal('online')]) })
export const WithdrawSchema = StrictObject({ reason: Type.String({ maxLength: 1000 }) })

export const ProgressQuery = StrictObject({ number: Type.String({ minLength: 1, maxLength: 60 }), queryCode: Type.String({ minLength: 1, maxLength: 30 }) })
export const ProgressSchema = Type.Object({
  number: Type.String(),
  itemName: Type.String(),
  state: CaseStateSchema,
  submittedAt: Timestamp,
  acceptedAt: Nullable(Timestamp),
  dueAt: Nullable(Timestamp),
  correction: Nullable(Type.Object({ materials: Type.Array(Type.String()), note: Type.String(), answeredAt: Nullable(Timestamp) })),
  decision: Nullable(Type.String()),
  resultAvailable: Type.Boolean(),
  ratingOpen: Type.Boolean(),
  events: Type.Array(Type.Object({ at: Timestamp, kind: Type.String() }))
})
const RatingLevel = Type.Integer({ minimum: 1, maximum: 5 })
const RatingComment = Type.Optional(Type.String({ maxLength: 2000 }))
export const RatingSchema = StrictObject({
  number: Type.String({ minLength: 1, maxLength: 60 }),
  queryCode: Type.String({ minLength: 1, maxLength: 30 }),
  level: RatingLevel,
  comment: RatingComment
})
/** The applicant signed in rates its own case: no query code needed. */
export const OwnRatingSchema = StrictObject({ level: RatingLevel, comment: RatingComment })
export type OwnRating = Static<typeof OwnRatingSchema>

export const DashboardRowSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  awaiting: Type.Integer(),
  green: Type.Integer(),
  yellow: Type.Integer(),
  red: Type.Integer(),
  paused: Type.Integer()
})
export const DashboardSchema = Type.Object({
  asOf: Timestamp,
  departments: Type.Array(DashboardRowSchema),
  windows: Type.Array(DashboardRowSchema),
  lateSubtasks: Type.Array(Type.Object({ caseId: Uuid, number: Type.String(), departmentId: Uuid, dueAt: Timestamp, takenOver: Type.Boolean() }))
})

export const LetterSchema = Type.Object({
  id: Uuid,
  number: Type.String(),
  departmentId: Uuid,
  caseId: Nullable(Uuid),
  subject: Type.String(),
  body: Type.String(),
  replyDueAt: Timestamp,
  issuedAt: Timestamp,
  reply: Nullable(Type.String()),
  repliedAt: Nullable(Timestamp),
  overdue: Type.Boolean()
})
export const CreateLetterSchema = StrictObject({
  departmentId: Uuid,
  caseId: Type.Optional(Uuid),
  subject: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ minLength: 1, maxLength: 8000 }),
  replyWorkingDays: Type.Integer({ minimum: 1, maximum: 30 })
})
export const LetterParams = StrictObject({ letterId: Uuid })
export const LetterReplySchema = StrictObject({ reply: Type.String({ minLength: 1, maxLength: 8000 }) })

export const RectificationSchema = Type.Object({
  id: Uuid,
  caseId: Uuid,
  caseNumber: Type.String(),
  /** the bad rating that opened the rectification */
  rating: Nullable(Type.Object({ level: Type.Integer(), comment: Type.String() })),
  departmentId: Uuid,
  dueAt: Timestamp,
  report: Nullable(Type.String()),
  doneAt: Nullable(Timestamp),
  createdAt: Timestamp,
  overdue: Type.Boolean()
})
export const RectificationParams = StrictObject({ rectificationId: Uuid })
export const RectificationReportSchema = StrictObject({ report: Type.String({ minLength: 1, maxLength: 8000 }) })
