import t from 'tap'
import type { InjectOptions } from 'fastify'
import { buildTestApp, countRows } from '../helper.ts'
import { TEST_PASSWORD, createUser, hallAdmin } from '../factories/accounts.ts'

t.test('bad input gets a specific problem+json, nothing is written, nothing is logged as an error', async (t) => {
  const { app, logs } = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: '4096' } })
  const admin = await hallAdmin(app)
  const before = { accounts: await countRows(app, 'accounts'), audit: await countRows(app, 'audit_entries') }
  const json = { ...admin.headers, 'content-type': 'application/json' }
  const cases: Array<{ name: string, request: InjectOptions, status: number, code: string }> = [
    { name: 'malformed JSON', request: { method: 'POST', url: '/api/departments', headers: json, payload: '{"code": "A1", "name": ' }, status: 400, code: 'MALFORMED_JSON' },
    { name: 'empty JSON body', request: { method: 'POST', url: '/api/departments', headers: json, payload: '' }, status: 400, code: 'EMPTY_BODY' },
    { name: 'wrong type', request: { method: 'POST', url: '/api/departments', headers: admin.headers, payload: { code: 12, name: 'x' } }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'unknown field', request: { method: 'POST', url: '/api/departments', headers: admin.headers, payload: { code: 'A1', name: 'x', budget: 1 } }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'oversized body', request: { method: 'POST', url: '/api/departments', headers: json, payload: JSON.stringify({ code: 'A1', name: 'x'.repeat(5000) }) }, status: 413, code: 'BODY_TOO_LARGE' },
    { name: 'unsupported media type', request: { method: 'POST', url: '/api/departments', headers: { ...admin.headers, 'content-type': 'text/csv' }, payload: 'a,b' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'bad id', request: { method: 'GET', url: '/api/accounts/not-a-uuid', headers: admin.headers }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'unknown query parameter', request: { method: 'GET', url: '/api/accounts?sort=name', headers: admin.headers }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'forged token', request: { method: 'GET', url: '/api/accounts/me', headers: { authorization: 'Bearer ohs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }, status: 401, code: 'SESSION_INVALID' },
    { name: 'malformed authorization', request: { method: 'GET', url: '/api/accounts/me', headers: { authorization: 'Basic abc' } }, status: 401, code: 'SESSION_INVALID' },
    { name: 'no token', request: { method: 'POST', url: '/api/departments', payload: { code: 'A1', name: 'x' } }, status: 401, code: 'AUTH_REQUIRED' },
    { name: 'unknown route', request: { method: 'GET', url: '/api/nothing-here' }, status: 404, code: 'ROUTE_NOT_FOUND' }
  ]
  for (const { name, request, status, code } of cases) {
    const response = await app.inject(request)
    t.equal(response.statusCode, status, `${name}: status`)
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    const problem = response.json()
    t.equal(problem.code, code, `${name}: code`)
    t.equal(problem.status, status)
    t.ok(problem.requestId, `${name}: carries the request id`)
  }
  const unknownField = await app.inject({ method: 'POST', url: '/api/departments', headers: admin.headers, payload: { code: 'A1', name: 'x', budget: 1 } })
  t.same(unknownField.json().errors, [{ path: '/body', message: 'unknown property "budget"' }], 'the unknown field is named')
  t.equal(await countRows(app, 'accounts'), before.accounts)
  t.equal(await countRows(app, 'audit_entries'), before.audit, 'no audit entry: nothing changed')
  t.same(logs.filter((line) => (line.level as number) >= 50), [], 'no error-level logs')
})

t.test('an expired session is told apart from a forged one', async (t) => {
  const first = await buildTestApp(t)
  const user = await createUser(first.app)
  await first.app.db.$client`update sessions set expires_at = now() - interval '1 minute' where account_id = ${user.id}`
  // a second instance has nothing cached and reads the session from the database
  const second = await buildTestApp(t, { databaseUrl: first.databaseUrl })
  const response = await second.app.inject({ method: 'GET', url: '/api/accounts/me', headers: user.headers })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'SESSION_EXPIRED')
})

t.test('cookie sessions refuse cross-site writes', async (t) => {
  const { app, config } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const cookie = `${config.session.cookieName}=${admin.token}`
  const crossSite = await app.inject({ method: 'POST', url: '/api/departments', headers: { cookie, origin: 'https://evil.example' }, payload: { code: 'X1', name: 'x' } })
  t.equal(crossSite.statusCode, 403)
  t.equal(crossSite.json().code, 'CROSS_SITE_REQUEST')
  const sameSite = await app.inject({ method: 'POST', url: '/api/departments', headers: { cookie, origin: config.publicUrl }, payload: { code: 'X1', name: 'x' } })
  t.equal(sameSite.statusCode, 201)
})

t.test('security headers, health and readiness', async (t) => {
  const { app } = await buildTestApp(t)
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.same(health.json(), { status: 'ok' })
  t.match(health.headers['content-security-policy'], /default-src 'self'/)
  t.equal(health.headers['x-content-type-options'], 'nosniff')
  t.match(health.headers['strict-transport-security'], /max-age/)
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', checks: { database: 'ok', storage: 'ok' } })
})

t.test('every route passes the policy layer: a route without a policy cannot be registered', async (t) => {
  await t.rejects(buildTestApp(t, {
    setup: (app) => { app.get('/api/sneaky', async () => ({ ok: true })) }
  }), /must declare config.policy/)
})

t.test('a route for banks is closed unless the bank\'s signature was verified', async (t) => {
  const { app } = await buildTestApp(t, {
    setup: (app) => { app.get('/api/bank/careless', { config: { policy: 'bank' } }, async () => ({ ok: true })) }
  })
  const response = await app.inject({ method: 'GET', url: '/api/bank/careless' })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'AUTH_REQUIRED')
})

t.test('the OpenAPI document lists every API route with an operation id and responses', async (t) => {
  const { app } = await buildTestApp(t)
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.equal(spec.openapi, '3.1.0')
  const operations = Object.entries(spec.paths as Record<string, Record<string, { operationId?: string, responses?: object }>>)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })))
  t.ok(operations.length >= 30, `${operations.length} operations documented`)
  for (const { path, method, operation } of operations) {
    t.ok(operation.operationId, `${method} ${path} has an operationId`)
    t.ok(operation.responses && Object.keys(operation.responses).length > 0, `${method} ${path} documents its responses`)
  }
  const ui = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(ui.statusCode, 200)
  t.notMatch(ui.body, /https?:\/\/(cdn|unpkg|fonts)/, 'the docs UI loads nothing from outside')
})

t.test('secrets never reach the logs', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const user = await createUser(app, { username: 'secretive' })
  await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'secretive', password: TEST_PASSWORD } })
  await app.inject({ method: 'GET', url: '/api/accounts/me', headers: user.headers })
  const written = JSON.stringify(logs)
  t.notMatch(written, TEST_PASSWORD)
  t.notMatch(written, user.token)
})
