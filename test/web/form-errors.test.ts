/**
 * Errors where they happen: every approvals, refund and tender-cancel form posted with bad input
 * comes back with the error summary at the top linking to the field, the message beside the field,
 * the field marked (aria-invalid, aria-describedby naming the message), what was typed kept, and
 * everything in plain Chinese (no code, no schema message, no status number).
 */
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helper.ts'
import { hallAdmin, supervisor, createUser } from '../factories/accounts.ts'
import { approvalsDesk, approve, delegatedItem, filed, ok, PDF, step } from '../factories/cases.ts'
import { createDepartment } from '../factories/departments.ts'
import { multipart, pageHeaders, payAtWindow } from '../factories/fees-pages.ts'
import { approvedFee, cashier, feeDesk, issueNotice } from '../factories/fees.ts'
import { leaksIn } from './plain-words.ts'

/** A urlencoded form post's payload and headers (with the session cookie of `headers`). */
const form = (headers: Record<string, string>, fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) params.append(name, one)
  return { payload: params.toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The refusal of one field, as the page must show it: in the summary, beside the field, on the field. */
function fieldError (t: Test, response: LightMyRequestResponse, id: string, message: string | RegExp) {
  const words = typeof message === 'string' ? escape(message) : message.source
  const body = response.body
  t.match(body, new RegExp(`data-error-summary[\\s\\S]*<a href="#${escape(id)}">${words}</a>`), `${id}: the summary links to the field`)
  t.match(body, new RegExp(`<p id="${escape(id)}-error" class="error field-error">${words}</p>`), `${id}: the message beside the field`)
  const element = new RegExp(`<(?:input|textarea|select|fieldset)[^>]*\\bid="${escape(id)}"[^>]*>|<fieldset[^>]*aria-describedby="[^"]*${escape(id)}-error[^"]*"[^>]*>`).exec(body)?.[0] ?? ''
  t.match(element, /aria-invalid="true"/, `${id}: marked invalid`)
  t.match(element, new RegExp(`aria-describedby="[^"]*\\b${escape(id)}-error\\b`), `${id}: described by its message`)
}

function plain (t: Test, response: LightMyRequestResponse) {
  t.same(leaksIn(response.body), [], 'in plain Chinese')
}

t.test('the applicant\'s forms: apply online, answer the correction notice, the progress query and the rating', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const applicant = pageHeaders(app, desk.applicant)
  const apply = (fields: Record<string, string>, files: Record<string, ReturnType<typeof PDF>>) => {
    const body = multipart({ itemId: item.id, ...fields }, files)
    return app.inject({ method: 'POST', url: `/apply/${item.code}`, headers: { ...applicant, ...body.headers }, payload: body.payload })
  }

  const both = await apply({ request: '' }, { M1: PDF('M1') })
  t.equal(both.statusCode, 422)
  fieldError(t, both, 'apply-request', '请填写申请内容（不超过 4000 字）。')
  fieldError(t, both, 'material-M2', '请上传「营业执照复印件」，这是必需材料。')
  t.notMatch(both.body, /id="material-M1-error"/, 'the material handed in is not at fault')
  t.match(both.body, /data-reselect/, 'the page says the chosen files must be chosen again')
  plain(t, both)
  const kept = await apply({ request: '申请新办小餐馆', majorProject: 'true' }, { M1: PDF('M1') })
  t.equal(kept.statusCode, 422)
  t.match(kept.body, /<textarea id="apply-request"[^>]*>申请新办小餐馆<\/textarea>/, 'the request text is kept')
  t.match(kept.body, /name="majorProject" value="true" checked/, 'and the ticked box')
  t.notMatch(kept.body, /id="apply-request-error"/)
  t.same(await app.db.$client`select id from cases`, [], 'nothing was filed')

  // the correction notice asks again for the licence copy; the answer leaves it out
  const { case: submitted, queryCode } = await filed(app, desk.applicant, item.id)
  await ok(await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2'], note: '复印件不清晰' }))
  const empty = multipart({}, {})
  const unanswered = await app.inject({ method: 'POST', url: `/my/cases/${submitted.id}/correction`, headers: { ...applicant, ...empty.headers }, payload: empty.payload })
  t.equal(unanswered.statusCode, 422)
  fieldError(t, unanswered, 'correction-M2', '请上传「营业执照复印件」，这是必需材料。')
  plain(t, unanswered)

  const blank = await app.inject({ method: 'POST', url: '/progress', ...form({}, { number: '', queryCode: '' }) })
  t.equal(blank.statusCode, 400)
  fieldError(t, blank, 'progress-number', '请填写办件编号。')
  fieldError(t, blank, 'progress-code', '请填写查询码。')
  const wrong = await app.inject({ method: 'POST', url: '/progress', ...form({}, { number: submitted.number, queryCode: 'ABCD-EFGH-JKLM' }) })
  t.equal(wrong.statusCode, 404)
  fieldError(t, wrong, 'progress-code', '办件编号或查询码不正确。')
  t.match(wrong.body, new RegExp(`id="progress-number"[^>]*value="${submitted.number}"`), 'the number is kept')
  plain(t, wrong)
  t.equal((await app.inject({ method: 'POST', url: '/progress', ...form({}, { number: submitted.number, queryCode }) })).statusCode, 200, 'with both the case is found')
})

t.test('the rating form keeps the comment and names the missing level', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: submitted, queryCode } = await filed(app, desk.applicant, item.id)
  await approve(app, desk, submitted.id)
  const unrated = await app.inject({ method: 'POST', url: '/progress/rating', ...form({}, { number: submitted.number, queryCode, comment: '窗口很耐心' }) })
  t.equal(unrated.statusCode, 400)
  fieldError(t, unrated, 'rating-level', '请选择一个评价等级。')
  t.match(unrated.body, /<textarea id="rating-comment"[^>]*>窗口很耐心<\/textarea>/)
  plain(t, unrated)
})

