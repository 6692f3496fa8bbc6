import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, supervisor } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, filed, fire, ok, setClock, step } from '../factories/cases.ts'

t.test('the dashboard counts open cases by department, window and colour; warnings reach the audit chain and the rooms', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县住房和城乡建设局')
  const item = await delegatedItem(app, desk) // 5 working days, yellow 2 working days before the due
  const otherItem = await delegatedItem(app, other)
  const watcher = await supervisor(app)

  setClock(app, '2026-11-30T02:00:00.000Z') // Mon 30 Nov: accepted cases are due Mon 7 Dec, yellow from Thu 3 Dec
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push((await filed(app, desk.applicant, item.id)).case.id)
  const waiting = (await filed(app, desk.applicant, item.id)).case
  const elsewhere = (await filed(app, other.applicant, otherItem.id)).case
  for (const id of ids) await ok(await step(app, desk.clerk, id, 'acceptance'))
  await ok(await step(app, other.clerk, elsewhere.id, 'acceptance'))
  setClock(app, '2026-12-01T02:00:00.000Z') // Tue: the third case is accepted a day later, due Tue 8 Dec
  await ok(await step(app, desk.clerk, ids[2]!, 'review'))
  await ok(await step(app, desk.clerk, ids[2]!, 'pauses', { kind: 'appraisal', reason: '技术鉴定', limitWorkingDays: 10 }))

  const counts = async (user: { headers: Record<string, string> }) => {
    const response = await app.inject({ method: 'GET', url: '/api/supervision/dashboard', headers: user.headers })
    t.equal(response.statusCode, 200)
    return response.json() as { departments: Array<{ id: string, awaiting: number, green: number, yellow: number, red: number, paused: number }>, windows: unknown[] }
  }
  const row = (dashboard: Awaited<ReturnType<typeof counts>>, id: string) => {
    const found = dashboard.departments.find((entry) => entry.id === id)
    return found && { awaiting: found.awaiting, green: found.green, yellow: found.yellow, red: found.red, paused: found.paused }
  }
  let dashboard = await counts(watcher)
  t.same(row(dashboard, desk.department.id), { awaiting: 1, green: 2, yellow: 0, red: 0, paused: 1 })
  t.same(row(dashboard, other.department.id), { awaiting: 0, green: 1, yellow: 0, red: 0, paused: 0 })
  const own = await counts(desk.deptAdmin)
  t.same(own.departments.map((entry) => entry.id), [desk.department.id], 'a department administrator sees its own department only')

  setClock(app, '2026-12-03T02:00:00.000Z') // Thu 3 Dec: two working days left
  dashboard = await counts(watcher)
  t.same(row(dashboard, desk.department.id), { awaiting: 1, green: 0, yellow: 2, red: 0, paused: 1 })
  const yellowQueue = (await app.inject({ method: 'GET', url: '/api/cases?colour=yellow', headers: desk.clerk.headers })).json()
  t.same(yellowQueue.map((entry: { id: string }) => entry.id).sort(), [ids[0], ids[1]].sort())
  const stateOf = async (id: string) => (await app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: desk.clerk.headers })).json() as { state: string, deemedAccepted: boolean }
  t.equal((await stateOf(waiting.id)).state, 'submitted', 'awaiting acceptance: not on the clock yet')

  t.equal(await app.live.read(null, 'supervision:hall', 0, 1), null, 'the public does not watch the supervision room')
  setClock(app, '2026-12-02T15:59:00.000Z') // a minute before Thursday: the timer fires early by this clock
  await fire(app, `case-clock:${ids[1]!}`)
  const [early] = await app.db.$client<Array<{ armed: boolean, fireAt: string }>>`select fired_at is null as armed, to_char(fire_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as "fireAt" from timers where key = ${`case-clock:${ids[1]!}`}`
  t.same(early, { armed: true, fireAt: '2026-12-02T16:00:00' }, 'a timer firing early is set again for the warning')
  setClock(app, '2026-12-03T02:00:00.000Z')
  await fire(app, `case-clock:${ids[0]!}`)
  setClock(app, '2026-12-08T01:00:00.000Z') // Tue 8 Dec: past Monday's due
  await fire(app, `case-clock:${ids[0]!}`)
  await fire(app, `case-clock:${ids[0]!}`) // a late or repeated firing announces nothing new
  const warnings = await app.db.$client<Array<{ action: string }>>`select action from audit_entries where subject_id = ${ids[0]!} and action in ('case.warning', 'case.overdue') order by id`
  t.same(warnings.map((entry: { action: string }) => entry.action), ['case.warning', 'case.overdue'], 'each colour is announced once, in the audit chain')
  dashboard = await counts(watcher)
  // the case left waiting passed its five working days of silence (Mon 7 Dec) too: accepted by
  // law, on the clock from its receipt, and as overdue as the others filed that Monday
  t.same(row(dashboard, desk.department.id), { awaiting: 0, green: 0, yellow: 0, red: 3, paused: 1 })
  t.same(row(dashboard, other.department.id), { awaiting: 0, green: 0, yellow: 0, red: 1, paused: 0 })
  t.match(await stateOf(waiting.id), { state: 'accepted', deemedAccepted: true }, 'silence past the acceptance limit accepts the case')
})

