/**
 * Self-registration (a person by a code texted to a mobile number, an organisation by the hall's
 * review or a certificate naming its credit code) and password recovery by a code: every refusal
 * with its code and nothing written, codes that expire and run out, no account enumeration.
 */
import t from 'tap'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { createUser, hallAdmin, TEST_PASSWORD } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, filed, setClock, step } from '../factories/cases.ts'
import { approvedFee, feeDesk, issueNotice } from '../factories/fees.ts'
import { confirmedPerson, lastCode, mobile, registerPerson } from '../factories/registration.ts'
import { WITH_DELIVERIES, aboveWarn, databaseFingerprint as fingerprintOf } from '../http/openapi.ts'

/** The texts queued and delivered count too: each test delivers before it compares. */
const databaseFingerprint = (app: import('fastify').FastifyInstance) => fingerprintOf(app, WITH_DELIVERIES)
import { buildTestApp } from '../helper.ts'
import { createAuthority, issueLeaf, opensslSign, rsaKey, workDirectory, writePem } from '../support/pki.ts'

const signIn = (app: import('fastify').FastifyInstance, username: string, password = TEST_PASSWORD) =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
const NEW_PASSWORD = 'Another-Horse-7-Staple'

t.test('a person registers, enters the texted code and signs in; a wrong code counts', async (t) => {
  const { app, logs } = await buildTestApp(t)
  setClock(app, '2026-05-06T02:00:00Z')
  const { response, phone } = await registerPerson(app, { username: 'zhang.san' })
  t.equal(response.statusCode, 201)
  const sent = response.json()
  t.equal(sent.phone, `${phone.slice(0, 3)}****${phone.slice(-4)}`)
  t.equal(sent.expiresAt, '2026-05-06T02:10:00.000Z', 'ten minutes')
  t.equal(sent.resendAfter, '2026-05-06T02:01:00.000Z')
  t.equal((await signIn(app, 'zhang.san')).json().code, 'INVALID_CREDENTIALS', 'a pending account cannot sign in')

  const code = (await lastCode(app, phone))!
  t.match(code, /^\d{6}$/)
  const [stored] = await app.db.$client<Array<{ code_hash: string }>>`select code_hash from one_time_codes`
  t.not(stored!.code_hash, code, 'the code is stored hashed')
  t.notMatch(stored!.code_hash, code)

  const wrong = await app.inject({ method: 'POST', url: `/api/registrations/person/${sent.registrationId}/verify`, payload: { code: code === '000000' ? '000001' : '000000' } })
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().code, 'CODE_INVALID')
  const [attempts] = await app.db.$client<Array<{ attempts: number }>>`select attempts from one_time_codes`
  t.equal(attempts!.attempts, 1, 'a wrong try is counted although it is refused')

  const verified = await app.inject({ method: 'POST', url: `/api/registrations/person/${sent.registrationId}/verify`, payload: { code } })
  t.equal(verified.statusCode, 200)
  t.equal(verified.json().username, 'zhang.san')
  const session = await signIn(app, 'zhang.san')
  t.equal(session.statusCode, 200)
  t.same(session.json().account.grants, [{ role: 'applicant', scopeType: 'hall', scopeId: null }])
  const me = await app.inject({ method: 'GET', url: '/api/accounts/me', headers: { authorization: `Bearer ${session.json().token}` } })
  t.equal(me.json().phone, phone)
  t.equal(me.json().status, 'active')
  const again = await app.inject({ method: 'POST', url: `/api/registrations/person/${sent.registrationId}/verify`, payload: { code } })
  t.equal(again.json().code, 'REGISTRATION_NOT_FOUND', 'a completed registration is not verified twice')

  const actions = (await app.db.$client<Array<{ action: string }>>`select action from audit_entries where subject_id = ${sent.registrationId} order by id`).map((row) => row.action)
  t.same(actions, ['account.registered', 'account.code_wrong', 'account.phone_confirmed', 'notification.sent', 'session.created'])
  t.notMatch(JSON.stringify(logs), code, 'the code never reaches the logs')
  t.notMatch(JSON.stringify(logs), TEST_PASSWORD)
  t.same(aboveWarn(logs), [])
})

