import { and, asc, desc, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm'
import {
  caseCorrections, caseEvents, caseMaterials, casePauses, caseRatings, caseSequences, caseSubtasks, cases, departments, rectifications, supervisionLetters, windows
} from '../../../schema/index.ts'
import { write, type Queryable } from '../../plugins/db.ts'
import { rowCodec } from '../../lib/row-codec.ts'
import type { CaseState } from './cases.rules.ts'

export type CaseRow = typeof cases.$inferSelect
export type CaseInsert = typeof cases.$inferInsert
export type MaterialRow = typeof caseMaterials.$inferSelect
export type CorrectionRow = typeof caseCorrections.$inferSelect
export type PauseRow = typeof casePauses.$inferSelect
export type EventRow = typeof caseEvents.$inferSelect
export type SubtaskRow = typeof caseSubtasks.$inferSelect
export type RatingRow = typeof caseRatings.$inferSelect
export type RectificationRow = typeof rectifications.$inferSelect
export type LetterRow = typeof supervisionLetters.$inferSelect

/** Rows of the given departments; null = every department (a hall-wide reader). */
function inDepartments (column: typeof cases.departmentId | typeof rectifications.departmentId | typeof supervisionLetters.departmentId | typeof caseSubtasks.departmentId, departmentIds: string[] | null): SQL | undefined {
  if (!departmentIds) return undefined
  return departmentIds.length ? inArray(column, departmentIds) : sql`false`
}

/** An instant as a query parameter (raw SQL takes no Date). */
const instant = (at: Date) => sql`${at.toISOString()}::timestamptz`

// every step of a case reads it and its materials, writes it and its progress line: these statements are hand-written (lib/row-codec.ts)
const caseCodec = rowCodec(cases)
const materialCodec = rowCodec(caseMaterials)

/** Open cases: the ones the dashboard and the deadline timers watch. */
export const OPEN_CASE_STATES = ['submitted', 'correction', 'accepted', 'review'] as const satisfies readonly CaseState[]

/** The next number of a department's daily sequence (one row per department and day, locked by the upsert). */
export async function nextSequence (db: Queryable, departmentId: string, day: string): Promise<number> {
  const [row] = await db.insert(caseSequences).values({ departmentId, day, last: 1 })
    .onConflictDoUpdate({ target: [caseSequences.departmentId, caseSequences.day], set: { last: sql`${caseSequences.last} + 1` } })
    .returning({ last: caseSequences.last })
  return row!.last
}

export async function insertCase (db: Queryable, values: CaseInsert): Promise<CaseRow> {
  const [row] = await db.insert(cases).values(values).returning()
  return row!
}

export async function findCase (db: Queryable, id: string, lock?: 'update'): Promise<CaseRow | undefined> {
  const rows = await db.execute<Record<string, unknown>>(sql`select ${caseCodec.columns} from cases where id = ${id}${lock ? sql` for update` : sql``}`)
  return rows[0] && caseCodec.read(rows[0])
}

export async function findCaseByNumber (db: Queryable, number: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.number, number))
  return row
}

export async function findCaseByNotice (db: Queryable, noticeId: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.paymentNoticeId, noticeId)).for('update')
  return row
}

export async function updateCase (db: Queryable, id: string, values: Partial<CaseInsert>): Promise<CaseRow> {
  const rows = await db.execute<Record<string, unknown>>(sql`update cases set ${caseCodec.assignments(values)} where id = ${id} returning ${caseCodec.columns}`)
  return caseCodec.read(rows[0]!)
}

/** updateCase for callers that know the row they wrote (it returns nothing to map). */
export async function setCase (db: Queryable, id: string, values: Partial<CaseInsert>): Promise<void> {
  await write(db, sql`update cases set ${caseCodec.assignments(values)} where id = ${id}`)
}

export interface CaseListFilter {
  states?: CaseState[]
  departmentId?: string
  windowId?: string
  /** officials confined to some departments and windows; undefined = the whole hall */
  scope?: { departmentIds: string[], windowIds: string[] }
  applicantId?: string
  colour?: 'green' | 'yellow' | 'red'
  /** the instant colours are judged at (the app's clock) */
  now: Date
  limit: number
  offset: number
}

