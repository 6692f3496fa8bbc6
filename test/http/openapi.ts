/**
 * What the HTTP fuzzers share: the operations of the app's own OpenAPI document, arbitraries
 * that follow (or deliberately break) their schemas, a whole-database write fingerprint, and the
 * log lines above warn. Not a test file itself (tap runs *.test.ts only).
 */
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'

export interface JsonSchema {
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

export interface Parameter { name: string, in: 'path' | 'query', required?: boolean, schema: JsonSchema }

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** the OpenAPI path, `{name}` for parameters */
  path: string
  operationId: string
  pathParams: Parameter[]
  query: Parameter[]
  jsonBody: JsonSchema | null
  /** multipart routes say so first in their description (the document has no body schema for them) */
  multipart: boolean
  /** a server-rendered page (tag 'pages'): its refusals are HTML pages, by design */
  page: boolean
}

interface SpecOperation {
  operationId?: string
  tags?: string[]
  description?: string
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, { schema: JsonSchema }> }
}

/** Every operation of /docs/json. */
export async function loadOperations (app: FastifyInstance): Promise<Operation[]> {
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, SpecOperation>> }
  return Object.entries(spec.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase() as Operation['method'],
    path,
    operationId: operation.operationId ?? `${method} ${path}`,
    pathParams: (operation.parameters ?? []).filter((parameter) => parameter.in === 'path'),
    query: (operation.parameters ?? []).filter((parameter) => parameter.in === 'query'),
    jsonBody: operation.requestBody?.content?.['application/json']?.schema ?? null,
    multipart: operation.description?.startsWith('multipart/form-data') ?? false,
    page: operation.tags?.includes('pages') ?? false
  })))
}

/** The Fastify route (`:name`) an OpenAPI path (`{name}`) documents. */
export const routeUrlOf = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1')

/** Replaces each `{name}` with the (already URL-encoded) value given for it. */
export function fillPath (path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_whole, name: string) => values[name] ?? 'x')
}

