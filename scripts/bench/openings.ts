/**
 * Live bid opening benchmarks, against the app listening on loopback (this process) with every
 * client in a child process of its own.
 *
 *   opening-fanout  BENCH_WATCHERS (2,000) anonymous WebSocket watchers subscribed to one opening
 *                   room; BENCH_FANOUT_EVENTS (20) events appended BENCH_FANOUT_SPACING_MS (150) ms
 *                   apart (after 3 unmeasured warm-up events), each by app.live.append in its own
 *                   transaction. Latency per recipient runs from the commit to the frame's arrival
 *                   at the watcher. Baseline: a bare `ws` WebSocketServer (bare-ws-server.ts, in its
 *                   own process) sending the same frames to as many sockets, watched by the same
 *                   client code (watch-client.ts). Baseline and scenario alternate BENCH_ROUNDS (3)
 *                   times with fresh watchers; the round with the median p99 ratio is reported.
 *                   Server memory is this process's (the app and the loop that appends).
 *   reveal-burst    one tender with BENCH_REVEALS (300) sealed bids of BENCH_REVEAL_KB (16) KB, past
 *                   its deadline (decryption window open, no K), then every bidder's reveal POSTed,
 *                   BENCH_REVEAL_IN_FLIGHT (100) at once (scripts/bench/reveal-client.ts), timed until
 *                   the room announces the signed record (opening.recorded). Every reveal must answer
 *                   200 and the record must list every bid opened. Baseline: the same packages, read
 *                   from the same store, opened in this process by openBid at the same concurrency.
 *
 * Setup (accounts, certificates, certificate sign-ins, sealing, submission, the deadline) goes
 * through the real routes and services and is never timed.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { createSignedData } from '../../src/lib/cms/index.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { openBid, sealBid, signPackage, toHex } from '../../src/lib/sealed-bid/index.ts'
import { bidderKey, createBidders, createDesk, percentile, pooled, publishTender, registerAll, RUN, type Bidder } from './bids.ts'

const MiB = 1024 * 1024
/** Events sent before the measured ones in every fan-out round, not measured (watch-client.ts). */
export const WARM_UP = 3
/** Sub-millisecond wall clock, comparable with the child processes' (they use the same). */
const wallNow = () => performance.timeOrigin + performance.now()

// ---------------------------------------------------------------------------------------------
// child processes

interface WatchJob { url: string, room: string, since: number, count: number, warmUp: number, events: number, timeoutMs: number }
interface WatchResult { base: number, receipts: number[][], missing: number, unexpected: number, closed: number }

/** A client or server script of this folder in its own process; its stderr goes to ours. */
type Child = ChildProcessByStdio<Writable, Readable, null>

