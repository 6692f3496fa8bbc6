/**
 * What the HTTP fuzzers found outside the platform plugins, each pinned by the request that
 * showed it: answered with a coded 4xx now, nothing written, nothing logged above warn.
 */
import t from 'tap'
import { hallAdmin } from '../factories/accounts.ts'
import { buildTestApp, countRows } from '../helper.ts'
import { aboveWarn } from './openapi.ts'

t.test('a venue whose seats are not a number is refused, from the page as from the service', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const before = await countRows(app, 'venues')
  // found: the hall's page turned seats "y" into NaN and PostgreSQL refused it (500)
  const page = await app.inject({
    method: 'POST',
    url: '/hall/venues',
    headers: { ...admin.headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'code=K1&name=%E5%BC%80%E6%A0%87%E5%AE%A4&seats=y'
  })
  t.equal(page.statusCode, 400, 'the page answers 400 (a form mistake, shown beside the field)')
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /1 至 2000/, 'and says in words what a venue needs')
  const actor = { principal: { accountId: admin.id, grants: [{ role: 'hall_admin' as const, scopeType: 'hall' as const, scopeId: null }] }, requestId: 'test' } as unknown as Parameters<typeof app.services.projects.createVenue>[0]
  await t.rejects(app.services.projects.createVenue(actor, { code: 'K2', name: '开标室', seats: Number.NaN }), { code: 'VENUE_INVALID', statusCode: 422 }, 'the service checks what it is given')
  await t.rejects(app.services.projects.createVenue(actor, { code: 'K3', name: '开标室', seats: 0 }), { code: 'VENUE_INVALID' })
  t.equal(await countRows(app, 'venues'), before, 'no venue written')
  const valid = await app.inject({ method: 'POST', url: '/api/venues', headers: admin.headers, payload: { code: 'K4', name: '第一开标室', seats: 40 } })
  t.equal(valid.statusCode, 201, 'a valid venue is still created')
  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})

t.test('a plain HTTP request to the WebSocket address is told to upgrade', async (t) => {
  const { app } = await buildTestApp(t)
  // found: @fastify/websocket answered an empty 404 with no media type
  const response = await app.inject({ method: 'GET', url: '/api/live?since=1' })
  t.equal(response.statusCode, 426)
  t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(response.json().code, 'UPGRADE_REQUIRED')
})

t.test('the router\'s own refusals are problem+json too', async (t) => {
  const { app, logs } = await buildTestApp(t)
  // found: Fastify's default answers ({ error, code: 'FST_ERR_…', message }) as application/json
  const notUtf8 = await app.inject({ method: 'GET', url: '/api/departments/%FF%FE' })
  t.equal(notUtf8.statusCode, 400)
  t.equal(notUtf8.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(notUtf8.json().code, 'BAD_URL')
  t.ok(notUtf8.json().requestId, 'with the request id')
  const tooLong = await app.inject({ method: 'GET', url: `/api/departments/${'a'.repeat(600)}` })
  t.equal(tooLong.statusCode, 414)
  t.equal(tooLong.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})
