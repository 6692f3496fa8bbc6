/**
 * The approvals pages through app.inject, as a browser without JavaScript uses them: an applicant
 * applies with material files and sees the query code once, follows the case and answers the one
 * correction notice; a clerk files for an applicant in person at a window; the clerk and the chief
 * representative handle the case by forms; the hall takes over a stalled sub-task of a joint case;
 * anyone with the receipt reads the progress and rates; the supervisor's dashboard and letters, the
 * department's rectification report. Another department's case does not exist for a clerk.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, supervisor } from '../factories/accounts.ts'
import { approvalsDesk, approve, delegatedItem, filed, filedAtWindow, ok, PDF, step } from '../factories/cases.ts'
import { createDepartment } from '../factories/departments.ts'
import { multipart, pageHeaders } from '../factories/fees-pages.ts'

/** A urlencoded form post's payload and headers (with the session cookie of `headers`). */
const form = (headers: Record<string, string>, fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
})

t.test('an applicant applies in the page, sees the query code once, and follows the case to its result', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const applicant = pageHeaders(app, desk.applicant)

  const page = await app.inject({ method: 'GET', url: `/apply/${item.code}`, headers: applicant })
  t.equal(page.statusCode, 200)
  t.match(page.body, /在线申请：食品经营许可（新办）/)
  t.match(page.body, /<input type="file" id="material-M1" name="M1" required/, 'one file input per material, named by its code')
  t.match(page.body, /name="majorProject" value="true"/, 'a promised item offers the major-project window')
  t.equal((await app.inject({ method: 'GET', url: `/apply/${item.code}` })).headers.location, `/login?next=${encodeURIComponent(`/apply/${item.code}`)}`, 'applying needs a sign-in')
  t.equal((await app.inject({ method: 'GET', url: '/apply/NO-SUCH', headers: applicant })).statusCode, 404)

  // a required material left out: the refusal names it, nothing is filed
  const incomplete = multipart({ itemId: item.id, request: '申请新办' }, { M1: PDF('M1'), M9: PDF('M9') })
  const refused = await app.inject({ method: 'POST', url: `/apply/${item.code}`, headers: { ...applicant, ...incomplete.headers }, payload: incomplete.payload })
  t.equal(refused.statusCode, 422)
  t.match(refused.body, /该事项没有这项材料/)
  t.match(refused.body, /申请新办/, 'the request text stays in the form')

  const body = multipart({ itemId: item.id, request: '申请新办食品经营许可证' }, { M1: PDF('M1'), M2: PDF('M2') })
  const done = await app.inject({ method: 'POST', url: `/apply/${item.code}`, headers: { ...applicant, ...body.headers }, payload: body.payload })
  t.equal(done.statusCode, 200)
  const number = /data-filed-number>([^<]+)</.exec(done.body)?.[1] ?? ''
  const queryCode = /data-query-code>([^<]+)</.exec(done.body)?.[1] ?? ''
  t.ok(number && queryCode, 'the case number and the query code are shown')
  t.match(done.body, /查询码只显示这一次/)
  t.equal(done.headers['cache-control'], 'no-store')
  const caseId = /href="\/my\/cases\/([0-9a-f-]{36})"/.exec(done.body)?.[1] ?? ''

  const mine = await app.inject({ method: 'GET', url: '/my/cases', headers: applicant })
  t.match(mine.body, new RegExp(`${number}[\\s\\S]*待受理`))
  const detail = await app.inject({ method: 'GET', url: `/my/cases/${caseId}`, headers: applicant })
  t.equal(detail.statusCode, 200)
  t.notMatch(detail.body, new RegExp(queryCode), 'the query code is never shown again')
  t.match(detail.body, /data-event="submitted"/)
  t.match(detail.body, /data-withdraw/, 'an open case can be withdrawn')
  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: `/my/cases/${caseId}`, headers: pageHeaders(app, stranger) })).statusCode, 404, 'someone else\'s case does not exist')

  // the public progress query: no sign-in, a POST keeps the code out of the address
  const query = await app.inject({ method: 'GET', url: `/progress?number=${number}` })
  t.equal(query.statusCode, 200)
  t.match(query.body, new RegExp(`name="number" required maxlength="60" value="${number}"`))
  const wrong = await app.inject({ method: 'POST', url: '/progress', ...form({}, { number, queryCode: 'ABCD-EFGH-JKLM' }) })
  t.equal(wrong.statusCode, 404)
  t.match(wrong.body, /办件编号或查询码不正确/)
  const progress = await app.inject({ method: 'POST', url: '/progress', ...form({}, { number, queryCode }) })
  t.equal(progress.statusCode, 200)
  t.match(progress.body, /data-state="submitted"/)
  t.notMatch(progress.body, /data-rating-form/, 'no rating before the case is closed')

  await approve(app, desk, caseId)
  const closed = await app.inject({ method: 'GET', url: `/my/cases/${caseId}`, headers: applicant })
  t.match(closed.body, /data-state="closed"/)
  t.match(closed.body, new RegExp(`href="/api/cases/${caseId}/documents/result"`), 'the result is there to download')
  t.match(closed.body, /data-document="acceptance"/)
  t.notMatch(closed.body, /data-withdraw/)
  const result = await app.inject({ method: 'GET', url: `/api/cases/${caseId}/documents/result`, headers: applicant })
  t.equal(result.headers['content-type'], 'application/pdf')

  const closedProgress = await app.inject({ method: 'POST', url: '/progress', ...form({}, { number, queryCode }) })
  t.match(closedProgress.body, /data-result-download/)
  t.match(closedProgress.body, /data-rating-form/)
  const pdf = await app.inject({ method: 'POST', url: '/progress/result', ...form({}, { number, queryCode }) })
  t.equal(pdf.statusCode, 200)
  t.equal(pdf.headers['content-type'], 'application/pdf')
  t.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-')
  const rated = await app.inject({ method: 'POST', url: '/progress/rating', ...form({}, { number, queryCode, level: '5', comment: '很快' }) })
  t.equal(rated.statusCode, 200)
  t.match(rated.body, /感谢您的评价/)
  t.notMatch(rated.body, /data-rating-form/, 'rated once')
  t.equal((await app.inject({ method: 'POST', url: '/progress/rating', ...form({}, { number, queryCode, level: '1' }) })).statusCode, 409)
})

