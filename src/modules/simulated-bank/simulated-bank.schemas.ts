import { Type, type Static } from 'typebox'
import { Fen, IsoDate, StrictObject } from '../../lib/http-schemas.ts'

export const SimulatedPaymentSchema = StrictObject({
  paymentCode: Type.String({ minLength: 20, maxLength: 40 }),
  payerAccountNo: Type.String({ pattern: '^[0-9A-Za-z -]{4,40}$' }),
  payerAccountName: Type.String({ minLength: 1, maxLength: 200 }),
  delivery: Type.Optional(Type.Union([Type.Literal('normal'), Type.Literal('repeated'), Type.Literal('lost')], {
    description: 'normal: one callback; repeated: three at once (as a retrying bank would); lost: none (reconciliation finds it)'
  }))
})
export type SimulatedPayment = Static<typeof SimulatedPaymentSchema>

export const SimulatedPaymentResultSchema = Type.Object({
  txnId: Type.String(),
  amountFen: Fen,
  callbacks: Type.Array(Type.Object({ statusCode: Type.Integer(), status: Type.String() }))
})
export type SimulatedPaymentResult = Static<typeof SimulatedPaymentResultSchema>

export const SimulatedTransferSchema = StrictObject({
  toAccountNo: Type.String({ pattern: '^[0-9A-Za-z -]{4,40}$' }),
  toAccountName: Type.String({ minLength: 1, maxLength: 200 }),
  amountFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  memo: Type.Optional(Type.String({ maxLength: 200 }))
})
export const SimulatedTransferResultSchema = Type.Object({ txnId: Type.String() })

export const StatementDateParams = StrictObject({ date: IsoDate })