t.test('the clerk\'s forms: filing at a window, refusal, the correction notice, a pause; joint sub-tasks', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const env = await createDepartment(app, desk.admin.id, '县生态环境分局')
  const item = await delegatedItem(app, desk, { jointDepartments: [env.id] })
  const clerk = pageHeaders(app, desk.clerk)

  const body = multipart({ windowId: '', 'applicant.name': '', 'applicant.idNumber': '12345', 'applicant.phone': '电话', request: '现场申请' }, { M1: PDF('M1') })
  const filing = await app.inject({ method: 'POST', url: `/workbench/filing/${item.code}`, headers: { ...clerk, ...body.headers }, payload: body.payload })
  t.equal(filing.statusCode, 400)
  fieldError(t, filing, 'filing-window', '请选择收件窗口。')
  fieldError(t, filing, 'filing-name', '请填写申请人姓名或名称（不超过 200 字）。')
  fieldError(t, filing, 'filing-id', '请填写 15–18 位证件号码，只含数字和字母。')
  fieldError(t, filing, 'filing-phone', '联系电话只能包含数字、空格、加号和连字符，5–20 位。')
  t.match(filing.body, /id="filing-id"[^>]*value="12345"/, 'what was typed is kept')
  t.match(filing.body, /<textarea id="filing-request"[^>]*>现场申请<\/textarea>/)
  t.match(filing.body, /id="filing-id"[^>]*aria-describedby="filing-id-hint filing-id-error"/, 'the hint and the message both describe the field')
  plain(t, filing)

  const { case: submitted } = await filed(app, desk.applicant, item.id)
  const caseUrl = `/workbench/cases/${submitted.id}`
  const refusal = await app.inject({ method: 'POST', url: `${caseUrl}/refusal`, ...form(clerk, { reasons: '   ' }) })
  t.equal(refusal.statusCode, 422)
  fieldError(t, refusal, 'refusal-reasons', '不予受理必须说明理由。')
  t.match(refusal.body, /<details open>\s*<summary>不予受理<\/summary>/, 'the refusal form is open at its field')
  plain(t, refusal)

  const unticked = await app.inject({ method: 'POST', url: `${caseUrl}/correction-notice`, ...form(clerk, { note: '请补交材料' }) })
  t.equal(unticked.statusCode, 400)
  fieldError(t, unticked, 'correction-materials', '请勾选需要补正的材料。')
  t.match(unticked.body, /<textarea id="correction-note"[^>]*>请补交材料<\/textarea>/)
  const unknown = await app.inject({ method: 'POST', url: `${caseUrl}/correction-notice`, ...form(clerk, { materials: ['X9'], note: '' }) })
  t.equal(unknown.statusCode, 422)
  fieldError(t, unknown, 'correction-materials', '所列材料不在该事项的材料清单内。')

  await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  const pause = await app.inject({ method: 'POST', url: `${caseUrl}/pause`, ...form(clerk, { kind: 'testing', reason: '', limitWorkingDays: '0' }) })
  t.equal(pause.statusCode, 422)
  fieldError(t, pause, 'pause-reason', '暂停计时必须说明理由。')
  fieldError(t, pause, 'pause-limit', '特别程序须告知期限：至少 1 个工作日。')
  t.match(pause.body, /<option value="testing" selected>/, 'the procedure chosen is kept')
  plain(t, pause)

  const envClerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: env.id }] })
  const opinion = await app.inject({ method: 'POST', url: `${caseUrl}/subtasks/${env.id}/opinion`, ...form(pageHeaders(app, envClerk), { agree: 'true', opinion: ' ' }) })
  t.equal(opinion.statusCode, 400)
  fieldError(t, opinion, `opinion-${env.id}`, '请填写意见。')
  const admin = await hallAdmin(app)
  const takeover = await app.inject({ method: 'POST', url: `${caseUrl}/subtasks/${env.id}/takeover`, ...form(pageHeaders(app, admin), { reason: '' }) })
  t.equal(takeover.statusCode, 400)
  fieldError(t, takeover, `takeover-${env.id}`, '请填写接管理由。')
  t.match(takeover.body, /id="takeover-[^"]+"[^>]*aria-describedby="takeover-[^"]+-hint takeover-[^"]+-error"/)
  plain(t, takeover)
})