t.test('registration refusals: a stable code each, nothing written', async (t) => {
  const { app } = await buildTestApp(t)
  await createUser(app, { username: 'taken.name' })
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['weak password', { username: 'weak.one', displayName: '甲', phone: mobile(), password: 'short' }, 400, 'WEAK_PASSWORD'],
    ['landline', { username: 'landline', displayName: '乙', phone: '05718888888', password: TEST_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['bad username', { username: '9lives', displayName: '丙', phone: mobile(), password: TEST_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { username: 'extra.field', displayName: '丁', phone: mobile(), password: TEST_PASSWORD, role: 'hall_admin' }, 400, 'VALIDATION_FAILED'],
    ['taken username', { username: 'taken.name', displayName: '戊', phone: mobile(), password: TEST_PASSWORD }, 409, 'USERNAME_TAKEN']
  ]
  for (const [name, payload, status, code] of cases) {
    const before = await databaseFingerprint(app)
    const response = await app.inject({ method: 'POST', url: '/api/registrations/person', payload })
    t.equal(response.statusCode, status, name)
    t.equal(response.json().code, code, name)
    t.same(await databaseFingerprint(app), before, `${name}: nothing written`)
  }
  const unknown = await app.inject({ method: 'POST', url: '/api/registrations/person/00000000-0000-4000-8000-000000000000/verify', payload: { code: '123456' } })
  t.equal(unknown.json().code, 'REGISTRATION_NOT_FOUND')

  const { app: silent } = await buildTestApp(t, { env: { SMS_DRIVER: 'none' } })
  const before = await databaseFingerprint(silent)
  const noSms = await silent.inject({ method: 'POST', url: '/api/registrations/person', payload: { username: 'no.sms', displayName: '己', phone: mobile(), password: TEST_PASSWORD } })
  t.equal(noSms.statusCode, 503)
  t.equal(noSms.json().code, 'SMS_UNAVAILABLE')
  t.same(await databaseFingerprint(silent), before, 'no gateway: nothing written')
})

t.test('codes expire after ten minutes, run out after five tries, and are limited per number and per address', async (t) => {
  const { app } = await buildTestApp(t)
  const start = new Date('2026-05-06T02:00:00Z')
  setClock(app, start)
  const { response, phone } = await registerPerson(app, { username: 'slow.typist' })
  const id = response.json().registrationId as string
  const code = (await lastCode(app, phone))!
  const verify = (value: string) => app.inject({ method: 'POST', url: `/api/registrations/person/${id}/verify`, payload: { code: value } })

  setClock(app, new Date(start.getTime() + 10 * 60_000))
  t.equal((await verify(code)).json().code, 'CODE_EXPIRED', 'at ten minutes the code no longer works')

  const early = await app.inject({ method: 'POST', url: `/api/registrations/person/${id}/code` })
  t.equal(early.statusCode, 201, 'a new code once a minute has passed')
  const fresh = (await lastCode(app, phone))!
  const wrongCode = fresh === '999999' ? '999998' : '999999'
  const tooSoon = await app.inject({ method: 'POST', url: `/api/registrations/person/${id}/code` })
  t.equal(tooSoon.statusCode, 429)
  t.equal(tooSoon.json().code, 'CODE_RATE_LIMITED')
  t.equal(tooSoon.headers['retry-after'], '60')

  for (let attempt = 1; attempt <= 5; attempt++) t.equal((await verify(wrongCode)).json().code, 'CODE_INVALID', `wrong try ${attempt}`)
  t.equal((await verify(fresh)).json().code, 'CODE_ATTEMPTS_EXHAUSTED', 'after five wrong tries even the right code is refused')

  // five codes an hour to one number: the first two above, three more a minute apart, then none
  for (let minute = 2; minute <= 4; minute++) {
    setClock(app, new Date(start.getTime() + (10 + minute) * 60_000))
    t.equal((await app.inject({ method: 'POST', url: `/api/registrations/person/${id}/code` })).statusCode, 201)
  }
  setClock(app, new Date(start.getTime() + 20 * 60_000))
  const hourly = await app.inject({ method: 'POST', url: `/api/registrations/person/${id}/code` })
  t.equal(hourly.json().code, 'CODE_RATE_LIMITED', 'a sixth code within the hour is refused')
  t.equal(hourly.headers['retry-after'], String(40 * 60), 'until the first leaves the hour')
  const other = await registerPerson(app, { username: 'same.number', phone })
  t.equal(other.response.json().code, 'CODE_RATE_LIMITED', 'the limit is the number\'s, whoever registers it')

  // ten codes an hour from one client address
  setClock(app, new Date(start.getTime() + 2 * 3_600_000))
  for (let i = 0; i < 10; i++) t.equal((await registerPerson(app, { username: `crowd.${i}`, ip: '203.0.113.9' })).response.statusCode, 201)
  t.equal((await registerPerson(app, { username: 'crowd.10', ip: '203.0.113.9' })).response.json().code, 'CODE_RATE_LIMITED', 'an eleventh from the address')
  t.equal((await registerPerson(app, { username: 'elsewhere', ip: '203.0.113.10' })).response.statusCode, 201, 'another address is not held up')
})

t.test('an organisation registers with its credit code and is approved or refused by the hall, audited', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const code = demoCreditCode('330100', 'MA5E6F7G')
  const register = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/registrations/organisation', payload: { displayName: '宏达路桥集团有限公司', role: 'bidder', password: TEST_PASSWORD, ...payload } })

  const before = await databaseFingerprint(app)
  const badCode = await register({ username: 'hongda', creditCode: code.slice(0, 17) + (code[17] === '0' ? '1' : '0') })
  t.equal(badCode.json().code, 'CREDIT_CODE_INVALID', 'the check character is checked')
  t.equal((await register({ username: 'hongda', creditCode: code, role: 'hall_admin' })).json().code, 'VALIDATION_FAILED', 'only bidder or agency')
  t.same(await databaseFingerprint(app), before, 'refusals write nothing')

  const registered = await register({ username: 'hongda', creditCode: code, email: 'office@hongda.example' })
  t.equal(registered.statusCode, 201)
  t.equal(registered.json().state, 'pending')
  const id = registered.json().id as string
  t.equal((await register({ username: 'hongda2', creditCode: code })).json().code, 'CREDIT_CODE_TAKEN')
  t.equal((await signIn(app, 'hongda')).json().code, 'INVALID_CREDENTIALS', 'pending: no sign-in')

  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: '/api/registrations/organisation', headers: applicant.headers })).statusCode, 403)
  const pending = await app.inject({ method: 'GET', url: '/api/registrations/organisation?state=pending', headers: admin.headers })
  t.same(pending.json().map((r: { creditCode: string }) => r.creditCode), [code])

  const blank = await app.inject({ method: 'POST', url: `/api/registrations/organisation/${id}/refuse`, headers: admin.headers, payload: { reason: '   ' } })
  t.equal(blank.json().code, 'REFUSAL_REASON_REQUIRED')
  const approved = await app.inject({ method: 'POST', url: `/api/registrations/organisation/${id}/approve`, headers: admin.headers })
  t.equal(approved.statusCode, 200)
  t.equal(approved.json().state, 'approved')
  t.equal((await app.inject({ method: 'POST', url: `/api/registrations/organisation/${id}/refuse`, headers: admin.headers, payload: { reason: '晚了' } })).json().code, 'REGISTRATION_DECIDED')
  const session = await signIn(app, 'hongda')
  t.equal(session.statusCode, 200)
  t.same(session.json().account.grants.map((g: { role: string }) => g.role), ['bidder'])
  const [audited] = await app.db.$client`select actor_id from audit_entries where action = 'registration.approved'`
  t.equal(audited?.actor_id, admin.id)

  const other = await register({ username: 'fake.co', displayName: '某某公司', creditCode: demoCreditCode('330100', '12345678') })
  const refused = await app.inject({ method: 'POST', url: `/api/registrations/organisation/${other.json().id}/refuse`, headers: admin.headers, payload: { reason: '名称与营业执照不符' } })
  t.equal(refused.json().state, 'refused')
  t.equal(refused.json().reason, '名称与营业执照不符')
  t.equal((await signIn(app, 'fake.co')).json().code, 'INVALID_CREDENTIALS')
  const [refusal] = await app.db.$client`select payload from audit_entries where action = 'registration.refused'`
  t.equal((refusal?.payload as { reason: string }).reason, '名称与营业执照不符')
})

