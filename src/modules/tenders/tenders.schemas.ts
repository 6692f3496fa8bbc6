import { Type, type Static } from 'typebox'
import { Fen, Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { TENDER_DOCUMENT_KINDS, TENDER_STATUSES } from '../../../schema/trading.ts'
import { TradeTypeSchema } from '../projects/projects.schemas.ts'

export const TenderStatusSchema = Type.Enum(TENDER_STATUSES)
export type TenderStatus = Static<typeof TenderStatusSchema>
export const DocumentKindSchema = Type.Enum(TENDER_DOCUMENT_KINDS)

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })

/** A field every bid declares for the opening record and commits to in its sealed package. */
export const OpeningFieldSchema = StrictObject({
  key: Type.String({ pattern: '^[a-z][a-zA-Z0-9]{0,31}$', description: 'the key in the package\'s opening object, e.g. priceFen' }),
  label: Text(60),
  kind: Type.Enum(['fen', 'days', 'percent', 'text']),
  required: Type.Boolean()
})
export type OpeningField = Static<typeof OpeningFieldSchema>

export const EvaluationMethodSchema = StrictObject({
  method: Type.Enum(['comprehensive', 'lowest_evaluated_price', 'reasonable_lowest_price', 'highest_price'], {
    description: '综合评估法, 经评审的最低投标价法, 合理低价法, highest price (transfers); the scoring itself belongs to the evaluation'
  }),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
  coefficientK: Type.Optional(StrictObject({
    min: Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,4})?$' }),
    max: Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,4})?$' }),
    step: Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,4})?$' })
  }, { description: 'a works price formula\'s random coefficient K, drawn at the opening by commit-reveal (e.g. 0.95–1.05 in steps of 0.01)' }))
})

export const TenderInputSchema = StrictObject({
  title: Text(200),
  lots: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 99 }), { maxItems: 99, uniqueItems: true })),
  announcement: Text(20_000),
  documentsFrom: Timestamp,
  saleUntil: Timestamp,
  bidDeadline: Timestamp,
  bond: Type.Optional(StrictObject({
    amountFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    feeCode: Type.String({ minLength: 1, maxLength: 32, description: 'the hall\'s bid-bond deposit item (its formula is its `amount` parameter, in yuan)' })
  })),
  documentFeeCode: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'the fee item of the documents; free when absent' })),
  maxBidMegabytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, default: 200 })),
  openingFields: Type.Array(OpeningFieldSchema, { minItems: 1, maxItems: 20 }),
  evaluationMethod: EvaluationMethodSchema,
  decryptionMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240, default: 60, description: 'the decryption window; at least 10 for mandatory tendering (DECRYPTION_WINDOW_TOO_SHORT), from 1 otherwise' })),
  escrow: Type.Optional(StrictObject({
    threshold: Type.Integer({ minimum: 2, maximum: 9 }),
    custodians: Type.Array(Uuid, { minItems: 2, maxItems: 9 })
  }, { description: 'K-of-N key escrow (Art. 31 remedy); the documents must declare it' }))
})
export type TenderInput = Static<typeof TenderInputSchema>

export const CreateTenderSchema = StrictObject({ projectId: Uuid, ...TenderInputSchema.properties })
export type CreateTender = Static<typeof CreateTenderSchema>

export const TimingFindingSchema = Type.Object({
  rule: Type.String(),
  severity: Type.Enum(['violation', 'note']),
  message: Type.String(),
  path: Type.String(),
  earliest: Type.Optional(Type.String())
})

export const DocumentSchema = Type.Object({
  id: Uuid,
  version: Type.Integer(),
  kind: DocumentKindSchema,
  title: Type.String(),
  body: Type.String(),
  fileName: Nullable(Type.String()),
  size: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  affectsBids: Type.Boolean(),
  deadlineBefore: Nullable(Timestamp),
  deadlineAfter: Nullable(Timestamp),
  issuedAt: Timestamp
})
export type DocumentView = Static<typeof DocumentSchema>

