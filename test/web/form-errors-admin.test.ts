/**
 * Errors where they happen on the administration and account pages: accounts and roles,
 * departments and windows, a calendar day, delegations, trusted CAs, one's certificates, signing
 * in, the password, the demo bank. Bad input, including input whose browser check was bypassed
 * (too long, not the pattern), comes back with the error summary linking to the field, the
 * message beside the field, the field marked (aria-invalid, aria-describedby naming the
 * message), what was typed kept (never a password), in plain Chinese; a refusal that belongs to
 * no field is listed in the summary alone. Nothing is written.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin, TEST_PASSWORD } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, setClock } from '../factories/cases.ts'
import { createDepartment } from '../factories/departments.ts'
import { otherValidCode, pageHeaders } from '../factories/fees-pages.ts'
import { approvedFee, cashier, feeDesk, issueNotice } from '../factories/fees.ts'
import { leaksIn } from './plain-words.ts'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A urlencoded form post, as a browser sends it (with the session cookie of `headers`). */
function post (app: FastifyInstance, url: string, headers: Record<string, string>, fields: Record<string, string | string[]> = {}) {
  const payload = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) payload.append(name, one)
  return app.inject({ method: 'POST', url, payload: payload.toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } })
}

/** The refusal of one field: in the summary, beside the field, on the field (or its fieldset). */
function fieldError (t: Test, response: LightMyRequestResponse, id: string, message: string) {
  const body = response.body
  t.match(body, new RegExp(`data-error-summary[\\s\\S]*<a href="#${escape(id)}">${escape(message)}</a>`), `${id}: the summary links to the field`)
  t.match(body, new RegExp(`<p id="${escape(id)}-error" class="error field-error">${escape(message)}</p>`), `${id}: the message beside the field`)
  const element = new RegExp(`<fieldset[^>]*aria-describedby="${escape(id)}-error"[^>]*>|<(?:input|textarea|select)[^>]*\\bid="${escape(id)}"[^>]*>`).exec(body)?.[0] ?? ''
  t.match(element, /aria-invalid="true"/, `${id}: marked invalid`)
  t.match(element, new RegExp(`aria-describedby="[^"]*\\b${escape(id)}-error\\b`), `${id}: described by its message`)
}

/** A refusal of no field: in the summary, linking nowhere. */
function summaryOnly (t: Test, response: LightMyRequestResponse, message: string) {
  t.match(response.body, new RegExp(`data-error-summary[\\s\\S]*<li>${escape(message)}</li>`), 'the summary says it')
  t.notMatch(response.body, /class="error field-error"/, 'beside no field')
}

function plain (t: Test, response: LightMyRequestResponse) {
  t.same(leaksIn(response.body), [], 'in plain Chinese')
}

const count = async (app: FastifyInstance, table: string) => (await app.db.$client.unsafe(`select count(*)::int as n from ${table}`))[0]!.n as number

