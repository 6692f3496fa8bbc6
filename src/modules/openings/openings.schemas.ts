import { Type, type Static } from 'typebox'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { OPENING_STATES } from './openings.rules.ts'

export const OpeningParams = StrictObject({ tenderId: Uuid })
export const ObjectionParams = StrictObject({ tenderId: Uuid, objectionId: Uuid })
export const BidParams = StrictObject({ tenderId: Uuid, submissionId: Uuid })
export const RecordFileParams = StrictObject({ tenderId: Uuid, kind: Type.Enum(['json', 'p7s', 'pdf']) })

const Reason = Type.String({ minLength: 1, maxLength: 500 })

export const RevealInputSchema = StrictObject({
  submissionId: Uuid,
  contentKey: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: 'the 32-byte content key, base64 (bid.ohsb.secret.json)' }),
  nonce: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'the commitment nonce, hex' })
})
export type RevealInput = Static<typeof RevealInputSchema>

export const DrawInput = StrictObject({
  nonce: Type.String({ minLength: 8, maxLength: 128, description: 'the supervisor\'s nonce, unknown to the server until now (e.g. dice rolls or a number picked on the spot); the host\'s once the supervisor\'s deadline has passed' })
})
export const PauseInput = StrictObject({ reason: Reason })
export const ResumeInput = StrictObject({ reason: Type.Optional(Reason) })
export const RemedyInput = StrictObject({
  action: Type.Enum(['escrow', 'waive'], { description: 'reassemble the escrow key (custodians\' quorum) to open bids whose key is missing, or record them as they are' }),
  reason: Type.Optional(Reason)
})
export const ConfirmationInputSchema = Type.Union([
  StrictObject({ decision: Type.Literal('confirm') }),
  StrictObject({ decision: Type.Literal('object'), text: Type.String({ minLength: 1, maxLength: 2000 }) })
])
export type ConfirmationInput = Static<typeof ConfirmationInputSchema>
export const AnswerInput = StrictObject({ answer: Type.String({ minLength: 1, maxLength: 2000 }) })
export const VideoInput = StrictObject({ url: Nullable(Type.String({ format: 'uri', pattern: '^(https?|rtmp|rtsp|wss?)://', maxLength: 500 })) })

const Fields = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()]))

export const OpeningBidSchema = Type.Object({
  bidderId: Uuid,
  bidderName: Type.String(),
  submissionId: Uuid,
  bond: Type.String(),
  sha256: Nullable(Type.String()),
  commitment: Nullable(Type.String({ description: 'published at the freeze: the opened fields must hash to it' })),
  receivedAt: Timestamp,
  status: Type.Enum(['sealed', 'opened', 'failed', 'withdrawn']),
  failure: Nullable(Type.String()),
  outcome: Nullable(Type.String({ description: 'opened, deemed_revoked or deemed_withdrawn (Art. 31), withdrawn' })),
  openedBy: Nullable(Type.String({ description: 'bidder, or escrow (the remedy)' })),
  openedAt: Nullable(Timestamp),
  fields: Nullable(Fields),
  confirmation: Nullable(Type.String())
})
export type OpeningBidView = Static<typeof OpeningBidSchema>

export const ObjectionSchema = Type.Object({
  id: Uuid,
  bidderId: Uuid,
  bidderName: Type.String(),
  text: Type.String(),
  raisedAt: Timestamp,
  answer: Nullable(Type.String()),
  answeredAt: Nullable(Timestamp)
})
export type ObjectionView = Static<typeof ObjectionSchema>

export const OpeningSchema = Type.Object({
  tenderId: Uuid,
  tenderCode: Type.String(),
  tenderTitle: Type.String(),
  room: Type.String({ description: 'the live room: subscribe at /api/live' }),
  state: Type.Enum([...OPENING_STATES]),
  paused: Nullable(Type.Object({ since: Timestamp, reason: Type.String() })),
  serverTime: Timestamp,
  bidDeadline: Timestamp,
  signInOpensAt: Timestamp,
  decryptionMinutes: Type.Integer(),
  window: Nullable(Type.Object({ opensAt: Timestamp, endsAt: Timestamp })),
  confirmUntil: Nullable(Timestamp),
  coefficient: Nullable(Type.Object({
    range: Type.Object({ min: Type.String(), max: Type.String(), step: Type.String() }),
    context: Type.String(),
    commitment: Nullable(Type.String()),
    nonce: Nullable(Type.String()),
    secret: Nullable(Type.String()),
    value: Nullable(Type.String()),
    drawnAt: Nullable(Timestamp),
    deadline: Nullable(Timestamp),
    alarm: Nullable(Type.Enum(['yellow', 'red'], { description: 'yellow: the nonce is due soon; red: it is overdue and the host may give it' })),
    drawnAs: Nullable(Type.Enum(['supervisor', 'host']))
  })),
  escrow: Type.Boolean({ description: 'the tender offers the K-of-N key escrow remedy' }),
  failureReason: Nullable(Type.String()),
  you: Type.Object({
    capacity: Nullable(Type.Enum(['host', 'supervisor', 'bidder'])),
    signedIn: Type.Boolean(),
    submissionId: Nullable(Uuid)
  }),
  bids: Type.Array(OpeningBidSchema),
  attendance: Nullable(Type.Array(Type.Object({ accountId: Uuid, displayName: Type.String(), capacity: Type.String(), signedInAt: Timestamp }))),
  objections: Type.Array(ObjectionSchema),
  record: Nullable(Type.Object({
    sha256: Type.String(),
    recordedAt: Timestamp,
    json: Type.String(),
    signature: Type.String(),
    pdf: Type.String()
  })),
  videoUrl: Nullable(Type.String())
})
export type OpeningView = Static<typeof OpeningSchema>

export const PresenceSchema = Type.Array(Type.Object({ accountId: Type.String(), displayName: Type.String(), connections: Type.Integer(), since: Timestamp }))