t.test('a change of the working-day calendar moves the clocks of the cases on it', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk) // 5 working days, yellow 2 working days before the due
  setClock(app, '2026-11-30T02:00:00.000Z') // Mon 30 Nov: due at the end of Mon 7 Dec
  const running = (await filed(app, desk.applicant, item.id)).case
  const paused = (await filed(app, desk.applicant, item.id)).case
  const waiting = (await filed(app, desk.applicant, item.id)).case
  for (const id of [running.id, paused.id]) await ok(await step(app, desk.clerk, id, 'acceptance'))
  await ok(await step(app, desk.clerk, paused.id, 'review'))
  await ok(await step(app, desk.clerk, paused.id, 'pauses', { kind: 'hearing', reason: '听证', limitWorkingDays: 10 }))
  const clockOf = async (id: string) => {
    const [row] = await app.db.$client<Array<{ due: string | null, warn: string | null, timer: string | null }>>`
      select to_char(due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') as due, to_char(warn_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') as warn,
        (select to_char(fire_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') from timers where key = 'case-clock:' || c.id and kind = 'case-colour' and fired_at is null) as timer
      from cases c where id = ${id}`
    return row
  }
  t.same(await clockOf(running.id), { due: '2026-12-07T16:00', warn: '2026-12-02T16:00', timer: '2026-12-02T16:00' })

  // the county declares Friday 4 December a holiday: one working day more to go
  const holiday = await app.inject({ method: 'PUT', url: '/api/calendar/days/2026-12-04', headers: desk.admin.headers, payload: { kind: 'holiday', name: '县庆' } })
  t.equal(holiday.statusCode, 200, holiday.body)
  await fire(app, 'case-reclock:start')
  t.same(await clockOf(running.id), { due: '2026-12-08T16:00', warn: '2026-12-02T16:00', timer: '2026-12-02T16:00' }, 'due a day later, on the new calendar')
  t.same(await clockOf(paused.id), { due: null, warn: null, timer: null }, 'a paused clock stays paused')
  t.same(await clockOf(waiting.id), { due: null, warn: null, timer: null }, 'a case awaiting acceptance has no clock yet')
  const events = (await app.inject({ method: 'GET', url: `/api/cases/${running.id}/events`, headers: desk.clerk.headers })).json() as Array<{ kind: string, detail: unknown }>
  t.same(events.filter((event) => event.kind === 'deadline_recomputed').map((event) => event.detail), [{ from: '2026-12-07T16:00:00.000Z', to: '2026-12-08T16:00:00.000Z' }], 'on the case\'s progress')
  const audited = await app.db.$client<Array<{ actor: string | null }>>`select actor_id as actor from audit_entries where subject_id = ${running.id} and action = 'case.deadline_recomputed'`
  t.same(audited, [{ actor: null }], 'and in the audit chain, by the platform')

  // a make-up Saturday instead: the fifth working day is that Saturday
  t.equal((await app.inject({ method: 'DELETE', url: '/api/calendar/days/2026-12-04', headers: desk.admin.headers })).statusCode, 204)
  await fire(app, 'case-reclock:start')
  t.same(await clockOf(running.id), { due: '2026-12-07T16:00', warn: '2026-12-02T16:00', timer: '2026-12-02T16:00' }, 'the holiday withdrawn, the due is back')
  t.equal((await app.inject({ method: 'PUT', url: '/api/calendar/days/2026-12-05', headers: desk.admin.headers, payload: { kind: 'workday', name: '调休' } })).statusCode, 200)
  await fire(app, 'case-reclock:start')
  t.same(await clockOf(running.id), { due: '2026-12-05T16:00', warn: '2026-12-02T16:00', timer: '2026-12-02T16:00' })
  await fire(app, 'case-reclock:start')
  const recomputed = await app.db.$client`select 1 from audit_entries where subject_id = ${running.id} and action = 'case.deadline_recomputed'`
  t.equal(recomputed.length, 3, 'a clock the calendar leaves alone is not written again')
  const progress = (await app.inject({ method: 'GET', url: `/api/cases/${running.id}`, headers: desk.clerk.headers })).json()
  t.match(progress.clock, { dueAt: '2026-12-05T16:00:00.000Z', colour: 'green' })

  // a hall's worth of cases is moved in batches of 200, each batch its own transaction
  await app.db.$client`
    insert into cases select (jsonb_populate_record(null::cases, to_jsonb(c) || jsonb_build_object('id', gen_random_uuid(), 'number', c.number || '-' || g))).*
    from cases c, generate_series(1, 205) g where c.id = ${running.id}`
  t.equal((await app.inject({ method: 'PUT', url: '/api/calendar/days/2026-12-04', headers: desk.admin.headers, payload: { kind: 'holiday', name: '县庆' } })).statusCode, 200)
  await fire(app, 'case-reclock:start')
  const movedCount = async () => Number((await app.db.$client`select count(*) as n from cases where due_at = '2026-12-07T16:00:00Z'`)[0]!.n)
  // the next batch's timer is due at once (it may fire in the same pass): what shows the batches
  // is the timer each batch set for the next, after the 200th case on the clock by id
  const [last] = await app.db.$client<Array<{ id: string }>>`select id from cases where clock_starts_at is not null order by id offset 199 limit 1`
  await fire(app, `case-reclock:${last!.id}`)
  t.equal(await movedCount(), 206, 'every case on the clock moved')
  const batches = await app.db.$client<Array<{ key: string, fired: boolean }>>`select key, fired_at is not null as fired from timers where kind = 'case-reclock' order by fired_at`
  t.same(batches.map((batch) => batch.key).sort(), ['case-reclock:start', `case-reclock:${last!.id}`].sort(), 'in two batches: 200, then the rest')
  t.ok(batches.every((batch) => batch.fired), 'and stops')
})

