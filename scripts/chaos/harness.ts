/**
 * What every fault scenario shares: the running parts (private PostgreSQL, RGW behind a
 * cuttable proxy), a database and bucket of its own per scenario, an in-process app on the same
 * database and store for seeding and for checking afterwards (the bench's and tests' builders
 * take one), OpenHall instances as child processes, the patient client (client.ts), a watch on
 * /ready compared with the truth the harness knows, and the per-fault report.
 */
import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import type { TcpProxy } from '../../test/support/tcp-proxy.ts'
import type { ClientJob, ClientResult } from './client.ts'
import { readiness, startInstance, type Instance, type PrivatePostgres } from './processes.ts'

export interface ChaosContext {
  short: boolean
  work: string
  pg: PrivatePostgres
  /** the RGW as the app reaches it: through `storeProxy` */
  s3: { endPoint: string, accessKey: string, secretKey: string }
  storeProxy: TcpProxy
  masterKey: string
  nextPort (): number
  /** a progress line under the scenario's name, with the seconds since it began */
  progress (message: string): void
}

export interface Scenario {
  name: string
  /** what is broken, for the report */
  fault: string
  run (context: ChaosContext): Promise<FaultReport>
}

export interface Check { name: string, pass: boolean, detail?: string }

export interface FaultReport {
  acknowledged: number
  survived: number
  lost: number
  halfDoneCounted: number
  maxClientWaitMs: number
  /** non-final answers clients got while degraded, by status (0: no answer) */
  degraded: Record<string, number>
  checks: Check[]
  notes?: string[]
}

/** A scenario's own database, bucket, data directory and environment for its instances. */
export interface Stage {
  name: string
  databaseUrl: string
  env: Record<string, string>
  dir: string
  /** an app in this process on the same database and store, for seeding and checking */
  app: FastifyInstance
  instances: Instance[]
  start (name: string, extra?: Record<string, string>): Promise<Instance>
  close (): Promise<void>
}

export async function openStage (context: ChaosContext, name: string, overrides: Record<string, string> = {}): Promise<Stage> {
  const database = `chaos_${name.replaceAll('-', '_')}`
  const databaseUrl = await context.pg.createDatabase(database)
  const dir = path.join(context.work, name)
  await mkdir(dir, { recursive: true })
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '20',
    MASTER_KEY: context.masterKey,
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: context.s3.endPoint,
    S3_ACCESS_KEY: context.s3.accessKey,
    S3_SECRET_KEY: context.s3.secretKey,
    S3_BUCKET: `chaos-${name}-${Date.now().toString(36)}`,
    ADMIN_PASSWORD: 'Chaos-Harness-Admin-1',
    LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
    ...overrides
  }
  // quiet: its background timers meet the same faults the instances do
  // DATA_DIR given: one directory for every process of the stage (the fs store's root)
  const app = await buildApp(loadConfig({ DATA_DIR: path.join(dir, 'seed'), ...env, LOG_LEVEL: 'fatal' }))
  await app.ready()
  const stage: Stage = {
    name,
    databaseUrl,
    env,
    dir,
    app,
    instances: [],
    async start (instanceName, extra = {}) {
      // the range overlaps the kernel's ephemeral ports: another process may hold the next one
      for (let attempt = 1; ; attempt++) {
        try {
          const instance = await startInstance(`${name}-${instanceName}`, context.nextPort(), { DATA_DIR: path.join(dir, instanceName), ...env, ...extra }, dir)
          stage.instances.push(instance)
          return instance
        } catch (error) {
          if (attempt >= 5 || !String(error).includes('EADDRINUSE')) throw error
        }
      }
    },
    async close () {
      await Promise.all(stage.instances.map((instance) => instance.stop()))
      await app.close()
    }
  }
  return stage
}

/** The patient client in its own process; `onAcked` hears each final 2xx as it comes. */
export function runClient (job: ClientJob, onAcked: (acked: number) => void = () => {}): Promise<ClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('scripts/chaos/client.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin.end(JSON.stringify(job))
  return new Promise((resolve, reject) => {
    let result: ClientResult | undefined
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { acked?: number, result?: ClientResult }
      if (message.acked !== undefined) onAcked(message.acked)
      if (message.result) result = message.result
    })
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`chaos client exited with ${code} and no result`))))
  })
}

/** Resolves once `count` requests were acknowledged, i.e. the fault lands mid-load. */
export function ackCounter () {
  let acked = 0
  const waiters: Array<{ count: number, resolve: () => void }> = []
  return {
    onAcked (n: number) {
      acked = n
      for (const waiter of waiters.filter((w) => w.count <= acked)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    },
    reached (count: number) {
      return acked >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))
    }
  }
}