/** The cases officials confined to some departments and windows reach. */
function reachOf ({ departmentIds, windowIds }: { departmentIds: string[], windowIds: string[] }): SQL {
  const reach: SQL[] = []
  if (departmentIds.length) {
    reach.push(inArray(cases.departmentId, departmentIds))
    // a participating department of a joint case sees the case its sub-task belongs to
    reach.push(sql`exists (select 1 from ${caseSubtasks} where ${caseSubtasks.caseId} = ${cases.id} and ${inArray(caseSubtasks.departmentId, departmentIds)})`)
  }
  if (windowIds.length) reach.push(inArray(cases.windowId, windowIds))
  return reach.length ? or(...reach)! : sql`false`
}

/** How many cases are in each of `states`, within the scope listCases would list (undefined = the whole hall). */
export async function stateCounts (db: Queryable, states: readonly CaseState[], scope?: { departmentIds: string[], windowIds: string[] }): Promise<Partial<Record<CaseState, number>>> {
  if (states.length === 0) return {}
  const rows = await db.select({ state: cases.state, count: sql<number>`count(*)::int` }).from(cases)
    .where(and(inArray(cases.state, [...states]), scope ? reachOf(scope) : undefined))
    .groupBy(cases.state)
  return Object.fromEntries(rows.map((row) => [row.state, row.count]))
}

export async function listCases (db: Queryable, filter: CaseListFilter): Promise<CaseRow[]> {
  const conditions: SQL[] = []
  if (filter.states?.length) conditions.push(inArray(cases.state, filter.states))
  if (filter.departmentId) conditions.push(eq(cases.departmentId, filter.departmentId))
  if (filter.windowId) conditions.push(eq(cases.windowId, filter.windowId))
  if (filter.applicantId) conditions.push(eq(cases.applicantId, filter.applicantId))
  if (filter.scope) conditions.push(reachOf(filter.scope))
  const now = instant(filter.now)
  if (filter.colour === 'red') conditions.push(sql`${cases.dueAt} <= ${now}`)
  if (filter.colour === 'yellow') conditions.push(sql`${cases.warnAt} <= ${now} and ${cases.dueAt} > ${now}`)
  if (filter.colour === 'green') conditions.push(sql`${cases.warnAt} > ${now}`)
  return db.select().from(cases).where(and(...conditions))
    .orderBy(sql`${cases.dueAt} asc nulls last`, asc(cases.submittedAt))
    .limit(filter.limit).offset(filter.offset)
}

export async function insertMaterials (db: Queryable, rows: Array<typeof caseMaterials.$inferInsert>): Promise<void> {
  if (rows.length) await db.insert(caseMaterials).values(rows)
}

export async function materialsOf (db: Queryable, caseId: string): Promise<MaterialRow[]> {
  const rows = await db.execute<Record<string, unknown>>(sql`select ${materialCodec.columns} from case_materials where case_id = ${caseId} order by uploaded_at`)
  return rows.map((row) => materialCodec.read(row))
}

export async function materialsOfCases (db: Queryable, caseIds: string[]): Promise<MaterialRow[]> {
  if (caseIds.length === 0) return []
  return db.select().from(caseMaterials).where(inArray(caseMaterials.caseId, caseIds)).orderBy(asc(caseMaterials.uploadedAt))
}

export async function findMaterial (db: Queryable, caseId: string, materialId: string): Promise<MaterialRow | undefined> {
  const [row] = await db.select().from(caseMaterials).where(and(eq(caseMaterials.caseId, caseId), eq(caseMaterials.id, materialId)))
  return row
}

export async function insertCorrection (db: Queryable, values: typeof caseCorrections.$inferInsert): Promise<CorrectionRow> {
  const [row] = await db.insert(caseCorrections).values(values).returning()
  return row!
}

export async function correctionOf (db: Queryable, caseId: string): Promise<CorrectionRow | undefined> {
  const [row] = await db.select().from(caseCorrections).where(eq(caseCorrections.caseId, caseId))
  return row
}

export async function answerCorrection (db: Queryable, caseId: string, at: Date): Promise<void> {
  await db.update(caseCorrections).set({ answeredAt: at }).where(eq(caseCorrections.caseId, caseId))
}