t.test('accounts: creating one, granting a role, disabling the last administrator, the search box', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const headers = pageHeaders(app, admin)
  const department = await createDepartment(app, admin.id)
  const accounts = await count(app, 'accounts')

  const bad = await post(app, '/admin/accounts', headers, { kind: 'organisation', username: 'Wang Wu', displayName: ' ', creditCode: 'abc', role: 'clerk', scope: 'hall' })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, 'username', '请填写用户名：以小写字母开头，3–64 位，只含小写字母、数字和 _ . -。')
  fieldError(t, bad, 'displayName', '请填写姓名或单位名称（不超过 100 字）。')
  fieldError(t, bad, 'creditCode', '统一社会信用代码应为 18 位数字或大写字母，请核对后重新填写。')
  fieldError(t, bad, 'scope', '「窗口人员」只能在以下范围授予：部门、窗口。请重新选择范围。')
  t.match(bad.body, /id="username"[^>]*value="Wang Wu"/, 'what was typed is kept')
  t.match(bad.body, /id="creditCode"[^>]*value="abc"/)
  t.match(bad.body, /<option value="organisation" selected>/, 'and what was chosen')
  t.match(bad.body, /<option value="clerk" selected>/)
  t.match(bad.body, /id="username"[^>]*aria-describedby="username-hint username-error"/, 'the hint and the message both describe the field')
  t.match(bad.body, /<details open>\s*<summary role="button" class="secondary">新建账户/, 'the form is open at its fields')
  plain(t, bad)

  // past the browser's maxlength and pattern: the same words, not an error page
  const long = await post(app, '/admin/accounts', headers, { kind: 'person', username: 'li.si', displayName: '李'.repeat(101), creditCode: '91330100MA2A0B1C2D', role: '', scope: 'hall' })
  t.equal(long.statusCode, 400)
  fieldError(t, long, 'displayName', '请填写姓名或单位名称（不超过 100 字）。')
  fieldError(t, long, 'creditCode', '个人账户不填统一社会信用代码：请清空该栏，或把类型改为单位。')
  t.match(long.body, /id="username"[^>]*value="li\.si"/)
  plain(t, long)

  const taken = await post(app, '/admin/accounts', headers, { kind: 'person', username: admin.username, displayName: '同名', creditCode: '', role: '', scope: 'hall' })
  t.equal(taken.statusCode, 409)
  fieldError(t, taken, 'username', '该用户名已被使用，请换一个。')
  t.match(taken.body, /id="displayName"[^>]*value="同名"/)
  plain(t, taken)
  t.equal(await count(app, 'accounts'), accounts, 'no account was created')

  const search = await app.inject({ method: 'GET', url: `/admin/accounts?q=${'张'.repeat(101)}`, headers })
  t.equal(search.statusCode, 400)
  fieldError(t, search, 'accounts-q', '查询内容不超过 100 字，请缩短后再查。')
  plain(t, search)

  const clerk = await createUser(app)
  const url = `/admin/accounts/${clerk.id}`
  const none = await post(app, `${url}/grants`, headers, { role: '', scope: 'hall' })
  t.equal(none.statusCode, 400)
  fieldError(t, none, 'role', '请从列表中选择要授予的角色。')
  plain(t, none)
  const nowhere = await post(app, `${url}/grants`, headers, { role: 'clerk', scope: 'department:00000000-0000-4000-8000-000000000000' })
  t.equal(nowhere.statusCode, 404)
  fieldError(t, nowhere, 'scope', '所选的部门或窗口已不存在，请重新选择范围。')
  const granted = await post(app, `${url}/grants`, headers, { role: 'clerk', scope: `department:${department.id}` })
  t.equal(granted.headers.location, url)
  const twice = await post(app, `${url}/grants`, headers, { role: 'clerk', scope: `department:${department.id}` })
  t.equal(twice.statusCode, 409)
  fieldError(t, twice, 'role', '该账户已在此范围拥有此角色，无需再授予。')
  t.match(twice.body, new RegExp(`<option value="department:${department.id}" selected>`), 'the scope chosen is kept')
  plain(t, twice)

  const last = await post(app, `/admin/accounts/${admin.id}/status`, headers, { status: 'disabled', confirm: '1' })
  t.equal(last.statusCode, 409)
  summaryOnly(t, last, '大厅必须保留至少一名有效的管理员：请先为另一个账户授予大厅管理员角色，再停用此账户或撤销此角色。')
  plain(t, last)
  t.equal((await app.services.accounts.getAccount(admin.id)).status, 'active')
})

