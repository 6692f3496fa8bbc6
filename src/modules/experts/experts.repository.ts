import { and, asc, count, desc, eq, exists, gte, ilike, inArray, isNull, like, lt, or, sql } from 'drizzle-orm'
import {
  drawings, drawnExperts, expertEmployments, expertImports, expertPenalties, expertProfileChanges, expertRelations,
  experts, expertSpecialties, expertUnavailability, specialties
} from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type ExpertRow = typeof experts.$inferSelect
export type SpecialtyRow = typeof specialties.$inferSelect
export type EmploymentRow = typeof expertEmployments.$inferSelect
export type RelationRow = typeof expertRelations.$inferSelect
export type PenaltyRow = typeof expertPenalties.$inferSelect
export type UnavailabilityRow = typeof expertUnavailability.$inferSelect
export type ChangeRow = typeof expertProfileChanges.$inferSelect

/** Serialises the numbering of 专家证号 (held to the end of the creating transaction). */
const EXPERT_CODE_LOCK = 7_260_210

export async function listSpecialties (db: Queryable): Promise<SpecialtyRow[]> {
  return db.select().from(specialties).orderBy(asc(specialties.code))
}

/** The level-3 codes among `codes` that exist. */
export async function knownLevel3 (db: Queryable, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set()
  const rows = await db.select({ code: specialties.code }).from(specialties).where(and(inArray(specialties.code, [...codes]), eq(specialties.level, 3)))
  return new Set(rows.map((row) => row.code))
}

export async function specialtyNames (db: Queryable, codes: readonly string[]): Promise<SpecialtyRow[]> {
  if (codes.length === 0) return []
  return db.select().from(specialties).where(inArray(specialties.code, [...codes])).orderBy(asc(specialties.code))
}

/** The next expert number; call inside the creating transaction (the lock serialises numbering to its end). */
export async function nextExpertNumber (tx: Queryable): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EXPERT_CODE_LOCK})`)
  const [row] = await tx.select({ last: sql<number>`coalesce(max(substring(${experts.code} from 4)::int), 0)::int` }).from(experts)
  return (row?.last ?? 0) + 1
}

export async function insertExperts (tx: Queryable, values: Array<typeof experts.$inferInsert>): Promise<ExpertRow[]> {
  if (values.length === 0) return []
  return tx.insert(experts).values(values).returning()
}

export async function findExpert (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ExpertRow | undefined> {
  const query = db.select().from(experts).where(eq(experts.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function findExpertByAccount (db: Queryable, accountId: string, options: { forUpdate?: boolean } = {}): Promise<ExpertRow | undefined> {
  const query = db.select().from(experts).where(eq(experts.accountId, accountId))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

/** Account ids among `accountIds` that already have an expert. */
export async function accountsWithExperts (db: Queryable, accountIds: readonly string[]): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set()
  const rows = await db.select({ accountId: experts.accountId }).from(experts).where(inArray(experts.accountId, [...accountIds]))
  return new Set(rows.map((row) => row.accountId))
}

export async function updateExpert (tx: Queryable, id: string, values: Partial<typeof experts.$inferInsert>, now: Date) {
  await tx.update(experts).set({ ...values, updatedAt: now }).where(eq(experts.id, id))
}

export async function replaceSpecialties (tx: Queryable, expertId: string, codes: readonly string[]) {
  await tx.delete(expertSpecialties).where(eq(expertSpecialties.expertId, expertId))
  await insertSpecialties(tx, codes.map((specialtyCode) => ({ expertId, specialtyCode })))
}

export async function insertSpecialties (tx: Queryable, rows: Array<typeof expertSpecialties.$inferInsert>) {
  if (rows.length > 0) await tx.insert(expertSpecialties).values(rows)
}

export async function specialtiesOf (db: Queryable, expertIds: readonly string[]): Promise<Array<{ expertId: string, specialtyCode: string }>> {
  if (expertIds.length === 0) return []
  return db.select().from(expertSpecialties).where(inArray(expertSpecialties.expertId, [...expertIds])).orderBy(asc(expertSpecialties.specialtyCode))
}

export interface PoolFilter {
  specialty?: string
  region?: string
  status?: 'active' | 'withdrawn'
  q?: string
  pendingChange?: boolean
  limit: number
  offset: number
}

function escapeLike (text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

export async function listExperts (db: Queryable, filter: PoolFilter): Promise<{ items: ExpertRow[], total: number }> {
  const conditions = []
  if (filter.status) conditions.push(eq(experts.status, filter.status))
  if (filter.region) conditions.push(like(experts.regionCode, `${filter.region}%`))
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`
    conditions.push(or(ilike(experts.fullName, pattern), ilike(experts.code, pattern)))
  }
  if (filter.specialty) {
    // a level-1 or level-2 code is a prefix of every level-3 code under it
    conditions.push(exists(db.select({ one: sql`1` }).from(expertSpecialties)
      .where(and(eq(expertSpecialties.expertId, experts.id), like(expertSpecialties.specialtyCode, `${filter.specialty}%`)))))
  }
  if (filter.pendingChange) {
    conditions.push(exists(db.select({ one: sql`1` }).from(expertProfileChanges)
      .where(and(eq(expertProfileChanges.expertId, experts.id), eq(expertProfileChanges.state, 'pending')))))
  }
  const where = conditions.length > 0 ? and(...conditions) : undefined
  const [items, [total]] = await Promise.all([
    db.select().from(experts).where(where).orderBy(asc(experts.code)).limit(filter.limit).offset(filter.offset),
    db.select({ n: count() }).from(experts).where(where)
  ])
  return { items, total: total?.n ?? 0 }
}

