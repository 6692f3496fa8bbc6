import { readFileSync } from 'node:fs'
import t from 'tap'
import {
  addWorkingDays, endOfShanghaiDay, expandPublishedCalendar, isWorkingDay, nextWorkingDay, shanghaiDate,
  toWorkCalendar, workingDaysBetween, yearsWithData, yearsWithoutData
} from '../../src/lib/working-days.ts'

const published = JSON.parse(readFileSync(new URL('../../media/calendars/cn-2026.json', import.meta.url), 'utf8'))
const calendar = toWorkCalendar(expandPublishedCalendar(published))

t.test('the 2026 national calendar: holidays rest, make-up Saturdays and Sundays work', async (t) => {
  t.equal(isWorkingDay(calendar, '2026-10-01'), false, 'National Day')
  t.equal(isWorkingDay(calendar, '2026-10-07'), false, 'last day of the Golden Week')
  t.equal(isWorkingDay(calendar, '2026-10-08'), true, 'back to work on Thursday')
  t.equal(isWorkingDay(calendar, '2026-10-10'), true, 'make-up Saturday')
  t.equal(isWorkingDay(calendar, '2026-02-14'), true, 'make-up Saturday before Spring Festival')
  t.equal(isWorkingDay(calendar, '2026-02-16'), false, 'Spring Festival Monday')
  t.equal(isWorkingDay(calendar, '2026-11-28'), false, 'an ordinary Saturday')
  t.equal(isWorkingDay(calendar, '2026-11-27'), true, 'an ordinary Friday')
})

t.test('adding working days skips weekends and holidays and counts make-up days', async (t) => {
  t.equal(addWorkingDays(calendar, '2026-09-30', 1), '2026-10-08', 'the Golden Week is skipped')
  t.equal(addWorkingDays(calendar, '2026-09-30', 3), '2026-10-10', 'the make-up Saturday counts')
  t.equal(addWorkingDays(calendar, '2026-11-27', 5), '2026-12-04')
  t.equal(addWorkingDays(calendar, '2026-12-04', -5), '2026-11-27', 'backwards too')
  t.equal(addWorkingDays(calendar, '2026-11-28', 0), '2026-11-28')
  t.equal(nextWorkingDay(calendar, '2026-10-01'), '2026-10-08')
  t.throws(() => addWorkingDays(calendar, '2026-11-27', 1.5))
  t.throws(() => addWorkingDays(calendar, '2026-02-30', 1), 'impossible dates are refused')
})

t.test('working days between dates agree with adding them', async (t) => {
  t.equal(workingDaysBetween(calendar, '2026-09-30', '2026-10-10'), 3)
  t.equal(workingDaysBetween(calendar, '2026-10-10', '2026-09-30'), -3)
  t.equal(workingDaysBetween(calendar, '2026-11-27', '2026-11-27'), 0)
  for (const [from, n] of [['2026-01-01', 17], ['2026-02-10', 9], ['2026-04-30', 4], ['2026-12-25', 12]] as const) {
    t.equal(workingDaysBetween(calendar, from, addWorkingDays(calendar, from, n)), n, `${from} + ${n}`)
  }
  let count = 0
  for (let day = 0; day < 365; day++) if (isWorkingDay(calendar, new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10))) count++
  t.equal(count, 248, '2026 has 248 working days (261 weekdays − 19 holiday weekdays + 6 make-up days)')
})

t.test('the hall lives in Asia/Shanghai', async (t) => {
  t.equal(shanghaiDate(new Date('2026-11-27T15:59:59Z')), '2026-11-27')
  t.equal(shanghaiDate(new Date('2026-11-27T16:00:00Z')), '2026-11-28', 'midnight in Beijing is 16:00 UTC')
  t.equal(endOfShanghaiDay('2026-11-27').toISOString(), '2026-11-27T16:00:00.000Z')
})

t.test('a computation that runs into a year without data is told so', async (t) => {
  t.same(yearsWithData(calendar), [2026])
  t.same(yearsWithoutData(calendar, '2026-09-30', '2026-10-10'), [], 'inside 2026: exact')
  const to = addWorkingDays(calendar, '2026-12-25', 10)
  t.equal(to, '2027-01-08', 'New Year 2027 is unknown, so only weekends are skipped')
  t.same(yearsWithoutData(calendar, '2026-12-25', to), [2027])
  t.same(yearsWithoutData(calendar, to, '2026-12-25'), [2027], 'either order')
  t.same(yearsWithoutData(calendar, '2025-12-01', '2028-01-05'), [2025, 2027, 2028])
  t.same(yearsWithData({ holidays: new Set(['2027-01-01']), workdays: new Set(['2028-01-02']) }), [2027, 2028], 'derived from the dates when not given')
  const entered = toWorkCalendar([...expandPublishedCalendar(published), { date: '2027-01-01', kind: 'holiday', name: '元旦' }])
  t.same(yearsWithoutData(entered, '2026-12-25', '2027-01-08'), [], 'a year with any day entered has data')
})
