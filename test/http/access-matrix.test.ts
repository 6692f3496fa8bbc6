/**
 * The role × route access matrix, generated from the policy layer (each route's `config.policy`
 * as registered, ACTIONS in src/lib/policy.ts) and checked against the running app: every route
 * declares a policy; anonymous callers of a non-public route get 401 (pages: the login page);
 * a signed-in role the action does not name gets 403 FORBIDDEN before anything is parsed; the
 * roles it names pass the route-level check; and none of the refusals writes anything.
 * (Scope — another department's or project's resource answering 404 — is in scope-404.test.ts.)
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { ROLES, isAction, mayAttempt, type Grant, type Principal, type RoutePolicy } from '../../src/lib/policy.ts'
import { markdownMatrix, withRouteTable, type RouteEntry } from '../../scripts/access-matrix/route-table.ts'
import { createUser, type TestUser } from '../factories/accounts.ts'
import { createWindow } from '../factories/departments.ts'
import { oneOfEachRole } from '../factories/roles.ts'
import { buildTestApp } from '../helper.ts'
import { keepSignedIn } from './callers.ts'
import { QUIET_ENV, aboveWarn, changedTables, databaseFingerprint, loadOperations, routeUrlOf } from './openapi.ts'

/** A URL that reaches the route: the route check runs before parameters are validated. */
const concreteUrl = (url: string) => url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000').replace(/\*$/, 'x')

/** Whether the policy layer lets these grants through a route's check (null grants: anonymous). */
function passes (policy: RoutePolicy | undefined, grants: Grant[] | null): boolean {
  if (policy === 'public') return true
  if (grants === null || policy === undefined || policy === 'bank') return false
  return policy === 'authenticated' || mayAttempt({ grants } as unknown as Principal, policy)
}

const isRouteRefusal = (response: LightMyRequestResponse) =>
  response.statusCode === 401 || (response.statusCode === 403 && String(response.headers['content-type']).startsWith('application/problem+json') && response.json().code === 'FORBIDDEN')

t.test('the access matrix, from the policy layer, holds in the running app', async (t) => {
  const { built: { app, logs }, routes } = await withRouteTable(() => buildTestApp(t, { env: QUIET_ENV }))
  const cast = await oneOfEachRole(app)

  await t.test('every route declares a policy the layer knows, and the API document covers the API', async (t) => {
    const undeclared = routes.filter(({ policy }) => !(policy === 'public' || policy === 'authenticated' || policy === 'bank' || (policy !== undefined && isAction(policy))))
    t.same(undeclared, [], 'no route without a policy')
    t.ok(routes.length >= 300, `${routes.length} routes in the table`)
    const documented = new Set((await loadOperations(app)).map(({ method, path }) => `${method} ${routeUrlOf(path)}`))
    const undocumented = routes.filter(({ kind }) => kind === 'api').map(({ method, url }) => `${method} ${url}`).filter((key) => !documented.has(key))
    t.same(undocumented, [], 'every API route is in /docs/json, so the fuzzers reach it')
    t.ok(markdownMatrix(routes).split('\n').length === routes.length + 2, 'the matrix prints one row per route')
  })

  // each role as granted in its usual scope, and a cashier of one window: the hall's money
  // (finance, refunds, banks) is out of a window grant's reach although the role is named
  const window = await createWindow(app, cast.admin.id, cast.department.id)
  const windowCashier: Grant = { role: 'cashier', scopeType: 'window', scopeId: window.id }
  const callers: Array<{ name: string, user: TestUser | null, grants: Grant[] | null }> = [
    { name: 'anonymous', user: null, grants: null },
    ...ROLES.map((role) => ({ name: role, user: cast.byRole[role], grants: [cast.grants[role]] })),
    { name: 'cashier of a window', user: await createUser(app, { grants: [windowCashier] }), grants: [windowCashier] }
  ]
  // a plain GET of the WebSocket route is answered too (426), so every route is checked
  const checked = routes
  const send = (route: RouteEntry, user: TestUser | null) => app.inject({ method: route.method as 'GET', url: concreteUrl(route.url), headers: user?.headers ?? {} })

  await t.test('callers a route does not name are refused, and the refusals write nothing', async (t) => {
    const before = await databaseFingerprint(app)
    const wrong: string[] = []
    let refusals = 0
    for (const route of checked) {
      for (const caller of callers) {
        if (passes(route.policy, caller.grants)) continue
        refusals++
        const response = await send(route, caller.user)
        const problem = String(response.headers['content-type']).startsWith('application/problem+json') ? response.json() as { code: string } : null
        let expected: string
        let ok: boolean
        if (route.policy === 'bank') {
          // no session reaches a bank route; without the bank's signature it is 401
          expected = '401'
          ok = response.statusCode === 401
        } else if (caller.user === null && route.kind === 'page') {
          expected = '302 to /login'
          ok = response.statusCode === 302 && String(response.headers.location).startsWith('/login?next=')
        } else if (caller.user === null) {
          expected = '401 AUTH_REQUIRED'
          ok = response.statusCode === 401 && problem?.code === 'AUTH_REQUIRED'
        } else if (route.kind === 'page') {
          expected = '403 page'
          ok = response.statusCode === 403 && String(response.headers['content-type']).startsWith('text/html')
        } else {
          expected = '403 FORBIDDEN'
          ok = response.statusCode === 403 && problem?.code === 'FORBIDDEN'
        }
        if (!ok) wrong.push(`${route.method} ${route.url} as ${caller.name}: ${response.statusCode} ${problem?.code ?? ''} (expected ${expected})`)
      }
    }
    t.same(wrong, [], `${refusals} refusals as the matrix says`)
    t.same(changedTables(before, await databaseFingerprint(app)), [], 'no refusal wrote anything')
  })

  await t.test('the roles a route names pass its route-level check', async (t) => {
    const wrong: string[] = []
    let admitted = 0
    for (const [index, route] of checked.entries()) {
      if (route.policy === 'bank') continue
      // one admitted caller per route, taking turns: the refusals above are the exhaustive half
      const admittedCallers = callers.filter((caller) => passes(route.policy, caller.grants))
      for (const caller of admittedCallers.slice(index % admittedCallers.length).slice(0, 1)) {
        admitted++
        const response = await send(route, caller.user)
        if (response.statusCode >= 500 || isRouteRefusal(response)) wrong.push(`${route.method} ${route.url} as ${caller.name}: ${response.statusCode} ${response.body.slice(0, 160)}`)
        // a route that ends the caller's session (sign-out) must not end the test's
        if (caller.user) await keepSignedIn(app, caller.user)
      }
    }
    t.same(wrong, [], `${admitted} admitted requests passed the route check without a 5xx`)
  })

  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})
