import { and, asc, desc, eq, inArray, ne, sql } from 'drizzle-orm'
import {
  drawingSnapshots, drawings, drawnExperts, expertEmployments, expertPenalties, expertRelations, expertSpecialties, experts, expertUnavailability, projects, specialties, tenders
} from '../../../schema/index.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import type { Queryable } from '../../plugins/db.ts'
import type { ExpertFacts } from './drawings.recusal.rules.ts'

export type DrawingRow = typeof drawings.$inferSelect
export type DrawnRow = typeof drawnExperts.$inferSelect
export type SnapshotRow = typeof drawingSnapshots.$inferSelect

export async function insertDrawing (db: Queryable, values: typeof drawings.$inferInsert): Promise<DrawingRow> {
  const [row] = await db.insert(drawings).values(values).returning()
  return row!
}

export async function findDrawing (db: Queryable, id: string, lock?: 'update'): Promise<DrawingRow | undefined> {
  const query = db.select().from(drawings).where(eq(drawings.id, id))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

export async function updateDrawing (db: Queryable, id: string, values: Partial<typeof drawings.$inferInsert>): Promise<DrawingRow> {
  const [row] = await db.update(drawings).set(values).where(eq(drawings.id, id)).returning()
  return row!
}

export async function listDrawings (db: Queryable, filter: { state?: DrawingRow['state'], tenderId?: string, projectIds?: string[], limit: number, offset: number }): Promise<DrawingRow[]> {
  if (filter.projectIds?.length === 0) return []
  const conditions = [
    filter.state ? eq(drawings.state, filter.state) : undefined,
    filter.tenderId ? eq(drawings.tenderId, filter.tenderId) : undefined,
    filter.projectIds ? inArray(drawings.tenderId, db.select({ id: tenders.id }).from(tenders).where(inArray(tenders.projectId, filter.projectIds))) : undefined
  ]
  return db.select().from(drawings).where(and(...conditions)).orderBy(desc(drawings.requestedAt), asc(drawings.id)).limit(filter.limit).offset(filter.offset)
}

/** Drawings of a tender in the given states (the recheck at the deadline, the evaluation's seam). */
export async function drawingsOfTender (db: Queryable, tenderId: string, states: Array<DrawingRow['state']>): Promise<DrawingRow[]> {
  return db.select().from(drawings).where(and(eq(drawings.tenderId, tenderId), inArray(drawings.state, states))).orderBy(desc(drawings.requestedAt))
}

/** Whether another drawing was drawn with this nonce (a nonce is meant to be picked on the spot). */
export async function nonceUsedElsewhere (db: Queryable, nonce: string, drawingId: string): Promise<boolean> {
  const [row] = await db.select({ id: drawings.id }).from(drawings).where(and(eq(drawings.nonce, nonce), ne(drawings.id, drawingId))).limit(1)
  return row !== undefined
}

export async function specialtiesByCode (db: Queryable, codes: string[]): Promise<Map<string, { code: string, name: string, level: number }>> {
  if (codes.length === 0) return new Map()
  const rows = await db.select({ code: specialties.code, name: specialties.name, level: specialties.level }).from(specialties).where(inArray(specialties.code, codes))
  return new Map(rows.map((row) => [row.code, row]))
}

export interface PoolExpert extends ExpertFacts {
  accountId: string
  code: string
  fullName: string
  specialtyCodes: string[]
}

/**
 * Every active expert qualified in one of the specialties, with the dated facts the recusal
 * rules read. Committees the expert was called to count while their drawing stands (drawn or
 * published) and the expert was invited or confirmed.
 */
export async function poolOf (db: Queryable, drawingId: string, specialtyCodes: string[]): Promise<PoolExpert[]> {
  if (specialtyCodes.length === 0) return []
  const qualified = await db.select({ expertId: expertSpecialties.expertId, specialtyCode: expertSpecialties.specialtyCode })
    .from(expertSpecialties).innerJoin(experts, eq(experts.id, expertSpecialties.expertId))
    .where(and(inArray(expertSpecialties.specialtyCode, specialtyCodes), eq(experts.status, 'active')))
  return factsOf(db, drawingId, [...new Set(qualified.map((row) => row.expertId))], qualified)
}

/**
 * The facts of given experts (the recheck at the deadline), with the specialties among `qualified`;
 * the committees they were called to are other drawings' (this one's call is not a fact against them).
 */
export async function factsOf (db: Queryable, drawingId: string, expertIds: string[], qualified: Array<{ expertId: string, specialtyCode: string }> = []): Promise<PoolExpert[]> {
  if (expertIds.length === 0) return []
  const [people, jobs, relations, penalties, unavailable, served] = await Promise.all([
    db.select().from(experts).where(inArray(experts.id, expertIds)),
    db.select().from(expertEmployments).where(inArray(expertEmployments.expertId, expertIds)),
    db.select().from(expertRelations).where(inArray(expertRelations.expertId, expertIds)),
    db.select().from(expertPenalties).where(inArray(expertPenalties.expertId, expertIds)),
    db.select().from(expertUnavailability).where(inArray(expertUnavailability.expertId, expertIds)),
    db.select({ expertId: drawnExperts.expertId, tendererCreditCode: projects.tendererCreditCode, evaluationAt: drawings.evaluationAt })
      .from(drawnExperts)
      .innerJoin(drawings, eq(drawings.id, drawnExperts.drawingId))
      .innerJoin(tenders, eq(tenders.id, drawings.tenderId))
      .innerJoin(projects, eq(projects.id, tenders.projectId))
      .where(and(inArray(drawnExperts.expertId, expertIds), ne(drawnExperts.drawingId, drawingId), inArray(drawnExperts.state, ['invited', 'confirmed']), inArray(drawings.state, ['drawn', 'published'])))
  ])
  const group = <T extends { expertId: string }>(rows: T[]) => {
    const map = new Map<string, T[]>()
    for (const row of rows) map.set(row.expertId, [...map.get(row.expertId) ?? [], row])
    return map
  }
  const [byJob, byRelation, byPenalty, byUnavailable, byServed, bySpecialty] = [group(jobs), group(relations), group(penalties), group(unavailable), group(served), group(qualified)]
  return people.map((person) => ({
    expertId: person.id,
    accountId: person.accountId,
    code: person.code,
    fullName: person.fullName,
    regionCode: person.regionCode,
    specialtyCodes: (bySpecialty.get(person.id) ?? []).map((row) => row.specialtyCode),
    employments: (byJob.get(person.id) ?? []).map(({ organisationName, creditCode, departmentId, fromDate, toDate }) => ({ organisationName, creditCode, departmentId, fromDate, toDate })),
    relations: (byRelation.get(person.id) ?? []).map(({ kind, organisationName, creditCode, endedAt }) => ({ kind, organisationName, creditCode, endedAt })),
    penalties: (byPenalty.get(person.id) ?? []).map(({ kind, reason, fromDate, toDate }) => ({ kind, reason, fromDate, toDate })),
    unavailability: (byUnavailable.get(person.id) ?? []).map(({ fromDate, toDate }) => ({ fromDate, toDate })),
    servedFor: (byServed.get(person.id) ?? []).map((row) => ({ tendererCreditCode: row.tendererCreditCode, evaluationDate: shanghaiDate(row.evaluationAt) }))
  }))
}

export async function insertSnapshots (db: Queryable, rows: Array<typeof drawingSnapshots.$inferInsert>): Promise<void> {
  if (rows.length > 0) await db.insert(drawingSnapshots).values(rows)
}

export async function snapshotsOf (db: Queryable, drawingId: string): Promise<SnapshotRow[]> {
  return db.select().from(drawingSnapshots).where(eq(drawingSnapshots.drawingId, drawingId)).orderBy(asc(drawingSnapshots.line))
}

export async function insertDrawn (db: Queryable, rows: Array<typeof drawnExperts.$inferInsert>): Promise<void> {
  if (rows.length > 0) await db.insert(drawnExperts).values(rows)
}

/** The drawn experts of a drawing in draw order (line, then position). */
export async function drawnOf (db: Queryable, drawingId: string, lock?: 'update'): Promise<DrawnRow[]> {
  const query = db.select().from(drawnExperts).where(eq(drawnExperts.drawingId, drawingId)).orderBy(asc(drawnExperts.line), asc(drawnExperts.position))
  return lock ? query.for(lock) : query
}

export async function findDrawnByPseudonym (db: Queryable, drawingId: string, pseudonym: string): Promise<DrawnRow | undefined> {
  const [row] = await db.select().from(drawnExperts).where(and(eq(drawnExperts.drawingId, drawingId), eq(drawnExperts.pseudonym, pseudonym))).for('update')
  return row
}

export async function findDrawnExpert (db: Queryable, drawingId: string, expertId: string): Promise<DrawnRow | undefined> {
  const [row] = await db.select().from(drawnExperts).where(and(eq(drawnExperts.drawingId, drawingId), eq(drawnExperts.expertId, expertId))).for('update')
  return row
}

export async function updateDrawn (db: Queryable, drawingId: string, expertId: string, values: Partial<typeof drawnExperts.$inferInsert>): Promise<DrawnRow> {
  const [row] = await db.update(drawnExperts).set(values).where(and(eq(drawnExperts.drawingId, drawingId), eq(drawnExperts.expertId, expertId))).returning()
  return row!
}

export async function expertOfAccount (db: Queryable, accountId: string): Promise<{ id: string } | undefined> {
  const [row] = await db.select({ id: experts.id }).from(experts).where(eq(experts.accountId, accountId))
  return row
}

export async function expertsByIds (db: Queryable, ids: string[]): Promise<Map<string, { id: string, accountId: string, code: string, fullName: string }>> {
  if (ids.length === 0) return new Map()
  const rows = await db.select({ id: experts.id, accountId: experts.accountId, code: experts.code, fullName: experts.fullName }).from(experts).where(inArray(experts.id, ids))
  return new Map(rows.map((row) => [row.id, row]))
}

/** An expert's invitations (every drawing they were called to), newest evaluation first. */
export async function invitationsOf (db: Queryable, expertId: string) {
  return db.select({ drawn: drawnExperts, drawing: drawings })
    .from(drawnExperts).innerJoin(drawings, eq(drawings.id, drawnExperts.drawingId))
    .where(and(eq(drawnExperts.expertId, expertId), sql`${drawnExperts.invitedAt} is not null`))
    .orderBy(desc(drawings.evaluationAt))
}
