import { Type, type Static } from 'typebox'
import { IsoDate, Nullable, PageQuery, SignedFen, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

export const AccountBalanceSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  normalSide: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
  balanceFen: SignedFen
})
export type AccountBalanceView = Static<typeof AccountBalanceSchema>

export const LedgerTransactionSchema = Type.Object({
  id: Uuid,
  kind: Type.String(),
  reference: Type.String(),
  businessDate: IsoDate,
  occurredAt: Timestamp,
  memo: Type.String(),
  reversesId: Nullable(Uuid),
  entries: Type.Array(Type.Object({ accountCode: Type.String(), amountFen: SignedFen }))
})
export type LedgerTransactionView = Static<typeof LedgerTransactionSchema>

export const BooksCheckSchema = Type.Object({
  balanced: Type.Boolean({ description: 'every transaction and the whole ledger sum to zero' }),
  transactions: Type.Integer(),
  entries: Type.Integer(),
  totalFen: SignedFen,
  unbalancedTransactions: Type.Array(Uuid)
})
export type BooksCheckView = Static<typeof BooksCheckSchema>

export const BalancesQuery = StrictObject({ asOf: Type.Optional(IsoDate) })
export const TransactionsQuery = StrictObject({
  reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  ...PageQuery
})
