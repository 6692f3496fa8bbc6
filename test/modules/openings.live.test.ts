/**
 * The live bid opening over real WebSockets: bad input and flooding on an opening room, private
 * rooms refused (and logged), who receives which events (prices only to officials and the bidder
 * itself), presence, resumption with `since`, two instances on one database, and a hard restart
 * of the server process in the middle of the decryption window.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { createSignedData } from '../../src/lib/cms/index.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import type { OpeningBidView, OpeningView } from '../../src/modules/openings/openings.schemas.ts'
import { openingRoom } from '../../src/modules/openings/openings.service.ts'
import { baseUrl, buildTestApp, TEST_MASTER_KEY, type TestContext } from '../helper.ts'
import { advance, openingApi, openingUnderWay, tenderWithBids, type OpeningBidder } from '../factories/openings.ts'
import { acceptedProject, addVenue, passDeadline, tenderInput, type TestBidder } from '../factories/trading.ts'
import { connectLive, type LiveMessage, type TestLiveClient } from '../support/live-client.ts'
import { freePort, startServer, waitReady, type Running } from '../support/server-process.ts'

const PRICES = ['1288800000', '1302500000', '1276000000', '1310000000']
const WAIT_MS = 15_000

interface LogEvent { room: string, seq: number, type: string, at: string, data: Record<string, unknown> }
interface PresenceRow { accountId: string, displayName: string, connections: number, since: string }
type Headers = Record<string, string>

const tokenOf = (headers: { authorization: string }) => headers.authorization.slice('Bearer '.length)

/** Opens a socket (closed at teardown) that swallows transport errors, so a killed server only closes it. */
async function socket (t: TestContext, url: string, token?: string): Promise<TestLiveClient> {
  const client = await connectLive(url, token)
  client.socket.on('error', () => {})
  t.teardown(() => { client.socket.terminate() })
  return client
}

/** The first message from index `from` on that matches. */
function nextFrom (client: TestLiveClient, from: number, predicate: (message: LiveMessage) => boolean, timeoutMs = WAIT_MS): Promise<LiveMessage> {
  return client.next((message) => client.messages.indexOf(message) >= from && predicate(message), timeoutMs)
}

async function subscribe (client: TestLiveClient, room: string, since = 0): Promise<LiveMessage> {
  const from = client.messages.length
  client.send({ type: 'subscribe', room, since })
  return nextFrom(client, from, (message) => (message.type === 'subscribed' || message.type === 'error') && message.room === room)
}

/** Room events this socket received, as [seq, type]. */
const received = (client: TestLiveClient, room: string, from = 0) =>
  client.messages.slice(from).filter((message) => message.type === 'event' && message.room === room).map((message) => [message.seq!, message.event!] as [number, string])

const isEvent = (room: string, seq: number) => (message: LiveMessage) => message.type === 'event' && message.room === room && message.seq === seq

/** The room log over HTTP as `headers` may see it (`inject` on an app, or fetch on a base URL). */
async function roomLog (target: FastifyInstance | string, room: string, headers: Headers = {}, since = 0): Promise<{ head: number, events: LogEvent[] }> {
  const url = `/api/live/rooms/${room}/events?since=${since}&limit=500`
  if (typeof target === 'string') {
    const response = await fetch(`${target}${url}`, { headers })
    if (response.status !== 200) throw new Error(`room log: ${response.status} ${await response.text()}`)
    return await response.json() as { head: number, events: LogEvent[] }
  }
  const response = await target.inject({ method: 'GET', url, headers })
  if (response.statusCode !== 200) throw new Error(`room log: ${response.body}`)
  return response.json()
}

const pairs = (events: LogEvent[]) => events.map((event) => [event.seq, event.type] as [number, string])

/** Polls `read` until `done` holds (presence rows are written in the background). */
async function until<T> (read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const withoutServerTime = (view: OpeningView) => ({ ...view, serverTime: undefined })

async function presenceOf (app: FastifyInstance, tenderId: string, headers: Headers): Promise<PresenceRow[]> {
  const response = await app.inject({ method: 'GET', url: `/api/openings/${tenderId}/presence`, headers })
  if (response.statusCode !== 200) throw new Error(`presence: ${response.body}`)
  return response.json()
}

async function revealOver (url: string, tenderId: string, bidder: OpeningBidder, headers: { authorization: string } = bidder.certHeaders) {
  const response = await fetch(`${url}/api/openings/${tenderId}/reveals`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(bidder.reveal) })
  return { status: response.status, body: await response.json() as OpeningBidView & { code?: string } }
}

