/**
 * Fuzzes every JSON body route from its own schema (read back from the OpenAPI document):
 * arbitrary JSON must never cause a 5xx, and schema-valid bodies broken in one way (an unknown
 * field, a wrong type, a missing required field) must be refused with VALIDATION_FAILED without
 * writing anything.
 */
import fc from 'fast-check'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser, hallAdmin, organisation, supervisor } from '../factories/accounts.ts'
import { createDepartment } from '../factories/departments.ts'
import { cashier, registerBank, signedBankRequest } from '../factories/fees.ts'

interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  maxItems?: number
}

/** An arbitrary that produces values valid for the schema (the subset OpenHall's schemas use). */
function arbitraryFor (schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(arbitraryFor))
  switch (schema.type) {
    case 'object': {
      const properties = schema.properties ?? {}
      const required = new Set(schema.required ?? [])
      return fc.record(Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, arbitraryFor(property)])),
        { requiredKeys: Object.keys(properties).filter((name) => required.has(name)) })
    }
    case 'array':
      return fc.array(arbitraryFor(schema.items ?? {}), { maxLength: Math.min(schema.maxItems ?? 3, 3) })
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 })
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid()
      if (schema.format === 'email') return fc.emailAddress()
      if (schema.format === 'date') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
      if (schema.pattern) {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? 200))
      }
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) })
    }
    default:
      return fc.jsonValue()
  }
}

function wrongTypeFor (schema: JsonSchema): unknown {
  switch (schema.type) {
    case 'string': return 12345
    case 'integer': case 'number': return 'twelve'
    case 'boolean': return 'true'
    case 'array': return { not: 'an array' }
    case 'object': return 'not an object'
    default: return schema.anyOf ? 12345.5 : Symbol.for('skip')
  }
}

t.test('every JSON body route survives fuzzing from its own schema', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  // each route is fuzzed as a caller it authorises (authorisation comes before validation);
  // bank routes are signed with a registered bank's key, as a bank would send them
  const department = await createDepartment(app, admin.id)
  const inDepartment = (role: 'clerk' | 'chief_rep' | 'dept_admin') => createUser(app, { grants: [{ role, scopeType: 'department', scopeId: department.id }] })
  const staff = [
    admin, await cashier(app), await organisation(app, 'agency'), await organisation(app, 'bidder'), await supervisor(app),
    await inDepartment('clerk'), await inDepartment('chief_rep'), await inDepartment('dept_admin'), await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  ]
  const bank = await registerBank(app, admin)
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>>
  }
  const routes = Object.entries(spec.paths).flatMap(([path, methods]) => Object.entries(methods)
    .filter(([, operation]) => operation.requestBody?.content?.['application/json'])
    .map(([method, operation]) => ({
      method: method.toUpperCase() as 'POST' | 'PUT' | 'PATCH',
      // path parameters get syntactically valid values; the body is what is fuzzed
      url: path.replace(/\{[^}]+\}/g, (name) => name === '{date}' ? '2026-12-05' : name === '{bankCode}' ? bank.code : '00000000-0000-4000-8000-000000000000'),
      schema: operation.requestBody!.content!['application/json']!.schema
    })))
  t.ok(routes.length >= 10, `${routes.length} JSON body routes found`)

  for (const route of routes) {
    await t.test(`${route.method} ${route.url}`, async (t) => {
      let send: (payload: unknown) => Promise<LightMyRequestResponse>
      if (route.url.startsWith('/api/bank/')) {
        send = (payload) => app.inject(signedBankRequest(bank, 'POST', route.url, payload))
      } else {
        let caller = staff[0]!
        for (const candidate of staff) {
          caller = candidate
          const probe = await app.inject({ method: route.method, url: route.url, headers: candidate.headers, payload: {} })
          if (probe.statusCode !== 401 && probe.statusCode !== 403) break
        }
        send = (payload) => app.inject({ method: route.method, url: route.url, headers: caller.headers, payload: payload as object })
      }

      await fc.assert(fc.asyncProperty(fc.jsonValue(), async (payload) => {
        const response = await send(payload)
        return response.statusCode < 500 && (response.statusCode < 400 || response.headers['content-type'] === 'application/problem+json; charset=utf-8')
      }), { numRuns: 60 })

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
      const auditBefore = await countRows(app, 'audit_entries')
      await fc.assert(fc.asyncProperty(broken, async (payload) => {
        const response = await send(payload)
        if (response.statusCode !== 400 || response.json().code !== 'VALIDATION_FAILED') {
          throw new Error(`${JSON.stringify(payload)} → ${response.statusCode} ${response.body}`)
        }
      }), { numRuns: 40 })
      t.equal(await countRows(app, 'audit_entries'), auditBefore, 'refused bodies wrote nothing')
    })
  }
})
