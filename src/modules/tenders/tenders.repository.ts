import { and, asc, count, desc, eq, inArray, isNotNull, isNull, max, ne, sql } from 'drizzle-orm'
import { documentDownloads, tenderDocuments, tenderObjections, tenderQuestions, tenderRegistrations, tenders } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type TenderRow = typeof tenders.$inferSelect
export type TenderInsert = typeof tenders.$inferInsert
export type DocumentRow = typeof tenderDocuments.$inferSelect
export type RegistrationRow = typeof tenderRegistrations.$inferSelect
export type QuestionRow = typeof tenderQuestions.$inferSelect
export type ObjectionRow = typeof tenderObjections.$inferSelect

export async function insertTender (db: Queryable, values: TenderInsert): Promise<TenderRow> {
  const [row] = await db.insert(tenders).values(values).returning()
  return row!
}

export async function lockProjectNumbering (db: Queryable, projectId: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`tender-numbers:${projectId}`}))`)
}

export async function nextTenderNumber (db: Queryable, projectId: string): Promise<number> {
  const [row] = await db.select({ value: count() }).from(tenders).where(eq(tenders.projectId, projectId))
  return (row?.value ?? 0) + 1
}

export async function findTender (db: Queryable, id: string, lock?: 'update' | 'share'): Promise<TenderRow | undefined> {
  const query = db.select().from(tenders).where(eq(tenders.id, id))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

export async function updateTender (db: Queryable, id: string, values: Partial<TenderInsert>): Promise<TenderRow> {
  const [row] = await db.update(tenders).set(values).where(eq(tenders.id, id)).returning()
  return row!
}

export async function listTenders (db: Queryable, filter: { published?: boolean, projectIds?: string[], status?: TenderRow['status'] }, limit: number, offset: number): Promise<TenderRow[]> {
  return db.select().from(tenders)
    .where(and(
      filter.published ? isNotNull(tenders.publishedAt) : undefined,
      filter.projectIds ? (filter.projectIds.length > 0 ? inArray(tenders.projectId, filter.projectIds) : sql`false`) : undefined,
      filter.status ? eq(tenders.status, filter.status) : undefined
    ))
    .orderBy(desc(tenders.publishedAt), desc(tenders.createdAt)).limit(limit).offset(offset)
}

export async function bookingHeldBy (db: Queryable, projectId: string, exceptTenderId: string): Promise<string[]> {
  const rows = await db.select({ bookingId: tenders.bookingId }).from(tenders)
    .where(and(eq(tenders.projectId, projectId), ne(tenders.id, exceptTenderId), isNotNull(tenders.bookingId)))
  return rows.map((row) => row.bookingId!)
}

export async function insertDocument (db: Queryable, values: Omit<typeof tenderDocuments.$inferInsert, 'version'>): Promise<DocumentRow> {
  // callers hold the tender row locked, so versions are assigned one at a time
  const [latest] = await db.select({ version: max(tenderDocuments.version) }).from(tenderDocuments).where(eq(tenderDocuments.tenderId, values.tenderId))
  const [row] = await db.insert(tenderDocuments).values({ ...values, version: (latest?.version ?? 0) + 1 }).returning()
  return row!
}

export async function documentsOf (db: Queryable, tenderId: string): Promise<DocumentRow[]> {
  return db.select().from(tenderDocuments).where(eq(tenderDocuments.tenderId, tenderId)).orderBy(asc(tenderDocuments.version))
}

export async function findDocument (db: Queryable, tenderId: string, documentId: string): Promise<DocumentRow | undefined> {
  const [row] = await db.select().from(tenderDocuments).where(and(eq(tenderDocuments.id, documentId), eq(tenderDocuments.tenderId, tenderId)))
  return row
}

export async function insertRegistration (db: Queryable, values: typeof tenderRegistrations.$inferInsert): Promise<RegistrationRow | undefined> {
  const [row] = await db.insert(tenderRegistrations).values(values).onConflictDoNothing({ target: [tenderRegistrations.tenderId, tenderRegistrations.bidderId] }).returning()
  return row
}

export async function findRegistration (db: Queryable, tenderId: string, bidderId: string, options: { forUpdate?: boolean } = {}): Promise<RegistrationRow | undefined> {
  const query = db.select().from(tenderRegistrations).where(and(eq(tenderRegistrations.tenderId, tenderId), eq(tenderRegistrations.bidderId, bidderId)))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function setRegistrationNotice (db: Queryable, id: string, noticeId: string): Promise<RegistrationRow> {
  const [row] = await db.update(tenderRegistrations).set({ documentNoticeId: noticeId }).where(eq(tenderRegistrations.id, id)).returning()
  return row!
}

export async function openDocumentsByNotice (db: Queryable, noticeId: string, at: Date): Promise<RegistrationRow | undefined> {
  const [row] = await db.update(tenderRegistrations).set({ documentsOpenAt: at })
    .where(and(eq(tenderRegistrations.documentNoticeId, noticeId), isNull(tenderRegistrations.documentsOpenAt))).returning()
  return row
}

export async function registrationsOfBidder (db: Queryable, bidderId: string) {
  return db.select({ registration: tenderRegistrations, tender: tenders }).from(tenderRegistrations)
    .innerJoin(tenders, eq(tenders.id, tenderRegistrations.tenderId))
    .where(eq(tenderRegistrations.bidderId, bidderId)).orderBy(desc(tenderRegistrations.registeredAt))
}

export async function registrationsOf (db: Queryable, tenderId: string) {
  return db.select({
    registration: tenderRegistrations,
    downloads: sql<number>`(select count(*)::int from ${documentDownloads} d where d.registration_id = "tender_registrations"."id")`
  }).from(tenderRegistrations).where(eq(tenderRegistrations.tenderId, tenderId)).orderBy(asc(tenderRegistrations.registeredAt))
}

export async function registeredBidderIds (db: Queryable, tenderId: string): Promise<string[]> {
  const rows = await db.select({ bidderId: tenderRegistrations.bidderId }).from(tenderRegistrations).where(eq(tenderRegistrations.tenderId, tenderId))
  return rows.map((row) => row.bidderId)
}

export async function insertDownload (db: Queryable, registrationId: string, documentId: string): Promise<void> {
  await db.insert(documentDownloads).values({ registrationId, documentId })
}

export async function insertQuestion (db: Queryable, values: typeof tenderQuestions.$inferInsert): Promise<QuestionRow> {
  const [row] = await db.insert(tenderQuestions).values(values).returning()
  return row!
}

export async function findQuestion (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<QuestionRow | undefined> {
  const query = db.select().from(tenderQuestions).where(eq(tenderQuestions.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function answerQuestion (db: Queryable, id: string, values: Pick<QuestionRow, 'answer' | 'answeredBy' | 'answeredAt' | 'clarificationId'>): Promise<QuestionRow> {
  const [row] = await db.update(tenderQuestions).set(values).where(eq(tenderQuestions.id, id)).returning()
  return row!
}

export async function questionsOf (db: Queryable, tenderId: string): Promise<QuestionRow[]> {
  return db.select().from(tenderQuestions).where(eq(tenderQuestions.tenderId, tenderId)).orderBy(asc(tenderQuestions.askedAt))
}

export async function insertObjection (db: Queryable, values: typeof tenderObjections.$inferInsert): Promise<ObjectionRow> {
  const [row] = await db.insert(tenderObjections).values(values).returning()
  return row!
}

export async function findObjection (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ObjectionRow | undefined> {
  const query = db.select().from(tenderObjections).where(eq(tenderObjections.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function answerObjection (db: Queryable, id: string, values: Pick<ObjectionRow, 'answer' | 'answeredBy' | 'answeredAt'>): Promise<ObjectionRow> {
  const [row] = await db.update(tenderObjections).set(values).where(eq(tenderObjections.id, id)).returning()
  return row!
}

export async function objectionsOf (db: Queryable, tenderId: string, objectorId?: string): Promise<ObjectionRow[]> {
  return db.select().from(tenderObjections)
    .where(and(eq(tenderObjections.tenderId, tenderId), objectorId ? eq(tenderObjections.objectorId, objectorId) : undefined))
    .orderBy(asc(tenderObjections.filedAt))
}

export async function pendingObjections (db: Queryable, tenderId: string): Promise<number> {
  const [row] = await db.select({ value: count() }).from(tenderObjections).where(and(eq(tenderObjections.tenderId, tenderId), isNull(tenderObjections.answeredAt)))
  return row?.value ?? 0
}

/** Published tenders opening at or after `from` (their bid deadline), soonest first; `projectIds` narrows them. */
export async function tendersOpeningFrom (db: Queryable, filter: { from: Date, projectIds?: string[], statuses: ReadonlyArray<TenderRow['status']> }, limit: number): Promise<TenderRow[]> {
  if (filter.projectIds?.length === 0) return []
  return db.select().from(tenders)
    .where(and(
      isNotNull(tenders.publishedAt),
      inArray(tenders.status, [...filter.statuses]),
      sql`${tenders.bidDeadline} >= ${filter.from.toISOString()}::timestamptz`,
      filter.projectIds ? inArray(tenders.projectId, filter.projectIds) : undefined
    ))
    .orderBy(asc(tenders.bidDeadline)).limit(limit)
}

/** Questions and objections still unanswered, by tender, for the tenders given. */
export async function unansweredByTender (db: Queryable, tenderIds: string[]): Promise<Map<string, { questions: number, objections: number }>> {
  const counts = new Map<string, { questions: number, objections: number }>()
  if (tenderIds.length === 0) return counts
  const [questions, objections] = await Promise.all([
    db.select({ tenderId: tenderQuestions.tenderId, value: count() }).from(tenderQuestions)
      .where(and(inArray(tenderQuestions.tenderId, tenderIds), isNull(tenderQuestions.answeredAt))).groupBy(tenderQuestions.tenderId),
    db.select({ tenderId: tenderObjections.tenderId, value: count() }).from(tenderObjections)
      .where(and(inArray(tenderObjections.tenderId, tenderIds), isNull(tenderObjections.answeredAt))).groupBy(tenderObjections.tenderId)
  ])
  const entry = (tenderId: string) => counts.get(tenderId) ?? counts.set(tenderId, { questions: 0, objections: 0 }).get(tenderId)!
  for (const row of questions) entry(row.tenderId).questions = row.value
  for (const row of objections) entry(row.tenderId).objections = row.value
  return counts
}
