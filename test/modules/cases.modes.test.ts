import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, filed, fire, ok, PDF, setClock, signResult, step } from '../factories/cases.ts'
import { createDepartment, createWindow } from '../factories/departments.ts'
import { approvedFee, financeDesk } from '../factories/fees.ts'
import { multipart } from '../support/multipart.ts'

const caseOf = async (app: Parameters<typeof step>[0], user: Parameters<typeof step>[1], id: string) =>
  ok(await app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: user.headers }))

t.test('an instant case is reviewed and approved the same working day', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk, { mode: 'instant', promisedWorkingDays: 0, statutoryWorkingDays: 20 })
  setClock(app, '2026-12-04T02:00:00.000Z') // Fri 4 Dec, 10:00
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  t.equal(submitted.mode, 'instant')
  const accepted = await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  t.equal(accepted.clock!.dueAt, '2026-12-04T16:00:00.000Z', 'due at the end of the day it is accepted')
  t.equal(accepted.clock!.colour, 'yellow', 'an instant case is on its last day from the start')
  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  const decided = await ok(await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] }))
  t.equal(decided.state, 'decided')
  setClock(app, '2026-12-05T02:00:00.000Z') // Saturday: accepted on a rest day, due the next working day
  const { case: weekend } = await filed(app, desk.applicant, item.id)
  t.equal((await ok(await step(app, desk.clerk, weekend.id, 'acceptance'))).clock!.dueAt, '2026-12-07T16:00:00.000Z')
})