t.test('an organisation activates itself with a certificate naming its credit code', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const dir = workDirectory(t)
  const code = demoCreditCode('330100', 'MA5E6F7H')
  const authority = createAuthority('天威诚信 Test CA')
  await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(authority.root), role: 'root' } })
  const signerFor = (subjectCode: string) => {
    const key = rsaKey()
    const leaf = issueLeaf(authority, { key, subject: [['C', 'CN'], ['O', '远航建设有限公司'], ['serialNumber', subjectCode], ['CN', '远航建设']] })
    const files = { certificate: writePem(dir, `${subjectCode}.pem`, leaf), key: writePem(dir, `${subjectCode}.key`, key), chain: writePem(dir, 'intermediate.pem', authority.intermediate) }
    return (content: Buffer) => opensslSign(dir, { content, ...files })
  }
  const registered = await app.inject({ method: 'POST', url: '/api/registrations/organisation', payload: { username: 'yuanhang', displayName: '远航建设有限公司', creditCode: code, role: 'agency', password: TEST_PASSWORD } })
  const id = registered.json().id as string
  const activate = async (sign: (content: Buffer) => Uint8Array) => {
    const challenge = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
    return app.inject({ method: 'POST', url: `/api/registrations/organisation/${id}/certificate`, payload: { challengeId: challenge.challengeId, signature: Buffer.from(sign(Buffer.from(challenge.challenge))).toString('base64') } })
  }
  const otherCompany = await activate(signerFor(demoCreditCode('330100', '87654321')))
  t.equal(otherCompany.json().code, 'CERTIFICATE_SUBJECT_MISMATCH', 'another organisation\'s certificate does not activate it')
  const activated = await activate(signerFor(code))
  t.equal(activated.statusCode, 200)
  t.equal(activated.json().state, 'activated')
  t.equal((await signIn(app, 'yuanhang')).statusCode, 200)
  t.equal((await activate(signerFor(code))).json().code, 'REGISTRATION_DECIDED')
})