export const TenderSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  projectId: Uuid,
  projectCode: Type.String(),
  projectName: Type.String(),
  tradeType: TradeTypeSchema,
  tendererName: Type.String(),
  agencyName: Nullable(Type.String()),
  lots: Type.Array(Type.Integer()),
  title: Type.String(),
  status: TenderStatusSchema,
  mandatoryTendering: Type.Boolean(),
  estimateFen: Fen,
  priceCeilingFen: Nullable(Fen),
  announcement: Type.String(),
  documentsFrom: Timestamp,
  saleUntil: Timestamp,
  bidDeadline: Timestamp,
  openingAt: Timestamp,
  venueName: Nullable(Type.String()),
  bondFen: Fen,
  bondFeeCode: Nullable(Type.String()),
  documentFee: Nullable(Type.Object({ feeCode: Type.String(), amountFen: Fen })),
  maxBidBytes: Type.Integer(),
  openingFields: Type.Array(OpeningFieldSchema),
  evaluationMethod: EvaluationMethodSchema,
  decryptionMinutes: Type.Integer(),
  escrow: Nullable(Type.Object({ id: Uuid, threshold: Type.Integer(), shareCount: Type.Integer(), certificatePem: Type.String() })),
  timingWarnings: Type.Array(TimingFindingSchema),
  paused: Type.Boolean(),
  publishedAt: Nullable(Timestamp),
  closedAt: Nullable(Timestamp),
  closeReason: Nullable(Type.String()),
  documents: Type.Array(DocumentSchema)
})
export type TenderView = Static<typeof TenderSchema>

export const TenderListQuery = StrictObject({
  mine: Type.Optional(Type.Boolean({ description: 'the tenders of the caller\'s projects (drafts included)' })),
  status: Type.Optional(TenderStatusSchema),
  tradeType: Type.Optional(TradeTypeSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }))
})

export const TenderParams = StrictObject({ tenderId: Uuid })
export const DocumentParams = StrictObject({ tenderId: Uuid, documentId: Uuid })
export const CancelTenderSchema = StrictObject({ reason: Text(1000) })

/** Fields of a document upload (multipart fields before the `file` part). */
export const DocumentFieldsSchema = StrictObject({
  kind: DocumentKindSchema,
  title: Text(200),
  body: Type.Optional(Type.String({ maxLength: 20_000 })),
  affectsBids: Type.Optional(Type.Boolean()),
  newBidDeadline: Type.Optional(Timestamp)
})
export type DocumentFields = Static<typeof DocumentFieldsSchema>

export const RegistrationSchema = Type.Object({
  id: Uuid,
  tenderId: Uuid,
  registeredAt: Timestamp,
  documentsOpen: Type.Boolean(),
  documentNotice: Nullable(Type.Object({ id: Uuid, code: Type.String(), totalFen: Fen, status: Type.String() }))
})
export type RegistrationView = Static<typeof RegistrationSchema>

export const MyTenderSchema = Type.Object({ tender: TenderSchema, registration: RegistrationSchema })

export const AskSchema = StrictObject({ question: Text(4000) })
export const AnswerSchema = StrictObject({
  answer: Text(8000),
  affectsBids: Type.Optional(Type.Boolean()),
  newBidDeadline: Type.Optional(Timestamp)
})
export type Answer = Static<typeof AnswerSchema>
export const QuestionParams = StrictObject({ questionId: Uuid })

export const QuestionSchema = Type.Object({
  id: Uuid,
  tenderId: Uuid,
  question: Type.String(),
  askedAt: Timestamp,
  answer: Nullable(Type.String()),
  answeredAt: Nullable(Timestamp),
  clarificationId: Nullable(Uuid),
  mine: Type.Boolean({ description: 'asked by the caller (shown to the asker only)' })
})
export type QuestionView = Static<typeof QuestionSchema>

export const ObjectSchema = StrictObject({ text: Text(8000) })
export const ObjectionAnswerSchema = StrictObject({ answer: Text(8000) })
export const ObjectionParams = StrictObject({ objectionId: Uuid })
export const ObjectionSchema = Type.Object({
  id: Uuid,
  tenderId: Uuid,
  objectorName: Nullable(Type.String({ description: 'hidden from the tender\'s parties until the deadline (the objector is a registered bidder)' })),
  text: Type.String(),
  filedAt: Timestamp,
  answerDueAt: Timestamp,
  answer: Nullable(Type.String()),
  answeredAt: Nullable(Timestamp)
})
export type ObjectionView = Static<typeof ObjectionSchema>

export const ParticipationSchema = Type.Object({
  tenderId: Uuid,
  registrations: Type.Array(Type.Object({ bidderId: Uuid, bidderName: Type.String(), registeredAt: Timestamp, documentsOpen: Type.Boolean(), downloads: Type.Integer() }))
})
