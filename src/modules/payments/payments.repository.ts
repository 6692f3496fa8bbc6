import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm'
import { banks, paymentNoticeItems, paymentNotices, payments, receipts } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type NoticeRow = typeof paymentNotices.$inferSelect
export type NoticeInsert = typeof paymentNotices.$inferInsert
export type NoticeItemInsert = Omit<typeof paymentNoticeItems.$inferInsert, 'noticeId'>
export type NoticeItemRow = typeof paymentNoticeItems.$inferSelect
export type PaymentRow = typeof payments.$inferSelect
export type ReceiptRow = typeof receipts.$inferSelect
export type PaymentWithBank = PaymentRow & { bankCode: string, receiptNumber: string }

export async function insertNotice (db: Queryable, values: NoticeInsert, items: NoticeItemInsert[]): Promise<NoticeRow> {
  const [row] = await db.insert(paymentNotices).values(values).returning()
  await db.insert(paymentNoticeItems).values(items.map((item) => ({ ...item, noticeId: row!.id })))
  return row!
}

export async function findNotice (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<NoticeRow | undefined> {
  const query = db.select().from(paymentNotices).where(eq(paymentNotices.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function findNoticeByCode (db: Queryable, code: string, options: { forUpdate?: boolean } = {}): Promise<NoticeRow | undefined> {
  const query = db.select().from(paymentNotices).where(eq(paymentNotices.code, code))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function itemsOf (db: Queryable, noticeIds: string[]): Promise<NoticeItemRow[]> {
  if (noticeIds.length === 0) return []
  return db.select().from(paymentNoticeItems).where(inArray(paymentNoticeItems.noticeId, noticeIds)).orderBy(asc(paymentNoticeItems.noticeId), asc(paymentNoticeItems.line))
}

/** The items of the notice with this code, in line order. */
export async function itemsOfCode (db: Queryable, code: string): Promise<NoticeItemRow[]> {
  return db.select({ item: paymentNoticeItems }).from(paymentNoticeItems).innerJoin(paymentNotices, eq(paymentNotices.id, paymentNoticeItems.noticeId))
    .where(eq(paymentNotices.code, code)).orderBy(asc(paymentNoticeItems.line)).then((rows) => rows.map((row) => row.item))
}

export interface NoticeFilter {
  /** null: every scope (a hall grant) */
  scope: { departmentIds: string[], windowIds: string[] } | null
  payerAccountId?: string
  status?: NoticeRow['status']
  reference?: string
  /** paid through this channel / on this business day */
  channel?: PaymentRow['channel']
  paidOn?: string
  limit: number
  offset: number
}

function noticeConditions (filter: Omit<NoticeFilter, 'limit' | 'offset'>): SQL | undefined {
  const conditions: Array<SQL | undefined> = []
  if (filter.scope) {
    const { departmentIds, windowIds } = filter.scope
    conditions.push(or(
      departmentIds.length > 0 ? inArray(paymentNotices.departmentId, departmentIds) : sql`false`,
      windowIds.length > 0 ? inArray(paymentNotices.windowId, windowIds) : sql`false`
    ))
  }
  if (filter.payerAccountId) conditions.push(eq(paymentNotices.payerAccountId, filter.payerAccountId))
  if (filter.status) conditions.push(eq(paymentNotices.status, filter.status))
  if (filter.reference) conditions.push(eq(paymentNotices.reference, filter.reference))
  if (filter.channel || filter.paidOn) {
    conditions.push(sql`exists (select 1 from ${payments} where ${payments.noticeId} = ${paymentNotices.id}
      ${filter.channel ? sql`and ${payments.channel} = ${filter.channel}` : sql``}
      ${filter.paidOn ? sql`and ${payments.businessDate} = ${filter.paidOn}` : sql``})`)
  }
  return and(...conditions)
}

export async function listNotices (db: Queryable, filter: NoticeFilter): Promise<NoticeRow[]> {
  return db.select().from(paymentNotices).where(noticeConditions(filter))
    .orderBy(desc(paymentNotices.issuedAt)).limit(filter.limit).offset(filter.offset)
}

/** How many notices listNotices would list without its page bounds. */
export async function countNotices (db: Queryable, filter: Omit<NoticeFilter, 'limit' | 'offset'>): Promise<number> {
  const [row] = await db.select({ value: sql<number>`count(*)::int` }).from(paymentNotices).where(noticeConditions(filter))
  return row?.value ?? 0
}

export async function closeNotice (db: Queryable, id: string, values: Pick<NoticeRow, 'status' | 'closedAt'> & Partial<Pick<NoticeRow, 'closeReason'>>) {
  await db.update(paymentNotices).set(values).where(eq(paymentNotices.id, id))
}

export async function insertPayment (db: Queryable, values: typeof payments.$inferInsert): Promise<PaymentRow> {
  const [row] = await db.insert(payments).values(values).returning()
  return row!
}

const paymentColumns = {
  payment: payments,
  bankCode: banks.code,
  receiptNumber: receipts.number
}

function withBank (rows: Array<{ payment: PaymentRow, bankCode: string, receiptNumber: string | null }>): PaymentWithBank[] {
  return rows.map((row) => ({ ...row.payment, bankCode: row.bankCode, receiptNumber: row.receiptNumber ?? '' }))
}

/** A recorded bank transaction with what a repeat of it must agree with (its notice's code and amount). */
export async function findPaymentByBankTxn (db: Queryable, bankId: string, bankTxnId: string) {
  const [row] = await db.select({
    paymentId: payments.id, noticeId: payments.noticeId, amountFen: payments.amountFen, noticeCode: paymentNotices.code, receiptNumber: receipts.number
  }).from(payments)
    .innerJoin(paymentNotices, eq(paymentNotices.id, payments.noticeId)).innerJoin(receipts, eq(receipts.paymentId, payments.id))
    .where(and(eq(payments.bankId, bankId), eq(payments.bankTxnId, bankTxnId)))
  return row
}

export async function paymentsOfNotices (db: Queryable, noticeIds: string[]): Promise<PaymentWithBank[]> {
  if (noticeIds.length === 0) return []
  const rows = await db.select(paymentColumns).from(payments)
    .innerJoin(banks, eq(banks.id, payments.bankId)).leftJoin(receipts, eq(receipts.paymentId, payments.id))
    .where(inArray(payments.noticeId, noticeIds))
  return withBank(rows)
}

export async function findPayment (db: Queryable, id: string): Promise<PaymentWithBank | undefined> {
  const rows = await db.select(paymentColumns).from(payments)
    .innerJoin(banks, eq(banks.id, payments.bankId)).leftJoin(receipts, eq(receipts.paymentId, payments.id))
    .where(eq(payments.id, id))
  return withBank(rows)[0]
}

export async function nextReceiptSerial (db: Queryable): Promise<bigint> {
  const [row] = await db.execute<{ serial: string }>(sql`select nextval('receipt_numbers')::text as serial`)
  return BigInt(row!.serial)
}

export async function insertReceipt (db: Queryable, values: typeof receipts.$inferInsert): Promise<ReceiptRow> {
  const [row] = await db.insert(receipts).values(values).returning()
  return row!
}

export async function findReceipt (db: Queryable, number: string): Promise<ReceiptRow | undefined> {
  const [row] = await db.select().from(receipts).where(eq(receipts.number, number))
  return row
}

export async function unsignedReceipts (db: Queryable, limit: number): Promise<string[]> {
  const rows = await db.select({ number: receipts.number }).from(receipts).where(sql`${receipts.signature} is null`).limit(limit)
  return rows.map((row) => row.number)
}

/** Stores the signature unless another instance signed first; answers the one that stands. */
export async function signReceipt (db: Queryable, id: string, signature: Buffer): Promise<Buffer> {
  const [signed] = await db.update(receipts).set({ signature }).where(and(eq(receipts.id, id), sql`${receipts.signature} is null`)).returning({ signature: receipts.signature })
  if (signed) return signed.signature!
  const [row] = await db.select({ signature: receipts.signature }).from(receipts).where(eq(receipts.id, id))
  return row!.signature!
}

export async function findNotices (db: Queryable, ids: string[]): Promise<NoticeRow[]> {
  if (ids.length === 0) return []
  return db.select().from(paymentNotices).where(inArray(paymentNotices.id, ids))
}

export async function receiptNumberOfPayment (db: Queryable, paymentId: string): Promise<string | undefined> {
  const [row] = await db.select({ number: receipts.number }).from(receipts).where(eq(receipts.paymentId, paymentId))
  return row?.number
}
