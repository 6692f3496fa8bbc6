/**
 * The registration, recovery, inbox and review pages (inject): errors beside their fields with a
 * summary linking to them, what was typed kept (never a password or a code), the unread count in
 * the navigation, and a confirmation before a binding decision.
 */
import t from 'tap'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { TEST_PASSWORD, createUser, hallAdmin } from '../factories/accounts.ts'
import { confirmedPerson, lastCode, mobile } from '../factories/registration.ts'
import { buildTestApp } from '../helper.ts'

function cookieFrom (setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie.find((c) => c.startsWith('openhall_session=')) : setCookie
  return header!.split(';')[0]!
}

t.test('the login page links to registration and recovery; /register offers a person or an organisation', async (t) => {
  const { app } = await buildTestApp(t)
  const login = await app.inject({ url: '/login' })
  t.match(login.body, /href="\/register"/)
  t.match(login.body, /href="\/forgot-password"/)
  const choice = await app.inject({ url: '/register' })
  t.equal(choice.statusCode, 200)
  t.match(choice.body, /href="\/register\?kind=person"/)
  t.match(choice.body, /href="\/register\?kind=organisation"/)
  const en = await app.inject({ url: '/register?kind=person', headers: { 'accept-language': 'en' } })
  t.match(en.body, /Mobile number/)
})

t.test('a person registers on the pages: field errors with a summary, values kept, then the code, then sign-in', async (t) => {
  const { app } = await buildTestApp(t)
  await createUser(app, { username: 'taken.name' })
  const bad = await app.inject({ method: 'POST', url: '/register/person', payload: { username: 'Bad Name', displayName: '', phone: '12345', password: 'short' } })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /data-error-summary/)
  for (const field of ['username', 'displayName', 'phone', 'password']) {
    t.match(bad.body, new RegExp(`<a href="#${field}">`), `the summary links to ${field}`)
    t.match(bad.body, new RegExp(`id="${field}" name="${field}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*${field}-error`), `${field} is marked invalid and described by its error`)
  }
  t.match(bad.body, /value="Bad Name"/, 'what was typed is kept')
  t.match(bad.body, /value="12345"/)
  t.notMatch(bad.body, /value="short"/, 'never the password')
  const order = ['username', 'displayName', 'phone', 'password'].map((field) => bad.body.indexOf(`<a href="#${field}">`))
  t.same([...order].sort((a, b) => a - b), order, 'the summary follows the fields\' order')

  const taken = await app.inject({ method: 'POST', url: '/register/person', payload: { username: 'taken.name', displayName: '王五', phone: mobile(), password: TEST_PASSWORD } })
  t.equal(taken.statusCode, 409)
  t.match(taken.body, /<a href="#username">该用户名已被使用。<\/a>/)
  t.match(taken.body, /value="王五"/)

  const phone = mobile()
  const registered = await app.inject({ method: 'POST', url: '/register/person', payload: { username: 'wang.wu', displayName: '王五', phone, password: TEST_PASSWORD } })
  t.equal(registered.statusCode, 302)
  const verifyUrl = registered.headers.location as string
  t.match(verifyUrl, /^\/register\/verify\?id=[0-9a-f-]{36}$/)
  const id = verifyUrl.split('=')[1]!
  const page = await app.inject({ url: verifyUrl })
  t.match(page.body, /autocomplete="one-time-code"/)

  const code = (await lastCode(app, phone))!
  const malformed = await app.inject({ method: 'POST', url: '/register/verify', payload: { id, code: '12ab' } })
  t.equal(malformed.statusCode, 400)
  t.match(malformed.body, /id="code-error"/)
  const wrong = await app.inject({ method: 'POST', url: '/register/verify', payload: { id, code: code === '000000' ? '111111' : '000000' } })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /验证码不正确/)
  const tooSoon = await app.inject({ method: 'POST', url: '/register/verify/resend', payload: { id } })
  t.equal(tooSoon.statusCode, 429)
  t.match(tooSoon.body, /获取验证码过于频繁/)
  const done = await app.inject({ method: 'POST', url: '/register/verify', payload: { id, code } })
  t.equal(done.statusCode, 302)
  t.equal(done.headers.location, '/login?done=registered')
  t.match((await app.inject({ url: '/login?done=registered' })).body, /注册完成/)
  const signedIn = await app.inject({ method: 'POST', url: '/login', payload: { username: 'wang.wu', password: TEST_PASSWORD } })
  t.equal(signedIn.statusCode, 302)

  // the welcome message waits in the inbox; the navigation shows the count
  const cookie = cookieFrom(signedIn.headers['set-cookie'])
  const home = await app.inject({ url: '/', headers: { cookie } })
  t.match(home.body, /href="\/messages"[^>]*>消息（1 条未读）</)
  const inbox = await app.inject({ url: '/messages', headers: { cookie } })
  t.match(inbox.body, /注册成功/)
  t.match(inbox.body, /data-unread="1"/)
  const messageId = /action="\/messages\/([0-9a-f-]{36})\/read"/.exec(inbox.body)![1]
  const read = await app.inject({ method: 'POST', url: `/messages/${messageId}/read`, headers: { cookie, origin: 'http://localhost:3000' } })
  t.equal(read.statusCode, 302)
  t.match((await app.inject({ url: '/', headers: { cookie } })).body, /href="\/messages"[^>]*>消息</)
})

