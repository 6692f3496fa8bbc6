import { and, asc, desc, eq, inArray, lt, max } from 'drizzle-orm'
import { bidSubmissions, bidUploads, bondGuarantees, bondNotices } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type SubmissionRow = typeof bidSubmissions.$inferSelect
export type GuaranteeRow = typeof bondGuarantees.$inferSelect

export async function findByIdempotencyKey (db: Queryable, tenderId: string, bidderId: string, key: string): Promise<SubmissionRow | undefined> {
  const [row] = await db.select().from(bidSubmissions)
    .where(and(eq(bidSubmissions.tenderId, tenderId), eq(bidSubmissions.bidderId, bidderId), eq(bidSubmissions.idempotencyKey, key)))
  return row
}

export async function latestVersion (db: Queryable, tenderId: string, bidderId: string): Promise<SubmissionRow | undefined> {
  const [row] = await db.select().from(bidSubmissions)
    .where(and(eq(bidSubmissions.tenderId, tenderId), eq(bidSubmissions.bidderId, bidderId)))
    .orderBy(desc(bidSubmissions.version)).limit(1)
  return row
}

export async function insertSubmission (db: Queryable, values: typeof bidSubmissions.$inferInsert): Promise<SubmissionRow> {
  const [row] = await db.insert(bidSubmissions).values(values).returning()
  return row!
}

export async function submissionsOf (db: Queryable, tenderId: string, bidderId: string): Promise<SubmissionRow[]> {
  return db.select().from(bidSubmissions)
    .where(and(eq(bidSubmissions.tenderId, tenderId), eq(bidSubmissions.bidderId, bidderId))).orderBy(asc(bidSubmissions.version))
}

export async function findSubmission (db: Queryable, id: string): Promise<SubmissionRow | undefined> {
  const [row] = await db.select().from(bidSubmissions).where(eq(bidSubmissions.id, id))
  return row
}

/** Every submission of a tender, by bidder and version (the opening takes the latest of each). */
export async function submissionsOfTender (db: Queryable, tenderId: string): Promise<SubmissionRow[]> {
  return db.select().from(bidSubmissions).where(eq(bidSubmissions.tenderId, tenderId)).orderBy(asc(bidSubmissions.bidderId), asc(bidSubmissions.version))
}

export async function versionCount (db: Queryable, tenderId: string, bidderId: string): Promise<number> {
  const [row] = await db.select({ value: max(bidSubmissions.version) }).from(bidSubmissions)
    .where(and(eq(bidSubmissions.tenderId, tenderId), eq(bidSubmissions.bidderId, bidderId)))
  return row?.value ?? 0
}

export async function insertBondNotice (db: Queryable, values: typeof bondNotices.$inferInsert): Promise<void> {
  await db.insert(bondNotices).values(values)
}

export async function bondNoticesOf (db: Queryable, tenderId: string, bidderIds?: string[]) {
  return db.select().from(bondNotices)
    .where(and(eq(bondNotices.tenderId, tenderId), bidderIds ? inArray(bondNotices.bidderId, bidderIds) : undefined))
    .orderBy(asc(bondNotices.createdAt))
}

export async function insertGuarantee (db: Queryable, values: typeof bondGuarantees.$inferInsert): Promise<GuaranteeRow> {
  const [row] = await db.insert(bondGuarantees).values(values).returning()
  return row!
}

export async function guaranteesOf (db: Queryable, tenderId: string, bidderIds?: string[]): Promise<GuaranteeRow[]> {
  return db.select().from(bondGuarantees)
    .where(and(eq(bondGuarantees.tenderId, tenderId), bidderIds ? inArray(bondGuarantees.bidderId, bidderIds) : undefined))
    .orderBy(asc(bondGuarantees.recordedAt))
}

export async function beginUpload (db: Queryable, blobKey: string, tenderId: string): Promise<void> {
  await db.insert(bidUploads).values({ blobKey, tenderId })
}

export async function endUpload (db: Queryable, blobKey: string): Promise<void> {
  await db.delete(bidUploads).where(eq(bidUploads.blobKey, blobKey))
}

export async function abandonedUploads (db: Queryable, startedBefore: Date, limit: number): Promise<string[]> {
  const rows = await db.select({ blobKey: bidUploads.blobKey }).from(bidUploads).where(lt(bidUploads.startedAt, startedBefore)).orderBy(asc(bidUploads.startedAt)).limit(limit)
  return rows.map((row) => row.blobKey)
}
