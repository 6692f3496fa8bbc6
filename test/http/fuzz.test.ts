/**
 * Fuzzes every JSON body route from its own schema (read back from the OpenAPI document):
 * arbitrary JSON must never cause a 5xx, and schema-valid bodies broken in one way (an unknown
 * field, a wrong type, a missing required field) must be refused with VALIDATION_FAILED without
 * writing anything or logging above warn. Paths and query strings: fuzz-requests.test.ts;
 * multipart and bodies of the wrong kind: fuzz-bodies.test.ts.
 */
import fc from 'fast-check'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { signedBankRequest } from '../factories/fees.ts'
import { buildTestApp } from '../helper.ts'
import { Findings, describeRequest, fuzzCast, kindOf, misbehaviour, sendAs, type Caller } from './callers.ts'
import { QUIET_ENV, aboveWarn, arbitraryFor, changedTables, databaseFingerprint, fillPath, fuzzSeed, loadOperations, wrongTypeFor } from './openapi.ts'

t.test('every JSON body route survives fuzzing from its own schema', async (t) => {
  const { app, logs } = await buildTestApp(t, { env: QUIET_ENV })
  const cast = await fuzzCast(app)
  const seed = fuzzSeed()
  t.comment(`FUZZ_SEED=${seed}`)
  const routes = (await loadOperations(app)).filter((operation) => operation.jsonBody && !operation.page).map((operation) => ({
    method: operation.method,
    // path parameters get syntactically valid values; the body is what is fuzzed
    url: fillPath(operation.path, Object.fromEntries(operation.pathParams.map(({ name }) =>
      [name, name === 'date' ? '2026-12-05' : name === 'bankCode' ? cast.bank.code : '00000000-0000-4000-8000-000000000000']))),
    schema: operation.jsonBody!
  }))
  t.ok(routes.length >= 10, `${routes.length} JSON body routes found`)

  const findings = new Findings()
  for (const [index, route] of routes.entries()) {
    await t.test(`${route.method} ${route.url}`, async (t) => {
      // each route is fuzzed as a caller it authorises (authorisation comes before validation);
      // bank routes are signed with a registered bank's key, as a bank would send them
      let caller: Caller = { name: 'bank', user: 'bank' }
      if (!route.url.startsWith('/api/bank/')) {
        for (const candidate of cast.callers) {
          caller = candidate
          const probe = await sendAs(app, cast, candidate, { method: route.method, url: route.url, payload: {} })
          if (probe.statusCode !== 401 && probe.statusCode !== 403) break
        }
      }
      const send = (payload: unknown): Promise<LightMyRequestResponse> => caller.user === 'bank'
        ? app.inject(signedBankRequest(cast.bank, 'POST', route.url, payload))
        : sendAs(app, cast, caller, { method: route.method, url: route.url, payload: payload as object })

      await fc.assert(fc.asyncProperty(fc.jsonValue(), async (payload) => {
        const response = await send(payload)
        const wrong = misbehaviour(response)
        if (wrong) findings.add(`${route.method} ${route.url}`, kindOf(response), `${describeRequest(caller, { ...route, payload })} → ${wrong}`)
      }), { numRuns: 40, seed: seed + index })

      const valid = arbitraryFor(route.schema).filter((value) => typeof value === 'object' && value !== null && !Array.isArray(value)) as fc.Arbitrary<Record<string, unknown>>
      const broken = valid.chain((body) => {
        const required = route.schema.required ?? []
        const properties = Object.entries(route.schema.properties ?? {})
        const mutations: Array<fc.Arbitrary<Record<string, unknown>>> = [
          fc.string({ minLength: 1, maxLength: 10 }).map((suffix) => ({ ...body, [`unknown_${suffix}`]: 1 }))
        ]
        if (required.length > 0) mutations.push(fc.constantFrom(...required).map((name) => { const copy = { ...body }; delete copy[name]; return copy }))
        const typed = properties.filter(([, property]) => typeof wrongTypeFor(property) !== 'symbol')
        if (typed.length > 0) mutations.push(fc.constantFrom(...typed).map(([name, property]) => ({ ...body, [name]: wrongTypeFor(property) })))
        return fc.oneof(...mutations)
      })
      const before = await databaseFingerprint(app)
      await fc.assert(fc.asyncProperty(broken, async (payload) => {
        const response = await send(payload)
        if (response.statusCode !== 400 || response.json().code !== 'VALIDATION_FAILED') {
          throw new Error(`${JSON.stringify(payload)} → ${response.statusCode} ${response.body}`)
        }
      }), { numRuns: 25, seed: seed + index })
      t.same(changedTables(before, await databaseFingerprint(app)), [], 'refused bodies wrote nothing')
    })
  }
  t.same(findings.list, [], 'no 5xx, every refusal problem+json')
  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})