t.test('a joint case: parallel sub-tasks, a late department, the hall takes over', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const fire2 = await createDepartment(app, desk.admin.id, '县消防救援大队')
  const env = await createDepartment(app, desk.admin.id, '县生态环境分局')
  const fireClerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: fire2.id }] })
  const item = await delegatedItem(app, desk, { jointDepartments: [fire2.id, env.id], promisedWorkingDays: 5 })
  setClock(app, '2026-11-30T02:00:00.000Z') // Mon 30 Nov
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  t.equal(submitted.mode, 'joint')
  t.equal((await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: fireClerk.headers })).statusCode, 404, 'no sub-task yet: not theirs')
  const accepted = await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  t.equal(accepted.subtasks.length, 2)
  t.ok(accepted.subtasks.every((subtask) => subtask.dueAt === '2026-12-04T16:00:00.000Z'), 'sub-tasks are due a working day before the case (Mon 7 Dec)')
  const queue = (await app.inject({ method: 'GET', url: '/api/cases', headers: fireClerk.headers })).json()
  t.same(queue.map((entry: { id: string }) => entry.id), [submitted.id], 'a participating department sees the case in its queue')

  await ok(await step(app, fireClerk, submitted.id, `subtasks/${fire2.id}/opinion`, { agree: true, opinion: '消防验收合格' }))
  const again = await step(app, fireClerk, submitted.id, `subtasks/${fire2.id}/opinion`, { agree: true, opinion: 'x' })
  t.equal(again.json().code, 'SUBTASK_SETTLED')
  const foreign = await step(app, fireClerk, submitted.id, `subtasks/${env.id}/opinion`, { agree: true, opinion: 'x' })
  t.equal(foreign.statusCode, 404, 'a department answers only its own part')
  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  const early = await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] })
  t.equal(early.statusCode, 409)
  t.equal(early.json().code, 'SUBTASKS_OPEN')

  // the environment department misses its due: overdue in the audit chain and on the dashboard
  setClock(app, '2026-12-07T01:00:00.000Z')
  const subtaskId = (await app.db.$client<Array<{ id: string }>>`select id from case_subtasks where case_id = ${submitted.id} and department_id = ${env.id}`)[0]!.id
  await fire(app, `case-subtask:${subtaskId}`)
  const overdue = await app.db.$client`select payload from audit_entries where action = 'case.subtask_overdue' and subject_id = ${submitted.id}`
  t.equal(overdue.length, 1)
  const supervisorUser = await createUser(app, { grants: [{ role: 'supervisor', scopeType: 'hall' }] })
  const dashboardResponse = await app.inject({ method: 'GET', url: '/api/supervision/dashboard', headers: supervisorUser.headers })
  t.equal(dashboardResponse.statusCode, 200, JSON.stringify(logs.filter((line) => Number(line.level) >= 50)).slice(0, 1500))
  const dashboard = dashboardResponse.json()
  t.same(dashboard.lateSubtasks.map((late: { departmentId: string }) => late.departmentId), [env.id])

  const byHallEarly = await step(app, desk.admin, submitted.id, `subtasks/${env.id}/opinion`, { agree: true, opinion: '协调结果' })
  t.equal(byHallEarly.statusCode, 404, 'the hall answers only after taking over')
  const taken = await ok(await step(app, desk.admin, submitted.id, `subtasks/${env.id}/takeover`, { reason: '部门超期未反馈' }))
  t.ok(taken.subtasks.find((subtask) => subtask.departmentId === env.id)!.takenOverAt)
  const declined = await ok(await step(app, desk.admin, submitted.id, `subtasks/${env.id}/opinion`, { agree: false, opinion: '环评未通过' }))
  t.equal(declined.subtasks.find((subtask) => subtask.departmentId === env.id)!.state, 'declined')
  const approveAnyway = await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] })
  t.equal(approveAnyway.json().code, 'SUBTASK_DECLINED')
  const denied = await ok(await step(app, desk.chief, submitted.id, 'decision', { decision: 'deny', reasons: ['环境影响评价未通过'] }))
  t.equal(denied.state, 'decided')
  const events = (await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}/events`, headers: desk.clerk.headers })).json()
  t.ok(events.some((event: { kind: string, detail: { late?: boolean } }) => event.kind === 'subtask_answered' && event.detail.late === true), 'the late answer is marked late')
})

t.test('an agency case: received and delivered by the comprehensive window, decided by the department', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const agencyWindow = await createWindow(app, desk.admin.id, null, 'agency')
  const agencyClerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'window', scopeId: agencyWindow.id }] })
  const notServed = await delegatedItem(app, desk)
  const item = await delegatedItem(app, desk, { agencyWindow: true })
  const fields = (itemId: string) => multipart({ itemId, request: '代办申请', windowId: agencyWindow.id, 'applicant.name': '李四', 'applicant.idNumber': '110101199003071234' }, { M1: PDF('M1'), M2: PDF('M2') })
  const refusedBody = fields(notServed.id)
  const refused = await app.inject({ method: 'POST', url: '/api/cases/window', headers: { ...agencyClerk.headers, ...refusedBody.headers }, payload: refusedBody.payload })
  t.equal(refused.statusCode, 422)
  t.equal(refused.json().code, 'WINDOW_NOT_SERVING', 'only items the agency window receives')
  const blobsBefore = await app.db.$client`select count(*)::int as n from case_materials`
  t.equal(blobsBefore[0]!.n, 0, 'nothing was written')

  const body = fields(item.id)
  const filedAtWindow = await app.inject({ method: 'POST', url: '/api/cases/window', headers: { ...agencyClerk.headers, ...body.headers }, payload: body.payload })
  t.equal(filedAtWindow.statusCode, 201)
  const submitted = filedAtWindow.json().case
  t.equal(submitted.mode, 'agency')
  t.equal(submitted.windowId, agencyWindow.id)
  t.same(submitted.applicant, { name: '李四', idNumber: '110101199003071234' })
  await ok(await step(app, agencyClerk, submitted.id, 'acceptance'))
  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  await ok(await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] }))
  const issued = await ok(await step(app, desk.clerk, submitted.id, 'result', { signature: await signResult(app, desk.clerk, submitted.id, desk.seal) }))
  t.equal(issued.state, 'result_issued', 'a window case waits for its delivery')
  const byDepartment = await step(app, desk.clerk, submitted.id, 'delivery', { method: 'window' })
  t.equal(byDepartment.json().code, 'DELIVERED_BY_RECEIVING_WINDOW', 'the result goes back through the agency window')
  const delivered = await ok(await step(app, agencyClerk, submitted.id, 'delivery', { method: 'window' }))
  t.equal(delivered.state, 'closed')
})

t.test('a major project: routed to the major-project window with the shorter limit', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const majorWindow = await createWindow(app, desk.admin.id, null, 'major_project')
  const item = await delegatedItem(app, desk, { promisedWorkingDays: 10, statutoryWorkingDays: 20, majorProjectWorkingDays: 4 })
  setClock(app, '2026-11-30T02:00:00.000Z')
  const { case: submitted } = await filed(app, desk.applicant, item.id, ['M1', 'M2'], { majorProject: 'true' })
  t.equal(submitted.mode, 'major_project')
  t.equal(submitted.windowId, majorWindow.id)
  t.equal(submitted.promisedWorkingDays, 4)
  const accepted = await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  t.equal(accepted.clock!.dueAt, '2026-12-04T16:00:00.000Z', '4 working days, not 10')
  const ordinary = await filed(app, desk.applicant, item.id)
  t.equal(ordinary.case.promisedWorkingDays, 10)
})

t.test('fees: a notice at acceptance, the result waits for payment, the receipt is attached', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const finance = await financeDesk(app)
  const fee = await approvedFee(app, finance.desk, { version: { amountFen: 5000 } })
  const item = await delegatedItem(app, desk, { fees: [{ feeCode: fee.code }], feeStandard: '每件50元', feeBasis: '财税〔2026〕1号', payBeforeResult: true })
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  const accepted = await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  t.match(accepted.payment, { status: 'issued', totalFen: 5000, requiredBeforeResult: true })
  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  await ok(await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] }))
  const signature = await signResult(app, desk.clerk, submitted.id, desk.seal)
  const unpaid = await step(app, desk.clerk, submitted.id, 'result', { signature })
  t.equal(unpaid.statusCode, 409)
  t.equal(unpaid.json().code, 'CASE_AWAITING_PAYMENT')

  const paid = await app.inject({
    method: 'POST',
    url: '/api/window-payments',
    headers: finance.teller.headers,
    payload: { code: accepted.payment!.code, amountFen: 5000, bankCode: finance.bank.code, bankTxnId: 'CASE-1', payerAccountNo: '6222020200112233445', payerAccountName: 'Test' }
  })
  t.equal(paid.statusCode, 201, paid.body)
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where kind like 'payment%' and fired_at is null`
  await app.timers.fireDue()
  const withReceipt = await caseOf(app, desk.clerk, submitted.id)
  t.equal(withReceipt.payment!.status, 'paid')
  t.match(withReceipt.payment!.receiptNumber, /\S/, 'the receipt is attached to the case')
  const issued = await ok(await step(app, desk.clerk, submitted.id, 'result', { signature }))
  t.equal(issued.state, 'closed')
})

