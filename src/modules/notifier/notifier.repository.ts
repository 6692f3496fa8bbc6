import { and, count, desc, eq, isNull, lte, or, sql } from 'drizzle-orm'
import { inboxMessages, simulatedSmsMessages, smsOutbox } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type InboxRow = typeof inboxMessages.$inferSelect
export type OutboxRow = typeof smsOutbox.$inferSelect

export async function insertMessage (db: Queryable, values: typeof inboxMessages.$inferInsert): Promise<InboxRow> {
  const [row] = await db.insert(inboxMessages).values(values).returning()
  return row!
}

export async function listMessages (db: Queryable, recipientId: string, filter: { unread?: boolean, limit: number, offset: number }) {
  const where = and(eq(inboxMessages.recipientId, recipientId), filter.unread ? isNull(inboxMessages.readAt) : undefined)
  const [items, [total]] = await Promise.all([
    db.select().from(inboxMessages).where(where).orderBy(desc(inboxMessages.createdAt), desc(inboxMessages.id)).limit(filter.limit).offset(filter.offset),
    db.select({ value: count() }).from(inboxMessages).where(where)
  ])
  return { items, total: total?.value ?? 0 }
}

export async function countUnread (db: Queryable, recipientId: string): Promise<number> {
  const [row] = await db.select({ value: count() }).from(inboxMessages).where(and(eq(inboxMessages.recipientId, recipientId), isNull(inboxMessages.readAt)))
  return row?.value ?? 0
}

/** Marks the recipient's own message read (the first reading stays); undefined when it is not theirs. */
export async function markRead (db: Queryable, recipientId: string, messageId: string, at: Date): Promise<InboxRow | undefined> {
  const [row] = await db.update(inboxMessages).set({ readAt: sql`coalesce(${inboxMessages.readAt}, ${at.toISOString()}::timestamptz)` })
    .where(and(eq(inboxMessages.id, messageId), eq(inboxMessages.recipientId, recipientId))).returning()
  return row
}

export async function markAllRead (db: Queryable, recipientId: string, at: Date): Promise<number> {
  const rows = await db.update(inboxMessages).set({ readAt: at })
    .where(and(eq(inboxMessages.recipientId, recipientId), isNull(inboxMessages.readAt))).returning({ id: inboxMessages.id })
  return rows.length
}

export async function insertOutbox (db: Queryable, values: typeof smsOutbox.$inferInsert): Promise<OutboxRow> {
  const [row] = await db.insert(smsOutbox).values(values).returning()
  return row!
}

/**
 * Takes a due delivery for one attempt: queued and due, or left `sending` by an instance that
 * stopped mid-attempt (its lease, nextAttemptAt, has passed). One statement, so two instances
 * never send the same attempt.
 */
export async function claimDelivery (db: Queryable, id: string, now: Date, leaseUntil: Date): Promise<OutboxRow | undefined> {
  const [row] = await db.update(smsOutbox)
    .set({ status: 'sending', attempts: sql`${smsOutbox.attempts} + 1`, nextAttemptAt: leaseUntil })
    .where(and(eq(smsOutbox.id, id), or(eq(smsOutbox.status, 'queued'), eq(smsOutbox.status, 'sending')), lte(smsOutbox.nextAttemptAt, now)))
    .returning()
  return row
}

export async function recordSent (db: Queryable, row: OutboxRow, gatewayId: string | null, at: Date) {
  await db.update(smsOutbox).set({ status: 'sent', sentAt: at, gatewayId, lastError: null, ...(row.secret ? { text: null } : {}) }).where(eq(smsOutbox.id, row.id))
}

export async function recordRetry (db: Queryable, id: string, error: string, retryAt: Date) {
  await db.update(smsOutbox).set({ status: 'queued', lastError: error, nextAttemptAt: retryAt }).where(eq(smsOutbox.id, id))
}

export async function recordFailed (db: Queryable, row: OutboxRow, error: string) {
  await db.update(smsOutbox).set({ status: 'failed', lastError: error, ...(row.secret ? { text: null } : {}) }).where(eq(smsOutbox.id, row.id))
}

export async function findDelivery (db: Queryable, id: string): Promise<OutboxRow | undefined> {
  const [row] = await db.select().from(smsOutbox).where(eq(smsOutbox.id, id))
  return row
}

export async function listDeliveries (db: Queryable, filter: { limit: number, offset: number }) {
  return db.select().from(smsOutbox).orderBy(desc(smsOutbox.createdAt), desc(smsOutbox.id)).limit(filter.limit).offset(filter.offset)
}

export async function listSimulated (db: Queryable, filter: { phone?: string, limit: number }) {
  return db.select().from(simulatedSmsMessages)
    .where(filter.phone ? eq(simulatedSmsMessages.phone, filter.phone) : undefined)
    .orderBy(desc(simulatedSmsMessages.receivedAt), desc(simulatedSmsMessages.id)).limit(filter.limit)
}
