/**
 * Three instances (`src/server.ts` processes) behind Debian's nginx running deploy/nginx, on one
 * PostgreSQL database and one object store (a shared fs directory, or the S3 named by
 * S3_TEST_ENDPOINT). Through the proxy only: the instances see the real client, not a forged
 * X-Forwarded-For; a live opening's watchers spread over the instances keep every event when the
 * instance under some of them is SIGKILLed mid-decryption (they reconnect through nginx with their
 * last seq); and a batch of timers fires once each while an instance is killed and restarted.
 *
 * The data is prepared through an in-process app on the same database (the factories); no client
 * reaches it, and it closes before the timers it schedules are due. nginx missing is a failure,
 * not a skip.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import t from 'tap'
import { killWithThisProcess, onFreePort, startLoopbackProxy } from '../../deploy/nginx/loopback.ts'
import type { OpeningView } from '../../src/modules/openings/openings.schemas.ts'
import { openingRoom } from '../../src/modules/openings/openings.service.ts'
import { OBJECTION_TIMER, tenderRoom } from '../../src/modules/tenders/tenders.service.ts'
import { TEST_PASSWORD, createUser, organisation } from '../factories/accounts.ts'
import { openingUnderWay, type OpeningBidder } from '../factories/openings.ts'
import { publishedTender, tradingDesk } from '../factories/trading.ts'
import { buildTestApp, createTestDatabase, TEST_MASTER_KEY, type TestContext } from '../helper.ts'
import { connectLive, type LiveMessage, type TestLiveClient } from '../support/live-client.ts'
import { externalS3FromEnv } from '../support/s3-server.ts'
import { startServer, waitReady, type Running } from '../support/server-process.ts'

/** This suite's loopback ports (nginx and the instances). */
const PORT_RANGE = [42000, 42999] as const
const PRICES = ['1288800000', '1302500000', '1276000000', '1310000000']
const TIMERS = 30
/** sign-in attempts per client address and instance a minute */
const SIGN_IN_LIMIT = 3
const WAIT_MS = 20_000

interface LogEvent { room: string, seq: number, type: string, data: Record<string, unknown> }

// ---------------------------------------------------------------------------------------------
// the data, prepared in process

const databaseUrl = await createTestDatabase(t)
const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} })
t.teardown(() => sql.end())
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-three-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))
const s3 = externalS3FromEnv()
const storageEnv: Record<string, string> = s3
  ? { STORAGE_DRIVER: 's3', S3_ENDPOINT: s3.endPoint, S3_REGION: s3.region, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: `openhall-three-${randomBytes(5).toString('hex')}` }
  : {}
const sharedEnv = { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, MASTER_KEY: TEST_MASTER_KEY, ...storageEnv }

const preparing = await buildTestApp(t, { databaseUrl, env: sharedEnv })
const signingIn = await createUser(preparing.app)
// an opening in its decryption window (frozen by this app's clock, weeks ahead; the window is
// still open by the instances' real clocks)
const opening = await openingUnderWay(preparing.app, t, PRICES)
// back on real time: timers are due by an app's clock, and by the weeks-ahead one this app's
// explicit firings would flag the objections below overdue before the instances could
preparing.app.clock.now = () => new Date()
// objections to a tender's documents, each with its overdue timer (moved to "soon" in the timer test)
const objected = await publishedTender(preparing.app, await tradingDesk(preparing.app))
const objector = await organisation(preparing.app, 'bidder')
const registered = await preparing.app.inject({ method: 'POST', url: `/api/tenders/${objected.id}/registration`, headers: objector.headers })
if (registered.statusCode !== 200) throw new Error(`registration: ${registered.body}`)
const objectionIds: string[] = []
for (let i = 0; i < TIMERS; i++) {
  const filed = await preparing.app.inject({ method: 'POST', url: `/api/tenders/${objected.id}/objections`, headers: objector.headers, payload: { text: `异议 ${i + 1}：资格条件设置不合理。` } })
  if (filed.statusCode !== 201) throw new Error(`objection: ${filed.body}`)
  objectionIds.push(filed.json().id as string)
}
// from here on no client reaches this app; it stays open only to schedule the timers of the last
// test through the timers service, and closes before they are due

// ---------------------------------------------------------------------------------------------
// the cluster: three instances, nginx in front

class Instance {
  running: Running | null = null
  constructor (readonly port: number) {}