t.test('forgot and reset password on the pages: the same page whatever the name, errors at the fields', async (t) => {
  const { app } = await buildTestApp(t)
  const person = await confirmedPerson(app, 'zhao.liu')
  const empty = await app.inject({ method: 'POST', url: '/forgot-password', payload: { username: '' } })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /<a href="#username">/)
  const known = await app.inject({ method: 'POST', url: '/forgot-password', payload: { username: 'zhao.liu' } })
  const unknown = await app.inject({ method: 'POST', url: '/forgot-password', payload: { username: 'no.such.person' } })
  t.equal(known.statusCode, 302)
  t.equal(unknown.statusCode, 302)
  t.equal(known.headers.location, '/reset-password?username=zhao.liu&sent=1')
  t.equal(unknown.headers.location, '/reset-password?username=no.such.person&sent=1', 'the same way on for an unknown name')
  const resetPage = await app.inject({ url: known.headers.location as string })
  t.match(resetPage.body, /data-recovery-sent/)
  t.match(resetPage.body, /value="zhao\.liu"/)

  const code = (await lastCode(app, person.phone))!
  const invalid = await app.inject({ method: 'POST', url: '/reset-password', payload: { username: 'zhao.liu', code: 'x', newPassword: 'weak' } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.body, /<a href="#code">/)
  t.match(invalid.body, /<a href="#newPassword">/)
  const wrong = await app.inject({ method: 'POST', url: '/reset-password', payload: { username: 'zhao.liu', code: code === '000000' ? '111111' : '000000', newPassword: 'Brand-New-Pass-2026' } })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /id="code"[^>]*aria-invalid="true"/)
  const done = await app.inject({ method: 'POST', url: '/reset-password', payload: { username: 'zhao.liu', code, newPassword: 'Brand-New-Pass-2026' } })
  t.equal(done.statusCode, 302)
  t.equal(done.headers.location, '/login?done=reset')
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: { username: 'zhao.liu', password: 'Brand-New-Pass-2026' } })).statusCode, 302)
})

t.test('the hall reviews an organisation on the pages: the decision is confirmed once more, a refusal needs a reason', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const code = demoCreditCode('330100', 'MA6A7B8C')
  const bad = await app.inject({ method: 'POST', url: '/register/organisation', payload: { displayName: '', creditCode: '91330100MA6A7B8C00', username: 'jianxin', password: TEST_PASSWORD } })
  t.equal(bad.statusCode, 400)
  for (const field of ['displayName', 'creditCode', 'role']) t.match(bad.body, new RegExp(`<a href="#${field}">`))
  t.match(bad.body, /value="91330100MA6A7B8C00"/)
  const registered = await app.inject({ method: 'POST', url: '/register/organisation', payload: { displayName: '建信工程咨询有限公司', creditCode: code, role: 'agency', username: 'jianxin', password: TEST_PASSWORD } })
  t.equal(registered.statusCode, 200)
  t.match(registered.body, /data-registration-received/)

  const headers = { authorization: `Bearer ${admin.token}` }
  const list = await app.inject({ url: '/admin/registrations', headers })
  t.equal(list.statusCode, 200)
  t.match(list.body, /data-registration="jianxin"/)
  const [registrationId] = /\/admin\/registrations\/([0-9a-f-]{36})\/review\?decision=refuse/.exec(list.body)!.slice(1)
  const review = await app.inject({ url: `/admin/registrations/${registrationId}/review?decision=refuse`, headers })
  t.match(review.body, /data-consequence/)
  t.match(review.body, /账户将停用/)
  const noReason = await app.inject({ method: 'POST', url: `/admin/registrations/${registrationId}/decision`, headers, payload: { decision: 'refuse', reason: ' ' } })
  t.equal(noReason.statusCode, 400)
  t.match(noReason.body, /id="reason"[^>]*aria-invalid="true"/)
  const approveReview = await app.inject({ url: `/admin/registrations/${registrationId}/review?decision=approve`, headers })
  t.match(approveReview.body, /立即启用/)
  const approved = await app.inject({ method: 'POST', url: `/admin/registrations/${registrationId}/decision`, headers, payload: { decision: 'approve' } })
  t.equal(approved.statusCode, 302)
  t.equal(approved.headers.location, '/admin/registrations?done=approved')
  const again = await app.inject({ method: 'POST', url: `/admin/registrations/${registrationId}/decision`, headers, payload: { decision: 'refuse', reason: '重复' } })
  t.equal(again.statusCode, 409)
  t.match(again.body, /该注册已审核过/)
  const simulated = await app.inject({ url: '/admin/simulated-sms', headers })
  t.equal(simulated.statusCode, 200)
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ url: '/admin/registrations', headers: applicant.headers })).statusCode, 403)
})