t.test('password recovery: the same answer for every name, a code to the confirmed number, every session ended', async (t) => {
  const { app, logs } = await buildTestApp(t)
  setClock(app, '2026-05-06T02:00:00Z')
  const person = await confirmedPerson(app, 'forgetful')
  const noPhone = await createUser(app, { username: 'no.phone' })
  const ask = (username: string) => app.inject({ method: 'POST', url: '/api/password-recovery', payload: { username } })

  const known = await ask('Forgetful ')
  await app.timers.fireDue()
  const unknownBefore = await databaseFingerprint(app)
  const unknown = await ask('nobody.here')
  t.same(await databaseFingerprint(app), unknownBefore, 'an unknown name writes nothing')
  const withoutPhone = await ask(noPhone.username)
  for (const response of [known, unknown, withoutPhone]) {
    t.equal(response.statusCode, 202)
    t.same(response.json(), { accepted: true, expiresInMinutes: 10 }, 'the same answer, known or not')
  }
  const code = (await lastCode(app, person.phone))!
  t.match((await app.services.notifier.listSimulated({ phone: person.phone, limit: 1 }))[0]!.text, /找回密码/)

  const reset = (username: string, value: string, newPassword = NEW_PASSWORD) => app.inject({ method: 'POST', url: '/api/password-recovery/reset', payload: { username, code: value, newPassword } })
  const wrongCode = code === '123456' ? '654321' : '123456'
  t.equal((await reset('forgetful', wrongCode)).json().code, 'RECOVERY_CODE_INVALID')
  t.equal((await reset('nobody.here', code)).json().code, 'RECOVERY_CODE_INVALID', 'an unknown name: the same refusal')
  t.equal((await reset(noPhone.username, code)).json().code, 'RECOVERY_CODE_INVALID')
  t.equal((await reset('forgetful', code, 'weak')).json().code, 'WEAK_PASSWORD')

  const done = await reset('forgetful', code)
  t.equal(done.statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: '/api/accounts/me', headers: person.headers })).statusCode, 401, 'the old session ended')
  t.equal((await signIn(app, 'forgetful')).statusCode, 401, 'the old password no longer works')
  t.equal((await signIn(app, 'forgetful', NEW_PASSWORD)).statusCode, 200)
  t.equal((await reset('forgetful', code, 'Yet-Another-Pass-42')).json().code, 'RECOVERY_CODE_INVALID', 'a code works once')
  const actions = (await app.db.$client<Array<{ action: string }>>`select action from audit_entries where subject_id = ${person.id} and action like 'account.%' order by id`).map((row) => row.action)
  t.ok(actions.includes('account.recovery_requested') && actions.includes('account.password_recovered'), 'requested and recovered, audited')
  t.notMatch(JSON.stringify(logs), code)
  t.notMatch(JSON.stringify(logs), NEW_PASSWORD)

  // expiry and exhaustion answer alike too
  setClock(app, '2026-05-06T03:00:00Z')
  await ask('forgetful')
  const second = (await lastCode(app, person.phone))!
  setClock(app, '2026-05-06T03:10:00Z')
  t.equal((await reset('forgetful', second, 'Fourth-Pass-word-99')).json().code, 'RECOVERY_CODE_INVALID', 'an expired code')
})

