/**
 * `npm run chaos`: the fault harness (issue 19). Starts its own PostgreSQL (port 41432), Ceph
 * RGW (41480) behind a cuttable proxy (41481), and OpenHall instances (from 41001), all on
 * loopback under a temporary directory; then, one scenario at a time, breaks something under
 * load and prints, per fault: acknowledged, survived, lost (must be 0), half-done counted (must be
 * 0), max client wait, degraded answers by status, and each check. Exits 1 when any check fails.
 *
 *   npm run chaos                    every scenario, long form (30 s store outage, larger loads)
 *   npm run chaos -- --short         the CI form: smaller loads, shorter outages
 *   npm run chaos -- store-outage    only the named scenarios
 *   --keep                           keep the working directory (logs of every instance)
 *
 * Each scenario has a time limit; one that overruns fails and the run goes on to the next.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTcpProxy } from '../../test/support/tcp-proxy.ts'
import { backupRestoreDrill } from './backup-restore.ts'
import { killDuringAcceptances } from './kill-during-acceptances.ts'
import { killDuringBankCallbacks } from './kill-during-bank-callbacks.ts'
import { killDuringBidRush } from './kill-during-bid-rush.ts'
import { killDuringReveals } from './kill-during-reveals.ts'
import { postgresRestart } from './postgres-restart.ts'
import { storeDiskFull } from './store-disk-full.ts'
import { storeOutage } from './store-outage.ts'
import type { ChaosContext, FaultReport, Scenario } from './harness.ts'
import { startPostgres, startRgw } from './processes.ts'

const SCENARIOS: Scenario[] = [
  killDuringBidRush, killDuringReveals, killDuringBankCallbacks, killDuringAcceptances,
  postgresRestart, storeOutage, storeDiskFull, backupRestoreDrill
]
const PORTS = { postgres: 41432, rgw: 41480, storeProxy: 41481, firstInstance: 41001 }

const args = process.argv.slice(2)
const short = args.includes('--short')
const keep = args.includes('--keep')
const named = args.filter((arg) => !arg.startsWith('--'))
const unknown = named.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name))
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}\n`)
  process.exit(2)
}
const chosen = SCENARIOS.filter((scenario) => named.length === 0 || named.includes(scenario.name))
const limitMs = short ? 300_000 : 420_000

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const line = (text: string) => process.stdout.write(`${text}\n`)

function print (scenario: Scenario, report: FaultReport, elapsedMs: number) {
  const failed = report.checks.filter((check) => !check.pass)
  line(`\n${failed.length === 0 ? 'PASS' : 'FAIL'}  ${scenario.name}: ${scenario.fault} (${seconds(elapsedMs)})`)
  line(`  acknowledged ${report.acknowledged}, survived ${report.survived}, lost ${report.lost}, half-done counted ${report.halfDoneCounted}, max client wait ${seconds(report.maxClientWaitMs)}`)
  const degraded = Object.entries(report.degraded).map(([status, n]) => `${status === '0' ? 'no answer' : status} ×${n}`).join(', ')
  line(`  degraded answers: ${degraded || 'none'}`)
  for (const check of report.checks) line(`  ${check.pass ? 'ok  ' : 'FAIL'} ${check.name}${!check.pass && check.detail ? ` — ${check.detail}` : ''}`)
  for (const note of report.notes ?? []) line(`  note: ${note}`)
}

async function withLimit<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`time limit of ${seconds(ms)} exceeded`)), ms) })
  try {
    return await Promise.race([work, limit])
  } finally {
    clearTimeout(timer)
  }
}

const work = await mkdtemp(path.join(os.tmpdir(), 'openhall-chaos-'))
// PostgreSQL runs as the `postgres` OS user when the harness is root: it must traverse (not list) this
await chmod(work, 0o711)
const started = performance.now()
line(`OpenHall chaos harness (${short ? 'short' : 'long'} form; ${chosen.map((scenario) => scenario.name).join(', ')}); work in ${work}`)
const pg = await startPostgres(path.join(work, 'postgres'), PORTS.postgres)
const rgw = await startRgw(path.join(work, 'rgw'), PORTS.rgw)
const storeProxy = await startTcpProxy({ port: Number(new URL(rgw.endPoint).port) }, PORTS.storeProxy)
let port = PORTS.firstInstance
let current = ''
let currentStarted = 0
const context: ChaosContext = {
  short,
  work,
  pg,
  s3: { endPoint: `http://127.0.0.1:${storeProxy.port}`, accessKey: rgw.accessKey, secretKey: rgw.secretKey },
  storeProxy,
  masterKey: randomBytes(32).toString('base64'),
  nextPort: () => port++,
  progress: (message) => line(`  … ${current} ${seconds(performance.now() - currentStarted)}: ${message}`)
}
line(`PostgreSQL 127.0.0.1:${pg.port}, RGW ${rgw.endPoint} behind 127.0.0.1:${storeProxy.port}`)

let failures = 0
try {
  for (const scenario of chosen) {
    const scenarioStarted = performance.now()
    current = scenario.name
    currentStarted = scenarioStarted
    try {
      const report = await withLimit(scenario.run(context), limitMs)
      print(scenario, report, performance.now() - scenarioStarted)
      if (report.checks.some((check) => !check.pass)) failures++
    } catch (error) {
      failures++
      line(`\nFAIL  ${scenario.name}: ${scenario.fault} — could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
      // a scenario cut short may have left the store cut or PostgreSQL stopped
      storeProxy.restore()
      if (!await pg.isUp()) await pg.start().catch(() => {})
      await sleep(500)
    }
  }
} finally {
  await storeProxy.close()
  await rgw.stop()
  await pg.stop('fast').catch(() => {})
  if (!keep) await rm(work, { recursive: true, force: true })
}
line(`\n${chosen.length} faults, ${failures} failed, ${seconds(performance.now() - started)}`)
process.exit(failures === 0 ? 0 : 1)
