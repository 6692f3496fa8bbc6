import { readFileSync } from 'node:fs'
import t from 'tap'
import { calendarStatus, noticeProblems } from '../../src/modules/calendar/calendar.rules.ts'

const published = JSON.parse(readFileSync(new URL('../../media/calendars/cn-2026.json', import.meta.url), 'utf8'))

/** the 2027 notice as a reader would type it (dates chosen for the tests, not an official calendar) */
const notice2027 = () => ({
  holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-03' }, { name: '春节', from: '2027-02-10', to: '2027-02-17' }],
  workdays: ['2027-02-07', '2027-02-20']
})

t.test('the published 2026 notice and a sound 2027 notice pass', async (t) => {
  t.same(noticeProblems(2026, published), [])
  t.same(noticeProblems(2027, notice2027()), [])
})

t.test('each fault of a notice is named with its dates', async (t) => {
  const codes = (year: number, notice: ReturnType<typeof notice2027>) => noticeProblems(year, notice).map((p) => [p.code, p.dates])
  t.same(codes(2028, notice2027())[0], ['CALENDAR_DATE_OUTSIDE_YEAR', ['2027-01-01']], 'the year is checked first')
  t.same(codes(2027, { ...notice2027(), workdays: ['2026-12-26'] }), [['CALENDAR_DATE_OUTSIDE_YEAR', ['2026-12-26']]])
  t.same(codes(2027, { ...notice2027(), holidays: [{ name: '春节', from: '2027-02-17', to: '2027-02-10' }] }),
    [['CALENDAR_RANGE_REVERSED', ['2027-02-17', '2027-02-10']]])
  t.same(codes(2027, { holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-03' }, { name: '又一', from: '2027-01-03', to: '2027-01-04' }], workdays: [] }),
    [['CALENDAR_RANGES_OVERLAP', ['2027-01-03']]])
  t.same(codes(2027, { ...notice2027(), workdays: ['2027-02-13'] }), [['CALENDAR_RANGES_OVERLAP', ['2027-02-13']]], 'a make-up workday inside a holiday')
  t.same(codes(2027, { ...notice2027(), workdays: ['2027-02-20', '2027-02-20'] }), [['CALENDAR_RANGES_OVERLAP', ['2027-02-20']]], 'a day listed twice')
  t.same(codes(2027, { ...notice2027(), workdays: ['2027-02-08'] }), [['CALENDAR_WORKDAY_NOT_WEEKEND', ['2027-02-08']]], 'a Monday')
  t.same(codes(2027, { holidays: [{ name: '周末', from: '2027-01-09', to: '2027-01-10' }], workdays: [] }),
    [['CALENDAR_HOLIDAY_EMPTY', ['2027-01-09', '2027-01-10']]], 'a range of a Saturday and a Sunday rests nothing')
})

t.test('next year is warned about from 1 November (hall date) until it is entered', async (t) => {
  t.same(calendarStatus([2026], '2026-10-31'), {
    today: '2026-10-31', years: [2026], currentYearMissing: false, nextYear: 2027, nextYearMissing: true, warnFrom: '2026-11-01', warn: false, missing: []
  })
  t.match(calendarStatus([2026], '2026-11-01'), { warn: true, missing: [2027] })
  t.match(calendarStatus([2026], '2026-12-20'), { warn: true, missing: [2027] })
  t.match(calendarStatus([2026, 2027], '2026-12-20'), { warn: false, nextYearMissing: false, missing: [] })
  t.match(calendarStatus([2026], '2027-03-01'), { warn: true, currentYearMissing: true, missing: [2027] }, 'a missing current year is warned about at once')
})
