import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { createDepartment, createWindow } from '../factories/departments.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'

t.test('organisations carry a valid unified social credit code, persons none', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const post = (payload: object) => app.inject({ method: 'POST', url: '/api/accounts', headers: admin.headers, payload })
  const code = demoCreditCode('330100', 'MA2B3C4D')
  t.equal((await post({ kind: 'organisation', username: 'jianye', displayName: '建业建设', creditCode: code })).statusCode, 201)
  t.equal((await post({ kind: 'organisation', username: 'jianye2', displayName: '建业建设', creditCode: code })).json().code, 'CREDIT_CODE_TAKEN')
  t.equal((await post({ kind: 'organisation', username: 'nocode', displayName: 'x' })).json().code, 'CREDIT_CODE_REQUIRED')
  t.equal((await post({ kind: 'organisation', username: 'badcode', displayName: 'x', creditCode: code.slice(0, 17) + (code.endsWith('0') ? '1' : '0') })).json().code, 'CREDIT_CODE_INVALID')
  t.equal((await post({ kind: 'person', username: 'zhangsan', displayName: '张三', creditCode: code })).json().code, 'CREDIT_CODE_NOT_FOR_PERSONS')
  t.equal((await post({ kind: 'person', username: 'jianye', displayName: 'dup' })).json().code, 'USERNAME_TAKEN')
  t.equal((await post({ kind: 'person', username: 'weak', displayName: 'w', password: 'password' })).json().code, 'WEAK_PASSWORD')
})

t.test('roles are granted in existing scopes that fit the role, and take effect at once', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id)
  const window = await createWindow(app, admin.id, department.id)
  const clerk = await createUser(app)
  const grant = (payload: object) => app.inject({ method: 'POST', url: `/api/accounts/${clerk.id}/grants`, headers: admin.headers, payload })

  t.equal((await grant({ role: 'clerk', scopeType: 'hall' })).json().code, 'GRANT_INVALID')
  t.equal((await grant({ role: 'clerk', scopeType: 'window', scopeId: '00000000-0000-4000-8000-000000000000' })).json().code, 'SCOPE_NOT_FOUND')
  t.equal((await grant({ role: 'bidder', scopeType: 'project', scopeId: '00000000-0000-4000-8000-000000000000' })).json().code, 'SCOPE_NOT_FOUND', 'no project exists yet')
  const granted = await grant({ role: 'clerk', scopeType: 'window', scopeId: window.id })
  t.equal(granted.statusCode, 201)
  t.equal((await grant({ role: 'clerk', scopeType: 'window', scopeId: window.id })).json().code, 'GRANT_EXISTS')
  const me = await app.inject({ method: 'GET', url: '/api/auth/session', headers: clerk.headers })
  t.same(me.json().account.grants, [{ role: 'clerk', scopeType: 'window', scopeId: window.id }], 'the cached session sees the new role immediately')

  const grantId = granted.json().grants[0].id
  const revoked = await app.inject({ method: 'DELETE', url: `/api/accounts/${clerk.id}/grants/${grantId}`, headers: admin.headers })
  t.same(revoked.json().grants, [])
  const history = await app.db.$client`select count(*)::int as n from role_grants where account_id = ${clerk.id}`
  t.equal(history[0]!.n, 1, 'revoked grants are kept as history')
})

t.test('the hall always keeps one active administrator', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const adminGrant = (await app.inject({ method: 'GET', url: `/api/accounts/${admin.id}`, headers: admin.headers })).json().grants[0].id
  const selfDisable = await app.inject({ method: 'PATCH', url: `/api/accounts/${admin.id}`, headers: admin.headers, payload: { status: 'disabled' } })
  t.equal(selfDisable.json().code, 'LAST_ADMINISTRATOR')
  const selfRevoke = await app.inject({ method: 'DELETE', url: `/api/accounts/${admin.id}/grants/${adminGrant}`, headers: admin.headers })
  t.equal(selfRevoke.json().code, 'LAST_ADMINISTRATOR')
  await hallAdmin(app)
  const nowAllowed = await app.inject({ method: 'DELETE', url: `/api/accounts/${admin.id}/grants/${adminGrant}`, headers: admin.headers })
  t.equal(nowAllowed.statusCode, 200)
})

t.test('administrators reset passwords; the first start creates the administrator once', async (t) => {
  const { app } = await buildTestApp(t)
  const first = await app.services.accounts.ensureAdministrator({ username: 'admin', password: undefined })
  t.equal(first.created, true)
  t.match(first, { username: 'admin', oneTimePassword: /\S{12,}/ })
  t.same(await app.services.accounts.ensureAdministrator({ username: 'admin', password: undefined }), { created: false })
  const admin = await hallAdmin(app)
  const user = await createUser(app)
  const reset = await app.inject({ method: 'POST', url: `/api/accounts/${user.id}/password-reset`, headers: admin.headers })
  t.equal(reset.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/accounts/me', headers: user.headers })).statusCode, 401, 'old sessions end')
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: reset.json().oneTimePassword } })
  t.equal(login.json().account.mustChangePassword, true)
  const list = await app.inject({ method: 'GET', url: '/api/accounts?role=hall_admin', headers: admin.headers })
  t.equal(list.json().total, 2)
})
