import { asc, desc, eq } from 'drizzle-orm'
import { refunds } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type RefundRow = typeof refunds.$inferSelect

export async function insertRefund (db: Queryable, values: typeof refunds.$inferInsert): Promise<RefundRow | undefined> {
  const [row] = await db.insert(refunds).values(values).onConflictDoNothing({ target: refunds.noticeId }).returning()
  return row
}

export async function findRefund (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<RefundRow | undefined> {
  const query = db.select().from(refunds).where(eq(refunds.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function findRefundOfNotice (db: Queryable, noticeId: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.noticeId, noticeId))
  return row
}

export async function listRefunds (db: Queryable, status: RefundRow['status'] | undefined, limit: number): Promise<RefundRow[]> {
  return db.select().from(refunds).where(status ? eq(refunds.status, status) : undefined)
    .orderBy(status === 'paid' ? desc(refunds.paidAt) : asc(refunds.dueAt)).limit(limit)
}

export async function markPaid (db: Queryable, id: string, values: Pick<RefundRow, 'bankId' | 'bankTxnId' | 'paidAt' | 'businessDate' | 'executedBy' | 'payTransactionId'>) {
  await db.update(refunds).set({ ...values, status: 'paid' }).where(eq(refunds.id, id))
}
