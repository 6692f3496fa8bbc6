import { Type, type Static } from 'typebox'
import { DRAWING_STATES, DRAWN_ROLES, DRAWN_STATES } from '../../../schema/drawings.ts'
import { Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

export const TenderParams = StrictObject({ tenderId: Uuid })
export const DrawingParams = StrictObject({ id: Uuid })
export const InvitationParams = StrictObject({ drawingId: Uuid })

const SpecialtyCode = Type.String({ pattern: '^[A-Z][0-9]{2,8}$', maxLength: 16, description: 'a level-3 specialty of the classification, e.g. A010203' })
const Side = Type.Enum(['technical', 'economic'], { description: 'technical or economic expert (技术 / 经济)' })
const RegionPrefix = Type.String({ pattern: '^[0-9]{2,6}$', maxLength: 6, description: 'an administrative division code or its prefix (33: a province, 3301: a city, 330106: a county)' })
const Reason = Type.String({ minLength: 1, maxLength: 500 })
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64 })
const Pseudonym = Type.String({ pattern: '^[0-9a-f]{16}$', maxLength: 16, description: 'the expert\'s name in this drawing\'s published snapshot and list (the expert id encrypted under a key of this drawing alone)' })

export const RequestLineSchema = StrictObject({
  specialtyCode: SpecialtyCode,
  side: Side,
  count: Type.Integer({ minimum: 1, maximum: 25, description: 'members drawn for this line' }),
  reserves: Type.Integer({ minimum: 0, maximum: 25, description: 'reserves drawn after the members, called in order when a member declines, stays silent or is recused' })
})

export const CreateDrawingSchema = StrictObject({
  committeeSize: Type.Integer({ minimum: 1, maximum: 51, description: 'the whole evaluation committee: the lines\' experts plus the tenderer\'s representatives' }),
  tendererRepresentatives: Type.Integer({ minimum: 0, maximum: 17, default: 0, description: 'the tenderer\'s own representatives on the committee (experts must stay at least two thirds)' }),
  lines: Type.Array(RequestLineSchema, { minItems: 1, maxItems: 20 }),
  evaluationAt: Timestamp,
  evaluationPlace: Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'where the evaluation sits; null: remote evaluation' })),
  regionsInclude: Type.Array(RegionPrefix, { maxItems: 50, default: [], description: 'draw only experts of these regions (remote cross-region evaluation); empty: everywhere' }),
  regionsExclude: Type.Array(RegionPrefix, { maxItems: 50, default: [], description: 'never draw experts of these regions' }),
  supervisingDepartmentId: Type.Optional(Nullable(Uuid))
}, { description: 'A drawing request. Committee rules, each named when broken: committee_size_adds_up, works_five_and_odd, procurement_three_and_odd, large_procurement_seven_and_odd, experts_two_thirds, one_line_per_specialty_and_side.' })
export type CreateDrawing = Static<typeof CreateDrawingSchema>

export const DrawInput = StrictObject({
  nonce: Type.String({ minLength: 8, maxLength: 128, description: 'the supervisor\'s nonce, unknown to the server until now (dice rolls, a number picked on the spot); a nonce given for another drawing is refused' })
})
export const ReasonInput = StrictObject({ reason: Reason })
export const DeclineInput = StrictObject({ reason: Type.Optional(Reason) })

export const DrawingListQuery = StrictObject({
  state: Type.Optional(Type.Enum([...DRAWING_STATES])),
  tenderId: Type.Optional(Uuid),
  ...PageQuery
})

const ShortfallLine = Type.Object({
  line: Type.Integer(),
  specialtyCode: Type.String(),
  eligible: Type.Integer(),
  needed: Type.Integer(),
  sharedWithEarlierLines: Type.Integer({ description: 'eligible experts an earlier line may take first (qualified in both)' }),
  short: Type.Integer({ description: 'how many more eligible experts the line needs' })
})

