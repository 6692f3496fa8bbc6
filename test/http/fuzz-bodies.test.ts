/**
 * Bodies a schema cannot describe: every multipart route gets malformed multipart (no or wrong
 * boundary, cut off, garbage, parts without names, hostile file names, unknown and repeated
 * fields, more parts than allowed) and well-formed multipart with fuzzed fields; every route that
 * takes a body gets bodies of the wrong kind (wrong media types, broken JSON, binary). Sent as a
 * caller the route admits, at real resources where that takes the request deeper. Never a 5xx,
 * every refusal problem+json, nothing written when everything was refused, nothing logged above
 * warn. Replay a run with FUZZ_SEED=<the seed it prints>.
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import { rolesAllowed, withRouteTable } from '../../scripts/access-matrix/route-table.ts'
import { approvalsDesk, delegatedItem, filed } from '../factories/cases.ts'
import { acceptedProject, tenderInput, tradingDesk } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'
import { Findings, describeRequest, fuzzCast, kindOf, misbehaviour, sendAs, type Caller } from './callers.ts'
import { QUIET_ENV, aboveWarn, changedTables, databaseFingerprint, fillPath, fuzzSeed, loadOperations, routeUrlOf, type Operation } from './openapi.ts'

/** Field and part names the multipart routes read, and a few they do not. */
const FIELD_NAMES = ['itemId', 'request', 'majorProject', 'windowId', 'applicant.name', 'applicant.idNumber', 'applicant.phone', 'kind', 'title', 'body',
  'affectsBids', 'newBidDeadline', 'issuer', 'letterNumber', 'amountFen', 'validUntil', 'signature', 'package', 'file', 'M1', 'M2', 'unknown', '', '__proto__']

const fieldValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '\u0000', 'true', '-1', '1e309', '2026-13-45', '00000000-0000-4000-8000-000000000000', 'tender_documents', 'x'.repeat(70_000)),
  fc.integer().map(String)
)

const part = fc.record({
  name: fc.constantFrom(...FIELD_NAMES),
  filename: fc.option(fc.constantFrom('a.pdf', '../../etc/passwd', 'C:\\boot.ini', '\u0000.pdf', '', '投标文件.pdf', 'x'.repeat(600)), { nil: undefined }),
  contentType: fc.option(fc.constantFrom('application/pdf', 'text/plain', 'application/octet-stream', '', 'multipart/mixed; boundary=inner'), { nil: undefined }),
  disposition: fc.constantFrom('form-data', 'attachment', 'FORM-DATA', ''),
  value: fc.oneof(fieldValue, fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes).toString('latin1')))
})

