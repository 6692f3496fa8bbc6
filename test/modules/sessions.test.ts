import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { TEST_PASSWORD, createUser, hallAdmin } from '../factories/accounts.ts'

t.test('password sign-in issues a bearer token that works until sign-out', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createUser(app, { username: 'wang.fang' })

  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'Wang.Fang', password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200)
  const { token, account } = login.json()
  t.match(token, /^ohs_[A-Za-z0-9_-]{43}$/)
  t.equal(account.username, 'wang.fang')

  const me = await app.inject({ method: 'GET', url: '/api/accounts/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().id, user.id)

  const sessions = await app.inject({ method: 'GET', url: '/api/auth/sessions', headers: { authorization: `Bearer ${token}` } })
  t.equal(sessions.json().length, 2, 'the factory session and this one')
  t.equal(sessions.json().filter((s: { current: boolean }) => s.current).length, 1)

  const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } })
  t.equal(logout.statusCode, 204)
  const after = await app.inject({ method: 'GET', url: '/api/accounts/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(after.statusCode, 401)
  t.equal(after.json().code, 'SESSION_INVALID')
  t.equal(after.headers['content-type'], 'application/problem+json; charset=utf-8')
})

t.test('the token is stored only as a hash', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createUser(app)
  const rows = await app.db.$client`select token_hash from sessions where account_id = ${user.id}`
  t.equal(rows.length, 1)
  t.not(rows[0]!.token_hash, user.token)
  t.notMatch(JSON.stringify(rows), user.token.slice(4))
})

// failed sign-ins and their throttling: sessions.throttling.test.ts

t.test('sign-in is rate limited per client', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '3' } })
  const codes: number[] = []
  for (let i = 0; i < 5; i++) {
    codes.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x1x', password: 'y' } })).statusCode)
  }
  t.same(codes, [401, 401, 401, 429, 429])
  const limited = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x1x', password: 'y' } })
  t.equal(limited.json().code, 'RATE_LIMITED')
})

t.test('a one-time password must be replaced before anything else', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const created = await app.inject({
    method: 'POST',
    url: '/api/accounts',
    headers: admin.headers,
    payload: { kind: 'person', username: 'zhao.clerk', displayName: '赵窗口' }
  })
  t.equal(created.statusCode, 201)
  const oneTime = created.json().oneTimePassword as string
  t.ok(oneTime)
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'zhao.clerk', password: oneTime } })
  const headers = { authorization: `Bearer ${login.json().token}` }
  t.equal(login.json().account.mustChangePassword, true)

  const blocked = await app.inject({ method: 'GET', url: '/api/auth/sessions', headers })
  t.equal(blocked.statusCode, 403)
  t.equal(blocked.json().code, 'PASSWORD_CHANGE_REQUIRED')

  const weak = await app.inject({ method: 'POST', url: '/api/accounts/me/password', headers, payload: { currentPassword: oneTime, newPassword: 'short' } })
  t.equal(weak.json().code, 'WEAK_PASSWORD')
  const changed = await app.inject({ method: 'POST', url: '/api/accounts/me/password', headers, payload: { currentPassword: oneTime, newPassword: 'A-much-better-passw0rd' } })
  t.equal(changed.statusCode, 204)
  const allowed = await app.inject({ method: 'GET', url: '/api/auth/sessions', headers })
  t.equal(allowed.statusCode, 200, 'the session that changed the password continues')
})

t.test('disabling an account ends its sessions at once', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const user = await createUser(app)
  t.equal((await app.inject({ method: 'GET', url: '/api/accounts/me', headers: user.headers })).statusCode, 200)
  const disabled = await app.inject({ method: 'PATCH', url: `/api/accounts/${user.id}`, headers: admin.headers, payload: { status: 'disabled' } })
  t.equal(disabled.statusCode, 200)
  // revocation is broadcast at commit; give the notification a moment to arrive
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal((await app.inject({ method: 'GET', url: '/api/accounts/me', headers: user.headers })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: TEST_PASSWORD } })).json().code, 'INVALID_CREDENTIALS')
  t.equal(await countRows(app, 'sessions where revoked_at is null and account_id = \'' + user.id + '\''), 0)
})
