import { sql } from 'drizzle-orm'
import { bigint, check, date, index, integer, jsonb, pgEnum, pgSequence, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { bytea } from './columns.ts'
import { banks } from './banks.ts'
import { feeCategory, feeItemVersions } from './fees.ts'
import { accounts } from './identity.ts'
import { ledgerTransactions } from './ledger.ts'
import { departments, windows } from './organisation.ts'

export const NOTICE_PURPOSES = ['case', 'tender_document', 'bid_bond', 'auction_deposit', 'other'] as const
export const NOTICE_STATUSES = ['issued', 'paid', 'refunded', 'cancelled', 'expired'] as const
export const PAYMENT_CHANNELS = ['window', 'bank_callback', 'statement'] as const
export const REFUND_STATUSES = ['pending', 'paid'] as const

export const noticePurpose = pgEnum('notice_purpose', NOTICE_PURPOSES)
export const noticeStatus = pgEnum('notice_status', NOTICE_STATUSES)
export const paymentChannel = pgEnum('payment_channel', PAYMENT_CHANNELS)
export const refundStatus = pgEnum('refund_status', REFUND_STATUSES)

/** 缴款通知书: what a payer owes, under a payment code; paid in full exactly once or not at all. */
export const paymentNotices = pgTable('payment_notices', {
  id: uuid().primaryKey().defaultRandom(),
  /** 20 digits: region, year, random, Damm check digit (src/lib/payment-code.ts) */
  code: text().notNull().unique(),
  purpose: noticePurpose().notNull(),
  /** what it pays for, e.g. `case:<id>`, `tender:<id>` */
  reference: text().notNull(),
  /** the scope of the issuing office (policy: a clerk sees the notices of their department or window) */
  departmentId: uuid().references(() => departments.id),
  windowId: uuid().references(() => windows.id),
  payerAccountId: uuid().references(() => accounts.id),
  payerName: text().notNull(),
  payerIdNumber: text(),
  totalFen: bigint({ mode: 'bigint' }).notNull(),
  status: noticeStatus().notNull(),
  issuedBy: uuid().references(() => accounts.id),
  issuedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  /** payment must arrive before this instant */
  dueAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  closedAt: timestamp({ withTimezone: true, precision: 3 }),
  closeReason: text(),
  issueTransactionId: uuid().notNull().references(() => ledgerTransactions.id)
}, (t) => [
  index().on(t.payerAccountId),
  index().on(t.departmentId),
  index().on(t.windowId),
  index().on(t.reference),
  index().on(t.issuedBy),
  index().on(t.issueTransactionId),
  index().on(t.status, t.dueAt),
  check('payment_notices_total_positive', sql`${t.totalFen} > 0`)
])

export const paymentNoticeItems = pgTable('payment_notice_items', {
  noticeId: uuid().notNull().references(() => paymentNotices.id),
  line: integer().notNull(),
  feeItemVersionId: uuid().notNull().references(() => feeItemVersions.id),
  code: text().notNull(),
  name: text().notNull(),
  category: feeCategory().notNull(),
  /** the quantity or formula parameters the amount was computed from */
  inputs: jsonb().notNull().default({}),
  /** how the amount was computed, for people (e.g. "120.5 平方米 × ¥2.00") */
  detail: text().notNull().default(''),
  amountFen: bigint({ mode: 'bigint' }).notNull(),
  receivingAccount: text().notNull()
}, (t) => [primaryKey({ columns: [t.noticeId, t.line] }), index().on(t.feeItemVersionId), check('payment_notice_items_amount', sql`${t.amountFen} > 0`)])

/** The one payment of a notice (unique noticeId), identified at its bank by the transaction id. */
export const payments = pgTable('payments', {
  id: uuid().primaryKey().defaultRandom(),
  noticeId: uuid().notNull().unique().references(() => paymentNotices.id),
  channel: paymentChannel().notNull(),
  bankId: uuid().notNull().references(() => banks.id),
  bankTxnId: text().notNull(),
  amountFen: bigint({ mode: 'bigint' }).notNull(),
  payerAccountNo: text().notNull(),
  payerAccountName: text().notNull(),
  /** the bank's time of the payment */
  paidAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  /** the date of paidAt in Asia/Shanghai: the statement and remittance day */
  businessDate: date().notNull(),
  recordedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  recordedBy: uuid().references(() => accounts.id),
  ledgerTransactionId: uuid().notNull().references(() => ledgerTransactions.id)
}, (t) => [
  unique().on(t.bankId, t.bankTxnId),
  index().on(t.bankId, t.businessDate),
  index().on(t.recordedBy),
  index().on(t.ledgerTransactionId)
])

export const receiptNumbers = pgSequence('receipt_numbers', { startWith: 1 })

/**
 * 电子缴款收据: `document` is the exact canonical JSON that is signed; `signature` (CMS SignedData,
 * detached, by the platform's document signer) is added right after the payment commits, or on
 * first read if the process stopped in between.
 */
export const receipts = pgTable('receipts', {
  id: uuid().primaryKey().defaultRandom(),
  number: text().notNull().unique(),
  paymentId: uuid().notNull().unique().references(() => payments.id),
  document: text().notNull(),
  signature: bytea(),
  issuedAt: timestamp({ withTimezone: true, precision: 3 }).notNull()
})

/**
 * Refund of a deposit to the account it came from: pending (a task with a deadline, watched
 * yellow/red) → paid (the outgoing bank transfer recorded).
 */
export const refunds = pgTable('refunds', {
  id: uuid().primaryKey().defaultRandom(),
  noticeId: uuid().notNull().unique().references(() => paymentNotices.id),
  /** the notice's code and what it paid for, as printed on the refund order */
  noticeCode: text().notNull(),
  reference: text().notNull(),
  paymentId: uuid().notNull().references(() => payments.id),
  amountFen: bigint({ mode: 'bigint' }).notNull(),
  toAccountNo: text().notNull(),
  toAccountName: text().notNull(),
  reason: text().notNull(),
  /** what started the clock, e.g. `award_notice`, `contract_signed`, `tender_cancelled` */
  trigger: text().notNull(),
  triggeredAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  /** yellow from warnAt, red from dueAt */
  warnAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  dueAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  status: refundStatus().notNull(),
  requestedBy: uuid().references(() => accounts.id),
  requestedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  bankId: uuid().references(() => banks.id),
  bankTxnId: text(),
  paidAt: timestamp({ withTimezone: true, precision: 3 }),
  businessDate: date(),
  executedBy: uuid().references(() => accounts.id),
  approveTransactionId: uuid().notNull().references(() => ledgerTransactions.id),
  payTransactionId: uuid().references(() => ledgerTransactions.id)
}, (t) => [
  unique().on(t.bankId, t.bankTxnId),
  index().on(t.paymentId),
  index().on(t.status, t.dueAt),
  index().on(t.requestedBy),
  index().on(t.executedBy),
  index().on(t.bankId, t.businessDate),
  index().on(t.approveTransactionId),
  index().on(t.payTransactionId)
])