function spawnScript (script: string, args: string[] = []): Child {
  return spawn(process.execPath, ['--import', 'tsx', path.resolve('scripts/bench', script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
}

/** Reads a child's stdout one JSON line at a time; rejects when it exits before the line. */
function jsonLines (child: Child, what: string) {
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return async <T> (): Promise<T> => {
    const { value, done } = await lines.next()
    if (done) throw new Error(`${what} exited early (code ${child.exitCode})`)
    return JSON.parse(value as string) as T
  }
}

/** Starts the watchers; `subscribed` resolves once every socket is in the room. */
function startWatchers (job: WatchJob) {
  const child = spawnScript('watch-client.ts')
  child.stdin.end(JSON.stringify(job))
  const line = jsonLines(child, 'watchers')
  const exited = once(child, 'exit')
  const subscribed = line<{ subscribeMs: number }>()
  return {
    subscribed,
    result: async () => {
      const result = await line<WatchResult>()
      await exited
      return result
    }
  }
}

// ---------------------------------------------------------------------------------------------
// opening-fanout

interface Memory { rss: number, heap: number }
const memoryNow = (): Memory => ({ rss: process.memoryUsage().rss / MiB, heap: process.memoryUsage().heapUsed / MiB })

/** Peak RSS of this process, sampled every 50 ms until stopped. */
function rssSampler () {
  let peak = memoryNow().rss
  const timer = setInterval(() => { peak = Math.max(peak, memoryNow().rss) }, 50)
  return () => {
    clearInterval(timer)
    return Math.max(peak, memoryNow().rss)
  }
}

export interface FanoutSide {
  p50: number
  p99: number
  max: number
  delivered: number
  missing: number
  subscribeMs: number
  /** RSS once every watcher is subscribed, and the growth of the peak over the level before they connected */
  rssMb: number
  rssGrowthMb: number
  heapGrowthMb: number
}

/** An event's data, shaped like opening.bid_decrypted; `n` tells the watcher which event it is. */
export function tickData (n: number): Record<string, unknown> {
  return {
    n,
    bidderId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    bidderName: `示范建设集团有限公司第${n + 1}分公司`,
    openedBy: 'bidder',
    openedAt: new Date().toISOString()
  }
}

function latencies (result: WatchResult, reference: number[]): number[] {
  return result.receipts.flatMap((times, n) => times.map((at) => result.base + at - reference[n]!))
}

function sideOf (result: WatchResult, reference: number[], subscribeMs: number, memory: { rss: number, rssGrowth: number, heapGrowth: number }): FanoutSide {
  const values = latencies(result, reference)
  if (result.unexpected > 0 || result.closed > 0) throw new Error(`watchers got ${result.unexpected} unexpected frames, ${result.closed} sockets closed`)
  return {
    p50: percentile(values, 0.5),
    p99: percentile(values, 0.99),
    max: percentile(values, 1),
    delivered: values.length,
    missing: result.missing,
    subscribeMs,
    rssMb: memory.rss,
    rssGrowthMb: memory.rssGrowth,
    heapGrowthMb: memory.heapGrowth
  }
}

/** `data` holds the warm-up events (negative n) first, then the measured ones. */
export interface FanoutOptions { watchers: number, spacingMs: number, warmUp: number, data: Array<Record<string, unknown>>, timeoutMs: number }

const watchJob = (options: FanoutOptions, url: string, room: string, since: number): WatchJob =>
  ({ url, room, since, count: options.watchers, warmUp: options.warmUp, events: options.data.length - options.warmUp, timeoutMs: options.timeoutMs })

/** One round against the bare ws server, in a fresh process. */
export async function bareRound (room: string, options: FanoutOptions): Promise<FanoutSide> {
  const server = spawnScript('bare-ws-server.ts', [JSON.stringify({ room, spacingMs: options.spacingMs, data: options.data })])
  const line = jsonLines(server, 'bare ws server')
  try {
    const { port } = await line<{ port: number }>()
    const watchers = startWatchers(watchJob(options, `ws://127.0.0.1:${port}`, room, 0))
    const { subscribeMs } = await watchers.subscribed
    server.stdin.write('go\n')
    const sent = await line<{ sentAt: number[], memory: { listening: Memory, subscribed: Memory, peakRss: number } }>()
    const result = await watchers.result()
    const { listening, subscribed, peakRss } = sent.memory
    return sideOf(result, sent.sentAt.slice(options.warmUp), subscribeMs, { rss: subscribed.rss, rssGrowth: peakRss - listening.rss, heapGrowth: subscribed.heap - listening.heap })
  } finally {
    server.stdin.end()
    if (server.exitCode === null) await once(server, 'exit')
  }
}

/**
 * One round against the app: the watchers subscribe to the room from its current head, then the
 * events are appended one transaction each. The reference time of an event is its commit, taken
 * when the transaction's promise resolves (the NOTIFY is delivered only then, so nothing earlier
 * could be fanned out); `sentAt` in the data is the time before the transaction began.
 */
export async function appRound (app: FastifyInstance, appUrl: string, room: string, options: FanoutOptions): Promise<FanoutSide & { fromSendP99: number }> {
  const [head] = await app.db.$client`select head_seq from rooms where id = ${room}` as Array<{ head_seq: number }>
  const before = memoryNow()
  const watchers = startWatchers(watchJob(options, `${appUrl.replace(/^http/, 'ws')}/api/live`, room, head?.head_seq ?? 0))
  const { subscribeMs } = await watchers.subscribed
  const subscribed = memoryNow()
  const stopSampling = rssSampler()
  const sentAt: number[] = []
  const committedAt: number[] = []
  for (const [n, data] of options.data.entries()) {
    if (n > 0) await sleep(options.spacingMs)
    const at = wallNow()
    sentAt.push(at)
    await app.db.transaction(async (tx) => { await app.live.append(tx, room, { type: 'opening.bench_tick', data: { ...data, sentAt: at }, audience: { public: true } }) })
    committedAt.push(wallNow())
  }
  const result = await watchers.result()
  const peakRss = stopSampling()
  const side = sideOf(result, committedAt.slice(options.warmUp), subscribeMs, { rss: subscribed.rss, rssGrowth: peakRss - before.rss, heapGrowth: subscribed.heap - before.heap })
  return { ...side, fromSendP99: percentile(latencies(result, sentAt.slice(options.warmUp)), 0.99) }
}

/**
 * BENCH_ROUNDS rounds of one room's fan-out, the bare `ws` baseline then the app (directly or
 * through a proxy at appUrl), each round to `watchers` fresh sockets; the round with the median
 * ratio of the p99s is the one reported.
 */
export async function fanoutRounds (app: FastifyInstance, appUrl: string, room: string, watchers: number, slackMs: number) {
  const events = Number(process.env.BENCH_FANOUT_EVENTS ?? 20)
  const spacingMs = Number(process.env.BENCH_FANOUT_SPACING_MS ?? 150)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const options: FanoutOptions = {
    watchers,
    spacingMs,
    warmUp: WARM_UP,
    data: Array.from({ length: WARM_UP + events }, (_, i) => tickData(i - WARM_UP)),
    timeoutMs: (WARM_UP + events) * spacingMs + slackMs
  }
  const results: Array<{ scenario: FanoutSide & { fromSendP99: number }, baseline: FanoutSide, ratio: number }> = []
  for (let round = 0; round < rounds; round++) {
    const baseline = await bareRound(room, options)
    const scenario = await appRound(app, appUrl, room, options)
    results.push({ scenario, baseline, ratio: scenario.p99 / baseline.p99 })
  }
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)]!
  return {
    watchers,
    events,
    spacingMs,
    ...median,
    ratios: results.map((result) => result.ratio),
    p99s: results.map((result) => [result.scenario.p99, result.baseline.p99] as const),
    complete: results.every((result) => result.scenario.missing === 0 && result.baseline.missing === 0),
    results
  }
}

export async function measureOpeningFanout (app: FastifyInstance, appUrl: string) {
  const desk = await createDesk(app, 'fanout')
  // a published tender, so that the room admits anonymous watchers as it would the public
  const tender = await publishTender(app, desk)
  const { results, ...fanout } = await fanoutRounds(app, appUrl, `opening:${tender.id}`, Number(process.env.BENCH_WATCHERS ?? 2000), 15_000)
  return {
    ...fanout,
    // the largest growth of any round: later rounds reuse memory the first one took from the system
    rssGrowthMb: Math.max(...results.map((result) => result.scenario.rssGrowthMb)),
    baselineRssGrowthMb: Math.max(...results.map((result) => result.baseline.rssGrowthMb))
  }
}

// ---------------------------------------------------------------------------------------------
// reveal-burst

export interface SealedInMemory { bytes: Buffer, signature: Uint8Array, contentKey: string, nonce: string, priceFen: string }

async function * single (bytes: Uint8Array) { yield bytes }

/** Seals `document` for the tender as the bidder client does, keeping the package in memory. */
export async function seal (bidder: Bidder, tenderCode: string, index: number, document: Buffer): Promise<SealedInMemory> {
  const signer = nodeSigner(bidder.certificate, bidderKey())
  const priceFen = String(1_200_000_000 + index * 10_000)
  const sealed = await sealBid({
    provider: nodeCrypto,
    signer,
    tenderId: tenderCode,
    opening: { priceFen, durationDays: 300 },
    files: [{ name: '投标文件.pdf', size: document.length, content: single(document) }],
    recipients: [bidder.certificate]
  })
  const parts: Uint8Array[] = []
  for await (const part of sealed.bytes) parts.push(part)
  const signature = await signPackage({ provider: nodeCrypto, signer, packageSha256: sealed.summary().sha256 })
  return { bytes: Buffer.concat(parts), signature, contentKey: Buffer.from(sealed.secrets.contentKey).toString('base64'), nonce: toHex(sealed.secrets.nonce), priceFen }
}

/** The bid through the real route: the outer signature part first, as the bidder client sends it. */
export async function submit (app: FastifyInstance, bidder: Bidder, tenderId: string, sealed: SealedInMemory, index: number): Promise<string> {
  const boundary = `----openhall-bench-${RUN}-${index}`
  const part = (name: string, fileName: string) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`)
  const payload = Buffer.concat([part('signature', 'bid.ohsb.p7s'), sealed.signature, Buffer.from('\r\n'), part('package', 'bid.ohsb'), sealed.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)])
  const response = await app.inject({
    method: 'POST',
    url: `/api/tenders/${tenderId}/bids`,
    headers: { authorization: bidder.authorization, 'content-type': `multipart/form-data; boundary=${boundary}`, 'idempotency-key': `reveal-${RUN}-${index}` },
    payload
  })
  if (response.statusCode !== 201) throw new Error(`bid ${index}: ${response.statusCode} ${response.body}`)
  return response.json().id as string
}

/**
 * A session opened by signing a challenge with the bidder's certificate key, as a reveal
 * requires. Each bidder comes from its own address (198.18.0.0/15 is set aside for benchmarks):
 * challenges are rate-limited per address (60 a minute), which bidders in their own offices never
 * reach, and one address for all of them would make setup wait minutes.
 */
export async function certificateSession (app: FastifyInstance, bidder: Bidder, index: number): Promise<string> {
  const remoteAddress = `198.18.${Math.floor(index / 250)}.${(index % 250) + 1}`
  const challenge = await app.inject({ method: 'POST', url: '/api/pki/challenges', remoteAddress })
  if (challenge.statusCode !== 201) throw new Error(`challenge: ${challenge.statusCode} ${challenge.body}`)
  const { challengeId, challenge: text } = challenge.json() as { challengeId: string, challenge: string }
  const signature = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificate, bidderKey()), content: Buffer.from(text), detached: false })
  const session = await app.inject({ method: 'POST', url: '/api/auth/certificate', remoteAddress, payload: { challengeId, signature: Buffer.from(signature).toString('base64') } })
  if (session.statusCode !== 200) throw new Error(`certificate sign-in: ${session.statusCode} ${session.body}`)
  return `Bearer ${session.json().token as string}`
}

/**
 * Moves this instance's clock to a second after the deadline (time keeps running from there) and
 * fires the deadline timer, as the tests do; returns the function that puts the clock back. The
 * freeze opens the decryption window at once (no K declared).
 */
export async function passDeadline (app: FastifyInstance, tenderId: string, bidDeadline: Date): Promise<() => void> {
  const realNow = app.clock.now
  const offset = bidDeadline.getTime() + 1000 - Date.now()
  app.clock.now = () => new Date(Date.now() + offset)
  const restore = () => { app.clock.now = realNow }
  try {
    await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key = ${`tenders.deadline:${tenderId}`}`
    // a background pass may hold the due timer for a moment (SKIP LOCKED): ask again until frozen
    for (let attempt = 0; attempt < 50; attempt++) {
      await app.timers.fireDue()
      if ((await openingState(app, tenderId)).state !== 'scheduled') break
      await sleep(100)
    }
    return restore
  } catch (error) {
    restore()
    throw error
  }
}

