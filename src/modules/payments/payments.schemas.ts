import { Type, type Static } from 'typebox'
import { Fen, IsoDate, Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { BankCode, BankTxnId } from '../banks/banks.schemas.ts'
import { FeeCategorySchema, FeeLineInputSchema } from '../fees/fees.schemas.ts'

export const NoticePurposeSchema = Type.Union([
  Type.Literal('case'), Type.Literal('tender_document'), Type.Literal('bid_bond'), Type.Literal('auction_deposit'), Type.Literal('other')
])
export const NoticeStatusSchema = Type.Union([
  Type.Literal('issued'), Type.Literal('paid'), Type.Literal('refunded'), Type.Literal('cancelled'), Type.Literal('expired')
])
export const PaymentChannelSchema = Type.Union([Type.Literal('window'), Type.Literal('bank_callback'), Type.Literal('statement')])

/** Spaces and hyphens are allowed, as people copy codes from paper; the check digit is verified. */
export const PaymentCodeInput = Type.String({ minLength: 20, maxLength: 40, description: '缴款码: 20 digits' })
const AccountNo = Type.String({ pattern: '^[0-9A-Za-z -]{4,40}$' })

export const CreateNoticeSchema = StrictObject({
  purpose: NoticePurposeSchema,
  reference: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}:[A-Za-z0-9_.:-]{1,100}$', description: 'what is paid for, e.g. case:2026-000123' }),
  departmentId: Type.Optional(Uuid),
  windowId: Type.Optional(Uuid),
  payer: StrictObject({
    accountId: Type.Optional(Uuid),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    idNumber: Type.Optional(Type.String({ pattern: '^[0-9A-Z]{15,18}$', description: 'credit code or ID number' }))
  }),
  lines: Type.Array(FeeLineInputSchema, { minItems: 1, maxItems: 50 }),
  dueAt: Type.Optional(Timestamp)
})
export type CreateNotice = Static<typeof CreateNoticeSchema>

export const PaymentSchema = Type.Object({
  id: Uuid,
  channel: PaymentChannelSchema,
  bankCode: Type.String(),
  bankTxnId: Type.String(),
  amountFen: Fen,
  payerAccountNo: Type.String(),
  payerAccountName: Type.String(),
  paidAt: Timestamp,
  recordedAt: Timestamp,
  receiptNumber: Type.String()
})
export type PaymentView = Static<typeof PaymentSchema>

export const NoticeSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  purpose: NoticePurposeSchema,
  reference: Type.String(),
  departmentId: Nullable(Uuid),
  windowId: Nullable(Uuid),
  payer: Type.Object({ accountId: Nullable(Uuid), name: Type.String(), idNumber: Nullable(Type.String()) }),
  items: Type.Array(Type.Object({
    line: Type.Integer(),
    code: Type.String(),
    name: Type.String(),
    category: FeeCategorySchema,
    detail: Type.String(),
    amountFen: Fen,
    receivingAccount: Type.String(),
    versionId: Uuid
  })),
  totalFen: Fen,
  status: NoticeStatusSchema,
  issuedAt: Timestamp,
  dueAt: Timestamp,
  closedAt: Nullable(Timestamp),
  closeReason: Nullable(Type.String()),
  payment: Nullable(PaymentSchema)
})
export type NoticeView = Static<typeof NoticeSchema>

export const NoticeListQuery = StrictObject({
  status: Type.Optional(NoticeStatusSchema),
  reference: Type.Optional(Type.String({ maxLength: 140 })),
  channel: Type.Optional(PaymentChannelSchema),
  paidOn: Type.Optional(IsoDate),
  ...PageQuery
})

export const CancelNoticeSchema = StrictObject({ reason: Type.String({ minLength: 1, maxLength: 500 }) })

export const WindowPaymentSchema = StrictObject({
  code: PaymentCodeInput,
  amountFen: Fen,
  bankCode: BankCode,
  bankTxnId: BankTxnId,
  payerAccountNo: AccountNo,
  payerAccountName: Type.String({ minLength: 1, maxLength: 200 })
})
export type WindowPayment = Static<typeof WindowPaymentSchema>

/** The body a bank posts when a payer has paid (README "Bank interface"). */
export const BankPaymentSchema = StrictObject({
  paymentCode: PaymentCodeInput,
  bankTxnId: BankTxnId,
  amountFen: Fen,
  paidAt: Timestamp,
  payerAccountNo: AccountNo,
  payerAccountName: Type.String({ minLength: 1, maxLength: 200 })
})
export type BankPayment = Static<typeof BankPaymentSchema>

export const BankPaymentResultSchema = Type.Object({
  status: Type.Union([Type.Literal('recorded'), Type.Literal('already_recorded')]),
  noticeCode: Type.String(),
  paymentId: Uuid,
  receiptNumber: Type.String()
})

/** What a bank may learn about a notice before taking the money. */
export const BankNoticeSchema = Type.Object({
  paymentCode: Type.String(),
  payerName: Type.String(),
  amountFen: Fen,
  dueAt: Timestamp,
  payable: Type.Boolean(),
  status: NoticeStatusSchema
})

export const ReceiptSchema = Type.Object({
  number: Type.String(),
  noticeId: Uuid,
  issuedAt: Timestamp,
  document: Type.Unknown({ description: 'the signed content, parsed' }),
  documentText: Type.String({ description: 'the exact signed bytes (canonical JSON, UTF-8)' }),
  signature: Type.String({ description: 'CMS SignedData, detached, DER, base64' }),
  signerCertificate: Type.String({ description: 'PEM of the platform document signer' })
})

export const VerifyReceiptSchema = StrictObject({
  documentText: Type.String({ minLength: 2, maxLength: 200_000 }),
  signature: Type.String({ minLength: 16, maxLength: 100_000, description: 'base64 DER' })
})
export const ReceiptVerificationSchema = Type.Object({
  valid: Type.Boolean(),
  number: Nullable(Type.String()),
  signer: Nullable(Type.String()),
  signedAt: Nullable(Timestamp),
  issuedByThisHall: Type.Boolean({ description: 'the signer is this hall\'s document signer and the receipt exists here unchanged' })
})

/** What anyone holding a payment code may learn: what is due, by when — never who owes it. */
export const NoticeSummarySchema = Type.Object({
  code: Type.String(),
  purpose: NoticePurposeSchema,
  totalFen: Fen,
  dueAt: Timestamp,
  status: NoticeStatusSchema,
  payable: Type.Boolean()
})
export type NoticeSummary = Static<typeof NoticeSummarySchema>

export const ReceiptCheckQuery = StrictObject({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the signed receipt, as printed on it' }) })
export const ReceiptCheckSchema = Type.Object({
  genuine: Type.Boolean({ description: 'a receipt with this number and exactly this content was issued here' }),
  number: Type.String(),
  noticeCode: Nullable(Type.String()),
  totalFen: Nullable(Fen),
  paidAt: Nullable(Timestamp),
  issuedAt: Nullable(Timestamp)
})

export const NoticeParams = StrictObject({ noticeId: Uuid })
export const CodeParams = StrictObject({ code: PaymentCodeInput })
export const ReceiptParams = StrictObject({ number: Type.String({ pattern: '^[0-9]{18,20}$' }) })
export const BankCodeParams = StrictObject({ bankCode: BankCode })
export const BankNoticeParams = StrictObject({ bankCode: BankCode, code: PaymentCodeInput })
