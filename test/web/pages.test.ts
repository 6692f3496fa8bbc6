import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { TEST_PASSWORD, createUser, hallAdmin } from '../factories/accounts.ts'

function cookieFrom (setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie.find((c) => c.startsWith('openhall_session=')) : setCookie
  return header!.split(';')[0]!
}

t.test('the public home page, in Chinese first and English on request', async (t) => {
  const { app } = await buildTestApp(t)
  const zh = await app.inject({ method: 'GET', url: '/' })
  t.equal(zh.statusCode, 200)
  t.match(zh.headers['content-type'], /text\/html/)
  t.match(zh.body, /<html lang="zh-CN"/)
  t.match(zh.body, /县政务服务大厅/)
  t.match(zh.body, /href="\/login"/)
  t.match(zh.body, /href="\/assets\/v\/[0-9a-f]{16}\/vendor\/pico\.min\.css"/)
  const en = await app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'en-GB,en;q=0.9' } })
  t.match(en.body, /<html lang="en"/)
  t.match(en.body, /County Service Hall/)
  const switched = await app.inject({ method: 'GET', url: '/lang/en?next=/notices' })
  t.equal(switched.statusCode, 302)
  t.equal(switched.headers.location, '/notices')
  t.match(String(switched.headers['set-cookie']), /openhall_lang=en/)
  const css = await app.inject({ method: 'GET', url: /href="(\/assets\/v\/[0-9a-f]+\/vendor\/pico\.min\.css)"/.exec(zh.body)![1]! })
  t.equal(css.statusCode, 200, 'Pico CSS is served by OpenHall itself')
})

t.test('signing in with the form sets a safe cookie; wrong passwords show a message', async (t) => {
  const { app } = await buildTestApp(t)
  await createUser(app, { username: 'li.clerk' })
  const wrong = await app.inject({ method: 'POST', url: '/login', payload: { username: 'li.clerk', password: 'nope' } })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.body, /用户名或密码不正确/)
  t.match(wrong.body, /value="li\.clerk"/, 'the username is kept')

  const right = await app.inject({ method: 'POST', url: '/login', payload: { username: 'li.clerk', password: TEST_PASSWORD, next: '//evil.example/x' } })
  t.equal(right.statusCode, 302)
  t.equal(right.headers.location, '/', 'no open redirect')
  const setCookie = String(right.headers['set-cookie'])
  t.match(setCookie, /HttpOnly/)
  t.match(setCookie, /SameSite=Lax/)
  const home = await app.inject({ method: 'GET', url: '/', headers: { cookie: cookieFrom(right.headers['set-cookie']) } })
  t.match(home.body, /您好/)

  const loggedOut = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: cookieFrom(right.headers['set-cookie']) } })
  t.equal(loggedOut.statusCode, 302)
  const after = await app.inject({ method: 'GET', url: '/account', headers: { cookie: cookieFrom(right.headers['set-cookie']) } })
  t.equal(after.statusCode, 302)
  t.equal(after.headers.location, '/login?next=%2Faccount')
})

t.test('pages follow the policy layer: redirect to sign in, 403 page for the wrong role', async (t) => {
  const { app, config } = await buildTestApp(t)
  const anonymous = await app.inject({ method: 'GET', url: '/admin/accounts' })
  t.equal(anonymous.statusCode, 302)
  t.equal(anonymous.headers.location, '/login?next=%2Fadmin%2Faccounts')
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const cookie = `${config.session.cookieName}=${applicant.token}`
  const refused = await app.inject({ method: 'GET', url: '/admin/calendar', headers: { cookie } })
  t.equal(refused.statusCode, 403)
  t.match(refused.body, /您的角色无权执行此操作/)
  const home = await app.inject({ method: 'GET', url: '/', headers: { cookie } })
  t.notMatch(home.body, /href="\/admin\/accounts"/, 'navigation shows only what the role may use')
})