/** certificateHeaders over the network: a challenge from the server, signed with the bidder's certificate key. */
async function certificateSessionAt (url: string, bidder: TestBidder): Promise<{ authorization: string }> {
  const challengeResponse = await fetch(`${url}/api/pki/challenges`, { method: 'POST' })
  if (challengeResponse.status !== 201) throw new Error(`challenge: ${challengeResponse.status} ${await challengeResponse.text()}`)
  const challenge = await challengeResponse.json() as { challengeId: string, challenge: string }
  const signature = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificate, bidder.key), content: Buffer.from(challenge.challenge), detached: false })
  const session = await fetch(`${url}/api/auth/certificate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challengeId: challenge.challengeId, signature: Buffer.from(signature).toString('base64') })
  })
  if (session.status !== 200) throw new Error(`certificate sign-in: ${session.status} ${await session.text()}`)
  return { authorization: `Bearer ${(await session.json() as { token: string }).token}` }
}

async function openingAt (url: string, tenderId: string, headers: Headers = {}): Promise<OpeningView> {
  const response = await fetch(`${url}/api/openings/${tenderId}`, { headers })
  if (response.status !== 200) throw new Error(`opening: ${response.status} ${await response.text()}`)
  return await response.json() as OpeningView
}

t.test('bad input on an opening room\'s socket is answered, flooding is cut off, private rooms are not there', async (t) => {
  const { app, logs } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const setup = await tenderWithBids(app, PRICES.slice(0, 3))
  const { desk, tender, bidders, supervisor: official } = setup
  // a tender the agency drafted and never published
  const venueId = await addVenue(app, desk.hall)
  const input = tenderInput(app, '')
  const project = await acceptedProject(app, desk, { openingAt: input.bidDeadline, venueId })
  const drafted = await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: { ...input, projectId: project.id } })
  t.equal(drafted.statusCode, 201, drafted.body)
  const draftRoom = openingRoom(drafted.json().id as string)
  await passDeadline(app, t, tender)
  const room = openingRoom(tender.id)
  const api = openingApi(app, tender.id)
  const before = (await api.get(official.headers)).json() as OpeningView
  t.equal(before.state, 'decrypting')
  const headBefore = (await roomLog(app, room, official.headers)).head

  // malformed input: each message answered with BAD_MESSAGE, the socket and its subscription stay
  const watcher = await socket(t, url)
  t.match(await subscribe(watcher, room), { type: 'subscribed', room, head: headBefore })
  const bad: Array<[string, (client: TestLiveClient) => void, RegExp]> = [
    ['malformed JSON', (client) => client.socket.send('{"type":"ping",'), /JSON objects/],
    ['null', (client) => client.socket.send('null'), /JSON objects/],
    ['an array', (client) => client.socket.send('[1]'), /JSON objects/],
    ['a number', (client) => client.socket.send('42'), /JSON objects/],
    ['a string', (client) => client.socket.send('"subscribe"'), /JSON objects/],
    ['a binary frame', (client) => client.socket.send(Buffer.from(JSON.stringify({ type: 'ping', id: 1 })), { binary: true }), /text frames/],
    ['an unknown type', (client) => client.send({ type: 'reveal', room }), /unknown message type/],
    ['no type at all', (client) => client.send({ room }), /unknown message type/]
  ]
  for (const [what, sendIt, detail] of bad) {
    const from = watcher.messages.length
    sendIt(watcher)
    const answer = await nextFrom(watcher, from, (message) => message.type === 'error')
    t.match(answer, { type: 'error', code: 'BAD_MESSAGE', detail }, `${what} → BAD_MESSAGE`)
  }
  for (const since of [-1, 1.5, '3']) {
    const answer = await subscribe(watcher, room, since as number)
    t.match(answer, { type: 'error', code: 'BAD_MESSAGE', detail: /since/ }, `since ${JSON.stringify(since)} → BAD_MESSAGE`)
  }
  t.match(await subscribe(watcher, room), { type: 'error', code: 'ALREADY_SUBSCRIBED' }, 'the subscription survived the bad messages')
  let from = watcher.messages.length
  watcher.send({ type: 'ping', id: 'after-bad' })
  t.match(await nextFrom(watcher, from, (message) => message.type === 'pong'), { id: 'after-bad' }, 'and the socket still answers')

  // flooding: a burst is served, the rest refused (RATE_LIMITED), then the socket is closed with 4029
  const flooder = bidders[0]!
  const flooding = await socket(t, url, tokenOf(flooder.certHeaders))
  t.match(await subscribe(flooding, room), { type: 'subscribed' })
  await until(() => presenceOf(app, tender.id, official.headers), (rows) => rows.some((row) => row.accountId === flooder.user.id), 'the flooder in presence')
  from = flooding.messages.length
  for (let i = 0; i < 300; i++) flooding.socket.send(JSON.stringify({ type: 'ping', id: i }))
  const closed = await Promise.race([flooding.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), WAIT_MS))])
  t.equal(closed?.code, 4029, 'closed for flooding')
  const answers = flooding.messages.slice(from)
  const pongs = answers.filter((message) => message.type === 'pong')
  t.ok(answers.some((message) => message.type === 'error' && message.code === 'RATE_LIMITED'), 'told it is rate-limited before the close')
  t.ok(pongs.length >= 30 && pongs.length <= 100, `the burst was served (${pongs.length} pongs), at least 200 pings in a row were refused`)
  const pongIds = pongs.map((message) => (message as { id?: number }).id!)
  t.ok(pongIds[0] === 0 && pongIds.every((id, index) => index === 0 || id > pongIds[index - 1]!), 'the served pings are the first ones, answered in order')
  const floodLogs = logs.filter((line) => line.msg === 'live socket closed for flooding')
  t.ok(floodLogs.length > 0 && floodLogs.every((line) => line.account === flooder.user.id), 'the flooding is logged with the account')
  t.equal(floodLogs.length, 1, 'and logged once: frames arriving after the cut-off are ignored')
  await until(() => presenceOf(app, tender.id, official.headers), (rows) => !rows.some((row) => row.accountId === flooder.user.id), 'the flooder gone from presence')

  const after = (await api.get(official.headers)).json() as OpeningView
  t.same(withoutServerTime(after), withoutServerTime(before), 'the opening is exactly as before')
  t.equal((await roomLog(app, room, official.headers)).head, headBefore, 'nothing was appended to the room')
  from = watcher.messages.length
  watcher.send({ type: 'ping', id: 'neighbour' })
  t.match(await nextFrom(watcher, from, (message) => message.type === 'pong'), { id: 'neighbour' }, 'another socket is unaffected')
  const again = await socket(t, url, tokenOf(flooder.certHeaders))
  t.match(await subscribe(again, room), { type: 'subscribed', head: headBefore }, 'the flooder may reconnect')

  // rooms one may not join answer as if they did not exist
  const anonymous = await socket(t, url)
  const bidder = await socket(t, url, tokenOf(bidders[1]!.certHeaders))
  const agency = await socket(t, url, desk.agency.token)
  const supervising = await socket(t, url, official.token)
  t.match(await subscribe(anonymous, draftRoom), { type: 'error', code: 'ROOM_NOT_FOUND', room: draftRoom }, 'anonymous: an unpublished tender\'s room')
  t.match(await subscribe(bidder, draftRoom), { type: 'error', code: 'ROOM_NOT_FOUND', room: draftRoom }, 'a bidder: an unpublished tender\'s room')
  t.match(await subscribe(agency, draftRoom), { type: 'error', code: 'ROOM_NOT_FOUND' }, 'even its own agency: no opening before publication')
  t.match(await subscribe(bidder, 'refunds:deadlines'), { type: 'error', code: 'ROOM_NOT_FOUND' }, 'a bidder: the refunds room')
  t.match(await subscribe(anonymous, 'refunds:deadlines'), { type: 'error', code: 'ROOM_NOT_FOUND' }, 'anonymous: the refunds room')
  t.match(await subscribe(anonymous, openingRoom(crypto.randomUUID())), { type: 'error', code: 'ROOM_NOT_FOUND' }, 'an unknown tender')
  t.match(await subscribe(supervising, 'refunds:deadlines'), { type: 'subscribed' }, 'the refunds room exists: a supervisor joins it')
  t.match(await subscribe(bidder, room), { type: 'subscribed' }, 'a refusal does not spoil the socket')
  t.equal((await app.inject({ method: 'GET', url: `/api/live/rooms/${draftRoom}/events` })).statusCode, 404, 'nor over HTTP')
  const refused = logs.filter((line) => line.msg === 'live subscription refused')
  t.ok(refused.some((line) => line.room === draftRoom && line.account === null), 'the anonymous refusal is logged')
  t.ok(refused.some((line) => line.room === draftRoom && line.account === bidders[1]!.user.id), 'the bidder\'s refusal is logged with its account')
  t.ok(refused.some((line) => line.room === 'refunds:deadlines' && line.account === bidders[1]!.user.id), 'so is the refunds room\'s')
  t.notOk(refused.some((line) => line.room === room), 'the public room was never refused')
})

t.test('who sees what: the public sees bids open, prices go to the bidder itself and the officials; presence lists signed-in sockets', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const { desk, tender, bidders, supervisor: official } = await openingUnderWay(app, t, PRICES)
  const room = openingRoom(tender.id)
  const [own, , , silent] = bidders as [OpeningBidder, OpeningBidder, OpeningBidder, OpeningBidder]
  const clients = {
    public: { client: await socket(t, url), headers: {} },
    own: { client: await socket(t, url, tokenOf(own.certHeaders)), headers: own.certHeaders },
    silent: { client: await socket(t, url, tokenOf(silent.certHeaders)), headers: silent.certHeaders },
    supervisor: { client: await socket(t, url, official.token), headers: official.headers }
  }
  for (const { client } of Object.values(clients)) t.match(await subscribe(client, room), { type: 'subscribed' })

  const present = await until(() => presenceOf(app, tender.id, official.headers),
    (rows) => [own.user.id, silent.user.id, official.id].every((id) => rows.some((row) => row.accountId === id)), 'presence of the signed-in sockets')
  t.same(present.map((row) => row.accountId).sort(), [own.user.id, silent.user.id, official.id].sort(), 'the signed-in subscribers, and no one for the anonymous socket')
  t.match(present.find((row) => row.accountId === own.user.id), { displayName: `Test ${own.user.username}`, connections: 1 })
  t.equal((await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/presence`, headers: own.certHeaders })).statusCode, 403, 'bidders do not see presence')

  for (const bidder of bidders.slice(0, 3)) t.equal((await revealOver(url, tender.id, bidder)).status, 200)
  // a public event after the reveals: once a socket has it, it has everything before it
  t.equal((await openingApi(app, tender.id).post('pause', desk.agency.headers, { reason: '核对解密结果' })).statusCode, 200)
  const fence = (await roomLog(app, room)).events.at(-1)!
  t.equal(fence.type, 'opening.paused')
  for (const { client } of Object.values(clients)) await client.next(isEvent(room, fence.seq), WAIT_MS)

  const seen = (name: keyof typeof clients) => clients[name].client.messages.filter((message) => message.type === 'event')
  const fieldsOf = (name: keyof typeof clients) => seen(name).filter((message) => message.event === 'opening.bid_fields').map((message) => message.data as { bidderId: string, fields: { priceFen: string } })
  t.equal(seen('public').filter((message) => message.event === 'opening.bid_decrypted').length, 3, 'the public sees each bid open')
  t.same(fieldsOf('public'), [], 'but no bid_fields event')
  const publicText = JSON.stringify(clients.public.client.messages)
  t.notOk(PRICES.some((price) => publicText.includes(price)), 'and no price in anything it received')
  t.same(fieldsOf('own').map((data) => [data.bidderId, data.fields.priceFen]), [[own.user.id, own.priceFen]], 'a bidder receives its own prices only')
  t.same(fieldsOf('silent'), [], 'a bidder that has not revealed receives no one\'s prices')
  t.same(fieldsOf('supervisor').map((data) => [data.bidderId, data.fields.priceFen]), bidders.slice(0, 3).map((bidder) => [bidder.user.id, bidder.priceFen]), 'the supervisor receives every price, in reveal order')
  for (const [name, { client, headers }] of Object.entries(clients)) {
    t.same(received(client, room), pairs((await roomLog(app, room, headers)).events), `${name}: the socket received exactly its view of the room log`)
  }
  const head = (await roomLog(app, room)).head
  t.same(received(clients.supervisor.client, room).map(([seq]) => seq), Array.from({ length: head }, (_v, index) => index + 1), 'the supervisor sees every event of the room, with no gap')

  clients.own.client.close()
  await clients.own.client.closed
  const left = await until(() => presenceOf(app, tender.id, official.headers), (rows) => !rows.some((row) => row.accountId === own.user.id), 'the closed socket gone from presence')
  t.same(left.map((row) => row.accountId).sort(), [silent.user.id, official.id].sort(), 'a closed socket leaves presence, the others stay')
})