export async function openingState (app: FastifyInstance, tenderId: string): Promise<{ state: string, bids: unknown[], record: unknown }> {
  const response = await app.inject({ method: 'GET', url: `/api/openings/${tenderId}` })
  if (response.statusCode !== 200) throw new Error(`opening: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** The baseline: each package read from the store the reveal reads it from, opened by openBid. */
async function openInProcess (app: FastifyInstance, submissionIds: string[], sealed: SealedInMemory[], inFlight: number): Promise<number> {
  const blobKeys = await Promise.all(submissionIds.map(async (id) => (await app.services.bids.anchorOf(id))!.blobKey))
  const started = performance.now()
  await pooled(blobKeys, inFlight, async (blobKey, i) => {
    const opened = await openBid({ provider: nodeCrypto, bytes: await app.store.get(blobKey), contentKey: new Uint8Array(Buffer.from(sealed[i]!.contentKey, 'base64')) })
    if (opened.opening.priceFen !== sealed[i]!.priceFen) throw new Error(`package ${i} opened to the wrong price`)
  })
  return performance.now() - started
}

interface RevealResult { answeredMs: number, recordedMs: number | null, codes: number[], latencies: number[], answered: number[], roomLags: Array<number | null>, failures: string[] }

async function runReveals (job: { baseUrl: string, tenderId: string, inFlight: number, timeoutMs: number, reveals: Array<{ authorization: string, body: string }> }): Promise<RevealResult> {
  const child = spawnScript('reveal-client.ts')
  child.stdin.end(JSON.stringify(job))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number]
  if (code !== 0) throw new Error(`reveal client exited with ${code}`)
  return JSON.parse(output) as RevealResult
}

export async function measureRevealBurst (app: FastifyInstance, appUrl: string) {
  const count = Number(process.env.BENCH_REVEALS ?? 300)
  const kilobytes = Number(process.env.BENCH_REVEAL_KB ?? 16)
  const inFlight = Number(process.env.BENCH_REVEAL_IN_FLIGHT ?? 100)
  const setupStarted = performance.now()
  const desk = await createDesk(app, 'reveal')
  const bidders = await createBidders(app, 'reveal', count)
  const tender = await publishTender(app, desk)
  await registerAll(app, bidders, tender.id)
  // incompressible like a real bid
  const document = randomBytes(kilobytes * 1024)
  const sealed: SealedInMemory[] = []
  for (const [i, bidder] of bidders.entries()) sealed.push(await seal(bidder, tender.code, i, document))
  const submissionIds = await pooled(bidders, 8, (bidder, i) => submit(app, bidder, tender.id, sealed[i]!, i))
  const sessions = await pooled(bidders, 8, (bidder, i) => certificateSession(app, bidder, i))
  const setupSeconds = (performance.now() - setupStarted) / 1000

  const baselineMs = await openInProcess(app, submissionIds, sealed, inFlight)

  const restoreClock = await passDeadline(app, tender.id, tender.bidDeadline)
  try {
    const frozen = await openingState(app, tender.id)
    if (frozen.state !== 'decrypting' || frozen.bids.length !== count) throw new Error(`after the deadline the opening is ${frozen.state} with ${frozen.bids.length} bids`)
    const result = await runReveals({
      baseUrl: appUrl,
      tenderId: tender.id,
      inFlight,
      timeoutMs: 120_000,
      reveals: sessions.map((authorization, i) => ({
        authorization,
        body: JSON.stringify({ submissionId: submissionIds[i], contentKey: sealed[i]!.contentKey, nonce: sealed[i]!.nonce })
      }))
    })
    const after = await openingState(app, tender.id)
    const recordFile = await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/record/json` })
    const record = recordFile.statusCode === 200 ? JSON.parse(recordFile.body) as { bids: Array<{ outcome: string, fields: { priceFen?: string } }> } : { bids: [] }
    const prices = new Set(sealed.map((bid) => bid.priceFen))
    const opened = record.bids.filter((bid) => bid.outcome === 'opened' && prices.has(bid.fields.priceFen ?? '')).length
    const statuses: Record<string, number> = {}
    for (const code of result.codes) statuses[code] = (statuses[code] ?? 0) + 1
    return {
      count,
      kilobytes,
      inFlight,
      setupSeconds,
      baselineMs,
      answeredMs: result.answeredMs,
      // the last answer is the reveal whose transaction settled the window and published the record
      allButLastMs: result.answered.at(-2) ?? 0,
      recordedMs: result.recordedMs,
      p50: percentile(result.latencies, 0.5),
      p99: percentile(result.latencies, 0.99),
      // JSON has no Infinity: a bid whose event never came is null, and counts as the worst
      roomLagP50: percentile(result.roomLags.map((lag) => lag ?? Infinity), 0.5),
      roomLagP99: percentile(result.roomLags.map((lag) => lag ?? Infinity), 0.99),
      statuses,
      answered200: statuses['200'] ?? 0,
      failures: result.failures,
      state: after.state,
      opened
    }
  } finally {
    restoreClock()
  }
}