t.test('supervision rooms: who may watch, and what arrives', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县住房和城乡建设局')
  const item = await delegatedItem(app, desk)
  const watcher = await supervisor(app)
  const mayWatch = app.services.cases.mayWatch
  const grantsOf = async (user: { id: string }) => (await app.services.accounts.getAccount(user.id)).grants
  const asPrincipal = async (user: { id: string }) => ({
    accountId: user.id, username: 'x', displayName: 'x', kind: 'person' as const, grants: await grantsOf(user), sessionId: 's', authMethod: 'password' as const, mustChangePassword: false
  })
  t.equal(mayWatch(await asPrincipal(watcher), 'supervision:hall'), true)
  t.equal(mayWatch(await asPrincipal(desk.deptAdmin), 'supervision:hall'), false, 'a department official watches its own room, not the hall')
  t.equal(mayWatch(await asPrincipal(desk.deptAdmin), `supervision:dept:${desk.department.id}`), true)
  t.equal(mayWatch(await asPrincipal(other.deptAdmin), `supervision:dept:${desk.department.id}`), false)
  t.equal(mayWatch(null, 'supervision:hall'), false)

  const { case: submitted } = await filed(app, desk.applicant, item.id)
  await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  await app.services.cases.idle() // nudges go out after the commit, coalesced
  const room = await app.live.read(await asPrincipal(watcher), 'supervision:hall', 0, 100)
  const steps = room!.events.flatMap((event) => event.type === 'case.changed' ? (event.data as { steps: Array<{ number: string, state: string }> }).steps : [])
  t.same(steps.map((step) => [step.number, step.state]), [[submitted.number, 'submitted'], [submitted.number, 'accepted']], 'each step reaches the hall room')
  const ownRoom = await app.live.read(await asPrincipal(desk.deptAdmin), `supervision:dept:${desk.department.id}`, 0, 100)
  t.ok(ownRoom!.events.length >= 1, 'and the department\'s own room')
  t.notMatch(JSON.stringify(room!.events), /申请新办/, 'no request text or applicant on the dashboards')
})

