import { Type, type Static } from 'typebox'
import { Fen, Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

export const BondStatusSchema = Type.Enum(['not_required', 'paid', 'guaranteed', 'missing'])

export const ReceiptSchema = Type.Object({
  json: Type.String({ description: 'the receipt, canonical JSON' }),
  cms: Type.String({ description: 'base64 CMS SignedData (attached) by the platform; `openssl cms -verify -inform DER -CAfile root.pem`' })
})

export const SubmissionSchema = Type.Object({
  id: Uuid,
  tenderId: Uuid,
  version: Type.Integer(),
  kind: Type.Enum(['bid', 'withdrawal']),
  size: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  commitment: Nullable(Type.String()),
  receivedAt: Timestamp,
  counts: Type.Boolean({ description: 'the latest submission, the one that counts' }),
  receipt: ReceiptSchema
})
export type SubmissionView = Static<typeof SubmissionSchema>

export const SubmissionStatusSchema = Type.Enum(['counting', 'superseded', 'withdrawn'], {
  description: '`counting`: the latest version, a bid; `withdrawn`: the latest version, a withdrawal; `superseded`: a later version replaced it'
})

/** One of the caller's submissions in a list across tenders: no receipt (GET /bid-submissions/:id has it). */
export const MySubmissionSchema = Type.Object({
  id: Uuid,
  tenderId: Uuid,
  tenderCode: Type.String(),
  tenderTitle: Type.String(),
  version: Type.Integer(),
  kind: Type.Enum(['bid', 'withdrawal']),
  size: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  receivedAt: Timestamp,
  status: SubmissionStatusSchema
})
export type MySubmissionView = Static<typeof MySubmissionSchema>

export const MySubmissionsQuery = StrictObject({ tenderId: Type.Optional(Uuid), ...PageQuery })
export type MySubmissionsFilter = Static<typeof MySubmissionsQuery>

export const SubmissionParams = StrictObject({ submissionId: Uuid })
export const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 64 })) })

export const GuaranteeFieldsSchema = StrictObject({
  issuer: Type.String({ minLength: 1, maxLength: 200 }),
  letterNumber: Type.String({ minLength: 1, maxLength: 60 }),
  amountFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  validUntil: Timestamp
})
export type GuaranteeFields = Static<typeof GuaranteeFieldsSchema>

export const BondSchema = Type.Object({
  tenderId: Uuid,
  bondFen: Fen,
  status: BondStatusSchema,
  notices: Type.Array(Type.Object({ id: Uuid, code: Type.String(), totalFen: Fen, status: Type.String() })),
  guarantees: Type.Array(Type.Object({ id: Uuid, issuer: Type.String(), letterNumber: Type.String(), amountFen: Fen, validUntil: Timestamp, sha256: Type.String() }))
})
export type BondView = Static<typeof BondSchema>

export const TenderBidSchema = Type.Object({
  bidderId: Uuid,
  bidderName: Type.String(),
  status: Type.Enum(['bid', 'withdrawn']),
  submissionId: Uuid,
  versions: Type.Integer(),
  sha256: Nullable(Type.String()),
  size: Nullable(Type.Integer()),
  commitment: Nullable(Type.String()),
  receivedAt: Timestamp,
  bond: BondStatusSchema
})
export type TenderBidView = Static<typeof TenderBidSchema>
