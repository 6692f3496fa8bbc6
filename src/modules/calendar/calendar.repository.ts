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