  async start (): Promise<void> {
    const running = startServer({
      ...sharedEnv,
      PORT: String(this.port),
      // the address users would reach; requests here carry bearer tokens, so no check compares it
      PUBLIC_URL: 'http://hall.test',
      // nginx connects from 127.0.0.1; the test's clients come from other loopback addresses
      TRUST_PROXY: '127.0.0.1',
      LOGIN_RATE_LIMIT_PER_MINUTE: String(SIGN_IN_LIMIT),
      LOG_LEVEL: 'warn'
    })
    this.running = running
    killWithThisProcess(running.child)
    const failed = running.exited.then((code) => { throw new Error(`instance on ${this.port} exited (${code}): ${running.output()}`) })
    failed.catch(() => {})
    await Promise.race([failed, waitReady(this.port, 120_000).catch((error: Error) => { throw new Error(`${error.message}\n${running.output()}`) })])
  }

  async kill (): Promise<void> {
    const running = this.running!
    running.child.kill('SIGKILL')
    await running.exited
  }
}

const instances: Instance[] = []
const taken = new Set<number>()
await Promise.all(Array.from({ length: 3 }, () => onFreePort(PORT_RANGE[0], PORT_RANGE[1], async (port) => {
  const instance = new Instance(port)
  await instance.start()
  instances.push(instance)
}, taken)))
const proxy = await onFreePort(PORT_RANGE[0], PORT_RANGE[1], (port) => startLoopbackProxy({ port, upstreams: instances.map((instance) => instance.port) }), taken)
const proxyUrl = proxy.url
t.teardown(() => proxy.stop())

// ---------------------------------------------------------------------------------------------
// clients (HTTP from a chosen loopback address, and live sockets), all through nginx

interface Answer { status: number, body: any }

/** One request to nginx from `from` (127.0.0.0/8 is all loopback: each address is another client). */
async function call (pathname: string, options: { method?: string, headers?: Record<string, string>, json?: unknown, from?: string } = {}): Promise<Answer> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json)
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port: Number(new URL(proxyUrl).port),
      localAddress: options.from ?? '127.0.0.1',
      path: pathname,
      method: options.method ?? 'GET',
      headers: { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
    }, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => { text += chunk.toString() })
      response.on('end', () => {
        let parsed: unknown = text
        try { parsed = JSON.parse(text) } catch {}
        resolve({ status: response.statusCode!, body: parsed })
      })
    })
    request.on('error', reject)
    request.end(body)
  })
}

async function socket (t: TestContext, token: string): Promise<TestLiveClient> {
  const client = await connectLive(proxyUrl, token)
  client.socket.on('error', () => {})
  t.teardown(() => { client.socket.terminate() })
  return client
}

async function subscribe (client: TestLiveClient, room: string, since = 0): Promise<LiveMessage> {
  const from = client.messages.length
  client.send({ type: 'subscribe', room, since })
  return client.next((message) => client.messages.indexOf(message) >= from && (message.type === 'subscribed' || message.type === 'error') && message.room === room, WAIT_MS)
}

const received = (client: TestLiveClient, room: string) =>
  client.messages.filter((message) => message.type === 'event' && message.room === room).map((message) => [message.seq!, message.event!] as [number, string])

async function roomLog (room: string, headers: Record<string, string>): Promise<LogEvent[]> {
  const answer = await call(`/api/live/rooms/${room}/events?since=0&limit=500`, { headers })
  if (answer.status !== 200) throw new Error(`room log: ${answer.status} ${JSON.stringify(answer.body)}`)
  return (answer.body as { events: LogEvent[] }).events
}

async function until<T> (read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The upstreams each finished request was passed to, in order (several when nginx moved on from
 * a dead instance), from nginx's access log: `… "METHOD URI PROTOCOL" … upstream=a, b urt=…`.
 */
async function upstreamsOf (method: string, uri: RegExp): Promise<string[][]> {
  const served: string[][] = []
  for (const line of (await readFile(proxy.accessLog, 'utf8')).split('\n')) {
    const [, requestMethod, requestUri] = /"(\S+) (\S+) [^"]*"/.exec(line) ?? []
    if (requestMethod === method && uri.test(requestUri ?? '')) served.push((/upstream=(.*?) urt=/.exec(line)?.[1] ?? '').split(', '))
  }
  return served
}

// ---------------------------------------------------------------------------------------------