t.test('correction and payment notices reach the applicant: inbox, and a text to the confirmed mobile', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const applicant = await confirmedPerson(app, 'citizen.li')
  const item = await delegatedItem(app, desk)
  // both materials handed in; the licence copy is not in the legal form, so the notice asks for it again
  const { case: submitted } = await filed(app, applicant, item.id)
  const noticed = await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2'], note: '营业执照复印件不清晰，请重新提交' })
  t.equal(noticed.statusCode, 200)
  await app.timers.fireDue()
  const inbox = (await app.inject({ method: 'GET', url: '/api/messages', headers: applicant.headers })).json()
  const correction = inbox.items.find((m: { kind: string }) => m.kind === 'case.correction_notice')
  t.ok(correction, 'the correction notice is in the inbox')
  t.match(correction.body, /M2/)
  t.equal(correction.link, `/my/cases/${submitted.id}`)
  t.ok((await app.services.notifier.listSimulated({ phone: applicant.phone })).some((sms) => /补正/.test(sms.text)), 'and texted')

  const fees = await feeDesk(app)
  const fee = await approvedFee(app, fees)
  const notice = await issueNotice(app, fees.proposer, { lines: [{ code: fee.code }], payer: { accountId: applicant.id, name: '李四' } })
  await app.timers.fireDue()
  const after = (await app.inject({ method: 'GET', url: '/api/messages', headers: applicant.headers })).json()
  const payment = after.items.find((m: { kind: string }) => m.kind === 'payment.notice_issued')
  t.match(payment.subject, notice.code)
  t.ok((await app.services.notifier.listSimulated({ phone: applicant.phone })).some((sms) => sms.text.includes(notice.code)), 'the payment code is texted')
})