t.test('the supervisor\'s letter and the department\'s reply', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const watcher = pageHeaders(app, await supervisor(app))
  const letter = await app.inject({ method: 'POST', url: '/supervision/letters', ...form(watcher, { departmentId: desk.department.id, subject: '', body: '  ', replyWorkingDays: '0' }) })
  t.equal(letter.statusCode, 400)
  fieldError(t, letter, 'letter-days', '回复期限应为 1 至 30 个工作日。')
  fieldError(t, letter, 'letter-subject', '请填写督办事由。')
  fieldError(t, letter, 'letter-body', '请填写督办内容。')
  t.match(letter.body, new RegExp(`<option value="${desk.department.id}" selected>`), 'the department chosen is kept')
  t.match(letter.body, /id="letter-days"[^>]*value="0"/)
  plain(t, letter)

  const sent = await app.inject({ method: 'POST', url: '/supervision/letters', ...form(watcher, { departmentId: desk.department.id, subject: '请尽快受理', body: '按时受理。', replyWorkingDays: '3' }) })
  t.equal(sent.headers.location, '/supervision?done=letter')
  const official = pageHeaders(app, desk.deptAdmin)
  const letterId = /action="\/supervision\/letters\/([0-9a-f-]{36})\/reply"/.exec((await app.inject({ method: 'GET', url: '/supervision', headers: official })).body)?.[1] ?? ''
  const reply = await app.inject({ method: 'POST', url: `/supervision/letters/${letterId}/reply`, ...form(official, { reply: ' ' }) })
  t.equal(reply.statusCode, 400)
  fieldError(t, reply, `reply-${letterId}`, '请填写回复内容。')
  plain(t, reply)
})

t.test('recording a refund: each field refused beside itself, what was typed kept', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const deposit = await approvedFee(app, desk, { code: 'BZJ-01', category: 'deposit', version: { name: '投标保证金', amountFen: 500000, refundWorkingDays: 5 } })
  const teller = await cashier(app)
  const headers = pageHeaders(app, teller)
  const payer = '6222 0202 0011 2233 445'
  const bond = await payAtWindow(app, teller, { code: 'simbank' }, await issueNotice(app, desk.proposer, { purpose: 'bid_bond', lines: [{ code: deposit.code }] }), payer)
  const refundId = (await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: bond.id, trigger: 'award_notice', triggeredAt: new Date().toISOString(), reason: '未中标' } })).json().id
  const url = `/finance/refunds/${refundId}/payment`

  const bad = await app.inject({ method: 'POST', url, headers, payload: { bankCode: 'nobank', bankTxnId: '流水 1', toAccountNo: '6222 9999 0000' } })
  t.equal(bad.statusCode, 422)
  fieldError(t, bad, `refund-bank-${refundId}`, '请选择汇出退款的银行。')
  fieldError(t, bad, `refund-txn-${refundId}`, /请填写银行流水号（字母、数字及 _ \. : -，不超过 64 位）。/)
  fieldError(t, bad, `refund-account-${refundId}`, '保证金只能退回原缴款账户，请核对退回账号。')
  t.match(bad.body, /id="refund-txn-[^"]+"[^>]*value="流水 1"/, 'what was typed is kept')
  t.match(bad.body, /id="refund-account-[^"]+"[^>]*value="6222 9999 0000"/)
  t.match(bad.body, new RegExp(`id="refund-account-${refundId}"[^>]*aria-describedby="refund-account-hint-${refundId} refund-account-${refundId}-error"`))
  plain(t, bad)
  t.equal((await app.inject({ method: 'GET', url: `/api/refunds/${refundId}`, headers: teller.headers })).json().status, 'pending', 'nothing recorded')
})
