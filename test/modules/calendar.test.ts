import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'

t.test('the 2026 national calendar is seeded once and served publicly', async (t) => {
  const a = await buildTestApp(t)
  await buildTestApp(t, { databaseUrl: a.databaseUrl })
  const year = await a.app.inject({ method: 'GET', url: '/api/calendar/2026' })
  t.equal(year.statusCode, 200)
  const days = year.json().days as Array<{ date: string, kind: string }>
  t.equal(days.filter((d) => d.kind === 'holiday').length, 33)
  t.equal(days.filter((d) => d.kind === 'workday').length, 6)
  const seeded = await a.app.db.$client`select count(*)::int as n from audit_entries where action = 'calendar.year_seeded'`
  t.equal(seeded[0]!.n, 1, 'two instances starting seed (and audit) once')
  const added = await a.app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-09-30&days=3' })
  t.same(added.json(), { from: '2026-09-30', days: 3, to: '2026-10-10', provisional: false, yearsWithoutData: [] })
  const counted = await a.app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-09-30&to=2026-10-10' })
  t.equal(counted.json().days, 3)
})

t.test('the administrator edits the calendar and every instance follows', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl })
  const admin = await hallAdmin(a.app)
  t.equal(b.app.calendar.isWorkingDay('2026-12-31'), true)
  const put = await a.app.inject({ method: 'PUT', url: '/api/calendar/days/2026-12-31', headers: admin.headers, payload: { kind: 'holiday', name: '县庆' } })
  t.equal(put.statusCode, 200)
  const deadline = Date.now() + 3000
  while (b.app.calendar.isWorkingDay('2026-12-31') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(b.app.calendar.isWorkingDay('2026-12-31'), false, 'instance B reloaded on NOTIFY')
  const redundant = await a.app.inject({ method: 'PUT', url: '/api/calendar/days/2026-12-30', headers: admin.headers, payload: { kind: 'workday', name: 'x' } })
  t.equal(redundant.json().code, 'CALENDAR_DAY_REDUNDANT')
  const removed = await a.app.inject({ method: 'DELETE', url: '/api/calendar/days/2026-12-31', headers: admin.headers })
  t.equal(removed.statusCode, 204)
  const missing = await a.app.inject({ method: 'DELETE', url: '/api/calendar/days/2026-12-31', headers: admin.headers })
  t.equal(missing.json().code, 'CALENDAR_DAY_NOT_FOUND')
})

t.test('the changing instance answers on the new calendar as soon as the change is answered', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const workingDays = async () => (await app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-12-28&days=2' })).json().to
  t.equal(await workingDays(), '2026-12-30')
  for (let round = 0; round < 5; round++) {
    await app.inject({ method: 'PUT', url: '/api/calendar/days/2026-12-29', headers: admin.headers, payload: { kind: 'holiday', name: '县庆' } })
    t.equal(await workingDays(), '2026-12-31', 'the new holiday counts at once')
    await app.inject({ method: 'DELETE', url: '/api/calendar/days/2026-12-29', headers: admin.headers })
    t.equal(await workingDays(), '2026-12-30', 'and its removal')
  }
})

t.test('server time for countdowns', async (t) => {
  const { app } = await buildTestApp(t)
  const before = Date.now()
  const response = await app.inject({ method: 'GET', url: '/api/time' })
  const body = response.json()
  t.ok(body.epochMs >= before && body.epochMs <= Date.now())
  t.equal(body.timeZone, 'Asia/Shanghai')
  t.equal(response.headers['cache-control'], 'no-store')
})

/** the 2027 notice as the administrator types it (dates chosen for the tests, not an official calendar) */
const notice2027 = () => ({
  holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-03' }, { name: '春节', from: '2027-02-10', to: '2027-02-17' }],
  workdays: ['2027-02-07', '2027-02-20']
})

t.test('a period running into a year without data is provisional and says which year', async (t) => {
  const { app } = await buildTestApp(t)
  const added = await app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-12-25&days=10' })
  t.equal(added.statusCode, 200)
  t.same(added.json(), { from: '2026-12-25', days: 10, to: '2027-01-08', provisional: true, yearsWithoutData: [2027] })
  const counted = await app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-12-31&to=2027-01-04' })
  t.match(counted.json(), { days: 2, provisional: true, yearsWithoutData: [2027] }, 'New Year 2027 is not known: Friday and Monday count')
  const inside = await app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-12-01&to=2026-12-31' })
  t.match(inside.json(), { provisional: false, yearsWithoutData: [] })
})

t.test('the missing next year is announced from 1 November on the hall clock, never before', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const status = async (instant: string) => {
    app.clock.now = () => new Date(instant)
    const response = await app.inject({ method: 'GET', url: '/api/calendar/status' })
    t.equal(response.statusCode, 200)
    return response.json()
  }
  t.same(await status('2026-10-31T15:59:59Z'), {
    today: '2026-10-31', years: [2026], currentYearMissing: false, nextYear: 2027, nextYearMissing: true, warnFrom: '2026-11-01', warn: false, missing: []
  }, 'still 31 October in Beijing: no warning')
  t.match(await status('2026-10-31T16:00:00Z'), { today: '2026-11-01', nextYearMissing: true, warn: true, missing: [2027] }, '1 November in Beijing')
  t.match(await status('2026-12-20T02:00:00Z'), { warn: true, missing: [2027] })
})