/** Current employers (no end date) of these experts. */
export async function currentEmployers (db: Queryable, expertIds: readonly string[]): Promise<EmploymentRow[]> {
  if (expertIds.length === 0) return []
  return db.select().from(expertEmployments).where(and(inArray(expertEmployments.expertId, [...expertIds]), isNull(expertEmployments.toDate)))
}

/**
 * Committees each expert confirmed for drawings run within [from, to): the annual draw count.
 * Read-only over the drawing module's tables, as its documented meaning allows.
 */
export async function drawCounts (db: Queryable, expertIds: readonly string[], from: Date, to: Date): Promise<Map<string, number>> {
  if (expertIds.length === 0) return new Map()
  const rows = await db.select({ expertId: drawnExperts.expertId, n: count() }).from(drawnExperts)
    .innerJoin(drawings, eq(drawings.id, drawnExperts.drawingId))
    .where(and(inArray(drawnExperts.expertId, [...expertIds]), eq(drawnExperts.state, 'confirmed'), gte(drawings.drawnAt, from), lt(drawings.drawnAt, to)))
    .groupBy(drawnExperts.expertId)
  return new Map(rows.map((row) => [row.expertId, row.n]))
}

export async function pendingChangeExperts (db: Queryable, expertIds: readonly string[]): Promise<Set<string>> {
  if (expertIds.length === 0) return new Set()
  const rows = await db.select({ expertId: expertProfileChanges.expertId }).from(expertProfileChanges)
    .where(and(inArray(expertProfileChanges.expertId, [...expertIds]), eq(expertProfileChanges.state, 'pending')))
  return new Set(rows.map((row) => row.expertId))
}

export async function employmentsOf (db: Queryable, expertId: string): Promise<EmploymentRow[]> {
  return db.select().from(expertEmployments).where(eq(expertEmployments.expertId, expertId)).orderBy(desc(expertEmployments.fromDate))
}

export async function insertEmployments (tx: Queryable, rows: Array<typeof expertEmployments.$inferInsert>) {
  if (rows.length > 0) await tx.insert(expertEmployments).values(rows)
}

export async function endEmployment (tx: Queryable, id: string, toDate: string) {
  await tx.update(expertEmployments).set({ toDate }).where(eq(expertEmployments.id, id))
}

export async function relationsOf (db: Queryable, expertId: string): Promise<RelationRow[]> {
  return db.select().from(expertRelations).where(eq(expertRelations.expertId, expertId)).orderBy(desc(expertRelations.declaredAt))
}

export async function insertRelation (tx: Queryable, values: typeof expertRelations.$inferInsert): Promise<RelationRow> {
  const [row] = await tx.insert(expertRelations).values(values).returning()
  return row!
}

