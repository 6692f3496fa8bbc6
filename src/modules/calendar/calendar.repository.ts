import { asc, eq, sql } from 'drizzle-orm'
import { calendarDays } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export async function listYear (db: Queryable, year: number) {
  return db.select({ date: calendarDays.date, kind: calendarDays.kind, name: calendarDays.name }).from(calendarDays)
    .where(sql`extract(year from ${calendarDays.date}) = ${year}`).orderBy(asc(calendarDays.date))
}

export async function upsertDay (db: Queryable, values: typeof calendarDays.$inferInsert) {
  await db.insert(calendarDays).values(values)
    .onConflictDoUpdate({ target: calendarDays.date, set: { kind: values.kind, name: values.name, updatedBy: values.updatedBy, updatedAt: new Date() } })
}

export async function deleteDay (db: Queryable, date: string) {
  const removed = await db.delete(calendarDays).where(eq(calendarDays.date, date)).returning()
  return removed[0]
}

/** Serialises everything that fills a year (start-up seeding uses the same key), until commit. */
export async function lockYear (tx: Queryable, year: number) {
  await tx.execute(sql`select pg_advisory_xact_lock(7260003, ${year})`)
}

export async function countYear (db: Queryable, year: number): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(calendarDays)
    .where(sql`extract(year from ${calendarDays.date}) = ${year}`)
  return row?.count ?? 0
}

export async function deleteYear (db: Queryable, year: number): Promise<number> {
  const removed = await db.delete(calendarDays).where(sql`extract(year from ${calendarDays.date}) = ${year}`).returning({ date: calendarDays.date })
  return removed.length
}

export async function insertDays (db: Queryable, values: Array<typeof calendarDays.$inferInsert>) {
  if (values.length > 0) await db.insert(calendarDays).values(values)
}
