import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import { projectLots, projects, venueBookings, venues } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type ProjectRow = typeof projects.$inferSelect
export type LotRow = typeof projectLots.$inferSelect
export type VenueRow = typeof venues.$inferSelect
export type BookingRow = typeof venueBookings.$inferSelect

export async function nextProjectNumber (db: Queryable): Promise<bigint> {
  const [row] = await db.execute<{ value: string }>(sql`select nextval('project_numbers') as value`)
  return BigInt(row!.value)
}

export async function insertProject (db: Queryable, values: typeof projects.$inferInsert, lots: Array<Omit<typeof projectLots.$inferInsert, 'projectId'>>): Promise<ProjectRow> {
  const [row] = await db.insert(projects).values(values).returning()
  if (lots.length > 0) await db.insert(projectLots).values(lots.map((lot) => ({ ...lot, projectId: row!.id })))
  return row!
}

export async function findProject (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ProjectRow | undefined> {
  const query = db.select().from(projects).where(eq(projects.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function listProjects (db: Queryable, filter: { status?: ProjectRow['status'], partyOf?: { accountId: string, projectIds: string[] } }, limit: number, offset: number): Promise<ProjectRow[]> {
  const party = filter.partyOf
    ? or(eq(projects.registeredBy, filter.partyOf.accountId), filter.partyOf.projectIds.length > 0 ? inArray(projects.id, filter.partyOf.projectIds) : undefined)
    : undefined
  return db.select().from(projects)
    .where(and(filter.status ? eq(projects.status, filter.status) : undefined, party))
    .orderBy(desc(projects.registeredAt)).limit(limit).offset(offset)
}

export async function lotsOf (db: Queryable, projectId: string): Promise<LotRow[]> {
  return db.select().from(projectLots).where(eq(projectLots.projectId, projectId)).orderBy(asc(projectLots.number))
}

export async function decideProject (db: Queryable, id: string, values: Pick<ProjectRow, 'status' | 'decidedBy' | 'decidedAt' | 'rejectionReason'>): Promise<ProjectRow> {
  const [row] = await db.update(projects).set(values).where(eq(projects.id, id)).returning()
  return row!
}

export async function insertVenue (db: Queryable, values: typeof venues.$inferInsert): Promise<VenueRow | undefined> {
  const [row] = await db.insert(venues).values(values).onConflictDoNothing({ target: venues.code }).returning()
  return row
}

export async function listVenues (db: Queryable): Promise<VenueRow[]> {
  return db.select().from(venues).orderBy(asc(venues.code))
}

export async function findVenue (db: Queryable, id: string): Promise<VenueRow | undefined> {
  const [row] = await db.select().from(venues).where(eq(venues.id, id))
  return row
}

export async function insertBooking (db: Queryable, values: typeof venueBookings.$inferInsert): Promise<BookingRow> {
  const [row] = await db.insert(venueBookings).values(values).returning()
  return row!
}

export async function findBooking (db: Queryable, id: string): Promise<BookingRow | undefined> {
  const [row] = await db.select().from(venueBookings).where(eq(venueBookings.id, id))
  return row
}

export async function moveBooking (db: Queryable, id: string, startsAt: Date, endsAt: Date): Promise<BookingRow> {
  const [row] = await db.update(venueBookings).set({ startsAt, endsAt }).where(eq(venueBookings.id, id)).returning()
  return row!
}

export async function cancelBooking (db: Queryable, id: string, at: Date): Promise<void> {
  await db.update(venueBookings).set({ cancelledAt: at }).where(and(eq(venueBookings.id, id), isNull(venueBookings.cancelledAt)))
}

export type BookingWithNames = BookingRow & { venueName: string, projectCode: string, projectName: string }

const bookingColumns = { booking: venueBookings, venueName: venues.name, projectCode: projects.code, projectName: projects.name }

function flatten (rows: Array<{ booking: BookingRow, venueName: string, projectCode: string, projectName: string }>): BookingWithNames[] {
  return rows.map(({ booking, ...names }) => ({ ...booking, ...names }))
}

export async function activeBookingsOf (db: Queryable, projectId: string): Promise<BookingWithNames[]> {
  return flatten(await db.select(bookingColumns).from(venueBookings)
    .innerJoin(venues, eq(venues.id, venueBookings.venueId)).innerJoin(projects, eq(projects.id, venueBookings.projectId))
    .where(and(eq(venueBookings.projectId, projectId), isNull(venueBookings.cancelledAt))).orderBy(asc(venueBookings.startsAt)))
}

export async function bookingsBetween (db: Queryable, from: Date, to: Date): Promise<BookingWithNames[]> {
  return flatten(await db.select(bookingColumns).from(venueBookings)
    .innerJoin(venues, eq(venues.id, venueBookings.venueId)).innerJoin(projects, eq(projects.id, venueBookings.projectId))
    .where(and(isNull(venueBookings.cancelledAt), lt(venueBookings.startsAt, to), gte(venueBookings.endsAt, from)))
    .orderBy(asc(venueBookings.startsAt), asc(venues.code)))
}

export async function findProjects (db: Queryable, ids: string[]): Promise<ProjectRow[]> {
  if (ids.length === 0) return []
  return db.select().from(projects).where(inArray(projects.id, ids))
}

export async function projectIdsOfTradeType (db: Queryable, tradeType: ProjectRow['tradeType']): Promise<string[]> {
  return (await db.select({ id: projects.id }).from(projects).where(eq(projects.tradeType, tradeType))).map((row) => row.id)
}

export async function venueNameOfBooking (db: Queryable, bookingId: string): Promise<string | null> {
  const [row] = await db.select({ name: venues.name }).from(venueBookings).innerJoin(venues, eq(venues.id, venueBookings.venueId)).where(eq(venueBookings.id, bookingId))
  return row?.name ?? null
}