t.test('the workbench: forms for every step, another department\'s case is 404, the supervisor\'s dashboard and letters', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县卫生健康局')
  const item = await delegatedItem(app, desk)
  const clerk = pageHeaders(app, desk.clerk)
  const chief = pageHeaders(app, desk.chief)
  const { case: filedCase } = await filed(app, desk.applicant, item.id)
  const caseId = filedCase.id
  // received at the window without the licence copy: for the correction notice
  const { case: incomplete } = await filedAtWindow(app, desk, item.id, ['M1'])

  const queue = await app.inject({ method: 'GET', url: '/workbench', headers: clerk })
  t.equal(queue.statusCode, 200)
  t.match(queue.body, new RegExp(`data-number="${filedCase.number}"`))
  t.notMatch((await app.inject({ method: 'GET', url: '/workbench', headers: pageHeaders(app, other.clerk) })).body, new RegExp(filedCase.number), 'the other department\'s queue does not list it')
  t.notMatch((await app.inject({ method: 'GET', url: '/workbench?state=review', headers: clerk })).body, new RegExp(filedCase.number), 'the state filter')
  t.equal((await app.inject({ method: 'GET', url: `/workbench/cases/${caseId}`, headers: pageHeaders(app, other.clerk) })).statusCode, 404, 'another department\'s case page does not exist')
  t.equal((await app.inject({ method: 'GET', url: '/workbench', headers: pageHeaders(app, desk.applicant) })).statusCode, 403)

  const page = await app.inject({ method: 'GET', url: `/workbench/cases/${incomplete.id}`, headers: clerk })
  t.equal(page.statusCode, 200)
  t.match(page.body, /data-missing-materials/)
  t.match(page.body, /<input type="checkbox" id="correction-material-M2" name="materials" value="M2" checked>/, 'the missing material is ticked for the notice')
  t.match(page.body, /data-material-file="M1"/, 'the handed-in file can be downloaded')

  const accepting = await app.inject({ method: 'POST', url: `/workbench/cases/${incomplete.id}/acceptance`, headers: clerk })
  t.equal(accepting.statusCode, 422)
  t.match(accepting.body, /必需材料不全/)
  t.match(accepting.body, /营业执照复印件/, 'the page names the missing material')

  // online both materials came; the licence copy is not legible, so the notice asks for it again
  const notice = await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/correction-notice`, ...form(clerk, { materials: 'M2', note: '营业执照复印件不清晰，请重新提交' }) })
  t.equal(notice.headers.location, `/workbench/cases/${caseId}?done=corrected`)

  // the applicant answers the notice in the page
  const applicant = pageHeaders(app, desk.applicant)
  t.match((await app.inject({ method: 'GET', url: `/my/cases/${caseId}`, headers: applicant })).body, /<input type="file" id="correction-M2" name="M2" required>/)
  const correction = multipart({}, { M2: PDF('M2') })
  const answered = await app.inject({ method: 'POST', url: `/my/cases/${caseId}/correction`, headers: { ...applicant, ...correction.headers }, payload: correction.payload })
  t.equal(answered.headers.location, `/my/cases/${caseId}?done=corrected`)

  t.equal((await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/acceptance`, headers: clerk })).headers.location, `/workbench/cases/${caseId}?done=accepted`)
  t.equal((await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/review`, headers: clerk })).headers.location, `/workbench/cases/${caseId}?done=review`)
  const paused = await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/pause`, ...form(clerk, { kind: 'testing', reason: '送检', limitWorkingDays: '3' }) })
  t.equal(paused.headers.location, `/workbench/cases/${caseId}?done=paused`)
  t.match((await app.inject({ method: 'GET', url: `/workbench/cases/${caseId}`, headers: clerk })).body, /data-clock="paused"/)
  t.equal((await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/pause-end`, headers: clerk })).headers.location, `/workbench/cases/${caseId}?done=resumed`)

  t.equal((await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/decision`, ...form(clerk, { decision: 'approve' }) })).statusCode, 403, 'a clerk does not decide')
  const denyWithout = await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/decision`, ...form(chief, { decision: 'deny', reasons: '' }) })
  t.equal(denyWithout.statusCode, 422)
  t.match(denyWithout.body, /不予许可必须说明理由/)
  const asked = await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/decision`, ...form(chief, { decision: 'approve', reasons: '' }) })
  t.match(asked.body, /data-confirm/, 'the decision is confirmed first (test/web/confirmations.test.ts)')
  t.equal((await app.inject({ method: 'POST', url: `/workbench/cases/${caseId}/decision`, ...form(chief, { decision: 'approve', reasons: '', confirm: '1' }) })).headers.location, `/workbench/cases/${caseId}?done=decided`)
  const decided = await app.inject({ method: 'GET', url: `/workbench/cases/${caseId}`, headers: clerk })
  t.match(decided.body, /id="seal-result"/, 'the department\'s clerk is offered the seal')
  t.match(decided.body, /src="\/assets\/bundles\/seal-result.js"/)
  const bundle = await app.inject({ method: 'GET', url: '/assets/bundles/seal-result.js' })
  t.equal(bundle.statusCode, 200)
  t.match(bundle.body, /result-draft/)

  // the supervisor: counts, a letter to the department; the department's official replies
  const watcher = await supervisor(app)
  const { case: waiting } = await filed(app, desk.applicant, item.id)
  const board = await app.inject({ method: 'GET', url: '/supervision', headers: pageHeaders(app, watcher) })
  t.equal(board.statusCode, 200)
  t.match(board.body, /data-rooms="\[&quot;supervision:hall&quot;\]"/)
  t.match(board.body, new RegExp(`data-row="${desk.department.id}"[\\s\\S]*?data-count="awaiting">2<`), 'two cases await acceptance in the department: this one and the one received incomplete')
  const letter = await app.inject({
    method: 'POST', url: '/supervision/letters', ...form(pageHeaders(app, watcher), { departmentId: desk.department.id, caseId: waiting.id, subject: '请尽快受理', body: '该件已提交，请按时受理。', replyWorkingDays: '3' })
  })
  t.equal(letter.headers.location, '/supervision?done=letter')
  const official = pageHeaders(app, desk.deptAdmin)
  const theirs = await app.inject({ method: 'GET', url: '/supervision', headers: official })
  t.match(theirs.body, new RegExp(`data-rooms="\\[&quot;supervision:dept:${desk.department.id}&quot;\\]"`), 'a department official watches the department\'s room')
  t.match(theirs.body, /请尽快受理/)
  const letterId = /action="\/supervision\/letters\/([0-9a-f-]{36})\/reply"/.exec(theirs.body)?.[1] ?? ''
  t.ok(letterId, 'the official is offered the reply form')
  t.notMatch(theirs.body, /id="letter-form"/, 'only supervisors issue letters')
  t.equal((await app.inject({ method: 'POST', url: `/supervision/letters/${letterId}/reply`, ...form(official, { reply: '已于当日受理。' }) })).headers.location, '/supervision?done=replied')
  t.match((await app.inject({ method: 'GET', url: '/supervision', headers: pageHeaders(app, watcher) })).body, /data-reply>已于当日受理。</)
  t.notMatch((await app.inject({ method: 'GET', url: '/supervision', headers: pageHeaders(app, other.deptAdmin) })).body, /请尽快受理/, 'another department does not see the letter')
})

