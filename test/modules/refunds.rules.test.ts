import t from 'tap'
import { alarmLevel, refundDeadlines, sameAccount } from '../../src/modules/refunds/refunds.rules.ts'
import { toWorkCalendar } from '../../src/lib/working-days.ts'

// the 2026 National Day holiday: 1–7 October off, 10 October (a Saturday) worked
const calendar = toWorkCalendar([
  ...['01', '02', '03', '04', '05', '06', '07'].map((day) => ({ date: `2026-10-${day}`, kind: 'holiday' as const, name: '国庆节' })),
  { date: '2026-10-10', kind: 'workday' as const, name: '国庆节调休' }
])

t.test('five working days after an award notice skip the holiday and count the make-up Saturday', async (t) => {
  const { warnAt, dueAt } = refundDeadlines(calendar, new Date('2026-09-30T02:00:00Z'), 5)
  // working days after 30 Sep: 8 (Thu), 9 (Fri), 10 (Sat, make-up), 12 (Mon), 13 (Tue)
  t.equal(dueAt.toISOString(), '2026-10-13T16:00:00.000Z', 'due by the end of Tuesday 13 October, Beijing time')
  t.equal(warnAt.toISOString(), '2026-10-12T16:00:00.000Z', 'yellow from the start of that last day')
  t.equal(alarmLevel({ status: 'pending', warnAt, dueAt }, new Date('2026-10-12T15:59:59Z')), 'green')
  t.equal(alarmLevel({ status: 'pending', warnAt, dueAt }, new Date('2026-10-13T01:00:00Z')), 'yellow')
  t.equal(alarmLevel({ status: 'pending', warnAt, dueAt }, new Date('2026-10-13T16:00:00Z')), 'red')
  t.equal(alarmLevel({ status: 'paid', warnAt, dueAt }, new Date('2026-10-20T00:00:00Z')), 'green')
})

t.test('account numbers compare as banks print them', async (t) => {
  t.ok(sameAccount('6222 0202 0011 2233 445', '6222020200112233445'))
  t.ok(sameAccount('6222-0202-0011', '622202020011'))
  t.notOk(sameAccount('6222020200112233445', '6222020200112233446'))
})
