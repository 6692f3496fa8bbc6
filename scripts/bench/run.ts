/**
 * `npm run bench`: named scenarios, each printed with its figure and its ratio to a baseline
 * measured in the same run (machines here are shared and noisy; absolute figures drift).
 *
 *   start-to-ready       `npm start` (compiled, dist/): first start (initdb) and restart, and `node dist/server.js` alone,
 *                        vs a bare Fastify start on plain node in the same run (scripts/bench/start.ts)
 *   authenticated-read   GET /api/accounts/me (bearer token, account + roles from PostgreSQL) vs a bare
 *                        route on the same Fastify server (same process, same hooks, no auth, no I/O)
 *   audited-write        POST inserting one row and its audit entry in one transaction vs the same
 *                        transaction without the audit entry (same app, same validation, 50 connections);
 *                        on both sides a supervisor runs GET /api/audit/verify once a second, and any
 *                        report that is not intact stops the run (scripts/bench/audit-verifier.ts)
 *
 * Scenario and baseline alternate in ROUNDS short runs and the median ratio is reported, so a
 * burst of noise from a neighbour hits both sides rather than one.
 *
 *   bank-callbacks       BENCH_PAYMENTS payments (20,000) each announced by 3 concurrent signed callbacks,
 *                        exactly-once checked, vs the same number of plain validated single-row inserts
 *   reconciliation       a BENCH_STATEMENT_LINES (1,000,000) line statement streamed in and matched,
 *                        server memory sampled, vs a bare COPY of the same file
 *   cms-verify           CMS SignedData verification (chain cached) on one core vs bare native RSA verify
 *   seal-open            seal and open a 1 GB bid (BENCH_BID_MB) vs `openssl enc -aes-256-ctr` on the same file
 *   bid-rush             BENCH_BIDDERS (500) sealed bids of BENCH_BID_KB (1024) KB over HTTP, 100 in flight, every
 *                        receipt verified, vs plain multipart uploads of the same files into the same store
 *   bid-1gb              one sealed bid of a BENCH_BID_MB (1000) MB document by curl, server RSS sampled, vs
 *                        curl of the same file to the plain upload route
 *   opening-fanout       BENCH_WATCHERS (2,000) WebSocket watchers of one opening room, BENCH_FANOUT_EVENTS (20)
 *                        events appended 150 ms apart after 3 warm-ups, latency from commit to arrival (p50/p99),
 *                        server RSS sampled, vs a bare `ws` server sending the same frames to as many sockets (p99)
 *   reveal-burst         BENCH_REVEALS (300) sealed bids of BENCH_REVEAL_KB (16) KB past their deadline, every reveal
 *                        POSTed (BENCH_REVEAL_IN_FLIGHT, 100), timed until the signed record is announced, vs openBid
 *                        on the same packages in process at the same concurrency
 *   proxy                3 instances behind nginx (deploy/nginx) vs 1 instance without it: authenticated reads
 *                        and audited writes (50 connections), and BENCH_PROXY_WATCHERS (10,000) watchers of one
 *                        room spread over the three, p99 vs a bare `ws` broadcast of the same frames (proxy.ts)
 *   cases                the supervision dashboard over BENCH_CASES (1,000,000) cases, 5 % open (p50/p99) vs GET
 *                        /api/accounts/me; BENCH_CLERKS (50) clerks accepting cases at once vs a primary-key
 *                        update behind the same authentication (scripts/bench/cases.ts)
 *   drawing              a draw of 9 + 3 reserves by the supervisor through the API over BENCH_EXPERTS (100,000)
 *                        experts in 30 specialties with relations, penalties and unavailability, BENCH_DRAWS (40)
 *                        times, p95 vs a plain indexed query of the same candidates (scripts/bench/drawings.ts)
 *
 * Uses DATABASE_URL when set, otherwise a private embedded PostgreSQL in a temporary DATA_DIR.
 * `npm run bench -- <scenario>` runs only the named scenarios.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { BENCH_ROWS_DDL, benchRoutes } from './bench-routes.ts'
import { verifyEverySecond, type Verifications } from './audit-verifier.ts'
import { runLoad, type LoadResult } from './load.ts'
import { measureBidRush, measureBigBid, plainUploadRoutes } from './bids.ts'
import { measureCmsVerify, measureSealOpen } from './crypto.ts'
import { measureOpeningFanout, measureRevealBurst } from './openings.ts'
import { measureProxy } from './proxy.ts'
import { caseBenchRoutes, measureCases } from './cases.ts'
import { drawingBenchRoutes, measureDrawings } from './drawings.ts'
import { createStaff, measureCallbacks, measureReconciliation } from './fees.ts'
import { measureStart } from './start.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const selected = new Set(process.argv.slice(2))
const wanted = (name: string) => selected.size === 0 || selected.has(name)

interface Row { scenario: string, figure: string, baseline: string, ratio: number, target: string, pass: boolean }
const rows: Row[] = []

function report (row: Row) {
  rows.push(row)
  process.stdout.write(`${row.scenario.padEnd(34)} ${row.figure.padEnd(26)} ${row.baseline.padEnd(34)} ratio ${row.ratio.toFixed(2).padStart(6)}   target ${row.target.padEnd(12)} ${row.pass ? 'PASS' : 'FAIL'}\n`)
}

/** Runs scenario and baseline alternately; returns the round with the median ratio. */
async function alternate (scenario: () => Promise<LoadResult>, baseline: () => Promise<LoadResult>) {
  const rounds: Array<{ scenario: LoadResult, baseline: LoadResult, ratio: number }> = []
  for (let round = 0; round < ROUNDS; round++) {
    const base = await baseline()
    const measured = await scenario()
    if (measured.non2xx > 0 || measured.errors > 0 || base.non2xx > 0) {
      throw new Error(`bench requests failed: ${measured.non2xx} non-2xx, ${measured.errors} errors, baseline ${base.non2xx} non-2xx`)
    }
    rounds.push({ scenario: measured, baseline: base, ratio: measured.requestsPerSecond / base.requestsPerSecond })
  }
  return rounds.sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!
}