t.test('a client that drops mid-decryption resumes with since: exactly the missed events, in order, once', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const { tender, bidders } = await openingUnderWay(app, t, PRICES)
  const room = openingRoom(tender.id)
  const [own, first, second, last] = bidders as [OpeningBidder, OpeningBidder, OpeningBidder, OpeningBidder]
  const viewers = { public: { token: undefined, headers: {} }, own: { token: tokenOf(own.certHeaders), headers: own.certHeaders } }
  const firstRun = {
    public: await socket(t, url, viewers.public.token),
    own: await socket(t, url, viewers.own.token)
  }
  for (const client of Object.values(firstRun)) await subscribe(client, room)
  t.equal((await revealOver(url, tender.id, first)).status, 200)
  for (const client of Object.values(firstRun)) {
    await client.next((message) => message.event === 'opening.bid_decrypted' && (message.data as { bidderId: string }).bidderId === first.user.id, WAIT_MS)
  }
  const lastSeen = { public: 0, own: 0 }
  for (const name of ['public', 'own'] as const) {
    const client = firstRun[name]
    client.close()
    await client.closed
    lastSeen[name] = Math.max(...received(client, room).map(([seq]) => seq))
  }

  // reveals go on while the clients are away; one more races with their reconnection
  t.equal((await revealOver(url, tender.id, own)).status, 200, 'the disconnected bidder reveals (from another device)')
  const secondRun = {
    public: await socket(t, url, viewers.public.token),
    own: await socket(t, url, viewers.own.token)
  }
  const racing = revealOver(url, tender.id, second)
  const subscribed = await Promise.all((['public', 'own'] as const).map((name) => subscribe(secondRun[name], room, lastSeen[name])))
  t.equal((await racing).status, 200)
  for (const answer of subscribed) t.equal(answer.type, 'subscribed')
  // and one after: every bid revealed, so the window closes and the record is published
  t.equal((await revealOver(url, tender.id, last)).status, 200)

  for (const name of ['public', 'own'] as const) {
    const { headers } = viewers[name]
    const wanted = (await roomLog(app, room, headers, lastSeen[name])).events
    t.equal(wanted.at(-1)!.type, 'opening.confirming')
    await secondRun[name].next(isEvent(room, wanted.at(-1)!.seq), WAIT_MS)
    const got = received(secondRun[name], room)
    t.same(got, pairs(wanted), `${name}: the missed and later events, exactly as the room log has them for it`)
    t.ok(got.every(([seq], index) => seq > lastSeen[name] && (index === 0 || seq > got[index - 1]![0])), `${name}: after since, strictly increasing`)
    const whole = [...received(firstRun[name], room), ...got]
    t.same(whole, pairs((await roomLog(app, room, headers)).events), `${name}: both connections together are the whole visible log, nothing twice`)
    const head = subscribed[name === 'public' ? 0 : 1]!.head!
    t.ok(got.some(([seq]) => seq <= head) && got.some(([seq]) => seq > head), `${name}: replayed events (≤ ${head}) and live ones after them`)
  }
  const ownFields = received(secondRun.own, room).filter(([, type]) => type === 'opening.bid_fields')
  t.equal(ownFields.length, 1, 'the bidder\'s replay holds its own prices, no one else\'s')
  t.same((secondRun.own.messages.find((message) => message.event === 'opening.bid_fields')!.data as { bidderId: string }).bidderId, own.user.id)
  t.notOk(received(secondRun.public, room).some(([, type]) => type === 'opening.bid_fields'), 'the public replay has no prices')
})