export const FailureSchema = Type.Object({
  kind: Type.Enum(['shortfall', 'cancelled']),
  reason: Nullable(Type.String()),
  lines: Type.Array(ShortfallLine)
})

export const LineCountsSchema = Type.Object({
  line: Type.Integer(),
  specialtyCode: Type.String(),
  specialtyName: Type.String(),
  side: Side,
  count: Type.Integer(),
  reserves: Type.Integer(),
  invited: Type.Integer({ description: 'members asked and not answered yet' }),
  confirmed: Type.Integer(),
  declined: Type.Integer(),
  noAnswer: Type.Integer(),
  recused: Type.Integer({ description: 'found conflicted once the bidders were known' }),
  standby: Type.Integer({ description: 'reserves not called' }),
  short: Type.Boolean({ description: 'the line cannot be filled any more: no reserve left (alarm)' })
})

export const DrawingSchema = Type.Object({
  id: Uuid,
  tenderId: Uuid,
  tenderCode: Type.String(),
  tenderTitle: Type.String(),
  state: Type.Enum([...DRAWING_STATES]),
  requestedAt: Timestamp,
  committeeSize: Type.Integer(),
  tendererRepresentatives: Type.Integer(),
  regionsInclude: Type.Array(Type.String()),
  regionsExclude: Type.Array(Type.String()),
  evaluationAt: Timestamp,
  evaluationPlace: Nullable(Type.String()),
  remote: Type.Boolean(),
  supervisingDepartmentId: Nullable(Uuid),
  drawFrom: Timestamp,
  decidedAt: Nullable(Timestamp),
  refusalReason: Nullable(Type.String()),
  commitment: Nullable(Type.String({ description: 'SHA-256 commitment to the server\'s secret, published at approval, before any nonce' })),
  context: Type.String({ description: 'what the seed is bound to: drawing:<id>' }),
  nonce: Nullable(Type.String()),
  drawnAt: Nullable(Timestamp),
  poolSha256: Nullable(Type.String({ description: 'SHA-256 of the canonical eligible-pool snapshot the draw ran over' })),
  listSha256: Nullable(Type.String({ description: 'SHA-256 of the drawn list; in the audit chain since the draw' })),
  biddersCheckedAt: Nullable(Timestamp),
  failure: Nullable(FailureSchema),
  publishedAt: Nullable(Timestamp),
  secret: Nullable(Type.String({ description: 'revealed when the list is published' })),
  lines: Type.Array(LineCountsSchema, { description: 'counts only: names stay with the supervisors until publication' }),
  serverTime: Timestamp
})
export type DrawingView = Static<typeof DrawingSchema>

const Exclusion = Type.Object({
  rule: Type.String(),
  detail: Type.String(),
  wording: Type.Optional(Type.String({ description: 'which sentence says it (drawings.exclusionDetail.<wording> in the page catalogues)' })),
  facts: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'the facts the sentence holds: party, name, dates, counts' }))
})

export const ListedExpertSchema = Type.Object({
  pseudonym: Pseudonym,
  expertId: Uuid,
  code: Type.String(),
  name: Type.String(),
  role: Type.Enum([...DRAWN_ROLES]),
  position: Type.Integer(),
  state: Type.Enum([...DRAWN_STATES]),
  invitedAt: Nullable(Timestamp),
  answerBy: Nullable(Timestamp),
  answeredAt: Nullable(Timestamp),
  reason: Nullable(Type.String()),
  replacedBy: Nullable(Pseudonym)
})

export const SealedListSchema = Type.Object({
  drawingId: Uuid,
  state: Type.Enum([...DRAWING_STATES]),
  sealed: Type.Boolean({ description: 'true until publication: this view is the supervisors\'' }),
  lines: Type.Array(Type.Object({
    line: Type.Integer(),
    specialtyCode: Type.String(),
    side: Side,
    count: Type.Integer(),
    experts: Type.Array(ListedExpertSchema, { description: 'supervisors: every drawn expert; after publication, others: the confirmed committee' }),
    excluded: Type.Array(Type.Object({ expertId: Uuid, code: Type.String(), name: Type.String(), rules: Type.Array(Exclusion) }), { description: 'supervisors only: who was left out of the pool and by which named rules' })
  }))
})
export type SealedList = Static<typeof SealedListSchema>

