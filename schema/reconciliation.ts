import { sql } from 'drizzle-orm'
import { bigint, check, char, date, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { banks } from './banks.ts'
import { accounts } from './identity.ts'
import { ledgerTransactions } from './ledger.ts'
import { payments, refunds } from './payments.ts'

export const RECONCILIATION_KINDS = ['missing', 'unexpected', 'amount_mismatch', 'account_mismatch'] as const
export const RECONCILIATION_STATUSES = ['open', 'resolved'] as const
export const RECONCILIATION_RESOLUTIONS = ['record_payment', 'suspense', 'acknowledge'] as const
export const REMITTANCE_STATUSES = ['created', 'confirmed'] as const

export const reconciliationKind = pgEnum('reconciliation_kind', RECONCILIATION_KINDS)
export const reconciliationStatus = pgEnum('reconciliation_status', RECONCILIATION_STATUSES)
export const reconciliationResolution = pgEnum('reconciliation_resolution', RECONCILIATION_RESOLUTIONS)
export const remittanceStatus = pgEnum('remittance_status', REMITTANCE_STATUSES)

/** A bank's statement of one day, imported whole or not at all. */
export const bankStatements = pgTable('bank_statements', {
  id: uuid().primaryKey().defaultRandom(),
  bankId: uuid().notNull().references(() => banks.id),
  statementDate: date().notNull(),
  /** SHA-256 of the file as uploaded */
  sha256: text().notNull(),
  /** the bank's file as uploaded, retained in the object store */
  fileKey: text().notNull(),
  lineCount: integer().notNull(),
  creditsFen: bigint({ mode: 'bigint' }).notNull(),
  debitsFen: bigint({ mode: 'bigint' }).notNull(),
  matchedCount: integer().notNull(),
  importedBy: uuid().notNull().references(() => accounts.id),
  importedAt: timestamp({ withTimezone: true, precision: 3 }).notNull()
}, (t) => [unique().on(t.bankId, t.statementDate), index().on(t.importedBy)])

export const bankStatementLines = pgTable('bank_statement_lines', {
  statementId: uuid().notNull().references(() => bankStatements.id),
  lineNo: integer().notNull(),
  txnId: text().notNull(),
  bookedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  /** C: money in, D: money out */
  direction: char({ length: 1 }).notNull(),
  amountFen: bigint({ mode: 'bigint' }).notNull(),
  paymentCode: text(),
  counterpartyAccount: text().notNull(),
  counterpartyName: text().notNull(),
  memo: text().notNull()
}, (t) => [
  primaryKey({ columns: [t.statementId, t.lineNo] }),
  check('bank_statement_lines_direction', sql`${t.direction} in ('C', 'D')`),
  check('bank_statement_lines_amount', sql`${t.amountFen} > 0`)
])

/** A difference between the statement and the hall's records, open until someone resolves it. */
export const reconciliationItems = pgTable('reconciliation_items', {
  id: uuid().primaryKey().defaultRandom(),
  statementId: uuid().notNull().references(() => bankStatements.id),
  kind: reconciliationKind().notNull(),
  direction: char({ length: 1 }).notNull(),
  lineNo: integer(),
  paymentId: uuid().references(() => payments.id),
  refundId: uuid().references(() => refunds.id),
  remittanceBatchId: uuid().references(() => remittanceBatches.id),
  txnId: text().notNull(),
  paymentCode: text(),
  /** what the hall recorded; null for an unexpected line */
  expectedFen: bigint({ mode: 'bigint' }),
  /** what the bank reported; null for a missing line */
  actualFen: bigint({ mode: 'bigint' }),
  status: reconciliationStatus().notNull(),
  resolution: reconciliationResolution(),
  note: text(),
  resolvedBy: uuid().references(() => accounts.id),
  resolvedAt: timestamp({ withTimezone: true, precision: 3 }),
  resolutionTransactionId: uuid().references(() => ledgerTransactions.id)
}, (t) => [
  index().on(t.statementId, t.status),
  index().on(t.paymentId),
  index().on(t.refundId),
  index().on(t.remittanceBatchId),
  index().on(t.resolvedBy),
  index().on(t.resolutionTransactionId),
  // a payment recorded later looks here for its money parked in suspense (payments.recordPayment)
  index('reconciliation_items_suspense_txn').on(t.txnId).where(sql`${t.resolution} = 'suspense'`)
])

/**
 * A transfer of collected non-tax revenue to one fiscal account, covering every payment up to
 * `throughDate` not remitted before (remittance_lines holds each payment's share once).
 */
export const remittanceBatches = pgTable('remittance_batches', {
  id: uuid().primaryKey().defaultRandom(),
  receivingAccount: text().notNull(),
  throughDate: date().notNull(),
  totalFen: bigint({ mode: 'bigint' }).notNull(),
  paymentCount: integer().notNull(),
  status: remittanceStatus().notNull(),
  createdBy: uuid().notNull().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  ledgerTransactionId: uuid().notNull().references(() => ledgerTransactions.id),
  bankId: uuid().references(() => banks.id),
  bankTxnId: text(),
  businessDate: date(),
  confirmedBy: uuid().references(() => accounts.id),
  confirmedAt: timestamp({ withTimezone: true, precision: 3 })
}, (t) => [
  unique().on(t.bankId, t.bankTxnId),
  index().on(t.throughDate),
  index().on(t.createdBy),
  index().on(t.confirmedBy),
  index().on(t.ledgerTransactionId),
  index().on(t.bankId, t.businessDate),
  check('remittance_batches_total', sql`${t.totalFen} > 0`)
])

export const remittanceLines = pgTable('remittance_lines', {
  batchId: uuid().notNull().references(() => remittanceBatches.id),
  paymentId: uuid().notNull().references(() => payments.id),
  receivingAccount: text().notNull(),
  amountFen: bigint({ mode: 'bigint' }).notNull()
}, (t) => [primaryKey({ columns: [t.paymentId, t.receivingAccount] }), index().on(t.batchId)])