t.test('the administrator enters a year from the notice in one transaction', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl })
  const { app } = a
  const admin = await hallAdmin(app)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date('2026-12-20T02:00:00Z')

  const anonymous = await app.inject({ method: 'POST', url: '/api/calendar/years/2027', payload: notice2027() })
  t.equal(anonymous.statusCode, 401)
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const refused = await app.inject({ method: 'POST', url: '/api/calendar/years/2027', headers: applicant.headers, payload: notice2027() })
  t.equal(refused.statusCode, 403)

  const imported = await app.inject({ method: 'POST', url: '/api/calendar/years/2027', headers: admin.headers, payload: notice2027() })
  t.equal(imported.statusCode, 201)
  t.match(imported.json(), { year: 2027, holidays: 11, workdays: 2, replaced: 0 })
  t.same(imported.json().days[0], { date: '2027-01-01', kind: 'holiday', name: '元旦' })
  t.equal(imported.json().days.find((day: { date: string }) => day.date === '2027-02-07').kind, 'workday')

  const after = await app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-12-31&to=2027-01-04' })
  t.same(after.json(), { from: '2026-12-31', days: 1, to: '2027-01-04', provisional: false, yearsWithoutData: [] }, 'answered on the new year at once')
  t.match((await app.inject({ method: 'GET', url: '/api/calendar/status' })).json(), { years: [2026, 2027], nextYearMissing: false, warn: false, missing: [] })
  const audit = await app.db.$client`select subject_id, payload from audit_entries where action = 'calendar.year_imported'`
  t.equal(audit.length, 1)
  t.equal(audit[0]!.subject_id, '2027')
  t.same(audit[0]!.payload.workdays, ['2027-02-07', '2027-02-20'], 'the audit entry keeps the notice as entered')

  const deadline = Date.now() + 3000
  while (b.app.calendar.isWorkingDay('2027-01-01') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(b.app.calendar.isWorkingDay('2027-01-01'), false, 'the other instance follows on NOTIFY')

  const again = await app.inject({ method: 'POST', url: '/api/calendar/years/2027', headers: admin.headers, payload: notice2027() })
  t.equal(again.statusCode, 409)
  t.equal(again.json().code, 'CALENDAR_YEAR_HAS_DATA')
  const changed = { ...notice2027(), holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-01' }], replace: true }
  const replaced = await app.inject({ method: 'POST', url: '/api/calendar/years/2027', headers: admin.headers, payload: changed })
  t.equal(replaced.statusCode, 201)
  t.match(replaced.json(), { holidays: 1, workdays: 2, replaced: 13 })
  t.same((await app.inject({ method: 'GET', url: '/api/calendar/2027' })).json().days.map((day: { date: string }) => day.date),
    ['2027-01-01', '2027-02-07', '2027-02-20'], 'the year is exactly the new notice, nothing merged')
})

t.test('every refusal of an import is coded and writes nothing', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const written = async () => {
    const [row] = await app.db.$client`select
      (select count(*)::int from calendar_days) as days,
      (select count(*)::int from audit_entries where action like 'calendar.%') as audits`
    return row
  }
  const before = await written()
  const base = notice2027()
  const refusals: Array<[string, number, string, unknown]> = [
    ['CALENDAR_DATE_OUTSIDE_YEAR', 422, '2027', { ...base, workdays: ['2026-12-26'] }],
    ['CALENDAR_RANGES_OVERLAP', 422, '2027', { ...base, holidays: [...base.holidays, { name: '又一', from: '2027-01-03', to: '2027-01-04' }] }],
    ['CALENDAR_RANGE_REVERSED', 422, '2027', { ...base, holidays: [{ name: '春节', from: '2027-02-17', to: '2027-02-10' }] }],
    ['CALENDAR_WORKDAY_NOT_WEEKEND', 422, '2027', { ...base, workdays: ['2027-02-08'] }],
    ['CALENDAR_HOLIDAY_EMPTY', 422, '2027', { ...base, holidays: [{ name: '周末', from: '2027-01-09', to: '2027-01-10' }] }],
    ['CALENDAR_YEAR_HAS_DATA', 409, '2026', { holidays: [{ name: '县庆', from: '2026-12-31', to: '2026-12-31' }], workdays: [] }],
    ['VALIDATION_FAILED', 400, '2027', { holidays: [], workdays: [] }]
  ]
  for (const [code, status, year, payload] of refusals) {
    const response = await app.inject({ method: 'POST', url: `/api/calendar/years/${year}`, headers: admin.headers, payload: payload as object })
    t.equal(response.statusCode, status, code)
    t.match(response.headers['content-type'], /application\/problem\+json/)
    t.equal(response.json().code, code)
    t.same(await written(), before, `${code}: nothing written`)
  }
  const overlap = await app.inject({ method: 'POST', url: '/api/calendar/years/2027', headers: admin.headers, payload: { ...base, workdays: ['2027-02-13', '2027-02-08'] } })
  t.match(overlap.json().errors, [{ message: /CALENDAR_RANGES_OVERLAP/ }, { message: /CALENDAR_WORKDAY_NOT_WEEKEND/ }], 'every fault is listed, not only the first')
  t.match((await app.inject({ method: 'GET', url: '/api/calendar/working-days?from=2026-12-31&to=2027-01-04' })).json(), { provisional: true })
})
