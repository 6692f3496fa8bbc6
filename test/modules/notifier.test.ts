/**
 * The notifier: the inbox, messages committed with their cause, the signed SMS webhook (checked
 * by a small gateway on a loopback port) with its retries, and the simulated gateway's refusal
 * in production.
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { createUser } from '../factories/accounts.ts'
import { registerPerson } from '../factories/registration.ts'
import { setClock } from '../factories/cases.ts'
import { buildTestApp, countRows } from '../helper.ts'

const SECRET = 'gateway-shared-secret-0123456789abcdef'

interface Received { headers: IncomingMessage['headers'], body: string, signatureValid: boolean }

/** A gateway on a loopback port that checks the signature and answers as the test says. */
async function fakeGateway (t: { teardown (fn: () => unknown): void }, answer: (count: number, res: ServerResponse) => void) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const timestamp = String(req.headers['x-openhall-timestamp'])
      const expected = `hmac-sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`
      received.push({ headers: req.headers, body, signatureValid: req.headers['x-openhall-signature'] === expected })
      answer(received.length, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`, received }
}

t.test('the inbox: messages listed newest first, an unread count, marked read; another\'s message is not found', async (t) => {
  const { app } = await buildTestApp(t)
  const reader = await createUser(app)
  const other = await createUser(app)
  setClock(app, '2026-05-06T02:00:00Z')
  await app.db.transaction(async (tx) => {
    await app.services.notifier.notify(tx, { recipientId: reader.id, kind: 'test.first', subject: '第一条', body: '正文一', actorId: null })
  })
  setClock(app, '2026-05-06T03:00:00Z')
  const { messageId } = await app.db.transaction((tx) => app.services.notifier.notify(tx, { recipientId: reader.id, kind: 'test.second', subject: '第二条', body: '正文二', link: '/my/cases', actorId: null }))

  const inbox = await app.inject({ method: 'GET', url: '/api/messages', headers: reader.headers })
  t.equal(inbox.statusCode, 200)
  t.same(inbox.json().items.map((m: { subject: string }) => m.subject), ['第二条', '第一条'])
  t.equal(inbox.json().unread, 2)
  t.equal((await app.inject({ method: 'GET', url: '/api/messages', headers: other.headers })).json().total, 0, 'each account sees its own')

  const foreign = await app.inject({ method: 'POST', url: `/api/messages/${messageId}/read`, headers: other.headers })
  t.equal(foreign.statusCode, 404)
  t.equal(foreign.json().code, 'MESSAGE_NOT_FOUND')
  const read = await app.inject({ method: 'POST', url: `/api/messages/${messageId}/read`, headers: reader.headers })
  t.equal(read.json().readAt, '2026-05-06T03:00:00.000Z')
  t.equal((await app.inject({ method: 'GET', url: '/api/messages?unread=true', headers: reader.headers })).json().total, 1)
  t.equal((await app.inject({ method: 'POST', url: '/api/messages/read-all', headers: reader.headers })).json().marked, 1)
  t.equal((await app.inject({ method: 'GET', url: '/api/messages', headers: reader.headers })).json().unread, 0)
  t.equal((await app.inject({ method: 'GET', url: '/api/messages' })).statusCode, 401)
})

t.test('a message, its text and its audit entry commit with the change that causes them, or not at all', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createUser(app)
  await app.db.$client`update accounts set phone = '13900001111', phone_confirmed_at = now() where id = ${user.id}`
  const before = { inbox: await countRows(app, 'inbox_messages'), outbox: await countRows(app, 'sms_outbox'), audit: await countRows(app, 'audit_entries') }
  await t.rejects(app.db.transaction(async (tx) => {
    await app.services.notifier.notify(tx, { recipientId: user.id, kind: 'test.rolled_back', subject: '不应出现', body: '…', sms: true, actorId: null })
    throw new Error('the change failed')
  }))
  t.same({ inbox: await countRows(app, 'inbox_messages'), outbox: await countRows(app, 'sms_outbox'), audit: await countRows(app, 'audit_entries') }, before, 'nothing of a rolled-back change')

  const { outboxId } = await app.db.transaction((tx) => app.services.notifier.notify(tx, { recipientId: user.id, kind: 'test.kept', subject: '您的办件有新进展', body: '…', sms: true, actorId: null }))
  t.ok(outboxId, 'a confirmed mobile number gets a text')
  await app.timers.fireDue()
  const [received] = await app.services.notifier.listSimulated({ phone: '13900001111' })
  t.equal(received?.text, '您的办件有新进展')
  t.equal((await app.services.notifier.getDelivery(outboxId!))?.status, 'sent')

  await app.db.$client`update accounts set phone_confirmed_at = null where id = ${user.id}`
  const unconfirmed = await app.db.transaction((tx) => app.services.notifier.notify(tx, { recipientId: user.id, kind: 'test.inbox_only', subject: '只在站内', body: '…', sms: true, actorId: null }))
  t.equal(unconfirmed.outboxId, null, 'an unconfirmed number is never texted')
})

t.test('the webhook: signed POSTs a gateway can verify, retried with backoff, a refusal final, no secret or code in the logs', async (t) => {
  let mode: 'fail' | 'ok' | 'refuse' | 'slow' = 'fail'
  const gateway = await fakeGateway(t, (_count, res) => {
    if (mode === 'slow') return setTimeout(() => { res.end('{}') }, 1500).unref()
    if (mode === 'fail') { res.statusCode = 503; return res.end('busy') }
    if (mode === 'refuse') { res.statusCode = 400; return res.end('bad number') }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ id: 'gw-123' }))
  })
  const { app, logs } = await buildTestApp(t, { env: { SMS_DRIVER: 'webhook', SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_SECRET: SECRET, SMS_TIMEOUT_MS: '300', SMS_MAX_ATTEMPTS: '3' } })
  const start = new Date('2026-05-06T02:00:00Z')
  setClock(app, start)

  const { response, phone } = await registerPerson(app, { username: 'webhook.user' })
  t.equal(response.statusCode, 201)
  await app.timers.fireDue()
  t.equal(gateway.received.length, 1, 'the code goes out after commit, when the timer fires')
  const first = gateway.received[0]!
  t.ok(first.signatureValid, 'the gateway verifies the HMAC-SHA256 signature over timestamp.body')
  t.equal(first.headers['x-openhall-timestamp'], String(start.getTime() / 1000), 'the timestamp is the app\'s clock')
  t.equal(first.headers['content-type'], 'application/json')
  const sent = JSON.parse(first.body) as { id: string, to: string, text: string, kind: string }
  t.equal(sent.to, phone)
  t.equal(sent.kind, 'account.register_code')
  const code = /(\d{6})/.exec(sent.text)![1]!

  const [delivery] = await app.services.notifier.listDeliveries({})
  t.equal(delivery?.status, 'queued', 'a 503 is tried again')
  t.equal(delivery?.attempts, 1)
  t.equal(delivery?.lastError, 'gateway answered 503')
  t.equal(delivery?.phone, `${phone.slice(0, 3)}****${phone.slice(-4)}`, 'the number is masked in every view')

  await app.timers.fireDue()
  t.equal(gateway.received.length, 1, 'not before the backoff has passed')
  mode = 'ok'
  setClock(app, new Date(start.getTime() + 30_000))
  await app.timers.fireDue()
  t.equal(gateway.received.length, 2, 'after 30 s the second attempt')
  t.ok(gateway.received[1]!.signatureValid)
  const delivered = await app.services.notifier.getDelivery(delivery!.id)
  t.equal(delivered?.status, 'sent')
  t.equal(delivered?.attempts, 2)
  const [stored] = await app.db.$client<Array<{ text: string | null, gateway_id: string }>>`select text, gateway_id from sms_outbox where id = ${delivery!.id}`
  t.equal(stored?.text, null, 'the text of a code is erased once delivered')
  t.equal(stored?.gateway_id, 'gw-123')

  // a gateway that refuses the message: final at once, audited
  mode = 'refuse'
  const other = await registerPerson(app, { username: 'refused.number' })
  t.equal(other.response.statusCode, 201)
  await app.timers.fireDue()
  const refused = (await app.services.notifier.listDeliveries({}))[0]!
  t.equal(refused.status, 'failed')
  t.equal(refused.attempts, 1)
  const [failedAudit] = await app.db.$client`select action from audit_entries where subject_id = ${refused.id} and action = 'sms.failed'`
  t.ok(failedAudit, 'a delivery that failed for good is audited')

  // a gateway that does not answer in time: a timeout, tried again until the attempts run out
  mode = 'slow'
  setClock(app, new Date(start.getTime() + 120_000))
  const slow = await registerPerson(app, { username: 'slow.gateway' })
  t.equal(slow.response.statusCode, 201)
  await app.timers.fireDue()
  const timedOut = (await app.services.notifier.listDeliveries({}))[0]!
  t.equal(timedOut.lastError, 'no answer within 300 ms')
  t.equal(timedOut.status, 'queued')
  setClock(app, new Date(start.getTime() + 120_000 + 30_000))
  await app.timers.fireDue()
  setClock(app, new Date(start.getTime() + 120_000 + 30_000 + 120_000))
  await app.timers.fireDue()
  const gaveUp = (await app.services.notifier.getDelivery(timedOut.id))!
  t.equal(gaveUp.status, 'failed', 'SMS_MAX_ATTEMPTS=3 attempts, then failed')
  t.equal(gaveUp.attempts, 3)

  const written = JSON.stringify(logs)
  t.notMatch(written, SECRET, 'the webhook secret is never logged')
  t.notMatch(written, code, 'the one-time code is never logged')
  t.notMatch(written, phone, 'nor the full number')
})

t.test('the simulated gateway is refused in production; production defaults to no texts', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production', SMS_DRIVER: 'simulated' }), ConfigError)
  t.throws(() => loadConfig({ NODE_ENV: 'production', SMS_DRIVER: 'simulated' }), /SMS_DRIVER must not be "simulated" in production/)
  t.equal(loadConfig({ NODE_ENV: 'production' }).sms.driver, 'none')
  t.equal(loadConfig({}).sms.driver, 'simulated', 'outside production the demo\'s codes arrive at the simulated gateway')
  t.throws(() => loadConfig({ SMS_DRIVER: 'webhook' }), /SMS_WEBHOOK_URL is required/)
  t.throws(() => loadConfig({ SMS_DRIVER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example/send', SMS_WEBHOOK_SECRET: 'short' }), /SMS_WEBHOOK_SECRET/)
  const webhook = loadConfig({ NODE_ENV: 'production', SMS_DRIVER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example/send', SMS_WEBHOOK_SECRET: SECRET })
  t.equal(webhook.sms.driver, 'webhook')

  const { app } = await buildTestApp(t, { env: { SMS_DRIVER: 'none' } })
  const admin = await createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: '/api/simulated-sms', headers: admin.headers })).statusCode, 404, 'no simulated inbox without the simulated gateway')
  t.equal((await app.inject({ method: 'GET', url: '/admin/simulated-sms', headers: admin.headers })).statusCode, 404)
})