t.test('supervision letters: numbered, a reply deadline in working days, answered once by the department', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县住房和城乡建设局')
  const item = await delegatedItem(app, desk)
  const watcher = await supervisor(app)
  setClock(app, '2026-11-30T02:00:00.000Z')
  const { case: late } = await filed(app, desk.applicant, item.id)
  const letter = await app.inject({
    method: 'POST',
    url: '/api/supervision/letters',
    headers: watcher.headers,
    payload: { departmentId: desk.department.id, caseId: late.id, subject: '关于办件超期的督办函', body: '请于期限内说明情况并整改。', replyWorkingDays: 3 }
  })
  t.equal(letter.statusCode, 201)
  t.match(letter.json(), { number: 'DBH-2026-0001', replyDueAt: '2026-12-03T16:00:00.000Z', overdue: false })
  const foreignCase = await app.inject({
    method: 'POST',
    url: '/api/supervision/letters',
    headers: watcher.headers,
    payload: { departmentId: other.department.id, caseId: late.id, subject: 'x', body: 'x', replyWorkingDays: 3 }
  })
  t.equal(foreignCase.statusCode, 404, 'the case must be the department\'s')
  const byClerk = await app.inject({ method: 'POST', url: '/api/supervision/letters', headers: desk.clerk.headers, payload: { departmentId: desk.department.id, subject: 'x', body: 'x', replyWorkingDays: 3 } })
  t.equal(byClerk.statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/supervision/letters', headers: other.deptAdmin.headers })).json().length, 0)
  const strangerReply = await app.inject({ method: 'POST', url: `/api/supervision/letters/${letter.json().id}/reply`, headers: other.deptAdmin.headers, payload: { reply: 'x' } })
  t.equal(strangerReply.statusCode, 404)

  setClock(app, '2026-12-04T02:00:00.000Z')
  await fire(app, `supervision-letter:${letter.json().id}`)
  const overdue = await app.db.$client`select 1 from audit_entries where action = 'supervision.letter_overdue' and subject_id = ${letter.json().id}`
  t.equal(overdue.length, 1, 'a late reply is flagged in the audit chain')
  const replied = await app.inject({ method: 'POST', url: `/api/supervision/letters/${letter.json().id}/reply`, headers: desk.deptAdmin.headers, payload: { reply: '已整改完毕' } })
  t.equal(replied.statusCode, 200)
  t.equal(replied.json().overdue, true)
  const twice = await app.inject({ method: 'POST', url: `/api/supervision/letters/${letter.json().id}/reply`, headers: desk.deptAdmin.headers, payload: { reply: 'again' } })
  t.equal(twice.json().code, 'LETTER_ANSWERED')
  const issued = await app.db.$client`select 1 from audit_entries where action = 'supervision.letter_issued' and subject_id = ${letter.json().id}`
  t.equal(issued.length, 1)
  const clerkOnly = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: desk.department.id }] })
  t.equal((await app.inject({ method: 'GET', url: '/api/supervision/dashboard', headers: clerkOnly.headers })).statusCode, 403)
})