t.test('a clerk files at the window for an applicant in person and sees the query code once', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县卫生健康局')
  const item = await delegatedItem(app, desk)
  const clerk = pageHeaders(app, desk.clerk)

  t.match((await app.inject({ method: 'GET', url: '/workbench', headers: clerk })).body, /href="\/workbench\/filing" role="button" data-filing-link/, 'the workbench links to window filing')
  const picker = await app.inject({ method: 'GET', url: '/workbench/filing', headers: clerk })
  t.equal(picker.statusCode, 200)
  t.match(picker.body, new RegExp(`<option value="${item.code}">`), 'the department\'s published item is offered')
  const unknown = await app.inject({ method: 'GET', url: '/workbench/filing?code=NO-SUCH', headers: clerk })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.body, /该事项不存在或未发布/)
  t.equal((await app.inject({ method: 'GET', url: '/workbench/filing', headers: pageHeaders(app, desk.applicant) })).statusCode, 403, 'an applicant files online, not at a window')

  const page = await app.inject({ method: 'GET', url: `/workbench/filing?code=${item.code.toLowerCase()}`, headers: clerk })
  t.equal(page.statusCode, 200)
  t.match(page.body, new RegExp(`<option value="${desk.window.id}"`), 'the clerk\'s department window receives it')
  t.match(page.body, /<input type="file" id="material-M1" name="M1">/, 'at a window a missing material is left for the correction notice')
  t.match((await app.inject({ method: 'GET', url: `/workbench/filing?code=${item.code}`, headers: pageHeaders(app, other.clerk) })).body, /data-no-window/, 'another department\'s clerk serves no window for it')

  const post = (headers: Record<string, string>, fields: Record<string, string>) => {
    const body = multipart({ windowId: desk.window.id, request: '现场申请新办食品经营许可证', ...fields }, { M1: PDF('M1'), M2: PDF('M2') })
    return app.inject({ method: 'POST', url: `/workbench/filing/${item.code}`, headers: { ...headers, ...body.headers }, payload: body.payload })
  }
  const bad = await post(clerk, { 'applicant.name': '王五', 'applicant.idNumber': '12345' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /id="filing-id-error" class="error field-error">请填写 15–18 位证件号码/, 'the ID number is refused beside its field')
  t.match(bad.body, /value="王五"/, 'what was typed stays in the form')
  const foreign = await post(pageHeaders(app, other.clerk), { 'applicant.name': '王五', 'applicant.idNumber': '11010119900307123x' })
  t.equal(foreign.statusCode, 422)
  t.match(foreign.body, /该窗口不受理此事项/, 'a window the clerk does not serve')
  t.same(await app.db.$client`select id from cases where item_id = ${item.id}`, [], 'nothing was filed by the refused forms')

  const done = await post(clerk, { 'applicant.name': '王五', 'applicant.idNumber': '11010119900307123x', 'applicant.phone': '13800000000' })
  t.equal(done.statusCode, 200)
  t.equal(done.headers['cache-control'], 'no-store')
  const number = /data-filed-number>([^<]+)</.exec(done.body)?.[1] ?? ''
  const queryCode = /data-query-code>([^<]+)</.exec(done.body)?.[1] ?? ''
  t.ok(number && queryCode, 'the case number and the query code are shown to print')
  t.match(done.body, /data-receipt-hint>[^<]*王五/)
  const caseId = /href="\/workbench\/cases\/([0-9a-f-]{36})" role="button" data-filed-link/.exec(done.body)?.[1] ?? ''
  t.ok(caseId, 'the clerk follows the case on the workbench')
  const [row] = await app.db.$client<Array<{ channel: string, window_id: string, applicant: { name: string, idNumber: string }, applicant_id: string | null }>>`select channel, window_id, applicant, applicant_id from cases where id = ${caseId}`
  t.match(row, { channel: 'window', window_id: desk.window.id, applicant: { name: '王五', idNumber: '11010119900307123X' }, applicant_id: null })
  const [audit] = await app.db.$client<Array<{ actor_id: string }>>`select actor_id from audit_entries where action = 'case.submitted' and subject_id = ${caseId}`
  t.equal(audit?.actor_id, desk.clerk.id, 'the audit names the clerk who filed')
  const caseView = await app.inject({ method: 'GET', url: `/workbench/cases/${caseId}`, headers: clerk })
  t.notMatch(caseView.body, new RegExp(queryCode), 'the query code is never shown again')
  t.match(caseView.body, /data-material-file="M2"/)
  const progress = await app.inject({ method: 'POST', url: '/progress', ...form({}, { number, queryCode }) })
  t.equal(progress.statusCode, 200, 'the applicant queries the progress with the receipt')
})