export const EligibilitySchema = Type.Object({
  drawingId: Uuid,
  biddersKnown: Type.Boolean({ description: 'false before the bid deadline: bidders are checked when they become known' }),
  lines: Type.Array(Type.Object({
    line: Type.Integer(),
    specialtyCode: Type.String(),
    needed: Type.Integer(),
    qualified: Type.Integer({ description: 'active experts of the specialty' }),
    eligible: Type.Integer(),
    excludedByRule: Type.Record(Type.String(), Type.Integer()),
    short: Type.Integer({ description: 'how many more eligible experts the line needs (0: enough)' })
  }))
})
export type Eligibility = Static<typeof EligibilitySchema>

const SnapshotSchema = Type.Object({
  format: Type.Literal('openhall-drawing-snapshot-v1'),
  drawingId: Uuid,
  lines: Type.Array(Type.Object({ line: Type.Integer(), specialtyCode: Type.String(), side: Side, count: Type.Integer(), reserves: Type.Integer(), eligible: Type.Array(Pseudonym) }))
})

export const DrawingRecordSchema = Type.Object({
  format: Type.Literal('openhall-drawing-record'),
  version: Type.Literal(1),
  state: Type.Enum(['published', 'cancelled'], { description: 'cancelled: the evaluation was called off after the draw; the record is published then, with no committee' }),
  drawingId: Uuid,
  tenderId: Uuid,
  tenderCode: Type.String(),
  evaluationAt: Timestamp,
  remote: Type.Boolean(),
  committeeSize: Type.Integer(),
  tendererRepresentatives: Type.Integer(),
  commitment: Type.String(),
  secret: Type.String(),
  nonce: Type.String(),
  context: Type.String(),
  drawnAt: Timestamp,
  snapshot: SnapshotSchema,
  snapshotSha256: Sha256,
  drawn: Type.Array(Type.Object({ line: Type.Integer(), specialtyCode: Type.String(), members: Type.Array(Pseudonym), reserves: Type.Array(Pseudonym) })),
  listSha256: Sha256,
  committee: Type.Array(Type.Object({ pseudonym: Pseudonym, name: Type.String(), code: Type.String(), line: Type.Integer(), specialtyCode: Type.String(), side: Side }), { description: 'the confirmed committee, by name' }),
  outcomes: Type.Array(Type.Object({ pseudonym: Pseudonym, line: Type.Integer(), role: Type.Enum([...DRAWN_ROLES]), state: Type.Enum([...DRAWN_STATES]), replacedBy: Nullable(Pseudonym), reason: Nullable(Type.String()) }), { description: 'what became of each drawn expert (replacements, recusals), by pseudonym' }),
  publishedAt: Timestamp
}, { description: 'Re-computed by `npm run verify-draw -- --record drawing-record.json`' })
export type DrawingRecord = Static<typeof DrawingRecordSchema>

export const InvitationSchema = Type.Object({
  drawingId: Uuid,
  specialtyCode: Type.String(),
  specialtyName: Type.String(),
  side: Side,
  evaluationAt: Timestamp,
  evaluationPlace: Nullable(Type.String()),
  remote: Type.Boolean(),
  invitedAt: Timestamp,
  answerBy: Nullable(Timestamp),
  answeredAt: Nullable(Timestamp),
  state: Type.Enum(['invited', 'confirmed', 'declined', 'no_answer', 'released', 'cancelled'], { description: 'released: the hall no longer needs you for this evaluation; cancelled: the evaluation was called off' })
}, { description: 'What an invited expert learns: the time and place (or remote) and the specialty, never the tender nor its bidders' })
export type InvitationView = Static<typeof InvitationSchema>
