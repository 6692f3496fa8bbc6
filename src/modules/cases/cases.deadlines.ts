/**
 * The clock's own steps, run by timers: a case's colour announced as its warning and its due
 * pass, and every running clock recomputed when the calendar changes.
 */
import { auditRecord } from '../../plugins/audit.ts'
import type { Transaction } from '../../plugins/db.ts'
import { clockKey, COLOUR_TIMER, RECLOCK_BATCH, RECLOCK_TIMER } from './cases.constants.ts'
import * as repo from './cases.repository.ts'
import { supervisionColour } from './cases.rules.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CaseDeadlinesDeps = Pick<CasesDeps, 'audit' | 'clock' | 'calendar' | 'timers'> & Pick<CaseHelpers, 'clockOf' | 'rewind' | 'broadcast' | 'nudge'>

export function createCaseDeadlines ({ audit, clock, calendar, timers, clockOf, rewind, broadcast, nudge }: CaseDeadlinesDeps): void {
  /** Announces a colour the case reached: the audit chain and the dashboards, once per colour. */
  async function announceColour (tx: Transaction, caseId: string): Promise<void> {
    const row = await repo.findCase(tx, caseId, 'update')
    if (!row || !row.dueAt || !row.warnAt) return
    const now = clock.now()
    const colour = supervisionColour(calendar.current(), now, row.dueAt, row.warningWorkingDays)
    if (colour !== 'red') await timers.schedule(tx, { kind: COLOUR_TIMER, key: clockKey(row.id), fireAt: colour === 'yellow' ? row.dueAt : row.warnAt, payload: { caseId: row.id } })
    if (colour === 'green' || colour === row.announcedColour) return
    await repo.setCase(tx, row.id, { announcedColour: colour })
    const action = colour === 'red' ? 'case.overdue' : 'case.warning'
    await audit.append(tx, auditRecord(null, action, 'case', row.id, { number: row.number, departmentId: row.departmentId, dueAt: row.dueAt.toISOString() }))
    await broadcast(tx, row, action, { colour, dueAt: row.dueAt.toISOString() })
  }

  // ---- the calendar changed ----------------------------------------------------------------------

  /**
   * A due is a count of working days on the calendar: when the administrator enters a holiday or a
   * make-up workday (say, next year's calendar, published in November, for cases already due in
   * January), the clocks of the cases on the clock follow it. One instance does it, in batches
   * of RECLOCK_BATCH cases (each batch one transaction), from the timer the change scheduled.
   */
  calendar.onChange(async (tx) => {
    await timers.schedule(tx, { kind: RECLOCK_TIMER, key: `${RECLOCK_TIMER}:start`, fireAt: clock.now(), payload: { afterId: null } })
  })

  async function reclock (tx: Transaction, afterId: string | null): Promise<void> {
    await calendar.refresh(tx) // this instance may not have had the notification yet
    const rows = await repo.clockedCases(tx, afterId, RECLOCK_BATCH)
    const pauses = await repo.pausesOfCases(tx, rows.map((row) => row.id))
    const now = clock.now()
    for (const row of rows) {
      const own = pauses.filter((pause) => pause.caseId === row.id)
      const { dueAt, warnAt } = clockOf(row, own, now)
      if (dueAt?.getTime() === row.dueAt?.getTime() && warnAt?.getTime() === row.warnAt?.getTime()) continue
      const moved = await rewind(tx, row, now, {}, own, { actor: null, kind: 'deadline_recomputed', detail: (updated) => ({ from: row.dueAt?.toISOString() ?? null, to: updated.dueAt?.toISOString() ?? null }) })
      nudge(moved) // sent 200 ms on, after this batch's commit as a rule; a lost nudge costs a dashboard one refresh
    }
    const last = rows.at(-1)
    if (rows.length === RECLOCK_BATCH && last) {
      await timers.schedule(tx, { kind: RECLOCK_TIMER, key: `${RECLOCK_TIMER}:${last.id}`, fireAt: now, payload: { afterId: last.id } })
    }
  }

  timers.define(RECLOCK_TIMER, async (tx, timer) => { await reclock(tx, (timer.payload as { afterId: string | null }).afterId) })
  timers.define(COLOUR_TIMER, async (tx, timer) => { await announceColour(tx, (timer.payload as { caseId: string }).caseId) })
}
