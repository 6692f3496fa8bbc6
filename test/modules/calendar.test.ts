import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'

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
  t.same(added.json(), { from: '2026-09-30', days: 3, to: '2026-10-10' })
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
