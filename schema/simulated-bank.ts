import { bigint, char, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/**
 * The built-in simulated bank's own books (demo and tests): what it took from payers and paid
 * out, from which it produces statements like a real bank. It is a separate party: it talks to
 * the hall only through the signed bank API.
 */
export const simulatedBankTransactions = pgTable('simulated_bank_transactions', {
  id: uuid().primaryKey().defaultRandom(),
  txnId: text().notNull().unique(),
  direction: char({ length: 1 }).notNull(),
  amountFen: bigint({ mode: 'bigint' }).notNull(),
  paymentCode: text(),
  counterpartyAccount: text().notNull(),
  counterpartyName: text().notNull(),
  memo: text().notNull().default(''),
  bookedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  /** delivered, failed, or withheld (the demo's "lost callback") */
  callbackStatus: text().notNull()
}, (t) => [index().on(t.bookedAt)])