/**
 * Samples /ready of an instance every 250 ms and compares it with `truth` (what the harness
 * knows: is the dependency up?). A sample within `graceMs` after the truth changed is not
 * judged: readiness checks time out after two seconds and pools take a moment to reconnect.
 */
export function watchReadiness (instance: Instance, truth: () => boolean, graceMs = 4000) {
  const state = { stopped: false }
  let lies = 0
  let samples = 0
  let sawNotReady = false
  let last = truth()
  let changedAt = Date.now()
  const lieSamples: string[] = []
  const done = (async () => {
    while (!state.stopped) {
      const expected = truth()
      if (expected !== last) { last = expected; changedAt = Date.now() }
      const sampledAt = Date.now()
      const answer = await readiness(instance.url)
      if (answer.status !== 0) {
        samples++
        if (answer.status === 503) sawNotReady = true
        const stillExpected = truth() === expected
        if (stillExpected && sampledAt - changedAt > graceMs && (answer.status === 200) !== expected) {
          lies++
          if (lieSamples.length < 3) lieSamples.push(`${answer.status} ${JSON.stringify(answer.checks)} while ${expected ? 'up' : 'down'}`)
        }
      }
      await sleep(250)
    }
  })()
  return {
    async stop () {
      state.stopped = true
      await done
      return { lies, samples, sawNotReady, lieSamples }
    }
  }
}

export const maxWait = (result: ClientResult) => Math.max(0, ...result.outcomes.map((outcome) => outcome.waitMs))

/** A fault's figures from what the data shows (effects) and what its clients saw (result). */
export function faultReport (
  effects: { acknowledged: number, survived: number, lost: number, halfDone: number }, result: ClientResult
): Omit<FaultReport, 'checks'> {
  return { acknowledged: effects.acknowledged, survived: effects.survived, lost: effects.lost, halfDoneCounted: effects.halfDone, maxClientWaitMs: maxWait(result), degraded: result.degraded }
}

/** /ready told the truth while the fault lasted (and, with `mustSeeNotReady`, did say so). */
export function readinessCheck (name: string, readiness: { lies: number, samples: number, sawNotReady: boolean, lieSamples: string[] }, mustSeeNotReady: boolean): Check {
  return mustSeeNotReady
    ? { name, pass: readiness.lies === 0 && readiness.sawNotReady, detail: `${readiness.lies} wrong of ${readiness.samples} ${readiness.lieSamples.join('; ')}` }
    : { name, pass: readiness.lies === 0, detail: readiness.lieSamples.join('; ') }
}

/** Non-final answers of several client runs, added up. */
export function mergeDegraded (...results: ClientResult[]): Record<string, number> {
  const merged: Record<string, number> = {}
  for (const result of results) for (const [status, n] of Object.entries(result.degraded)) merged[status] = (merged[status] ?? 0) + n
  return merged
}

/** The checks every fault shares: nothing lost or half-done, clients resumed, errors specific. */
export function commonChecks (report: Omit<FaultReport, 'checks'>, results: ClientResult[], expectedFinal = 0): Check[] {
  const outcomes = results.flatMap((result) => result.outcomes)
  const unresolved = outcomes.filter((outcome) => outcome.status === 0 || outcome.status >= 500)
  const fiveHundreds = (report.degraded['500'] ?? 0) + outcomes.filter((outcome) => outcome.status === 500).length
  const withoutRetryAfter = results.reduce((total, result) => total + result.withoutRetryAfter, 0)
  const checks: Check[] = [
    { name: 'nothing acknowledged is lost', pass: report.lost === 0, detail: `${report.lost} lost` },
    { name: 'nothing half-done is counted', pass: report.halfDoneCounted === 0, detail: `${report.halfDoneCounted} half-done` },
    { name: 'clients resume', pass: unresolved.length === 0, detail: `${unresolved.length} requests ended without a final answer (${unresolved.slice(0, 2).map((o) => `${o.status} ${o.body.slice(0, 160)}`).join('; ')})` },
    { name: 'errors while degraded are specific (no 500)', pass: fiveHundreds === 0, detail: `${fiveHundreds} answers were 500` },
    { name: 'every 503 carries Retry-After', pass: withoutRetryAfter === 0, detail: `${withoutRetryAfter} without` }
  ]
  if (expectedFinal > 0) {
    const final2xx = outcomes.filter((outcome) => outcome.status >= 200 && outcome.status < 300).length
    checks.push({ name: 'every request finally acknowledged', pass: final2xx === expectedFinal, detail: `${final2xx}/${expectedFinal}` })
  }
  return checks
}