t.test('two instances on one database: a supervisor on B follows reveals made on A, in the room\'s order', async (t) => {
  const a = await buildTestApp(t, { listen: true })
  const b = await buildTestApp(t, { listen: true, databaseUrl: a.databaseUrl })
  const urlA = baseUrl(a.app)
  const urlB = baseUrl(b.app)
  const setup = await tenderWithBids(a.app, PRICES)
  const { tender, bidders, supervisor: official } = setup
  const room = openingRoom(tender.id)
  // both clocks move together: B passes the deadline as A does
  const realNowB = b.app.clock.now
  t.teardown(() => { b.app.clock.now = realNowB })
  b.app.clock.now = () => new Date(new Date(tender.bidDeadline).getTime() + 1000)
  await passDeadline(a.app, t, tender)
  t.equal(a.app.clock.now().getTime(), b.app.clock.now().getTime())
  const onA = await openingAt(urlA, tender.id)
  const onB = await openingAt(urlB, tender.id)
  t.equal(onB.state, 'decrypting')
  t.same(withoutServerTime(onB), withoutServerTime(onA), 'both instances show the same opening')
  t.equal(onB.serverTime, onA.serverTime, 'at the same time')

  const supervisorOnB = await socket(t, urlB, official.token)
  t.match(await subscribe(supervisorOnB, room), { type: 'subscribed' })
  const biddersOnA = []
  for (const bidder of bidders) {
    const client = await socket(t, urlA, tokenOf(bidder.certHeaders))
    t.match(await subscribe(client, room), { type: 'subscribed' })
    biddersOnA.push(client)
  }
  const present = await until(() => presenceOf(b.app, tender.id, official.headers), (rows) => bidders.every((bidder) => rows.some((row) => row.accountId === bidder.user.id)), 'bidders on A in presence on B')
  t.equal(present.length, bidders.length + 1, 'B lists the bidders connected to A, and its own supervisor')

  // three reveals at once on A; the fourth bidder stays silent
  const reveals = await Promise.all(bidders.slice(0, 3).map((bidder) => revealOver(urlA, tender.id, bidder)))
  t.same(reveals.map((reveal) => reveal.status), [200, 200, 200])
  // the window ends: B's timer closes it (the clocks move together, as they would in a real hall)
  await advance(a.app, 61 * 60_000)
  await advance(b.app, 61 * 60_000, `openings.window_end:${tender.id}`)
  const ended = await openingAt(urlA, tender.id)
  t.equal(ended.state, 'confirming', 'three bids opened, the silent one deemed revoked, the record published')
  t.match(ended.bids.find((bid) => bid.bidderId === bidders[3]!.user.id), { status: 'failed', failure: 'not_revealed', outcome: 'deemed_revoked' })

  const log = await roomLog(urlB, room, official.headers)
  t.equal(log.events.at(-1)!.type, 'opening.confirming')
  await supervisorOnB.next(isEvent(room, log.head), WAIT_MS)
  t.same(received(supervisorOnB, room), pairs(log.events), 'the supervisor on B received the room log, in order, once each')
  t.same(log.events.map((event) => event.seq), Array.from({ length: log.head }, (_v, index) => index + 1), 'which for a supervisor is every seq')
  t.same(pairs((await roomLog(a.app, room, official.headers)).events), pairs(log.events), 'A and B serve the same log')
  t.same(log.events.filter((event) => event.type === 'opening.bid_fields').length, 3)
  for (const [index, client] of biddersOnA.entries()) {
    const headers = bidders[index]!.certHeaders
    const own = (await roomLog(urlA, room, headers)).events
    await client.next(isEvent(room, own.at(-1)!.seq), WAIT_MS)
    t.same(received(client, room), pairs(own), `bidder ${index} on A received its view of the log`)
    t.equal(own.filter((event) => event.type === 'opening.bid_fields').length, index < 3 ? 1 : 0, `bidder ${index}: its own prices only`)
  }
})