t.test('through nginx the instances see the real client: sessions, audit and sign-in limits ignore a forged X-Forwarded-For', async (t) => {
  const signedIn = await call('/api/auth/login', { method: 'POST', from: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.7' }, json: { username: signingIn.username, password: TEST_PASSWORD } })
  t.equal(signedIn.status, 200, `signed in through nginx (${signedIn.status} ${signedIn.body.code ?? ''})`)
  const sessions = await call('/api/auth/sessions', { headers: { authorization: `Bearer ${signedIn.body.token as string}` } })
  t.equal(sessions.status, 200)
  t.equal((sessions.body as Array<{ id: string, ip: string }>).find((session) => session.id === signedIn.body.sessionId)?.ip, '127.0.0.2', 'the session records the address nginx saw')
  const [entry] = await sql<Array<{ payload: { ip: string } }>>`select payload from audit_entries where action = 'session.created' and payload->>'sessionId' = ${signedIn.body.sessionId as string}`
  t.equal(entry?.payload.ip, '127.0.0.2', 'and so does its audit entry')

  // a client forging a fresh X-Forwarded-For (and a fresh account name) for every attempt is still
  // one client: its failures add up against 127.0.0.3 until it is held back
  const answers: Answer[] = []
  for (let i = 0; i < 3 * SIGN_IN_LIMIT + 6; i++) {
    answers.push(await call('/api/auth/login', { method: 'POST', from: '127.0.0.3', headers: { 'x-forwarded-for': `198.51.100.${i + 1}` }, json: { username: `nobody.${i}`, password: 'not-the-password-1' } }))
  }
  const statuses = answers.map((answer) => answer.status)
  t.ok(statuses.filter((status) => status === 401).length <= 3 * SIGN_IN_LIMIT, `at most ${SIGN_IN_LIMIT} attempts per instance were checked: ${statuses.join(' ')}`)
  const held = answers.filter((answer) => answer.status === 429)
  t.ok(held.length >= 6, 'the rest were held back')
  t.ok(held.every((answer) => ['RATE_LIMITED', 'SIGN_IN_THROTTLED'].includes(answer.body.code)), `as the client's: ${[...new Set(held.map((answer) => answer.body.code as string))].join(', ')}`)
  t.equal((await call('/api/auth/login', { method: 'POST', from: '127.0.0.4', json: { username: 'nobody.else', password: 'not-the-password-1' } })).status, 401, 'another client is not held back')
})

t.test('a live opening through nginx: watchers on every instance; the instance under some of them is SIGKILLed mid-decryption and they resume with their last seq, missing and repeating nothing', async (t) => {
  const { tender, bidders, supervisor } = opening
  const room = openingRoom(tender.id)
  const official = supervisor.headers
  const reveal = async (bidder: OpeningBidder) => call(`/api/openings/${tender.id}/reveals`, { method: 'POST', headers: bidder.certHeaders, json: bidder.reveal })
  const decrypted = (bidder: OpeningBidder) => (message: LiveMessage) => message.event === 'opening.bid_decrypted' && (message.data as { bidderId: string }).bidderId === bidder.user.id

  // six supervisor sockets: presence tells on which instance each one is served
  const watchers: TestLiveClient[][] = []
  for (let i = 0; i < 6; i++) {
    const client = await socket(t, supervisor.token)
    t.match(await subscribe(client, room), { type: 'subscribed' })
    watchers.push([client])
  }
  const [spread] = await until(() => sql<Array<{ sockets: number, instances: number }>>`select count(*)::int as sockets, count(distinct instance_id)::int as instances from live_presence where room_id = ${room}`,
    (rows) => rows[0]!.sockets === 6, 'six sockets in presence')
  t.equal(spread!.instances, 3, 'nginx spread the sockets over the three instances')

  const [first, second, third, fourth] = bidders as [OpeningBidder, OpeningBidder, OpeningBidder, OpeningBidder]
  t.equal((await reveal(first)).status, 200)
  for (const [client] of watchers) await client!.next(decrypted(first), WAIT_MS)

  // SIGKILL the first instance: the sockets it served are cut, the others stay
  const victim = instances[0]!
  await victim.kill()
  const cut: number[] = []
  await Promise.all(watchers.map(async ([client], index) => {
    const closed = await Promise.race([client!.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000))])
    if (closed) cut.push(index)
  }))
  t.ok(cut.length >= 1 && cut.length < watchers.length, `the killed instance's sockets were cut (${cut.length} of ${watchers.length}), the others kept`)
  // a socket's line is written when it ends
  const liveSockets = await until(() => upstreamsOf('GET', /^\/api\/live$/), (lines) => lines.length >= cut.length, 'the cut sockets in the access log')
  t.ok(liveSockets.length === cut.length && liveSockets.every((attempts) => attempts.join() === `127.0.0.1:${victim.port}`), 'nginx logs the cut sockets as served by the killed instance')

  // the opening goes on without it; the cut watchers come back through nginx at once
  const whileDown = await reveal(second)
  t.equal(whileDown.status, 200, `a reveal while an instance is down (${whileDown.status} ${whileDown.body.code ?? ''})`)
  for (const index of cut) {
    const runs = watchers[index]!
    const lastSeq = Math.max(...received(runs[0]!, room).map(([seq]) => seq))
    const again = await socket(t, supervisor.token)
    t.match(await subscribe(again, room, lastSeq), { type: 'subscribed' }, `watcher ${index} resumes after seq ${lastSeq}`)
    runs.push(again)
  }
  await victim.start()
  t.equal((await reveal(third)).status, 200)
  t.equal((await reveal(fourth)).status, 200)

  const view = await call(`/api/openings/${tender.id}`)
  t.equal((view.body as OpeningView).state, 'confirming', 'every bid opened: the record is published')
  t.same((view.body as OpeningView).bids.map((bid) => bid.fields?.priceFen), PRICES)
  // each reveal was served by one instance, and the watchers were on all three: every event below
  // reached sockets on instances other than the one that made it
  const reveals = await upstreamsOf('POST', /^\/api\/openings\/[^/]+\/reveals$/)
  const addresses = instances.map((instance) => `127.0.0.1:${instance.port}`)
  t.equal(reveals.length, 4)
  t.ok(reveals.every((attempts) => addresses.includes(attempts.at(-1)!)), `each reveal was answered by an instance (${reveals.map((attempts) => attempts.join(' → ')).join('; ')})`)
  t.notOk(reveals[1]!.at(-1) === `127.0.0.1:${victim.port}`, 'the one made while an instance was down by another instance')

  const log = await roomLog(room, official)
  t.equal(log.at(-1)!.type, 'opening.confirming')
  const whole = log.map((event) => [event.seq, event.type] as [number, string])
  for (const [index, runs] of watchers.entries()) {
    await runs.at(-1)!.next((message) => message.type === 'event' && message.seq === log.at(-1)!.seq, WAIT_MS)
    const got = runs.flatMap((client) => received(client, room))
    t.same(got, whole, `watcher ${index}${cut.includes(index) ? ' (cut, resumed)' : ''}: the whole room log, in order, each event once`)
  }
})

