import { and, asc, desc, eq, gte, inArray, isNull, lte, ne, or, sql, type SQL } from 'drizzle-orm'
import {
  drawingSnapshots, drawings, drawnExperts, expertEmployments, expertPenalties, expertRelations, expertSpecialties, experts, expertUnavailability, projects, specialties, tenders
} from '../../../schema/index.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { driverOf, type Queryable } from '../../plugins/db.ts'
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
/** A tender's drawings in the given states, newest first; locked, a drawing that moved out of them meanwhile is skipped. */
export async function drawingsOfTender (db: Queryable, tenderId: string, states: Array<DrawingRow['state']>, lock?: 'update'): Promise<DrawingRow[]> {
  const query = db.select().from(drawings).where(and(eq(drawings.tenderId, tenderId), inArray(drawings.state, states))).orderBy(desc(drawings.requestedAt))
  return lock ? query.for(lock) : query
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

/** A qualified expert with the facts the rules read. */
export interface PoolCandidate extends ExpertFacts {
  specialtyCodes: string[]
}

export interface PoolExpert extends PoolCandidate {
  accountId: string
  code: string
  fullName: string
}

/** What a drawing's recusal rules can act on, so the pool is read with only the facts that can matter. */
export interface PoolScope {
  /** credit codes of the tenderer, the agency and (once known) the bidders */
  partyCodes: string[]
  supervisingDepartmentId: string | null
  /** the day the draw runs and the evaluation day (Asia/Shanghai) */
  today: string
  evaluationDate: string
  /** the earliest evaluation day a call to an earlier committee can count from (same tenderer, annual cap) */
  calledSince: string
}

/**
 * Every active expert qualified in one of the specialties (from expert_pool, which triggers keep
 * in step with experts and their specialties), with the dated facts the recusal
 * rules could act on for this drawing: employment with a party ended within three years (a day's
 * margin) or still running, or with the supervising department; relations with a party still in
 * force; penalties not over by the draw day; unavailability covering the evaluation day; calls to
 * other committees since `calledSince` (invited or confirmed, their drawing drawn or published).
 * Any other fact could not exclude anyone from this drawing (drawings.recusal.rules.ts), so a
 * pool of 100,000 reads its candidates and a few hundred facts instead of every history; the
 * drawing tests compare the rules' verdicts on these facts with those on the whole histories.
 * The facts are read by their own conditions (a party's credit code, a date), not joined to the
 * candidates: those conditions keep them few, a join hashed the tens of thousands of candidates
 * once per fact table, and a fact of an expert who is not a candidate is dropped when it is filed.
 */
export async function poolOf (db: Queryable, drawingId: string, specialtyCodes: string[], scope: PoolScope): Promise<PoolCandidate[]> {
  if (specialtyCodes.length === 0) return []
  const parties = scope.partyCodes.length > 0 ? scope.partyCodes : ['']
  const [[qualified], jobs, relations, penalties, unavailable, called] = await Promise.all([
    // the tens of thousands of qualifications as one string, each the expert's id (36 characters),
    // region (6 digits, a check of experts) and specialty, comma-separated: a row each took twice
    // as long to receive and parse. Names are read later for the few experts a page or list shows.
    ('$client' in db ? db.$client : driverOf(db))<Array<{ pool: string }>>`
      select coalesce(string_agg(expert_id::text || region_code || specialty_code, ','), '') as pool
      from expert_pool where specialty_code = any(${specialtyCodes}::text[])`,
    db.select().from(expertEmployments).where(or(
      and(inArray(expertEmployments.creditCode, parties), or(isNull(expertEmployments.toDate), gte(expertEmployments.toDate, sql`${scope.today}::date - interval '3 years 1 day'`))),
      scope.supervisingDepartmentId ? eq(expertEmployments.departmentId, scope.supervisingDepartmentId) : undefined
    )),
    db.select().from(expertRelations).where(and(inArray(expertRelations.creditCode, parties), isNull(expertRelations.endedAt))),
    db.select().from(expertPenalties).where(and(lte(expertPenalties.fromDate, scope.today), or(isNull(expertPenalties.toDate), gte(expertPenalties.toDate, scope.today)))),
    db.select().from(expertUnavailability).where(and(lte(expertUnavailability.fromDate, scope.evaluationDate), gte(expertUnavailability.toDate, scope.evaluationDate))),
    calledOf(db, drawingId, gte(drawings.evaluationAt, sql`(${scope.calledSince}::date - 1)::timestamptz`))
  ])
  const people = new Map<string, PoolCandidate>()
  for (const entry of qualified!.pool === '' ? [] : qualified!.pool.split(',')) {
    const [expertId, regionCode, specialtyCode] = [entry.slice(0, 36), entry.slice(36, 42), entry.slice(42)]
    const person = people.get(expertId)
    if (person) person.specialtyCodes.push(specialtyCode)
    else people.set(expertId, { expertId, regionCode, specialtyCodes: [specialtyCode], employments: NONE, relations: NONE, penalties: NONE, unavailability: NONE, servedFor: NONE })
  }
  return attachFacts(people, [jobs, relations, penalties, unavailable, called])
}

/** Calls of experts to other drawings' committees (this drawing's own call is not a fact against them). */
function calledOf (db: Queryable, drawingId: string, condition: SQL | undefined) {
  return db.select({ expertId: drawnExperts.expertId, tendererCreditCode: projects.tendererCreditCode, evaluationAt: drawings.evaluationAt })
    .from(drawnExperts)
    .innerJoin(drawings, eq(drawings.id, drawnExperts.drawingId))
    .innerJoin(tenders, eq(tenders.id, drawings.tenderId))
    .innerJoin(projects, eq(projects.id, tenders.projectId))
    .where(and(condition, ne(drawnExperts.drawingId, drawingId), inArray(drawnExperts.state, ['invited', 'confirmed']), inArray(drawings.state, ['drawn', 'published'])))
}

/** Every dated fact of given experts (the recheck at the deadline), whole histories. */
export async function factsOf (db: Queryable, drawingId: string, expertIds: string[]): Promise<PoolExpert[]> {
  if (expertIds.length === 0) return []
  const [people, ...facts] = await Promise.all([
    db.select({
      expertId: experts.id,
      accountId: experts.accountId,
      code: experts.code,
      fullName: experts.fullName,
      regionCode: experts.regionCode,
      specialtyCodes: sql<string[]>`array(select ${expertSpecialties.specialtyCode} from ${expertSpecialties} where ${expertSpecialties.expertId} = ${experts.id} order by 1)`
    }).from(experts).where(inArray(experts.id, expertIds)),
    db.select().from(expertEmployments).where(inArray(expertEmployments.expertId, expertIds)),
    db.select().from(expertRelations).where(inArray(expertRelations.expertId, expertIds)),
    db.select().from(expertPenalties).where(inArray(expertPenalties.expertId, expertIds)),
    db.select().from(expertUnavailability).where(inArray(expertUnavailability.expertId, expertIds)),
    calledOf(db, drawingId, inArray(drawnExperts.expertId, expertIds))
  ])
  return attachFacts(new Map(people.map((person) => [person.expertId, withoutFacts(person)])), facts)
}

/** The shared empty list of facts (frozen: nobody may add to it); most candidates have no fact at all. */
const NONE: never[] = Object.freeze([]) as unknown as never[]

function withoutFacts<P extends { expertId: string, regionCode: string, specialtyCodes: string[] }> (person: P): P & PoolCandidate {
  return { ...person, employments: NONE, relations: NONE, penalties: NONE, unavailability: NONE, servedFor: NONE }
}

type FactRows = [
  jobs: Array<typeof expertEmployments.$inferSelect>,
  relations: Array<typeof expertRelations.$inferSelect>,
  penalties: Array<typeof expertPenalties.$inferSelect>,
  unavailable: Array<typeof expertUnavailability.$inferSelect>,
  called: Array<{ expertId: string, tendererCreditCode: string, evaluationAt: Date }>
]

/**
 * Files each fact under its expert: one object per candidate and a list only where a fact is,
 * since a pool of tens of thousands has facts for a few hundred.
 */
function attachFacts<E extends PoolCandidate> (people: Map<string, E>, [jobs, relations, penalties, unavailable, called]: FactRows): E[] {
  function add<K extends Exclude<keyof ExpertFacts, 'expertId' | 'regionCode'>> (expertId: string, key: K, fact: ExpertFacts[K][number]) {
    const person = people.get(expertId)
    if (!person) return
    if (person[key] === NONE) person[key] = [] as unknown as E[K]
    ;(person[key] as Array<ExpertFacts[K][number]>).push(fact)
  }
  for (const { expertId, organisationName, creditCode, departmentId, fromDate, toDate } of jobs) add(expertId, 'employments', { organisationName, creditCode, departmentId, fromDate, toDate })
  for (const { expertId, kind, organisationName, creditCode, endedAt } of relations) add(expertId, 'relations', { kind, organisationName, creditCode, endedAt })
  for (const { expertId, kind, reason, fromDate, toDate } of penalties) add(expertId, 'penalties', { kind, reason, fromDate, toDate })
  for (const { expertId, fromDate, toDate } of unavailable) add(expertId, 'unavailability', { fromDate, toDate })
  for (const { expertId, tendererCreditCode, evaluationAt } of called) add(expertId, 'servedFor', { tendererCreditCode, evaluationDate: shanghaiDate(evaluationAt) })
  return [...people.values()]
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