export async function endRelation (tx: Queryable, expertId: string, relationId: string, at: Date): Promise<boolean> {
  const rows = await tx.update(expertRelations).set({ endedAt: at })
    .where(and(eq(expertRelations.id, relationId), eq(expertRelations.expertId, expertId), isNull(expertRelations.endedAt))).returning({ id: expertRelations.id })
  return rows.length > 0
}

export async function findOpenRelation (db: Queryable, expertId: string, relationId: string): Promise<RelationRow | undefined> {
  const [row] = await db.select().from(expertRelations)
    .where(and(eq(expertRelations.id, relationId), eq(expertRelations.expertId, expertId), isNull(expertRelations.endedAt)))
  return row
}

export async function penaltiesOf (db: Queryable, expertId: string): Promise<PenaltyRow[]> {
  return db.select().from(expertPenalties).where(eq(expertPenalties.expertId, expertId)).orderBy(desc(expertPenalties.fromDate))
}

export async function insertPenalty (tx: Queryable, values: typeof expertPenalties.$inferInsert): Promise<PenaltyRow> {
  const [row] = await tx.insert(expertPenalties).values(values).returning()
  return row!
}

export async function findPenalty (db: Queryable, expertId: string, penaltyId: string): Promise<PenaltyRow | undefined> {
  const [row] = await db.select().from(expertPenalties).where(and(eq(expertPenalties.id, penaltyId), eq(expertPenalties.expertId, expertId))).for('update')
  return row
}

export async function setPenaltyEnd (tx: Queryable, penaltyId: string, toDate: string) {
  await tx.update(expertPenalties).set({ toDate }).where(eq(expertPenalties.id, penaltyId))
}

export async function unavailabilityOf (db: Queryable, expertId: string): Promise<UnavailabilityRow[]> {
  return db.select().from(expertUnavailability).where(eq(expertUnavailability.expertId, expertId)).orderBy(asc(expertUnavailability.fromDate))
}

export async function insertUnavailability (tx: Queryable, values: typeof expertUnavailability.$inferInsert): Promise<UnavailabilityRow> {
  const [row] = await tx.insert(expertUnavailability).values(values).returning()
  return row!
}

export async function deleteUnavailability (tx: Queryable, expertId: string, id: string) {
  await tx.delete(expertUnavailability).where(and(eq(expertUnavailability.id, id), eq(expertUnavailability.expertId, expertId)))
}

export async function changesOf (db: Queryable, expertId: string): Promise<ChangeRow[]> {
  // the pending one first, then the latest decided
  return db.select().from(expertProfileChanges).where(eq(expertProfileChanges.expertId, expertId))
    .orderBy(sql`${expertProfileChanges.state} = 'pending' desc`, desc(expertProfileChanges.submittedAt), sql`${expertProfileChanges.decidedAt} desc nulls first`)
}

export async function findChange (db: Queryable, expertId: string, changeId: string, options: { forUpdate?: boolean } = {}): Promise<ChangeRow | undefined> {
  const query = db.select().from(expertProfileChanges).where(and(eq(expertProfileChanges.id, changeId), eq(expertProfileChanges.expertId, expertId)))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function findPendingChange (db: Queryable, expertId: string): Promise<ChangeRow | undefined> {
  const [row] = await db.select().from(expertProfileChanges).where(and(eq(expertProfileChanges.expertId, expertId), eq(expertProfileChanges.state, 'pending')))
  return row
}

export async function insertChange (tx: Queryable, values: typeof expertProfileChanges.$inferInsert): Promise<ChangeRow> {
  const [row] = await tx.insert(expertProfileChanges).values(values).returning()
  return row!
}

export async function decideChange (tx: Queryable, changeId: string, values: Pick<ChangeRow, 'state' | 'decidedBy' | 'decidedAt' | 'refusalReason'>) {
  await tx.update(expertProfileChanges).set(values).where(eq(expertProfileChanges.id, changeId))
}

export async function deleteChange (tx: Queryable, changeId: string) {
  await tx.delete(expertProfileChanges).where(eq(expertProfileChanges.id, changeId))
}

export async function insertImport (tx: Queryable, values: typeof expertImports.$inferInsert) {
  const [row] = await tx.insert(expertImports).values(values).returning()
  return row!
}