t.test('departments and windows, and a day of the calendar', async (t) => {
  const { app } = await buildTestApp(t)
  setClock(app, '2026-03-02T01:00:00.000Z')
  const admin = await hallAdmin(app)
  const headers = pageHeaders(app, admin)
  const existing = await createDepartment(app, admin.id)

  const department = await post(app, '/admin/departments', headers, { code: '市监 局', name: '', nameEn: 'x'.repeat(101) })
  t.equal(department.statusCode, 400)
  fieldError(t, department, 'department-code', '请填写代码：以字母或数字开头，只含字母、数字、_ 和 -，不超过 32 位。')
  fieldError(t, department, 'department-name', '请填写名称（不超过 100 字）。')
  fieldError(t, department, 'department-name-en', '英文名称不超过 100 个字符，请缩短。')
  t.match(department.body, /id="department-code"[^>]*value="市监 局"/)
  t.match(department.body, /<details open>\s*<summary role="button" class="secondary">新建部门/)
  plain(t, department)
  const taken = await post(app, '/admin/departments', headers, { code: existing.code, name: '县市场监管局', nameEn: '' })
  t.equal(taken.statusCode, 409)
  fieldError(t, taken, 'department-code', '该代码已被使用，请换一个。')
  t.match(taken.body, /id="department-name"[^>]*value="县市场监管局"/)

  const windows = await count(app, 'windows')
  const orphan = await post(app, '/admin/windows', headers, { code: 'W1', name: '一号窗口', kind: 'department', departmentId: '' })
  t.equal(orphan.statusCode, 400)
  fieldError(t, orphan, 'window-department', '部门窗口须选择所属部门。')
  t.match(orphan.body, /id="window-name"[^>]*value="一号窗口"/)
  t.match(orphan.body, /<details open>\s*<summary role="button" class="secondary">新建窗口/, 'the window form is open, the department form is not')
  t.notMatch(orphan.body, /<details open>\s*<summary role="button" class="secondary">新建部门/)
  plain(t, orphan)
  const owned = await post(app, '/admin/windows', headers, { code: 'W2', name: '代办窗口', kind: 'agency', departmentId: existing.id })
  t.equal(owned.statusCode, 400)
  fieldError(t, owned, 'window-department', '综合代理窗口属于大厅，所属部门请选“大厅（不属于部门）”。')
  t.match(owned.body, /<option value="agency" selected>/)
  t.match(owned.body, new RegExp(`<option value="${existing.id}" selected>`))
  t.equal(await count(app, 'windows'), windows, 'no window was opened')

  const day = await post(app, '/admin/calendar', headers, { date: '', kind: 'holiday', name: '' })
  t.equal(day.statusCode, 400)
  fieldError(t, day, 'calendar-date', '请选择日期。')
  fieldError(t, day, 'calendar-name', '请填写名称（不超过 60 字），例如“国庆节”。')
  plain(t, day)
  // a make-up workday on a Monday changes nothing
  const monday = await post(app, '/admin/calendar', headers, { date: '2026-03-09', kind: 'workday', name: '调休' })
  t.equal(monday.statusCode, 400)
  fieldError(t, monday, 'calendar-date', '调休工作日只能是周六或周日，这一天本来就是工作日。请核对日期，或改选节假日。')
  t.match(monday.body, /id="calendar-date"[^>]*value="2026-03-09"/)
  t.match(monday.body, /<option value="workday" selected>/)
  t.match(monday.body, /id="calendar-name"[^>]*value="调休"/)
  plain(t, monday)
  const absent = await post(app, '/admin/calendar/2026-03-09/remove', headers)
  t.equal(absent.statusCode, 404)
  summaryOnly(t, absent, '该日没有登记节假日或调休工作日。')
})

t.test('a delegation: every field beside itself, the service\'s rules before it is asked', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  setClock(app, '2026-03-02T01:00:00.000Z') // Mon 2 Mar, 09:00 in the hall
  const headers = pageHeaders(app, desk.admin)
  const url = `/admin/departments/${desk.department.id}/delegations`
  const recorded = await count(app, 'delegations')

  const empty = await post(app, url, headers, { chiefRepId: '', itemCodes: ' ', reference: '', validFrom: '明天', validUntil: '' })
  t.equal(empty.statusCode, 400)
  fieldError(t, empty, 'delegation-chief', '该账户不是本部门在职的首席代表，请从列表中选择。')
  fieldError(t, empty, 'delegation-reference', '请填写授权书文号（不超过 100 字）。')
  fieldError(t, empty, 'delegation-items', '请填写授权事项编码，多个编码用逗号分隔。')
  fieldError(t, empty, 'delegation-decisions', '请至少勾选一项授权决定。')
  fieldError(t, empty, 'delegation-from', '请按“年-月-日 时:分”填写生效时间，或留空立即生效。')
  t.match(empty.body, /id="delegation-items"[^>]*aria-describedby="delegation-items-hint delegation-items-error"/)
  t.notMatch(empty.body, /type="checkbox"[^>]*checked/, 'the decisions left unticked stay unticked')
  plain(t, empty)

  const valid = { chiefRepId: desk.chief.id, itemCodes: `${item.code}, no-such, x`, decisions: ['deny'], reference: '市监授〔2026〕5号', validFrom: '2026-03-01T09:00', validUntil: '' }
  const rules = await post(app, url, headers, valid)
  t.equal(rules.statusCode, 400)
  fieldError(t, rules, 'delegation-items', '事项编码只含大写字母、数字和连字符（2–32 位），请改正：X。')
  fieldError(t, rules, 'delegation-from', '授权不能早于登记时间生效：请把生效时间改为现在或以后，或留空立即生效。')
  t.match(rules.body, /id="delegation-items"[^>]*value="[^"]*, no-such, x"/, 'the codes typed are kept as typed')
  t.match(rules.body, /value="deny" checked/)
  t.notMatch(rules.body, /value="approve" checked/)
  const unknown = await post(app, url, headers, { ...valid, itemCodes: `${item.code}, no-such`, validFrom: '' })
  t.equal(unknown.statusCode, 422)
  fieldError(t, unknown, 'delegation-items', '本部门没有所列的事项编码：NO-SUCH。请核对，只填写本部门的事项。')
  plain(t, unknown)
  const long = await post(app, url, headers, { ...valid, itemCodes: item.code, validFrom: '', reference: '文'.repeat(101) })
  t.equal(long.statusCode, 400, 'a reference past the browser\'s maxlength is refused in place')
  fieldError(t, long, 'delegation-reference', '请填写授权书文号（不超过 100 字）。')
  t.equal(await count(app, 'delegations'), recorded, 'nothing was recorded')
})