export async function insertPause (db: Queryable, values: typeof casePauses.$inferInsert): Promise<PauseRow> {
  const [row] = await db.insert(casePauses).values(values).returning()
  return row!
}

export async function pausesOf (db: Queryable, caseId: string): Promise<PauseRow[]> {
  return db.select().from(casePauses).where(eq(casePauses.caseId, caseId)).orderBy(asc(casePauses.startedAt))
}

export async function pausesOfCases (db: Queryable, caseIds: string[]): Promise<PauseRow[]> {
  if (caseIds.length === 0) return []
  return db.select().from(casePauses).where(inArray(casePauses.caseId, caseIds)).orderBy(asc(casePauses.startedAt))
}

/** The next `limit` cases on the clock (running or paused) after `afterId`, by id, locked. */
export async function clockedCases (db: Queryable, afterId: string | null, limit: number): Promise<CaseRow[]> {
  const rows = await db.execute<Record<string, unknown>>(sql`
    select ${caseCodec.columns} from cases
    where state in ('accepted', 'review') and clock_starts_at is not null and id > ${afterId ?? '00000000-0000-0000-0000-000000000000'}::uuid
    order by id limit ${limit} for update`)
  return rows.map((row) => caseCodec.read(row))
}

export async function endOpenPause (db: Queryable, caseId: string, at: Date): Promise<PauseRow | undefined> {
  const [row] = await db.update(casePauses).set({ endedAt: at }).where(and(eq(casePauses.caseId, caseId), isNull(casePauses.endedAt))).returning()
  return row
}

export async function insertEvent (db: Queryable, values: Pick<typeof caseEvents.$inferInsert, 'caseId' | 'at' | 'kind' | 'detail'>): Promise<void> {
  await write(db, sql`insert into case_events (case_id, at, kind, detail) values (${values.caseId}, ${instant(values.at)}, ${values.kind}, ${JSON.stringify(values.detail ?? {})}::jsonb)`)
}

export async function eventsOf (db: Queryable, caseId: string): Promise<EventRow[]> {
  return db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.id))
}

export async function insertSubtasks (db: Queryable, rows: Array<typeof caseSubtasks.$inferInsert>): Promise<void> {
  if (rows.length) await db.insert(caseSubtasks).values(rows)
}

export async function subtasksOf (db: Queryable, caseId: string): Promise<SubtaskRow[]> {
  return db.select().from(caseSubtasks).where(eq(caseSubtasks.caseId, caseId)).orderBy(asc(caseSubtasks.departmentId))
}

export async function findSubtask (db: Queryable, caseId: string, departmentId: string): Promise<SubtaskRow | undefined> {
  const [row] = await db.select().from(caseSubtasks).where(and(eq(caseSubtasks.caseId, caseId), eq(caseSubtasks.departmentId, departmentId))).for('update')
  return row
}

export async function findSubtaskById (db: Queryable, id: string): Promise<SubtaskRow | undefined> {
  const [row] = await db.select().from(caseSubtasks).where(eq(caseSubtasks.id, id))
  return row
}

export async function updateSubtask (db: Queryable, id: string, values: Partial<typeof caseSubtasks.$inferInsert>): Promise<SubtaskRow> {
  const [row] = await db.update(caseSubtasks).set(values).where(eq(caseSubtasks.id, id)).returning()
  return row!
}

export async function insertRating (db: Queryable, values: typeof caseRatings.$inferInsert): Promise<RatingRow | undefined> {
  const [row] = await db.insert(caseRatings).values(values).onConflictDoNothing().returning()
  return row
}

export async function ratingOf (db: Queryable, caseId: string): Promise<RatingRow | undefined> {
  const [row] = await db.select().from(caseRatings).where(eq(caseRatings.caseId, caseId))
  return row
}

export async function insertRectification (db: Queryable, values: typeof rectifications.$inferInsert): Promise<RectificationRow> {
  const [row] = await db.insert(rectifications).values(values).returning()
  return row!
}

