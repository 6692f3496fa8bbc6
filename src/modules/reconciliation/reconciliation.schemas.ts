import { Type, type Static } from 'typebox'
import { Fen, IsoDate, Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { BankCode, BankTxnId } from '../banks/banks.schemas.ts'

export const StatementSchema = Type.Object({
  id: Uuid,
  bankId: Uuid,
  statementDate: IsoDate,
  sha256: Type.String(),
  lineCount: Type.Integer(),
  creditsFen: Fen,
  debitsFen: Fen,
  matchedCount: Type.Integer({ description: 'lines that agree with the hall\'s records' }),
  openDifferences: Type.Integer(),
  differences: Type.Integer(),
  importedBy: Uuid,
  importedAt: Timestamp
})
export type StatementView = Static<typeof StatementSchema>

export const ResolutionSchema = Type.Union([Type.Literal('record_payment'), Type.Literal('suspense'), Type.Literal('acknowledge')])

export const DifferenceSchema = Type.Object({
  id: Uuid,
  statementId: Uuid,
  kind: Type.Union([Type.Literal('missing'), Type.Literal('unexpected'), Type.Literal('amount_mismatch'), Type.Literal('account_mismatch')]),
  direction: Type.Union([Type.Literal('C'), Type.Literal('D')]),
  lineNo: Nullable(Type.Integer()),
  paymentId: Nullable(Uuid),
  refundId: Nullable(Uuid),
  remittanceBatchId: Nullable(Uuid),
  txnId: Type.String(),
  paymentCode: Nullable(Type.String()),
  expectedFen: Nullable(Fen),
  actualFen: Nullable(Fen),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  resolution: Nullable(ResolutionSchema),
  note: Nullable(Type.String()),
  resolvedBy: Nullable(Uuid),
  resolvedAt: Nullable(Timestamp),
  allowedResolutions: Type.Array(ResolutionSchema)
})
export type DifferenceView = Static<typeof DifferenceSchema>

export const StatementDetailSchema = Type.Object({ statement: StatementSchema, differences: Type.Array(DifferenceSchema) })

export const ImportStatementQuery = StrictObject({ bankCode: BankCode, date: IsoDate })
export const ResolveDifferenceSchema = StrictObject({
  resolution: ResolutionSchema,
  note: Type.String({ minLength: 2, maxLength: 1000, description: 'why; kept with the resolution' })
})
export type ResolveDifference = Static<typeof ResolveDifferenceSchema>

export const RemittanceSchema = Type.Object({
  id: Uuid,
  receivingAccount: Type.String(),
  throughDate: IsoDate,
  totalFen: Fen,
  paymentCount: Type.Integer(),
  status: Type.Union([Type.Literal('created'), Type.Literal('confirmed')]),
  createdAt: Timestamp,
  bankTxnId: Nullable(Type.String()),
  confirmedAt: Nullable(Timestamp)
})
export type RemittanceView = Static<typeof RemittanceSchema>

export const CreateRemittancesSchema = StrictObject({ throughDate: IsoDate })
export const ConfirmRemittanceSchema = StrictObject({ bankCode: BankCode, bankTxnId: BankTxnId })

export const RemittanceCheckSchema = Type.Object({
  ledgerUnremittedFen: Fen,
  recordsUnremittedFen: Fen,
  matches: Type.Boolean({ description: 'the ledger\'s non-tax revenue balance equals the collected revenue no remittance covers' })
})

export const FinanceDaySchema = Type.Object({
  date: IsoDate,
  collectedFen: Fen,
  remittedFen: Fen,
  depositsFen: Fen,
  refundedFen: Fen
})
export type FinanceDay = Static<typeof FinanceDaySchema>
export const FinanceSummaryQuery = StrictObject({ from: IsoDate, to: IsoDate })

export const StatementParams = StrictObject({ statementId: Uuid })
export const DifferenceParams = StrictObject({ differenceId: Uuid })
export const RemittanceParams = StrictObject({ batchId: Uuid })