t.test('the administrator works through forms; every value is escaped', async (t) => {
  const { app, config } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const cookie = `${config.session.cookieName}=${admin.token}`
  const department = await app.inject({ method: 'POST', url: '/admin/departments', headers: { cookie }, payload: { code: 'XSS', name: '<script>alert(1)</script>', nameEn: '' } })
  t.equal(department.statusCode, 302)
  const page = await app.inject({ method: 'GET', url: '/admin/departments', headers: { cookie } })
  t.notMatch(page.body, /<script>alert/)
  t.match(page.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)

  const created = await app.inject({ method: 'POST', url: '/admin/accounts', headers: { cookie }, payload: { kind: 'person', username: 'wang.chief', displayName: '王首代', creditCode: '', role: '', scope: 'hall' } })
  t.equal(created.statusCode, 200)
  t.match(created.body, /data-one-time-password>[^<]{12,}</)
  const invalid = await app.inject({ method: 'POST', url: '/admin/accounts', headers: { cookie }, payload: { kind: 'person', username: 'X Y', displayName: 'x', role: '', scope: 'hall' } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.body, /<a href="#username">请填写用户名：/, 'the field at fault is named (form-errors-admin.test.ts)')

  const calendar = await app.inject({ method: 'GET', url: '/admin/calendar?year=2026', headers: { cookie } })
  t.match(calendar.body, /全年工作日 248 天/)
  const added = await app.inject({ method: 'POST', url: '/admin/calendar', headers: { cookie }, payload: { date: '2026-12-31', kind: 'holiday', name: '县庆' } })
  t.equal(added.statusCode, 302)
  t.match((await app.inject({ method: 'GET', url: '/admin/calendar?year=2026', headers: { cookie } })).body, /全年工作日 247 天/)

  const audit = await app.inject({ method: 'POST', url: '/audit/verify', headers: { cookie } })
  t.match(audit.body, /data-audit-result="intact"/)
})

t.test('a one-time password sends the user to choose a new one first', async (t) => {
  const { app } = await buildTestApp(t)
  const { oneTimePassword } = await app.services.accounts.createAccount(null, { kind: 'person', username: 'new.clerk', displayName: '新人' })
  const login = await app.inject({ method: 'POST', url: '/login', payload: { username: 'new.clerk', password: oneTimePassword! } })
  t.equal(login.headers.location, '/account/password')
  const cookie = cookieFrom(login.headers['set-cookie'])
  const elsewhere = await app.inject({ method: 'GET', url: '/notices', headers: { cookie } })
  t.equal(elsewhere.statusCode, 200, 'public pages still open')
  const account = await app.inject({ method: 'GET', url: '/account', headers: { cookie } })
  t.equal(account.headers.location, '/account/password')
  const changed = await app.inject({ method: 'POST', url: '/account/password', headers: { cookie }, payload: { currentPassword: oneTimePassword!, newPassword: 'A-brand-new-passw0rd' } })
  t.equal(changed.headers.location, '/account?done=password')
  t.match((await app.inject({ method: 'GET', url: '/account?done=password', headers: { cookie } })).body, /密码已修改/)
})

t.test('certificates and trust through the pages', async (t) => {
  const { app, config } = await buildTestApp(t)
  const { createCsr } = await import('../../src/lib/pki/issuance.ts')
  const { encodeName } = await import('../../src/lib/pki/names.ts')
  const { derToPem } = await import('../../src/lib/pki/x509-parts.ts')
  const { createAuthority, rsaKey } = await import('../support/pki.ts')
  const bidder = await createUser(app, { grants: [{ role: 'bidder', scopeType: 'hall' }] })
  const cookie = `${config.session.cookieName}=${bidder.token}`
  const csr = derToPem(createCsr(rsaKey(), encodeName([['CN', 'x']])), 'CERTIFICATE REQUEST')
  const issued = await app.inject({ method: 'POST', url: '/account/certificates', headers: { cookie }, payload: { csr, profile: 'person' } })
  t.equal(issued.statusCode, 200)
  t.match(issued.body, /data-issued-certificate>-----BEGIN CERTIFICATE-----/)
  const refused = await app.inject({ method: 'POST', url: '/account/certificates', headers: { cookie }, payload: { csr: 'not a csr', profile: 'person' } })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, /请粘贴 PEM 格式的内容/)
  const list = await app.inject({ method: 'GET', url: '/account/certificates', headers: { cookie } })
  t.match(list.body, /平台签发/)
  t.equal((await app.inject({ method: 'GET', url: '/admin/trust', headers: { cookie } })).statusCode, 403)

  const admin = await hallAdmin(app)
  const adminCookie = `${config.session.cookieName}=${admin.token}`
  const authority = createAuthority('页面测试 CA')
  const added = await app.inject({ method: 'POST', url: '/admin/trust', headers: { cookie: adminCookie }, payload: { certificate: derToPem(authority.root), role: 'root' } })
  t.equal(added.statusCode, 302)
  const trust = await app.inject({ method: 'GET', url: '/admin/trust', headers: { cookie: adminCookie } })
  t.match(trust.body, /页面测试 CA Root/)
  const crl = await app.inject({ method: 'POST', url: '/admin/trust/crl', headers: { cookie: adminCookie }, payload: { crl: derToPem(authority.crl([]), 'X509 CRL') } })
  t.equal(crl.statusCode, 400, 'the CRL is signed by the intermediate, which is not trusted yet')
  t.match(crl.body, /吊销列表无效/)
})