export async function findRectification (db: Queryable, id: string, lock?: 'update'): Promise<RectificationRow | undefined> {
  const query = db.select().from(rectifications).where(eq(rectifications.id, id))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

/** A rectification with what the supervisor reads it by: the case's number and the rating that opened it. */
export interface RectificationWithCase { rectification: RectificationRow, number: string, level: number | null, comment: string | null }

function rectificationsWithCase (db: Queryable) {
  return db.select({ rectification: rectifications, number: cases.number, level: caseRatings.level, comment: caseRatings.comment })
    .from(rectifications)
    .innerJoin(cases, eq(cases.id, rectifications.caseId))
    .leftJoin(caseRatings, eq(caseRatings.caseId, rectifications.caseId))
}

export async function listRectifications (db: Queryable, departmentIds: string[] | null): Promise<RectificationWithCase[]> {
  return rectificationsWithCase(db)
    .where(inDepartments(rectifications.departmentId, departmentIds))
    .orderBy(sql`${rectifications.doneAt} is not null`, asc(rectifications.dueAt)).limit(200)
}

export async function findRectificationWithCase (db: Queryable, id: string): Promise<RectificationWithCase | undefined> {
  const [row] = await rectificationsWithCase(db).where(eq(rectifications.id, id))
  return row
}

export async function updateRectification (db: Queryable, id: string, values: Partial<typeof rectifications.$inferInsert>): Promise<RectificationRow> {
  const [row] = await db.update(rectifications).set(values).where(eq(rectifications.id, id)).returning()
  return row!
}

export async function insertLetter (db: Queryable, values: typeof supervisionLetters.$inferInsert): Promise<LetterRow> {
  const [row] = await db.insert(supervisionLetters).values(values).returning()
  return row!
}

/** The next number of a year's letters: consecutive, so concurrent letters take turns. */
export async function nextLetterSequence (db: Queryable, prefix: string): Promise<number> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`supervision-letters:${prefix}`}))`)
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(supervisionLetters).where(sql`${supervisionLetters.number} like ${prefix + '%'}`)
  return row!.count + 1
}

export async function findLetter (db: Queryable, id: string, lock?: 'update'): Promise<LetterRow | undefined> {
  const query = db.select().from(supervisionLetters).where(eq(supervisionLetters.id, id))
  const [row] = lock ? await query.for(lock) : await query
  return row
}

export async function listLetters (db: Queryable, departmentIds: string[] | null): Promise<LetterRow[]> {
  return db.select().from(supervisionLetters)
    .where(inDepartments(supervisionLetters.departmentId, departmentIds))
    .orderBy(desc(supervisionLetters.issuedAt)).limit(200)
}

export async function updateLetter (db: Queryable, id: string, values: Partial<typeof supervisionLetters.$inferInsert>): Promise<LetterRow> {
  const [row] = await db.update(supervisionLetters).set(values).where(eq(supervisionLetters.id, id)).returning()
  return row!
}

export interface ColourCounts { key: string, code: string, name: string, awaiting: number, green: number, yellow: number, red: number, paused: number }

/**
 * The dashboard's counts of open cases at `now`, by department and by receiving window, in one
 * index-only pass over the open cases (cases_open_supervision), whatever the table's size.
 */
export async function colourCounts (db: Queryable, departmentIds: string[] | null, at: Date): Promise<{ departments: ColourCounts[], windows: ColourCounts[] }> {
  const now = instant(at)
  const inScope = inDepartments(cases.departmentId, departmentIds)
  const scope = inScope ? sql`and ${inScope}` : sql``
  const rows = await db.execute<{ departmentId: string | null, windowId: string | null, byWindow: number, awaiting: number, green: number, yellow: number, red: number, paused: number }>(sql`
    select ${cases.departmentId} as "departmentId", ${cases.windowId} as "windowId", grouping(${cases.windowId}) = 0 as "byWindow",
      count(*) filter (where ${cases.state} in ('submitted', 'correction'))::int as awaiting,
      count(*) filter (where ${cases.warnAt} > ${now})::int as green,
      count(*) filter (where ${cases.warnAt} <= ${now} and ${cases.dueAt} > ${now})::int as yellow,
      count(*) filter (where ${cases.dueAt} <= ${now})::int as red,
      count(*) filter (where ${cases.state} in ('accepted', 'review') and ${cases.dueAt} is null)::int as paused
    from ${cases}
    where ${cases.state} in ('submitted', 'correction', 'accepted', 'review') ${scope}
    group by grouping sets ((${cases.departmentId}), (${cases.windowId}))`)
  const [departmentNames, windowNames] = await Promise.all([
    db.select({ id: departments.id, code: departments.code, name: departments.name }).from(departments),
    db.select({ id: windows.id, code: windows.code, name: windows.name }).from(windows)
  ])
  const counted = (row: typeof rows[number] | undefined) => ({
    awaiting: row?.awaiting ?? 0, green: row?.green ?? 0, yellow: row?.yellow ?? 0, red: row?.red ?? 0, paused: row?.paused ?? 0
  })
  const byDepartment = new Map(rows.filter((row) => !row.byWindow).map((row) => [row.departmentId, row]))
  const byWindow = new Map(rows.filter((row) => row.byWindow && row.windowId).map((row) => [row.windowId, row]))
  return {
    // every department in scope is listed, also with nothing open; windows only with open cases
    departments: departmentNames.filter((entry) => !departmentIds || departmentIds.includes(entry.id))
      .map((entry) => ({ key: entry.id, code: entry.code, name: entry.name, ...counted(byDepartment.get(entry.id)) })),
    windows: windowNames.filter((entry) => byWindow.has(entry.id))
      .map((entry) => ({ key: entry.id, code: entry.code, name: entry.name, ...counted(byWindow.get(entry.id)) }))
  }
}

export const DASHBOARD_COLUMNS = ['awaiting', 'green', 'yellow', 'red', 'paused'] as const
export type DashboardColumn = typeof DASHBOARD_COLUMNS[number]

/**
 * The open cases behind one count of the dashboard (every open case without a column): the same
 * conditions as colourCounts, for a department or a receiving window (or the whole scope), most
 * urgent first.
 */
export async function casesBehindCount (db: Queryable, filter: { departmentIds: string[] | null, departmentId?: string, windowId?: string, column?: DashboardColumn, now: Date, limit: number }): Promise<CaseRow[]> {
  const now = instant(filter.now)
  const column: Record<DashboardColumn, SQL> = {
    awaiting: sql`${cases.state} in ('submitted', 'correction')`,
    green: sql`${cases.warnAt} > ${now}`,
    yellow: sql`${cases.warnAt} <= ${now} and ${cases.dueAt} > ${now}`,
    red: sql`${cases.dueAt} <= ${now}`,
    paused: sql`${cases.state} in ('accepted', 'review') and ${cases.dueAt} is null`
  }
  return db.select().from(cases)
    .where(and(
      inArray(cases.state, [...OPEN_CASE_STATES]),
      inDepartments(cases.departmentId, filter.departmentIds),
      filter.departmentId ? eq(cases.departmentId, filter.departmentId) : undefined,
      filter.windowId ? eq(cases.windowId, filter.windowId) : undefined,
      filter.column ? column[filter.column] : undefined
    ))
    .orderBy(sql`${cases.dueAt} asc nulls last`, asc(cases.acceptanceDueAt), asc(cases.submittedAt))
    .limit(filter.limit)
}

/** Open sub-tasks past their due, for the dashboard's "late departments" list. */
export async function lateSubtasks (db: Queryable, departmentIds: string[] | null, at: Date): Promise<Array<{ caseId: string, number: string, departmentId: string, dueAt: Date, takenOver: boolean }>> {
  return db.select({ caseId: caseSubtasks.caseId, number: cases.number, departmentId: caseSubtasks.departmentId, dueAt: caseSubtasks.dueAt, takenOver: sql<boolean>`${caseSubtasks.takenOverAt} is not null` })
    .from(caseSubtasks).innerJoin(cases, eq(cases.id, caseSubtasks.caseId))
    .where(and(eq(caseSubtasks.state, 'open'), sql`${caseSubtasks.dueAt} <= ${instant(at)}`, inDepartments(caseSubtasks.departmentId, departmentIds)))
    .orderBy(asc(caseSubtasks.dueAt)).limit(100)
}
