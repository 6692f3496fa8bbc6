/**
 * Refund deadlines as pure rules. The clock starts at the trigger (award notice, contract, a
 * cancelled tender); the refund is due by the end of the N-th working day after it, where N comes
 * from the deposit's fee standard. Yellow from the start of the last working day, red after the
 * deadline — the same colours as every other deadline in the hall.
 *
 *   pending ──paid to the original account──▶ paid
 */
import { addCalendarDays, addWorkingDays, endOfShanghaiDay, shanghaiDate, type WorkCalendar } from '../../lib/working-days.ts'

export type AlarmLevel = 'green' | 'yellow' | 'red'

export const REFUND_TRIGGERS = ['award_notice', 'contract_signed', 'tender_cancelled', 'auction_closed', 'other'] as const
export type RefundTrigger = typeof REFUND_TRIGGERS[number]

export function refundDeadlines (calendar: WorkCalendar, triggeredAt: Date, workingDays: number): { warnAt: Date, dueAt: Date } {
  const start = shanghaiDate(triggeredAt)
  const lastDay = addWorkingDays(calendar, start, workingDays)
  // the last working day begins where the calendar day before it ends
  return { warnAt: endOfShanghaiDay(addCalendarDays(lastDay, -1)), dueAt: endOfShanghaiDay(lastDay) }
}

export function alarmLevel (refund: { status: 'pending' | 'paid', warnAt: Date, dueAt: Date }, now: Date): AlarmLevel {
  if (refund.status === 'paid') return 'green'
  if (now.getTime() >= refund.dueAt.getTime()) return 'red'
  if (now.getTime() >= refund.warnAt.getTime()) return 'yellow'
  return 'green'
}

/** Account numbers compared as banks print them: spaces and hyphens do not count. */
export function sameAccount (a: string, b: string): boolean {
  const plain = (value: string) => value.replace(/[\s-]/g, '').toUpperCase()
  return plain(a) === plain(b)
}
