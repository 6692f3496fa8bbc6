/**
 * `app.calendar`: the working-day calendar held as data (table calendar_days), kept in memory
 * on every instance and reloaded when the administrator changes it anywhere (NOTIFY).
 * Years missing from the table are seeded at start from media/calendars/*.json (the published
 * national calendars). Date arithmetic itself is pure: src/lib/working-days.ts.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import fp from 'fastify-plugin'
import { calendarDays } from '../../schema/index.ts'
import {
  addWorkingDays, expandPublishedCalendar, isWorkingDay, shanghaiDate, toWorkCalendar, workingDaysBetween,
  yearsWithData, yearsWithoutData, type CalendarDay, type WorkCalendar
} from '../lib/working-days.ts'
import type { Queryable } from './db.ts'

export interface Calendar {
  current (): WorkCalendar
  today (): string
  isWorkingDay (date: string): boolean
  addWorkingDays (date: string, count: number): string
  workingDaysBetween (from: string, to: string): number
  /** Years with any row in calendar_days, ascending. */
  yearsWithData (): number[]
  /** Years between the dates (both included) without data: results over them are provisional. */
  yearsWithoutData (from: string, to: string): number[]
  /**
   * Call inside the transaction that changed calendar_days: every instance reloads at commit, and
   * the followers (onChange) act in the same transaction.
   */
  announceChange (tx: Queryable): Promise<void>
  /** Work that must follow a change of the calendar (deadlines computed on it), run in the changing transaction. */
  onChange (follower: (tx: Queryable) => Promise<void>): void
  /**
   * Reloads this instance's calendar now, read in `on`, for work that must not wait for the
   * notification (the changing instance after its commit, so that its next answer is already
   * on the new calendar).
   */
  refresh (on: Queryable): Promise<WorkCalendar>
}

declare module 'fastify' {
  interface FastifyInstance {
    calendar: Calendar
  }
}

const NOTIFY_CHANNEL = 'openhall_calendar'
const CALENDARS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../media/calendars')

interface PublishedCalendar {
  year: number
  holidays: Array<{ name: string, from: string, to: string }>
  workdays: string[]
}

export default fp(async function calendarPlugin (app) {
  const db = app.db
  let calendar: WorkCalendar = { holidays: new Set(), workdays: new Set() }

  // reloads overlap (a notification, the changing instance's own refresh): the one started last wins
  let reloadsStarted = 0
  let reloadApplied = 0
  async function reload (on: Queryable = db): Promise<WorkCalendar> {
    const generation = ++reloadsStarted
    const rows: CalendarDay[] = await on.select({ date: calendarDays.date, kind: calendarDays.kind, name: calendarDays.name }).from(calendarDays)
    if (generation > reloadApplied) {
      calendar = toWorkCalendar(rows)
      reloadApplied = generation
    }
    return calendar
  }
  const followers: Array<(tx: Queryable) => Promise<void>> = []

  async function seedPublishedYears () {
    const files = (await readdir(CALENDARS_DIR)).filter((file) => file.endsWith('.json'))
    for (const file of files) {
      const published = JSON.parse(await readFile(path.join(CALENDARS_DIR, file), 'utf8')) as PublishedCalendar
      await db.transaction(async (tx) => {
        // instances starting together seed once
        await tx.execute(sql`select pg_advisory_xact_lock(7260003, ${published.year})`)
        const [present] = await tx.execute<{ count: number }>(sql`
          select count(*)::int as count from calendar_days where extract(year from date) = ${published.year}`)
        if ((present?.count ?? 0) > 0) return
        const days = expandPublishedCalendar(published)
        await tx.insert(calendarDays).values(days).onConflictDoNothing()
        await app.audit.append(tx, {
          actorId: null,
          action: 'calendar.year_seeded',
          subjectType: 'calendar',
          subjectId: String(published.year),
          payload: { source: file, holidays: days.filter((d) => d.kind === 'holiday').length, workdays: days.filter((d) => d.kind === 'workday').length }
        })
      })
    }
  }

  await seedPublishedYears()
  await reload()
  const listener = await db.$client.listen(NOTIFY_CHANNEL, () => {
    reload().catch((error: unknown) => app.log.error({ err: error }, 'calendar reload failed'))
  }, () => { reload().catch(() => {}) })

  app.decorate('calendar', {
    current: () => calendar,
    today: () => shanghaiDate(app.clock.now()),
    isWorkingDay: (date) => isWorkingDay(calendar, date),
    addWorkingDays: (date, count) => addWorkingDays(calendar, date, count),
    workingDaysBetween: (from, to) => workingDaysBetween(calendar, from, to),
    yearsWithData: () => yearsWithData(calendar),
    yearsWithoutData: (from, to) => yearsWithoutData(calendar, from, to),
    async announceChange (tx) {
      await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, 'changed')`)
      for (const follower of followers) await follower(tx)
    },
    onChange (follower) {
      followers.push(follower)
    },
    refresh: (on) => reload(on)
  } satisfies Calendar)
  app.addHook('preClose', async () => { await listener.unlisten().catch(() => {}) })
}, { name: 'calendar', dependencies: ['db', 'clock', 'audit'] })
