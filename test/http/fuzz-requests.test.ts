/**
 * Fuzzes every operation of /docs/json from its own schema: path parameters and query strings
 * (valid for the schema, or hostile: NUL and control bytes, invalid UTF-8, dot segments, huge
 * numbers, repeated and unknown parameters) with a schema-valid JSON body where it takes one,
 * sent as anonymous, as each role and, for bank routes, signed by a bank. Never a 5xx, every
 * refusal problem+json, nothing written by an operation whose requests were all refused (or that
 * only reads), nothing logged above warn. Replay a run with FUZZ_SEED=<the seed it prints>.
 */
import fc from 'fast-check'
import t from 'tap'
import { withRouteTable } from '../../scripts/access-matrix/route-table.ts'
import { buildTestApp } from '../helper.ts'
import { Findings, callersFor, describeRequest, fuzzCast, kindOf, misbehaviour, sendAs } from './callers.ts'
import { QUIET_ENV, aboveWarn, arbitraryFor, changedTables, databaseFingerprint, fillPath, fuzzSeed, loadOperations, pathValues, queryString } from './openapi.ts'

/** Operations whose refusals are recorded by design, and where that is decided. */
const RECORDED_REFUSALS: Record<string, string> = {
  'POST /api/auth/login': 'failed sign-ins count toward throttling, each throttle imposed is audited (accounts.throttles.ts)',
  'POST /login': 'the sign-in page: the same'
}

/** Requests per operation: ~190 API operations × RUNS and ~130 pages × PAGE_RUNS stay around a minute. */
const RUNS = 8
/** Pages render HTML (dearer) and share the API's services: fewer runs. */
const PAGE_RUNS = 4
/** Operations that hash a password (or end the session, which the harness then opens again) cost ~100 ms each by design. */
const HASHING = /\/(login|logout|password)\b|password-reset/

t.test('every operation survives hostile paths and query strings, as every caller', async (t) => {
  const { built: { app, logs }, routes } = await withRouteTable(() => buildTestApp(t, { env: QUIET_ENV }))
  const cast = await fuzzCast(app)
  const operations = await loadOperations(app)
  const seed = fuzzSeed()
  t.comment(`FUZZ_SEED=${seed}`)

  const findings = new Findings()
  let quiet = 0
  for (const [index, operation] of operations.entries()) {
    const name = `${operation.method} ${operation.path}`
    const request = fc.record({
      caller: callersFor(cast, routes, operation),
      path: pathValues(operation.pathParams),
      query: queryString(operation.query),
      body: operation.jsonBody ? arbitraryFor(operation.jsonBody) : fc.constant(undefined)
    })
    const before = await databaseFingerprint(app)
    let admitted = false
    await fc.assert(fc.asyncProperty(request, async ({ caller, path, query, body }) => {
      const sent = { method: operation.method, url: `${fillPath(operation.path, path)}${query}`, ...(body === undefined ? {} : { payload: body as object }) }
      const response = await sendAs(app, cast, caller, sent)
      if (response.statusCode < 400) admitted = true
      const wrong = misbehaviour(response, operation.page)
      if (wrong) findings.add(name, kindOf(response), `${describeRequest(caller, sent)} → ${wrong}`)
    }), { numRuns: HASHING.test(operation.path) ? 3 : operation.page ? PAGE_RUNS : RUNS, seed: seed + index })
    if ((operation.method === 'GET' || !admitted) && !RECORDED_REFUSALS[name]) {
      quiet++
      const changed = changedTables(before, await databaseFingerprint(app))
      if (changed.length > 0) findings.add(name, 'write', `${admitted ? 'a read' : 'refused requests'} changed ${changed.join(', ')}`)
    }
  }
  t.ok(operations.length >= 150, `${operations.length} operations fuzzed, up to ${RUNS} requests each`)
  t.ok(quiet > operations.length / 2, `${quiet} operations only read or were refused throughout, and wrote nothing`)
  t.same(findings.list, [], 'no 5xx, every refusal problem+json, no write by a refusal')
  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})
