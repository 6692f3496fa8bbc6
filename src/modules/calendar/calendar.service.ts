import type { Actor } from '../../lib/actor.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Transaction } from '../../plugins/db.ts'
import { CalendarDayNotFound, CalendarDayRedundant } from './calendar.errors.ts'
import * as repo from './calendar.repository.ts'
import { exceptionProblem } from './calendar.rules.ts'
import type { PutCalendarDay } from './calendar.schemas.ts'

export interface CalendarDeps { db: Database, audit: Audit, calendar: Calendar, clock: Clock }

export function createCalendarService ({ db, audit, calendar, clock }: CalendarDeps) {
  function serverTime () {
    const now = clock.now()
    const today = shanghaiDate(now)
    return { now: now.toISOString(), epochMs: now.getTime(), timeZone: 'Asia/Shanghai' as const, today, workingDay: calendar.isWorkingDay(today) }
  }

  /**
   * A change of the calendar, after which this instance answers on the committed calendar at
   * once: the other instances follow the notification a moment later, but the administrator's
   * next request must not see the old day (nor, after a failure, a day its followers read
   * inside the transaction that was rolled back).
   */
  async function changing (work: (tx: Transaction) => Promise<void>): Promise<void> {
    try {
      await db.transaction(work)
    } finally {
      await calendar.refresh(db)
    }
  }

  async function putDay (actor: Actor, date: string, input: PutCalendarDay) {
    const problem = exceptionProblem(date, input.kind)
    if (problem) throw new CalendarDayRedundant(problem)
    await changing(async (tx) => {
      await repo.upsertDay(tx, { date, kind: input.kind, name: input.name, updatedBy: actor.principal.accountId })
      await audit.append(tx, auditRecord(actor, 'calendar.day_set', 'calendar', date.slice(0, 4), { date, ...input }))
      await calendar.announceChange(tx)
    })
    return { date, ...input }
  }

  async function removeDay (actor: Actor, date: string) {
    await changing(async (tx) => {
      const removed = await repo.deleteDay(tx, date)
      if (!removed) throw new CalendarDayNotFound(date)
      await audit.append(tx, auditRecord(actor, 'calendar.day_removed', 'calendar', date.slice(0, 4), { date, kind: removed.kind, name: removed.name }))
      await calendar.announceChange(tx)
    })
  }

  function workingDays (query: { from: string, days?: number, to?: string }) {
    if (query.days !== undefined) return { from: query.from, days: query.days, to: calendar.addWorkingDays(query.from, query.days) }
    const to = query.to ?? query.from
    return { from: query.from, days: calendar.workingDaysBetween(query.from, to), to }
  }

  return {
    serverTime,
    listYear: async (year: number) => ({ year, days: await repo.listYear(db, year) }),
    putDay,
    removeDay,
    workingDays
  }
}

export type CalendarService = ReturnType<typeof createCalendarService>