t.test('a joint case: the hall takes over a stalled department\'s sub-task and answers for it', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const env = await createDepartment(app, desk.admin.id, '县生态环境分局')
  const fire = await createDepartment(app, desk.admin.id, '县消防救援大队')
  const item = await delegatedItem(app, desk, { jointDepartments: [env.id] })
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  const hall = pageHeaders(app, desk.admin)
  const url = `/workbench/cases/${submitted.id}`

  const before = await app.inject({ method: 'GET', url, headers: hall })
  t.equal(before.statusCode, 200)
  t.match(before.body, new RegExp(`action="${url}/subtasks/${env.id}/takeover"`), 'the hall administrator is offered the take-over')
  t.notMatch(before.body, /data-form="subtask"/, 'the hall answers only after taking over')
  t.notMatch((await app.inject({ method: 'GET', url, headers: pageHeaders(app, desk.clerk) })).body, /data-form="takeover"/, 'a clerk does not coordinate')
  t.equal((await app.inject({ method: 'POST', url: `${url}/subtasks/${env.id}/takeover`, ...form(pageHeaders(app, desk.clerk), { reason: '超期' }) })).statusCode, 403)

  const noReason = await app.inject({ method: 'POST', url: `${url}/subtasks/${env.id}/takeover`, ...form(hall, { reason: '  ' }) })
  t.equal(noReason.statusCode, 400)
  t.match(noReason.body, /请填写接管理由/)
  const notPart = await app.inject({ method: 'POST', url: `${url}/subtasks/${fire.id}/takeover`, ...form(hall, { reason: '超期' }) })
  t.equal(notPart.statusCode, 404, 'a department without a sub-task in the case')
  t.match(notPart.body, /没有该部门的联办子任务/)

  const taken = await app.inject({ method: 'POST', url: `${url}/subtasks/${env.id}/takeover`, ...form(hall, { reason: '部门超期未反馈' }) })
  t.equal(taken.headers.location, `${url}?done=takenOver`)
  const [audit] = await app.db.$client<Array<{ actor_id: string, payload: { reason: string, departmentId: string } }>>`select actor_id, payload from audit_entries where action = 'case.subtask_taken_over' and subject_id = ${submitted.id}`
  t.match(audit, { actor_id: desk.admin.id, payload: { reason: '部门超期未反馈', departmentId: env.id } })
  const after = await app.inject({ method: 'GET', url: `${url}?done=takenOver`, headers: hall })
  t.match(after.body, /大厅已接管该子任务的协调/)
  t.notMatch(after.body, /data-form="takeover"/, 'taken over once')
  t.match(after.body, new RegExp(`action="${url}/subtasks/${env.id}/opinion" data-form="subtask" data-by-hall`), 'the hall\'s opinion form')
  t.equal((await app.inject({ method: 'POST', url: `${url}/subtasks/${env.id}/takeover`, ...form(hall, { reason: '再次' }) })).statusCode, 409)

  const answered = await app.inject({ method: 'POST', url: `${url}/subtasks/${env.id}/opinion`, ...form(hall, { agree: 'false', opinion: '环评未通过' }) })
  t.equal(answered.headers.location, `${url}?done=answered`)
  const [subtask] = await app.db.$client<Array<{ state: string, opinion: string, done_by: string }>>`select state, opinion, done_by from case_subtasks where case_id = ${submitted.id}`
  t.match(subtask, { state: 'declined', opinion: '环评未通过', done_by: desk.admin.id })
  t.match((await app.inject({ method: 'GET', url, headers: hall })).body, /data-event="subtask_taken_over"/)
})