t.test('trusted CAs, one\'s certificates and the throttles: each paste beside its field', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = pageHeaders(app, await hallAdmin(app))

  const empty = await post(app, '/admin/trust', admin, { certificate: '  ', role: 'root' })
  t.equal(empty.statusCode, 400)
  fieldError(t, empty, 'certificate', '请粘贴 CA 证书（PEM 格式）。')
  plain(t, empty)
  const text = await post(app, '/admin/trust', admin, { certificate: '这不是证书', role: 'intermediate' })
  t.equal(text.statusCode, 400)
  fieldError(t, text, 'certificate', '请粘贴 PEM 格式的 CA 证书，包括开头和结尾的标记行。')
  t.match(text.body, /<textarea id="certificate"[^>]*>这不是证书<\/textarea>/, 'what was pasted is kept')
  t.match(text.body, /<option value="intermediate" selected>/)
  plain(t, text)
  const crl = await post(app, '/admin/trust/crl', admin, { crl: '' })
  t.equal(crl.statusCode, 400)
  fieldError(t, crl, 'crl', '请粘贴吊销列表（PEM 或 Base64 格式）。')
  t.notMatch(crl.body, /id="certificate-error"/, 'the other form is not at fault')
  const lifted = await post(app, '/admin/sign-in-throttles/00000000-0000-4000-8000-000000000000/lift', admin)
  t.equal(lifted.statusCode, 404)
  summaryOnly(t, lifted, '该登录限制已解除或已过期。')
  plain(t, lifted)

  const bidder = pageHeaders(app, await createUser(app, { grants: [{ role: 'bidder', scopeType: 'hall' }] }))
  const csr = await post(app, '/account/certificates', bidder, { csr: '', profile: 'person' })
  t.equal(csr.statusCode, 400)
  fieldError(t, csr, 'csr', '请粘贴证书请求（CSR，PEM 格式）。')
  t.match(csr.body, /<details open>/, 'the request form is open at its field')
  plain(t, csr)
  const notPem = await post(app, '/account/certificates', bidder, { csr: 'not a csr', profile: 'seal' })
  t.equal(notPem.statusCode, 400)
  fieldError(t, notPem, 'profile', '请从列表中选择证书类型。')
  const wrong = await post(app, '/account/certificates', bidder, { csr: 'not a csr', profile: 'person' })
  t.equal(wrong.statusCode, 400)
  fieldError(t, wrong, 'csr', '请粘贴 PEM 格式的内容。')
  t.match(wrong.body, /<textarea id="csr"[^>]*>not a csr<\/textarea>/)
  const gone = await post(app, '/account/certificates/00000000-0000-4000-8000-000000000000/revoke', bidder)
  t.equal(gone.statusCode, 404)
  summaryOnly(t, gone, '该证书不存在，或已经吊销；下表是您现在的证书。')
  t.equal(await count(app, 'certificates'), 0, 'nothing was issued')
})