const signedMb = (mb: number) => `${mb < 0 ? '−' : '+'}${Math.abs(Math.round(mb))} MB`
const rps = (result: LoadResult) => `${Math.round(result.requestsPerSecond)} req/s (p99 ${result.latencyP99} ms)`

async function httpScenarios () {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-'))
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '0', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' })
  const app = await buildApp(config)
  await app.register(benchRoutes)
  await app.register(plainUploadRoutes)
  await app.register(caseBenchRoutes)
  await app.register(drawingBenchRoutes)
  await app.listen({ port: Number(process.env.BENCH_PORT ?? 0), host: '127.0.0.1' })
  try {
    await app.db.execute(BENCH_ROWS_DDL as never)
    const password = `Bench-${randomBytes(6).toString('hex')}-A1`
    await app.services.accounts.createAccount(null, { kind: 'person', username: 'bench.user', displayName: 'Bench', password, grants: [{ role: 'applicant', scopeType: 'hall' }] })
    const session = await app.services.sessions.signIn({ username: 'bench.user', password, ip: '127.0.0.1', userAgent: 'bench', requestId: 'bench' })
    const auth = { authorization: `Bearer ${session.token}` }
    const appUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`

    if (wanted('authenticated-read')) {
      const read = () => runLoad({ url: `${appUrl}/api/accounts/me`, headers: auth, connections: 50, seconds: SECONDS })
      const bare = () => runLoad({ url: `${appUrl}/bench/bare`, connections: 50, seconds: SECONDS })
      await runLoad({ url: `${appUrl}/api/accounts/me`, headers: auth, connections: 50, seconds: 2 }) // warm-up
      const { scenario, baseline, ratio } = await alternate(read, bare)
      report({ scenario: 'authenticated-read', figure: rps(scenario), baseline: `bare route ${rps(baseline)}`, ratio, target: '≥ 0.35', pass: ratio >= 0.35 })
    }

    if (wanted('audited-write')) {
      const write = (url: string, seconds: number) =>
        runLoad({ url, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ note: '县政务服务大厅 bench' }), connections: 50, seconds })
      await write(`${appUrl}/bench/audited-rows`, 2) // warm-up
      // a supervisor verifies the whole log once a second while either side runs, so the ratio prices the audit entry
      await app.services.accounts.createAccount(null, { kind: 'person', username: 'bench.auditor', displayName: 'Bench auditor', password, grants: [{ role: 'supervisor', scopeType: 'hall' }] })
      const auditor = await app.services.sessions.signIn({ username: 'bench.auditor', password, ip: '127.0.0.1', userAgent: 'bench', requestId: 'bench' })
      const verifications: Verifications[] = []
      const verifying = (side: () => Promise<LoadResult>) => async () => {
        const verifier = verifyEverySecond(appUrl, { authorization: `Bearer ${auditor.token}` })
        try {
          return await side()
        } finally {
          verifications.push(await verifier.stop())
        }
      }
      const { scenario, baseline, ratio } = await alternate(verifying(() => write(`${appUrl}/bench/audited-rows`, SECONDS)), verifying(() => write(`${appUrl}/bench/rows`, SECONDS)))
      report({ scenario: 'audited-write (50 connections)', figure: rps(scenario), baseline: `unaudited ${rps(baseline)}`, ratio, target: '≥ 0.75', pass: ratio >= 0.75 })
      const slowest = Math.max(...verifications.map((v) => v.maxMs))
      process.stdout.write(`  ${verifications.reduce((n, v) => n + v.count, 0)} verifications during the load, all intact; ` +
        `p50 ${Math.round(verifications.at(-1)!.p50Ms)} ms in the last run, slowest ${Math.round(slowest)} ms, last covered ${verifications.at(-1)!.entries} entries\n`)
      const audit = await app.audit.verify()
      if (!audit.intact) throw new Error(`the audit chain broke under load: ${JSON.stringify(audit.firstBreak)}`)
    }

    if (wanted('bank-callbacks') || wanted('reconciliation')) {
      const staff = await createStaff(app)
      if (wanted('bank-callbacks')) {
        const result = await measureCallbacks(app, appUrl, staff, `${appUrl}/bench/rows`, auth.authorization)
        const ratio = result.ratio
        report({
          scenario: `bank-callbacks (${result.count} × 3 at once)`,
          figure: `${Math.round(result.callbackRps)} callbacks/s${result.exactlyOnce ? ', exactly once' : ', NOT EXACTLY ONCE'}`,
          baseline: `plain insert ${Math.round(result.insertRps)} req/s`,
          ratio,
          target: '≥ 0.40',
          pass: ratio >= 0.4 && result.exactlyOnce
        })
        if (!result.exactlyOnce) process.stdout.write(`  statuses ${JSON.stringify(result.statuses)}\n`)
      }
      if (wanted('reconciliation')) {
        const result = await measureReconciliation(app, appUrl, staff)
        const ok = result.importMs < 30_000 && result.differences === result.expectedDifferences
        report({
          scenario: `reconciliation (${result.lines} lines, ${Math.round(result.megabytes)} MB)`,
          figure: `${(result.importMs / 1000).toFixed(1)} s, +${Math.round(result.rssGrowthMb)} MB RSS`,
          baseline: `bare COPY ${(result.copyMs / 1000).toFixed(1)} s`,
          ratio: result.importMs / result.copyMs,
          target: '< 30 s',
          pass: ok
        })
        if (result.differences !== result.expectedDifferences) process.stdout.write(`  differences ${result.differences}, expected ${result.expectedDifferences}\n`)
      }
    }

    if (wanted('bid-rush')) {
      const result = await measureBidRush(app, appUrl)
      const side = (s: { uploadsPerSecond: number, mbPerSecond: number, p50: number, p99: number }) =>
        `${s.uploadsPerSecond.toFixed(1)}/s ${Math.round(s.mbPerSecond)} MB/s (p50 ${Math.round(s.p50)}, p99 ${Math.round(s.p99)} ms)`
      report({ scenario: `bid-rush (${result.count} × ${result.kilobytes} KB, 100 in flight)`, figure: `bids ${side(result.scenario)}`, baseline: `plain upload ${side(result.baseline)}`, ratio: result.ratio, target: '≥ 0.50', pass: result.ratio >= 0.5 })
      process.stdout.write(`  ratio by round ${result.ratios.map((ratio) => ratio.toFixed(2)).join(', ')}\n`)
      report({
        scenario: 'bid-rush receipts',
        figure: `${result.valid}/${result.expected} valid, rows ${result.tenderRows.join('/')}`,
        baseline: `${result.rounds} tenders × ${result.count} bids`,
        ratio: result.valid / result.expected,
        target: 'all valid',
        pass: result.valid === result.expected && result.rowsOk
      })
    }

    if (wanted('bid-1gb')) {
      const result = await measureBigBid(app, appUrl)
      report({
        scenario: `bid-1gb (${Math.round(result.megabytes)} MB by curl)`,
        figure: `${result.status}, +${Math.round(result.growthMb)} MB RSS, ${Math.round(result.mbPerSecond)} MB/s`,
        baseline: `plain upload +${Math.round(result.baselineGrowthMb)} MB RSS, ${Math.round(result.baselineMbPerSecond)} MB/s`,
        ratio: result.mbPerSecond / result.baselineMbPerSecond,
        target: '< 64 MB, 201',
        pass: result.growthMb < 64 && result.accepted
      })
    }

    if (wanted('opening-fanout')) {
      const result = await measureOpeningFanout(app, appUrl)
      const side = (s: { p50: number, p99: number }) => `p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} ms`
      report({
        scenario: `opening-fanout (${result.watchers} watchers × ${result.events})`,
        figure: `${side(result.scenario)}, +${Math.round(result.rssGrowthMb)} MB RSS`,
        baseline: `bare ws ${side(result.baseline)}, +${Math.round(result.baselineRssGrowthMb)} MB RSS`,
        ratio: result.ratio,
        target: 'p99 < 150 ms',
        pass: result.scenario.p99 < 150 && result.complete
      })
      process.stdout.write(`  p99 ratio by round ${result.ratios.map((ratio) => ratio.toFixed(2)).join(', ')} (app/bare ms ${result.p99s.map(([ours, bare]) => `${ours.toFixed(1)}/${bare.toFixed(1)}`).join(', ')})\n`)
      process.stdout.write(`  median round: app max ${result.scenario.max.toFixed(1)} ms, p99 from before the append transaction ${result.scenario.fromSendP99.toFixed(1)} ms, ${result.scenario.delivered} frames delivered, ${result.scenario.missing} missing; bare max ${result.baseline.max.toFixed(1)} ms, ${result.baseline.missing} missing\n`)
      process.stdout.write(`  server (this process: app + append loop; watchers in a child) RSS ${Math.round(result.scenario.rssMb)} MB subscribed, heap ${signedMb(result.scenario.heapGrowthMb)}; bare ws process RSS ${Math.round(result.baseline.rssMb)} MB, heap ${signedMb(result.baseline.heapGrowthMb)}\n`)
      process.stdout.write(`  subscribing ${result.watchers} sockets: app ${(result.scenario.subscribeMs / 1000).toFixed(1)} s, bare ws ${(result.baseline.subscribeMs / 1000).toFixed(1)} s\n`)
    }

    if (wanted('reveal-burst')) {
      const result = await measureRevealBurst(app, appUrl)
      const recorded = result.recordedMs === null ? 'no record announced' : `record in ${(result.recordedMs / 1000).toFixed(2)} s`
      report({
        scenario: `reveal-burst (${result.count} × ${result.kilobytes} KB, ${result.inFlight} in flight)`,
        figure: `${recorded} (p50 ${Math.round(result.p50)}, p99 ${Math.round(result.p99)} ms)`,
        baseline: `openBid in process ${(result.baselineMs / 1000).toFixed(2)} s`,
        ratio: (result.recordedMs ?? Infinity) / result.baselineMs,
        target: '< 5 s',
        pass: result.recordedMs !== null && result.recordedMs < 5000
      })
      report({
        scenario: 'reveal-burst record',
        figure: `${result.answered200}/${result.count} answered 200, ${result.opened} opened`,
        baseline: `state ${result.state}, last answer ${(result.answeredMs / 1000).toFixed(2)} s`,
        ratio: result.opened / result.count,
        target: 'all opened',
        pass: result.answered200 === result.count && result.opened === result.count && result.state === 'confirming'
      })
      if (result.failures.length > 0) process.stdout.write(`  statuses ${JSON.stringify(result.statuses)}; ${result.failures.join('\n  ')}\n`)
      process.stdout.write(`  room lag (a bid's opening.bid_decrypted at the watcher less its reveal's answer) p50 ${Math.round(result.roomLagP50)}, p99 ${Math.round(result.roomLagP99)} ms\n`)
      process.stdout.write(`  ${result.count - 1} reveals answered by ${(result.allButLastMs / 1000).toFixed(2)} s, the last (its transaction publishes the record) at ${(result.answeredMs / 1000).toFixed(2)} s\n`)
      process.stdout.write(`  setup (bidders, certificates, sealing, bids, certificate sign-ins) ${Math.round(result.setupSeconds)} s, untimed\n`)
    }

    if (wanted('cases')) {
      const { departments, dashboard: d, transitions: t } = await measureCases(app, appUrl, SECONDS)
      // autocannon's percentiles are whole milliseconds; the ratio is of mean latencies (requests/s at a fixed concurrency)
      const ms = (result: LoadResult) => `p50 ${result.latencyP50}, p99 ${result.latencyP99} ms`
      report({ scenario: `cases dashboard (${d.cases} cases, 1 at a time)`, figure: ms(d.sequential), baseline: `accounts/me ${ms(d.baselineSequential)}`, ratio: d.baselineSequential.requestsPerSecond / d.sequential.requestsPerSecond, target: 'p99 < 200 ms', pass: d.sequential.latencyP99 < 200 })
      report({ scenario: 'cases dashboard (8 at once)', figure: ms(d.concurrent), baseline: `accounts/me ${ms(d.baselineConcurrent)}`, ratio: d.baselineConcurrent.requestsPerSecond / d.concurrent.requestsPerSecond, target: 'p99 < 200 ms', pass: d.concurrent.latencyP99 < 200 })
      process.stdout.write(`  seeded ${d.cases} cases (${d.open} open, ${departments} departments) in ${(d.seedMs / 1000).toFixed(1)} s with timers and ANALYZE; cases ${Math.round(d.totalMb)} MB with indexes (heap ${Math.round(d.heapMb)} MB, the two open-case indexes ${Math.round(d.indexKb)} kB)\n`)
      process.stdout.write(`  open by colour ${JSON.stringify(d.colours)}; ${Math.round(d.sequential.requestsPerSecond)} dashboards/s one at a time, ${Math.round(d.concurrent.requestsPerSecond)}/s 8 at once; colour counts in process (no HTTP) ${d.queryMs.toFixed(1)} ms\n`)
      process.stdout.write(`  ${d.plan.split('\n').join('\n  ')}\n`)
      const side = (s: { perSecond: number, p50: number, p99: number }) => `${Math.round(s.perSecond)}/s (p50 ${Math.round(s.p50)}, p99 ${Math.round(s.p99)} ms)`
      report({ scenario: `cases acceptance (${t.clerks} clerks at once)`, figure: `${side(t.scenario)}`, baseline: `case-row pk update ${side(t.baseline)}`, ratio: t.ratio, target: '≥ 0.50', pass: t.ratio >= 0.5 && t.accepted === t.expected && t.failures.length === 0 })
      process.stdout.write(`  ratio by round ${t.ratios.map((ratio) => ratio.toFixed(2)).join(', ')}; ${t.perRound} acceptances a round; ${t.accepted}/${t.expected} cases accepted with a running clock\n`)
      if (t.failures.length > 0) process.stdout.write(`  failed requests in measured runs: ${t.failures.join(', ')}\n`)
    }

    if (wanted('drawing')) {
      const d = await measureDrawings(app, appUrl, Number(process.env.BENCH_EXPERTS ?? 100_000), Number(process.env.BENCH_DRAWS ?? 40))
      const ms = (s: { p50: number, p95: number }) => `p50 ${s.p50.toFixed(1)}, p95 ${s.p95.toFixed(1)} ms`
      report({ scenario: `drawing (9 + 3 of ${d.experts} experts)`, figure: ms(d.drawMs), baseline: `plain candidate query ${ms(d.baselineMs)}`, ratio: d.ratio, target: 'p95 < 100 ms', pass: d.drawMs.p95 < 100 })
      process.stdout.write(`  seeded ${d.experts} experts with specialties, employments, relations, penalties and unavailability in ${(d.seedMs / 1000).toFixed(1)} s; ${d.draws} draws, the last over ${d.eligible} eligible of ${d.candidates} candidates; slowest draw ${d.drawMs.max.toFixed(1)} ms\n`)
    }
  } finally {
    await app.db.execute('drop table if exists bench_rows' as never).catch(() => {})
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

process.stdout.write(`OpenHall benchmarks (${os.cpus().length} cores, ${ROUNDS} alternating rounds of ${SECONDS} s, ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'})\n`)
if (wanted('start-to-ready')) {
  const start = await measureStart()
  const bare = `bare Fastify start ${(start.baselineMs / 1000).toFixed(2)} s`
  report({ scenario: 'start-to-ready (npm start, initdb)', figure: `${(start.firstMs / 1000).toFixed(2)} s`, baseline: bare, ratio: start.firstMs / start.baselineMs, target: '< 3 s', pass: start.firstMs < 3000 })
  report({ scenario: 'start-to-ready (npm start, restart)', figure: `${(start.restartMs / 1000).toFixed(2)} s`, baseline: bare, ratio: start.restartMs / start.baselineMs, target: '< 1 s', pass: start.restartMs < 1000 })
  report({ scenario: 'start-to-ready (node dist/server.js)', figure: `${(start.directMs / 1000).toFixed(2)} s`, baseline: bare, ratio: start.directMs / start.baselineMs, target: '< 1 s', pass: start.directMs < 1000 })
  process.stdout.write(`  restarts ${start.restarts.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s; bare Fastify ${start.baselines.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s\n`)
}
if (['authenticated-read', 'audited-write', 'bank-callbacks', 'reconciliation', 'bid-rush', 'bid-1gb', 'opening-fanout', 'reveal-burst', 'cases', 'drawing'].some(wanted)) await httpScenarios()
if (wanted('proxy')) {
  const { instances, reads, writes, fanout } = await measureProxy(alternate, SECONDS)
  report({ scenario: `proxy reads (${instances} behind nginx)`, figure: rps(reads.scenario), baseline: `1 instance, no proxy ${rps(reads.baseline)}`, ratio: reads.ratio, target: '≥ 0.70', pass: reads.ratio >= 0.7 })
  report({ scenario: `proxy audited writes (${instances} behind nginx)`, figure: rps(writes.scenario), baseline: `1 instance, no proxy ${rps(writes.baseline)}`, ratio: writes.ratio, target: '≥ 0.70', pass: writes.ratio >= 0.7 })
  const side = (s: { p50: number, p99: number }) => `p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} ms`
  report({
    scenario: `proxy fan-out (${fanout.watchers} watchers × ${fanout.events})`,
    figure: side(fanout.scenario),
    baseline: `bare ws ${side(fanout.baseline)}`,
    ratio: fanout.ratio,
    target: 'p99 < 500 ms',
    pass: fanout.scenario.p99 < 500 && fanout.complete
  })
  process.stdout.write(`  p99 ratio by round ${fanout.ratios.map((ratio) => ratio.toFixed(2)).join(', ')} (proxy/bare ms ${fanout.p99s.map(([ours, bare]) => `${ours.toFixed(1)}/${bare.toFixed(1)}`).join(', ')}); median round: ${fanout.scenario.delivered} frames delivered, ${fanout.scenario.missing} missing; subscribing through nginx ${(fanout.scenario.subscribeMs / 1000).toFixed(1)} s, bare ${(fanout.baseline.subscribeMs / 1000).toFixed(1)} s\n`)
}
if (wanted('cms-verify')) {
  const result = await measureCmsVerify(SECONDS)
  report({ scenario: 'cms-verify (one core, chain cached)', figure: `${Math.round(result.cms)} verifications/s`, baseline: `bare RSA-2048 verify ${Math.round(result.native)}/s`, ratio: result.cms / result.native, target: '≥ 1500/s', pass: result.cms >= 1500 })
}
if (wanted('seal-open')) {
  const megabytes = Number(process.env.BENCH_BID_MB ?? 1024)
  const result = await measureSealOpen(megabytes)
  const mbps = (ms: number) => megabytes / (ms / 1000)
  const baseline = `openssl enc ${Math.round(mbps(result.opensslMs))} MB/s`
  report({ scenario: `seal ${megabytes} MB`, figure: `${Math.round(mbps(result.sealMs))} MB/s`, baseline, ratio: result.opensslMs / result.sealMs, target: '≥ 0.50', pass: result.opensslMs / result.sealMs >= 0.5 })
  report({ scenario: `open ${megabytes} MB`, figure: `${Math.round(mbps(result.openMs))} MB/s`, baseline, ratio: result.opensslMs / result.openMs, target: '≥ 0.50', pass: result.opensslMs / result.openMs >= 0.5 })
  report({ scenario: 'seal+open memory growth', figure: `${result.growthMb.toFixed(1)} MB`, baseline: `${megabytes} MB of bid`, ratio: result.growthMb / megabytes, target: '< 64 MB', pass: result.growthMb < 64 })
}
const failed = rows.filter((row) => !row.pass).length
process.stdout.write(`${rows.length} scenarios, ${failed} below target\n`)
process.exit(0)