t.test('a bad rating: the department reports its rectification on the supervision page', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县卫生健康局')
  const item = await delegatedItem(app, desk)
  const { case: submitted, queryCode } = await filed(app, desk.applicant, item.id)
  await approve(app, desk, submitted.id)
  const rated = await app.inject({ method: 'POST', url: '/progress/rating', ...form({}, { number: submitted.number, queryCode, level: '1', comment: '等待太久' }) })
  t.equal(rated.statusCode, 200)

  const official = pageHeaders(app, desk.deptAdmin)
  const board = await app.inject({ method: 'GET', url: '/supervision', headers: official })
  const rectificationId = /action="\/supervision\/rectifications\/([0-9a-f-]{36})\/report"/.exec(board.body)?.[1] ?? ''
  t.ok(rectificationId, 'the department\'s administrator is offered the report form')
  t.notMatch((await app.inject({ method: 'GET', url: '/supervision', headers: pageHeaders(app, await supervisor(app)) })).body, /data-form="rectification"/, 'a supervisor reads, the department reports')
  const reportUrl = `/supervision/rectifications/${rectificationId}/report`

  const foreign = await app.inject({ method: 'POST', url: reportUrl, ...form(pageHeaders(app, other.deptAdmin), { report: '已整改' }) })
  t.equal(foreign.statusCode, 404, 'another department\'s rectification does not exist')
  t.match(foreign.body, /整改事项不存在/)
  const empty = await app.inject({ method: 'POST', url: reportUrl, ...form(official, { report: ' ' }) })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /请填写整改情况/)

  t.equal((await app.inject({ method: 'POST', url: reportUrl, ...form(official, { report: '已优化审批流程，缩短等待时间' }) })).headers.location, '/supervision?done=reported')
  const [row] = await app.db.$client<Array<{ report: string, done_by: string }>>`select report, done_by from rectifications where id = ${rectificationId}`
  t.match(row, { report: '已优化审批流程，缩短等待时间', done_by: desk.deptAdmin.id })
  const [audit] = await app.db.$client<Array<{ actor_id: string }>>`select actor_id from audit_entries where action = 'rectification.reported' and subject_id = ${rectificationId}`
  t.equal(audit?.actor_id, desk.deptAdmin.id)
  const reported = await app.inject({ method: 'GET', url: '/supervision?done=reported', headers: official })
  t.match(reported.body, /data-report>已优化审批流程，缩短等待时间</)
  t.notMatch(reported.body, /data-form="rectification"/, 'reported once')
  t.equal((await app.inject({ method: 'POST', url: reportUrl, ...form(official, { report: '再报' }) })).statusCode, 409)
})