t.test('SIGKILL of the server in the decryption window: the window and the opened bid survive, the rest completes after the restart', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-opening-restart-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const { app, config, databaseUrl } = await buildTestApp(t, { env: { DATA_DIR: dataDir } })
  const { tender, bidders } = await openingUnderWay(app, t, PRICES.slice(0, 3))
  const room = openingRoom(tender.id)
  const inProcess = (await openingApi(app, tender.id).get()).json() as OpeningView
  t.equal(inProcess.state, 'decrypting')
  t.ok(new Date(inProcess.window!.endsAt).getTime() > Date.now(), 'the window ends after the real time (the deadline is weeks ahead)')

  // from here on only the server process acts (with the real clock)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = { DATABASE_URL: databaseUrl, DATA_DIR: config.dataDir, PORT: String(port), MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'warn' }
  const start = async (): Promise<Running> => {
    const running = startServer(env)
    t.teardown(async () => {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL')
      await running.exited
    })
    await waitReady(port).catch((error: Error) => { throw new Error(`${error.message}\n${running.output()}`) })
    return running
  }
  const first = await start()
  const watcher = await socket(t, url)
  t.match(await subscribe(watcher, room), { type: 'subscribed' })
  const [revealing, ...rest] = bidders as [OpeningBidder, ...OpeningBidder[]]
  const revealed = await revealOver(url, tender.id, revealing, await certificateSessionAt(url, revealing))
  t.equal(revealed.status, 200, JSON.stringify(revealed.body))
  t.equal(revealed.body.status, 'opened')
  await watcher.next((message) => message.event === 'opening.bid_decrypted', WAIT_MS)
  const beforeKill = await openingAt(url, tender.id)

  first.child.kill('SIGKILL')
  await first.exited
  const cut = await Promise.race([watcher.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), WAIT_MS))])
  t.equal(cut?.code, 1006, 'the socket died with the server')
  const lastSeen = Math.max(...received(watcher, room).map(([seq]) => seq))

  const second = await start()
  const restarted = await openingAt(url, tender.id)
  t.equal(restarted.state, 'decrypting')
  t.same(restarted.window, inProcess.window, 'the same window, to the millisecond')
  t.same(withoutServerTime(restarted), withoutServerTime(beforeKill), 'the opening is as it was before the kill')
  const opened = restarted.bids.find((bid) => bid.bidderId === revealing.user.id)!
  t.match(opened, { status: 'opened', outcome: 'opened', openedBy: 'bidder', openedAt: revealed.body.openedAt })
  t.same(restarted.bids.filter((bid) => bid.status === 'sealed').map((bid) => bid.bidderId), rest.map((bidder) => bidder.user.id), 'the others still sealed')
  t.equal((await revealOver(url, tender.id, revealing, await certificateSessionAt(url, revealing))).body.code, 'BID_ALREADY_SETTLED', 'the reveal is not taken twice')

  const resumed = await socket(t, url)
  t.match(await subscribe(resumed, room, lastSeen), { type: 'subscribed' })
  for (const bidder of rest) {
    const response = await revealOver(url, tender.id, bidder, await certificateSessionAt(url, bidder))
    t.equal(response.status, 200, JSON.stringify(response.body))
  }
  const done = await openingAt(url, tender.id)
  t.equal(done.state, 'confirming', 'every bid opened: the record is published')
  t.same(done.window, inProcess.window)
  t.ok(done.record, 'with its files')
  t.same(done.bids.map((bid) => bid.fields?.priceFen), PRICES.slice(0, 3), 'the record shows every price to everyone')
  const json = await fetch(`${url}${done.record!.json}`)
  t.equal(json.status, 200)
  const bytes = Buffer.from(await json.arrayBuffer())
  t.equal(createHash('sha256').update(bytes).digest('hex'), done.record!.sha256, 'the published JSON is the one the record names')

  const missed = (await roomLog(url, room, {}, lastSeen)).events
  await resumed.next(isEvent(room, missed.at(-1)!.seq), WAIT_MS)
  t.same(received(resumed, room), pairs(missed), 'the watcher resumed across the crash without loss or repeat')
  t.ok(missed.some((event) => event.type === 'opening.recorded'))

  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'the restarted server shuts down cleanly')
})