t.test('timers fire once each across the three instances while one of them is SIGKILLed and restarted', async (t) => {
  // the app that prepared the data moves the objections' overdue timers to the next seconds,
  // through the timers service, and closes before the first is due: only the three instances fire them
  const firstAt = Date.now() + 2000
  await preparing.app.db.transaction(async (tx) => {
    for (const [i, objectionId] of objectionIds.entries()) {
      await preparing.app.timers.schedule(tx, { kind: OBJECTION_TIMER, key: `${OBJECTION_TIMER}:${objectionId}`, fireAt: new Date(firstAt + i * 200), payload: { objectionId } })
    }
  })
  await preparing.app.close()
  const keys = objectionIds.map((id) => `${OBJECTION_TIMER}:${id}`)
  const firedCount = async () => (await sql<Array<{ n: number }>>`select count(*)::int as n from timers where key in ${sql(keys)} and fired_at is not null`)[0]!.n

  const firedAtKill = await until(firedCount, (n) => n >= TIMERS / 4, 'a quarter of the timers fired')
  const victim = instances[1]!
  await victim.kill()
  t.ok(firedAtKill < TIMERS, `the kill came mid-batch (${firedAtKill} of ${TIMERS} fired)`)
  await victim.start()
  await until(firedCount, (n) => n === TIMERS, 'every timer fired')

  const rows = await sql<Array<{ attempts: number, lastError: string | null }>>`select attempts, last_error as "lastError" from timers where key in ${sql(keys)}`
  t.same(rows.map((row) => row.attempts), keys.map(() => 1), 'each timer fired in one committed attempt')
  t.same(rows.filter((row) => row.lastError !== null), [], 'none failed')
  const audited = await sql<Array<{ objectionId: string, entries: number }>>`
    select payload->>'objectionId' as "objectionId", count(*)::int as entries from audit_entries
    where action = 'tender.objection_overdue' and subject_id = ${objected.id} group by 1`
  t.same(audited.map((row) => row.objectionId).sort(), [...objectionIds].sort(), 'every objection is flagged overdue in the audit chain')
  t.ok(audited.every((row) => row.entries === 1), 'once each')
  const log = await roomLog(tenderRoom(objected.id), opening.supervisor.headers)
  const flagged = log.filter((event) => event.type === 'tender.objection_overdue').map((event) => event.data.objectionId as string)
  t.same([...flagged].sort(), [...objectionIds].sort(), 'and announced once each in the tender\'s room')
})

t.test('every instance still answers through nginx, and shuts down cleanly', async (t) => {
  for (const instance of instances) {
    const ready = await fetch(`http://127.0.0.1:${instance.port}/ready`)
    t.equal(ready.status, 200, `instance on ${instance.port} is ready`)
  }
  t.equal((await call('/ready')).status, 200)
  for (const instance of instances) {
    instance.running!.child.kill('SIGTERM')
    t.equal(await instance.running!.exited, 0, `instance on ${instance.port} stopped on SIGTERM`)
  }
  t.equal((await call('/ready')).status, 502, 'with no instance left nginx answers 502')
})