function encodeParts (boundary: string, parts: Array<typeof part extends fc.Arbitrary<infer P> ? P : never>, close = true): Buffer {
  const chunks = parts.map(({ name, filename, contentType, disposition, value }) => {
    const headers = [
      disposition === '' ? null : `content-disposition: ${disposition}; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`,
      contentType === undefined ? null : `content-type: ${contentType}`
    ].filter(Boolean).join('\r\n')
    return Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`, 'latin1'), Buffer.from(value, 'latin1'), Buffer.from('\r\n')])
  })
  return Buffer.concat([...chunks, Buffer.from(close ? `--${boundary}--\r\n` : '')])
}

/** A multipart body and the content type it is sent with, most of them broken in one way. */
const multipartBody = fc.tuple(fc.array(part, { maxLength: 8 }), fc.stringMatching(/^[0-9a-f]{8,16}$/), fc.nat()).chain(([parts, id, cut]) => {
  const boundary = `fuzz${id}`
  const body = encodeParts(boundary, parts)
  return fc.constantFrom(
    { label: 'well-formed, fuzzed fields', type: `multipart/form-data; boundary=${boundary}`, payload: body },
    { label: 'no boundary', type: 'multipart/form-data', payload: body },
    { label: 'empty boundary', type: 'multipart/form-data; boundary=', payload: body },
    { label: 'another boundary', type: 'multipart/form-data; boundary=elsewhere', payload: body },
    { label: 'cut off', type: `multipart/form-data; boundary=${boundary}`, payload: body.subarray(0, body.length === 0 ? 0 : cut % body.length) },
    { label: 'not closed', type: `multipart/form-data; boundary=${boundary}`, payload: encodeParts(boundary, parts, false) },
    { label: 'garbage', type: `multipart/form-data; boundary=${boundary}`, payload: randomBytes(64 + (cut % 512)) },
    { label: 'empty', type: `multipart/form-data; boundary=${boundary}`, payload: Buffer.alloc(0) },
    { label: 'too many parts', type: `multipart/form-data; boundary=${boundary}`, payload: encodeParts(boundary, Array.from({ length: 60 }, (_, index) => ({ name: `f${index}`, filename: index % 2 ? 'a.bin' : undefined, contentType: undefined, disposition: 'form-data', value: 'x' }))) },
    { label: 'multipart/mixed', type: `multipart/mixed; boundary=${boundary}`, payload: body }
  )
})

/** A body of the wrong kind for a JSON route (or any kind for a route that takes none). */
const wrongKindBody = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '"\\u0000"', 'null', '1e999', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}').map((payload) => ({ label: 'broken JSON', type: 'application/json', payload: Buffer.from(payload) })),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ label: 'binary as JSON', type: 'application/json', payload: Buffer.from(bytes) })),
  fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'text/csv', 'application/xml', 'application/json; charset=latin-1', 'application/merge-patch+json', 'x/y', ''), fc.uint8Array({ maxLength: 300 }))
    .map(([type, bytes]) => ({ label: `as ${type || 'no type'}`, type, payload: Buffer.from(bytes) })),
  fc.string({ maxLength: 200 }).map((text) => ({ label: 'form fields', type: 'application/x-www-form-urlencoded', payload: Buffer.from(`a=${encodeURIComponent(text)}&a=1&b[c]=2`) }))
)

/** The answer, or null when none came in time (a request that hangs is a finding, not a hung suite). */
async function answerWithin<T> (pending: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms) })
  try {
    return await Promise.race([pending, late])
  } finally {
    clearTimeout(timer)
  }
}

t.test('malformed multipart and bodies of the wrong kind are refused cleanly', async (t) => {
  const { built: { app, logs }, routes } = await withRouteTable(() => buildTestApp(t, { env: QUIET_ENV }))
  const cast = await fuzzCast(app)
  const seed = fuzzSeed()
  t.comment(`FUZZ_SEED=${seed}`)

  // real resources, so a request is not turned away at "not found" before its body is read
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: filedCase } = await filed(app, desk.applicant, item.id)
  const trading = await tradingDesk(app)
  const project = await acceptedProject(app, trading)
  const drafted = await app.inject({ method: 'POST', url: '/api/tenders', headers: trading.agency.headers, payload: tenderInput(app, project.id) })
  t.equal(drafted.statusCode, 201, 'a drafted tender to upload documents to')
  const ids: Record<string, string> = { caseId: filedCase.id, tenderId: drafted.json().id, departmentId: desk.department.id, itemId: item.id }
  const owners: Record<string, Caller> = {
    'POST /api/cases': { name: 'applicant', user: desk.applicant },
    'POST /api/cases/window': { name: 'clerk', user: desk.clerk },
    'POST /api/cases/{caseId}/correction': { name: 'applicant', user: desk.applicant },
    'POST /api/tenders/{tenderId}/documents': { name: 'agency', user: trading.agency }
  }

  const operations = (await loadOperations(app)).filter(({ method }) => method !== 'GET' && method !== 'DELETE')
  const multipartOperations = operations.filter(({ multipart }) => multipart)
  t.ok(multipartOperations.length >= 5, `${multipartOperations.length} multipart operations`)

  /** The caller to send as: the resource's owner, else the first role the route admits. */
  function callerFor (operation: Operation): Caller {
    const name = `${operation.method} ${operation.path}`
    if (owners[name]) return owners[name]
    const policy = routes.find(({ method, url }) => method === operation.method && url === routeUrlOf(operation.path))?.policy
    if (policy === 'bank') return { name: 'bank', user: 'bank' }
    if (policy === 'public') return cast.callers[0]!
    return cast.callers.find((caller) => rolesAllowed(policy).some((role) => role === caller.name)) ?? cast.callers[0]!
  }

  const findings = new Findings()
  async function fuzz (operation: Operation, bodies: fc.Arbitrary<{ label: string, type: string, payload: Buffer }>, runs: number, index: number) {
    const name = `${operation.method} ${operation.path}`
    const caller = callerFor(operation)
    const url = fillPath(operation.path, Object.fromEntries(operation.pathParams.map(({ name: param }) =>
      [param, ids[param] ?? (param === 'bankCode' ? cast.bank.code : param === 'date' ? '2026-12-05' : '00000000-0000-4000-8000-000000000000')])))
    const before = await databaseFingerprint(app)
    let admitted = false
    await fc.assert(fc.asyncProperty(bodies, async ({ label, type, payload }) => {
      const sent = { method: operation.method, url, payload, headers: type ? { 'content-type': type } : {} }
      const response = await answerWithin(sendAs(app, cast, caller, sent), 10_000)
      if (response === null) {
        findings.add(name, `${label}: no answer`, `${describeRequest(caller, { method: operation.method, url, payload: payload.subarray(0, 120).toString('latin1') })} → no answer within 10 s`)
        return
      }
      if (response.statusCode < 400) admitted = true
      const wrong = misbehaviour(response, operation.page)
      if (wrong) findings.add(name, `${label}: ${kindOf(response)}`, `${describeRequest(caller, { method: operation.method, url, payload: payload.subarray(0, 120).toString('latin1') })} → ${wrong}`)
    }), { numRuns: runs, seed: seed + index })
    if (!admitted) {
      const changed = changedTables(before, await databaseFingerprint(app))
      if (changed.length > 0) findings.add(name, 'write', `refused bodies changed ${changed.join(', ')}`)
    }
  }

  for (const [index, operation] of multipartOperations.entries()) await fuzz(operation, multipartBody, 40, index)
  for (const [index, operation] of operations.entries()) await fuzz(operation, wrongKindBody, operation.page ? 3 : 6, 1000 + index)

  t.same(findings.list, [], 'no 5xx, every refusal problem+json, nothing written by refused bodies')
  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})