t.test('signing in, the password, the inbox and the sessions: passwords are never sent back', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createUser(app, { username: 'li.clerk' })

  const blank = await post(app, '/login', {}, { username: '', password: '', next: '/' })
  t.equal(blank.statusCode, 400)
  fieldError(t, blank, 'username', '请填写用户名。')
  fieldError(t, blank, 'password', '请填写密码。')
  plain(t, blank)
  const wrong = await post(app, '/login', {}, { username: 'li.clerk', password: 'Not-the-password-1', next: '/' })
  t.equal(wrong.statusCode, 401)
  fieldError(t, wrong, 'password', '用户名或密码不正确，请核对后重新输入密码。')
  t.match(wrong.body, /id="username"[^>]*value="li\.clerk"/, 'the name is kept')
  t.notMatch(wrong.body, /Not-the-password-1/, 'the password is not')
  plain(t, wrong)
  const long = await post(app, '/login', {}, { username: 'l'.repeat(65), password: TEST_PASSWORD })
  t.equal(long.statusCode, 400)
  fieldError(t, long, 'username', '用户名不超过 64 个字符，请核对。')

  const headers = pageHeaders(app, user)
  const weak = await post(app, '/account/password', headers, { currentPassword: '', newPassword: 'short' })
  t.equal(weak.statusCode, 400)
  fieldError(t, weak, 'currentPassword', '请填写当前密码。')
  fieldError(t, weak, 'newPassword', '请设置新密码：至少 12 个字符，包含小写字母、大写字母、数字、符号中的至少三类。')
  t.match(weak.body, /id="newPassword"[^>]*aria-describedby="password-rule newPassword-error"/)
  t.notMatch(weak.body, /value="short"/, 'no password comes back')
  plain(t, weak)
  const notCurrent = await post(app, '/account/password', headers, { currentPassword: 'Wrong-Horse-9-Battery', newPassword: 'A-brand-new-passw0rd' })
  t.equal(notCurrent.statusCode, 400)
  fieldError(t, notCurrent, 'currentPassword', '当前密码不正确，请重新输入。')
  t.notMatch(notCurrent.body, /A-brand-new-passw0rd|Wrong-Horse/)
  const same = await post(app, '/account/password', headers, { currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD })
  t.equal(same.statusCode, 400)
  fieldError(t, same, 'newPassword', '新密码不能与当前密码相同，请另设一个。')
  plain(t, same)

  const message = await post(app, '/messages/00000000-0000-4000-8000-000000000000/read', headers)
  t.equal(message.statusCode, 404)
  summaryOnly(t, message, '找不到该消息。')
  plain(t, message)
  const session = await post(app, '/account/sessions/00000000-0000-4000-8000-000000000000/revoke', headers)
  t.equal(session.statusCode, 404)
  summaryOnly(t, session, '该会话已经结束，下表是现在的会话。')
  plain(t, session)
})

t.test('the demo bank: paying, transferring and the statement day', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })

  const bad = await post(app, '/simulated-bank/payments', {}, { paymentCode: notice.code.slice(0, 19), payerAccountNo: '12', payerAccountName: '', delivery: 'normal' })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, 'simbank-code', '这不是有效的缴款码：应为 20 位数字且校验位正确，请核对是否输错。')
  fieldError(t, bad, 'simbank-account', '请填写付款账号（4–40 位数字或字母，可含空格和连字符）。')
  fieldError(t, bad, 'simbank-name', '请填写户名（不超过 200 字）。')
  t.match(bad.body, /id="simbank-account"[^>]*value="12"/)
  plain(t, bad)
  const unknown = await post(app, '/simulated-bank/payments', {}, { paymentCode: otherValidCode(notice.code), payerAccountNo: '6222 0000 1111', payerAccountName: '张三', delivery: 'lost' })
  t.equal(unknown.statusCode, 409)
  fieldError(t, unknown, 'simbank-code', '银行拒绝了这笔缴款：该缴款码现在没有可缴的款项（已缴、已撤销或已过期）。请核对缴款码。')
  t.match(unknown.body, /value="lost" aria-describedby="delivery-lost-hint" checked/, 'the delivery chosen is kept')
  plain(t, unknown)

  const teller = pageHeaders(app, await cashier(app))
  const transfer = await post(app, '/simulated-bank/transfers', teller, { toAccountNo: '6222 0000 1111', toAccountName: '张三', amount: '八十', memo: '退'.repeat(201) })
  t.equal(transfer.statusCode, 400)
  fieldError(t, transfer, 'transfer-amount', '金额须为以元为单位、最多两位小数的正数，例如 80 或 80.50。')
  fieldError(t, transfer, 'transfer-memo', '附言不超过 200 字，请缩短。')
  t.match(transfer.body, /id="transfer-amount"[^>]*value="八十"/)
  t.match(transfer.body, /id="simbank-code"[^>]*value=""/, 'the payment form is not filled with the transfer')
  plain(t, transfer)
  const day = await app.inject({ method: 'GET', url: '/simulated-bank/statement?date=2999-01-01', headers: teller })
  t.equal(day.statusCode, 400)
  fieldError(t, day, 'statement-day', '请选择对账单日期（不晚于今天）。')
  t.match(day.body, /id="statement-day"[^>]*value="2999-01-01"/)
  plain(t, day)
})
