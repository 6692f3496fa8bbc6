import type { Actor } from '../../lib/actor.ts'
import { expandPublishedCalendar, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Transaction } from '../../plugins/db.ts'
import { CalendarDayNotFound, CalendarDayRedundant, CalendarYearHasData, NOTICE_REFUSALS } from './calendar.errors.ts'
import * as repo from './calendar.repository.ts'
import { calendarStatus, exceptionProblem, noticeProblems, type YearNotice } from './calendar.rules.ts'
import type { ImportCalendarYear, PutCalendarDay } from './calendar.schemas.ts'

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

  /** Throws the first reason the notice cannot be entered; `details` lists every one. */
  function assertNoticeValid (year: number, notice: YearNotice) {
    const problems = noticeProblems(year, notice)
    const first = problems[0]
    if (!first) return
    throw Object.assign(new NOTICE_REFUSALS[first.code](first.detail), {
      details: problems.map((problem) => ({ path: '/body', message: `${problem.code}: ${problem.detail}` }))
    })
  }

  function expandNotice (year: number, notice: YearNotice) {
    const days = expandPublishedCalendar(notice)
    return {
      year,
      holidays: days.filter((day) => day.kind === 'holiday').length,
      workdays: days.filter((day) => day.kind === 'workday').length,
      days: days.sort((a, b) => a.date.localeCompare(b.date))
    }
  }

  /** What an import would enter, checked as the import checks it, for the page's review step. */
  async function previewYear (year: number, input: ImportCalendarYear) {
    assertNoticeValid(year, input)
    const present = await repo.countYear(db, year)
    if (present > 0 && input.replace !== true) throw new CalendarYearHasData(year)
    return { ...expandNotice(year, input), replaced: present }
  }

  /**
   * Enters a whole year from the State Council notice. A year with data is refused (409) unless
   * `replace` is set, when its days are removed first in the same transaction: an import never
   * merges with what is there, so the year afterwards is exactly the notice.
   */
  async function importYear (actor: Actor, year: number, input: ImportCalendarYear) {
    assertNoticeValid(year, input)
    const entered = expandNotice(year, input)
    let replaced = 0
    await changing(async (tx) => {
      await repo.lockYear(tx, year)
      const present = await repo.countYear(tx, year)
      if (present > 0 && input.replace !== true) throw new CalendarYearHasData(year)
      replaced = present > 0 ? await repo.deleteYear(tx, year) : 0
      await repo.insertDays(tx, entered.days.map((day) => ({ ...day, updatedBy: actor.principal.accountId })))
      await audit.append(tx, auditRecord(actor, 'calendar.year_imported', 'calendar', String(year), {
        holidays: input.holidays, workdays: input.workdays, replaced
      }))
      await calendar.announceChange(tx)
    })
    return { ...entered, replaced }
  }

  function workingDays (query: { from: string, days?: number, to?: string }) {
    const to = query.days !== undefined ? calendar.addWorkingDays(query.from, query.days) : query.to ?? query.from
    const days = query.days ?? calendar.workingDaysBetween(query.from, to)
    const yearsWithoutData = calendar.yearsWithoutData(query.from, to)
    return { from: query.from, days, to, provisional: yearsWithoutData.length > 0, yearsWithoutData }
  }

  const status = () => calendarStatus(calendar.yearsWithData(), calendar.today())

  return {
    serverTime,
    listYear: async (year: number) => ({ year, days: await repo.listYear(db, year) }),
    putDay,
    removeDay,
    previewYear,
    importYear,
    workingDays,
    status
  }
}

export type CalendarService = ReturnType<typeof createCalendarService>
