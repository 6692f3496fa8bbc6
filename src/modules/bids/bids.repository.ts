import { and, asc, desc, eq, inArray, lt, max, sql } from 'drizzle-orm'
import { bidSubmissions, bidUploads, bondGuarantees, bondNotices, tenders } from '../../../schema/index.ts'
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

/**
 * A bidder's submissions across tenders, newest first, each with its tender's code and title and
 * whether it is the latest version of that bidder in that tender.
 */
export async function submissionsOfBidder (db: Queryable, bidderId: string, filter: { tenderId?: string, limit: number, offset: number }) {
  const latest = db.select({ tenderId: bidSubmissions.tenderId, version: max(bidSubmissions.version).as('latest_version') })
    .from(bidSubmissions).where(eq(bidSubmissions.bidderId, bidderId)).groupBy(bidSubmissions.tenderId).as('latest')
  return db.select({
    id: bidSubmissions.id,
    tenderId: bidSubmissions.tenderId,
    tenderCode: tenders.code,
    tenderTitle: tenders.title,
    version: bidSubmissions.version,
    kind: bidSubmissions.kind,
    size: bidSubmissions.size,
    sha256: bidSubmissions.sha256,
    receivedAt: bidSubmissions.receivedAt,
    isLatest: sql<boolean>`${bidSubmissions.version} = ${latest.version}`
  }).from(bidSubmissions)
    .innerJoin(tenders, eq(tenders.id, bidSubmissions.tenderId))
    .innerJoin(latest, eq(latest.tenderId, bidSubmissions.tenderId))
    .where(and(eq(bidSubmissions.bidderId, bidderId), filter.tenderId ? eq(bidSubmissions.tenderId, filter.tenderId) : undefined))
    .orderBy(desc(bidSubmissions.receivedAt), desc(bidSubmissions.version))
    .limit(filter.limit).offset(filter.offset)
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