t.test('pauses: a hearing over a weekend adds its working days; a procedure past its limit lets the clock run', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  setClock(app, '2026-11-30T02:00:00.000Z') // Mon 30 Nov: due Mon 7 Dec
  const { case: first } = await filed(app, desk.applicant, item.id)
  const { case: second } = await filed(app, desk.applicant, item.id)
  for (const id of [first.id, second.id]) {
    await ok(await step(app, desk.clerk, id, 'acceptance'))
    await ok(await step(app, desk.clerk, id, 'review'))
  }
  setClock(app, '2026-12-03T02:00:00.000Z') // Thu 3 Dec
  await ok(await step(app, desk.clerk, first.id, 'pauses', { kind: 'hearing', reason: '依申请举行听证', limitWorkingDays: 10 }))
  const paused = await ok(await step(app, desk.clerk, second.id, 'pauses', { kind: 'testing', reason: '产品检验', limitWorkingDays: 2 }))
  t.same(paused.clock, { dueAt: null, colour: null, workingDaysLeft: null, paused: true })
  setClock(app, '2026-12-08T02:00:00.000Z') // Tue 8 Dec
  const resumed = await ok(await step(app, desk.clerk, first.id, 'pauses/current/end'))
  t.equal(resumed.clock!.dueAt, '2026-12-10T16:00:00.000Z', 'Thu, Fri and Mon were paused: the due moves from Mon 7 to Thu 10 Dec')

  // the testing announced 2 working days (Thu, Fri): from Monday the clock runs although nobody ended it
  await fire(app, `case-pause-limit:${second.id}`)
  const running = await caseOf(app, desk.clerk, second.id)
  t.equal(running.clock!.paused, false)
  t.equal(running.clock!.dueAt, '2026-12-09T16:00:00.000Z', 'two working days added: Wed 9 Dec')
  t.equal(running.clock!.colour, 'yellow')
})
