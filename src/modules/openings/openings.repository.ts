import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import { openingAttendance, openingBids, openingObjections, openingRecordFiles, openings } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type OpeningRow = typeof openings.$inferSelect
export type OpeningBidRow = typeof openingBids.$inferSelect
export type AttendanceRow = typeof openingAttendance.$inferSelect
export type ObjectionRow = typeof openingObjections.$inferSelect
export type RecordFileRow = typeof openingRecordFiles.$inferSelect

export async function findOpening (db: Queryable, tenderId: string, lock?: 'update'): Promise<OpeningRow | undefined> {
  const query = db.select().from(openings).where(eq(openings.tenderId, tenderId))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

/** The opening of a tender, created (scheduled) on first use, locked for the caller's transaction. */
export async function ensureOpening (db: Queryable, tenderId: string): Promise<OpeningRow> {
  await db.insert(openings).values({ tenderId }).onConflictDoNothing()
  return (await findOpening(db, tenderId, 'update'))!
}

export async function updateOpening (db: Queryable, tenderId: string, values: Partial<typeof openings.$inferInsert>): Promise<OpeningRow> {
  const [row] = await db.update(openings).set(values).where(eq(openings.tenderId, tenderId)).returning()
  return row!
}

export async function insertBids (db: Queryable, rows: Array<typeof openingBids.$inferInsert>): Promise<void> {
  if (rows.length > 0) await db.insert(openingBids).values(rows)
}

export async function bidsOf (db: Queryable, tenderId: string): Promise<OpeningBidRow[]> {
  return db.select().from(openingBids).where(eq(openingBids.tenderId, tenderId)).orderBy(asc(openingBids.receivedAt))
}

export async function findBid (db: Queryable, tenderId: string, submissionId: string, lock?: 'update'): Promise<OpeningBidRow | undefined> {
  const query = db.select().from(openingBids).where(and(eq(openingBids.tenderId, tenderId), eq(openingBids.submissionId, submissionId)))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

export async function bidOf (db: Queryable, tenderId: string, bidderId: string): Promise<OpeningBidRow | undefined> {
  const [row] = await db.select().from(openingBids).where(and(eq(openingBids.tenderId, tenderId), eq(openingBids.bidderId, bidderId)))
  return row
}

export async function updateBid (db: Queryable, tenderId: string, bidderId: string, values: Partial<typeof openingBids.$inferInsert>): Promise<OpeningBidRow> {
  const [row] = await db.update(openingBids).set(values).where(and(eq(openingBids.tenderId, tenderId), eq(openingBids.bidderId, bidderId))).returning()
  return row!
}

export async function countSealed (db: Queryable, tenderId: string): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(openingBids)
    .where(and(eq(openingBids.tenderId, tenderId), eq(openingBids.status, 'sealed')))
  return row!.count
}

/** Records a sign-in; undefined when the account had signed in already. */
export async function insertAttendance (db: Queryable, values: typeof openingAttendance.$inferInsert): Promise<AttendanceRow | undefined> {
  const [row] = await db.insert(openingAttendance).values(values).onConflictDoNothing().returning()
  return row
}

export async function attendanceOf (db: Queryable, tenderId: string): Promise<AttendanceRow[]> {
  return db.select().from(openingAttendance).where(eq(openingAttendance.tenderId, tenderId)).orderBy(asc(openingAttendance.signedInAt))
}

export async function findAttendance (db: Queryable, tenderId: string, accountId: string): Promise<AttendanceRow | undefined> {
  const [row] = await db.select().from(openingAttendance).where(and(eq(openingAttendance.tenderId, tenderId), eq(openingAttendance.accountId, accountId)))
  return row
}

export async function insertObjection (db: Queryable, values: typeof openingObjections.$inferInsert): Promise<ObjectionRow> {
  const [row] = await db.insert(openingObjections).values(values).returning()
  return row!
}

export async function objectionsOf (db: Queryable, tenderId: string): Promise<ObjectionRow[]> {
  return db.select().from(openingObjections).where(eq(openingObjections.tenderId, tenderId)).orderBy(asc(openingObjections.raisedAt))
}

export async function findObjection (db: Queryable, tenderId: string, id: string, lock?: 'update'): Promise<ObjectionRow | undefined> {
  const query = db.select().from(openingObjections).where(and(eq(openingObjections.tenderId, tenderId), eq(openingObjections.id, id)))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

export async function answerObjection (db: Queryable, id: string, values: { answer: string, answeredBy: string, answeredAt: Date }): Promise<ObjectionRow> {
  const [row] = await db.update(openingObjections).set(values).where(eq(openingObjections.id, id)).returning()
  return row!
}

export async function countUnanswered (db: Queryable, tenderId: string): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(openingObjections)
    .where(and(eq(openingObjections.tenderId, tenderId), isNull(openingObjections.answeredAt)))
  return row!.count
}

export async function insertRecordFiles (db: Queryable, rows: Array<typeof openingRecordFiles.$inferInsert>): Promise<void> {
  await db.insert(openingRecordFiles).values(rows).onConflictDoUpdate({
    target: [openingRecordFiles.tenderId, openingRecordFiles.kind],
    set: { blobKey: sql`excluded.blob_key`, size: sql`excluded.size`, sha256: sql`excluded.sha256` }
  })
}

export async function recordFilesOf (db: Queryable, tenderId: string): Promise<RecordFileRow[]> {
  return db.select().from(openingRecordFiles).where(eq(openingRecordFiles.tenderId, tenderId))
}

export async function findRecordFile (db: Queryable, tenderId: string, kind: string): Promise<RecordFileRow | undefined> {
  const [row] = await db.select().from(openingRecordFiles).where(and(eq(openingRecordFiles.tenderId, tenderId), eq(openingRecordFiles.kind, kind)))
  return row
}
