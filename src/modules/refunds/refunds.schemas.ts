import { Type, type Static } from 'typebox'
import { Fen, Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { BankCode, BankTxnId } from '../banks/banks.schemas.ts'
import { REFUND_TRIGGERS } from './refunds.rules.ts'

export const RefundTriggerSchema = Type.Enum(REFUND_TRIGGERS)

export const RefundSchema = Type.Object({
  id: Uuid,
  noticeId: Uuid,
  noticeCode: Type.String(),
  reference: Type.String(),
  amountFen: Fen,
  toAccountNo: Type.String(),
  toAccountName: Type.String(),
  reason: Type.String(),
  trigger: Type.String(),
  triggeredAt: Timestamp,
  warnAt: Timestamp,
  dueAt: Timestamp,
  status: Type.Union([Type.Literal('pending'), Type.Literal('paid')]),
  alarm: Type.Union([Type.Literal('green'), Type.Literal('yellow'), Type.Literal('red')], { description: 'yellow: due within the last working day; red: overdue' }),
  bankTxnId: Nullable(Type.String()),
  paidAt: Nullable(Timestamp)
})
export type RefundView = Static<typeof RefundSchema>

export const RequestRefundSchema = StrictObject({
  noticeId: Uuid,
  trigger: RefundTriggerSchema,
  triggeredAt: Timestamp,
  reason: Type.String({ minLength: 1, maxLength: 500 }),
  toAccountNo: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z -]{4,40}$', description: 'when given, must be the account the deposit came from' }))
})
export type RequestRefund = Static<typeof RequestRefundSchema>

export const ExecuteRefundSchema = StrictObject({
  bankCode: BankCode,
  bankTxnId: BankTxnId,
  toAccountNo: Type.String({ pattern: '^[0-9A-Za-z -]{4,40}$' })
})
export type ExecuteRefund = Static<typeof ExecuteRefundSchema>

export const RefundListQuery = StrictObject({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('paid')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 }))
})
export const RefundParams = StrictObject({ refundId: Uuid })