/** An arbitrary that produces values valid for the schema (the subset OpenHall's schemas use). */
export function arbitraryFor (schema: JsonSchema): fc.Arbitrary<unknown> {
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

/** A value of the wrong JSON type for the schema; a symbol when there is none to give. */
export function wrongTypeFor (schema: JsonSchema): unknown {
  switch (schema.type) {
    case 'string': return 12345
    case 'integer': case 'number': return 'twelve'
    case 'boolean': return 'true'
    case 'array': return { not: 'an array' }
    case 'object': return 'not an object'
    default: return schema.anyOf ? 12345.5 : Symbol.for('skip')
  }
}

const hex = (byte: number) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`

/**
 * A URL component as a hostile client could send it: arbitrary bytes percent-encoded (NUL,
 * control characters, invalid UTF-8, encoded slashes), dot segments, huge numbers, or very long.
 */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => Array.from(bytes, hex).join('')),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('%00', '..', '.', '%2e%2e', '%2F', '-1', '0', '1e309', '99999999999999999999999', 'null', 'undefined', '%E2%80%AE', '%C0%AF', '%FF%FE'),
  fc.integer({ min: 300, max: 2000 }).map((length) => 'a'.repeat(length))
)

/** A value for a string-typed parameter: usually valid for its schema, sometimes hostile. */
export function parameterValue (parameter: Parameter): fc.Arbitrary<string> {
  const valid = arbitraryFor(parameter.schema).map((value) => encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value)))
  return fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: hostileSegment, weight: 1 })
}

/** Path values for an operation: each parameter valid or hostile. */
export function pathValues (parameters: Parameter[]): fc.Arbitrary<Record<string, string>> {
  return fc.record(Object.fromEntries(parameters.map((parameter) => [parameter.name, parameterValue(parameter)])))
}

/**
 * A query string for an operation: each documented parameter absent, valid, hostile or repeated,
 * sometimes with a parameter the route does not know.
 */
export function queryString (parameters: Parameter[]): fc.Arbitrary<string> {
  const pairs = parameters.map((parameter) => fc.oneof(
    fc.constant([] as string[]),
    parameterValue(parameter).map((value) => [`${parameter.name}=${value}`]),
    fc.tuple(parameterValue(parameter), parameterValue(parameter)).map(([a, b]) => [`${parameter.name}=${a}`, `${parameter.name}=${b}`])
  ))
  const unknown = fc.option(hostileSegment.map((value) => [`${value}=${value}`]), { nil: [] as string[] })
  return fc.tuple(fc.tuple(...pairs, unknown), fc.boolean()).map(([groups, trailingAmpersand]) => {
    const all = groups.flat()
    return all.length === 0 ? '' : `?${all.join('&')}${trailingAmpersand ? '&' : ''}`
  })
}

/**
 * Tables written as bookkeeping rather than by what a request asked for: sessions record their
 * last use (in the background) and timers are fired by the background loop, which also delivers
 * the texts an earlier request queued (the SMS outbox and the simulated gateway's inbox); the
 * outbox row itself is written with the request that queued it.
 */
export const BOOKKEEPING_TABLES = ['sessions', 'timers', 'sms_outbox', 'simulated_sms_messages'] as const

/** Every table but sessions and timers: for tests that deliver texts before they compare. */
export const WITH_DELIVERIES = ['sessions', 'timers'] as const

/** Settings for a fuzzed app: no audit checkpoint is signed in the background while it runs. */
export const QUIET_ENV = { AUDIT_CHECKPOINT_MINUTES: '1440' }

/**
 * A fingerprint of every table's contents as far as writes go: its row count and the newest
 * transaction id among its rows (an insert or update gives a row a newer xmin, a delete lowers
 * the count). Exact, one statement, one snapshot.
 */
export async function databaseFingerprint (app: FastifyInstance, exclude: readonly string[] = BOOKKEEPING_TABLES): Promise<Record<string, string>> {
  const key = exclude.join(',')
  let statement = fingerprintStatements.get(app)?.get(key)
  if (!statement) {
    const tables = await app.db.$client<Array<{ name: string }>>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`
    statement = tables.filter(({ name }) => !exclude.includes(name)).map(({ name }) =>
      `select '${name}' as name, count(*)::text || '/' || coalesce(max(xmin::text::bigint), 0)::text as state from public."${name}"`).join(' union all ')
    fingerprintStatements.set(app, (fingerprintStatements.get(app) ?? new Map()).set(key, statement))
  }
  const rows = await app.db.$client.unsafe<Array<{ name: string, state: string }>>(statement)
  return Object.fromEntries(rows.map(({ name, state }) => [name, state]))
}

/** The tables do not change while an app runs: each app's statement is built once. */
const fingerprintStatements = new WeakMap<FastifyInstance, Map<string, string>>()

/** The tables whose fingerprint differs. */
export function changedTables (before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((name) => before[name] !== after[name])
}

/** Log lines above warn (pino: 40 warn, 50 error, 60 fatal), each with the request it belongs to. */
export function aboveWarn (logs: ReadonlyArray<Record<string, unknown>>): string[] {
  const requests = new Map<unknown, string>()
  for (const line of logs) {
    const req = line.req as { method?: string, url?: string } | undefined
    if (req?.url) requests.set(line.reqId, `${req.method ?? ''} ${req.url}`)
  }
  return logs.filter((line) => (line.level as number) > 40).map((line) => {
    const error = line.err as { type?: string, message?: string } | undefined
    return `[${String(line.level)}] ${String(line.msg)}${error ? ` (${error.type ?? ''}: ${error.message ?? ''})` : ''} ← ${requests.get(line.reqId) ?? 'no request'}`
  })
}

/** A seed for this run, printed so a failing run can be replayed with FUZZ_SEED. */
export const fuzzSeed = () => Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
