import { sql } from 'drizzle-orm'
import { bigint, check, date, index, pgEnum, pgTable, text, timestamp, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

export const LEDGER_SIDES = ['debit', 'credit'] as const
export const ledgerSide = pgEnum('ledger_side', LEDGER_SIDES)

/** The chart of accounts of the fee hall (seeded by migration; see src/modules/ledger). */
export const ledgerAccounts = pgTable('ledger_accounts', {
  code: text().primaryKey(),
  name: text().notNull(),
  nameEn: text().notNull(),
  /** the side on which the account normally carries its balance (for display) */
  normalSide: ledgerSide().notNull()
})

/**
 * One money movement. Its entries sum to zero (enforced by a deferred constraint trigger at
 * commit, migration 0004); rows are never updated or deleted — a correction is a new transaction
 * that reverses this one (`reversesId`, at most one reversal each).
 */
export const ledgerTransactions = pgTable('ledger_transactions', {
  id: uuid().primaryKey().defaultRandom(),
  /** dotted kind, e.g. `notice.issued`, `payment.received`, `remittance.created` */
  kind: text().notNull(),
  /** what it is about, e.g. `notice:<id>`, `refund:<id>` */
  reference: text().notNull(),
  /** the accounting date (Asia/Shanghai) */
  businessDate: date().notNull(),
  occurredAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  memo: text().notNull().default(''),
  reversesId: uuid().unique().references((): AnyPgColumn => ledgerTransactions.id),
  createdBy: uuid().references(() => accounts.id)
}, (t) => [index().on(t.reference), index().on(t.businessDate), index().on(t.createdBy)])

/** Debits are positive, credits negative, in fen. */
export const ledgerEntries = pgTable('ledger_entries', {
  id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  transactionId: uuid().notNull().references(() => ledgerTransactions.id),
  accountCode: text().notNull().references(() => ledgerAccounts.code),
  amountFen: bigint({ mode: 'bigint' }).notNull()
}, (t) => [index().on(t.transactionId), index().on(t.accountCode), check('ledger_entries_amount_nonzero', sql`${t.amountFen} <> 0`)])
