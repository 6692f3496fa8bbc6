/**
 * `npm run bench -- proxy`: three instances (proxy-instance.ts processes) behind nginx, rendered
 * from deploy/nginx for loopback, on one database, against one instance without the proxy in
 * the same run.
 *
 *   reads    GET /api/accounts/me (bearer token), 50 connections, through nginx to the three vs
 *            straight to one of them
 *   writes   POST /bench/audited-rows (a row and its audit entry in one transaction), the same way
 *   fan-out  BENCH_PROXY_WATCHERS (10,000) anonymous watchers of one opening room connected through
 *            nginx (least_conn spreads them over the three instances); BENCH_FANOUT_EVENTS (20)
 *            events appended by this process 150 ms apart; latency from commit to arrival, p99, vs
 *            a bare `ws` server broadcasting the same frames to as many sockets (openings.ts'
 *            rounds and watch-client.ts, unchanged)
 *
 * Instances, nginx and the load generators share the machine's cores, as they would one host.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { killWithThisProcess, onFreePort, startLoopbackProxy } from '../../deploy/nginx/loopback.ts'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { startEmbeddedPostgres } from '../../src/lib/embedded-postgres.ts'
import { BENCH_ROWS_DDL } from './bench-routes.ts'
import { createDesk, publishTender } from './bids.ts'
import { runLoad, type LoadResult } from './load.ts'
import { fanoutRounds } from './openings.ts'

/** The benchmark's loopback ports (nginx and the instances). */
const PORT_RANGE = [42000, 42999] as const
const INSTANCES = 3

type Alternate = (scenario: () => Promise<LoadResult>, baseline: () => Promise<LoadResult>) => Promise<{ scenario: LoadResult, baseline: LoadResult, ratio: number }>

interface Instance { port: number, child: ChildProcess }

async function startInstance (port: number, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('scripts/bench/proxy-instance.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  killWithThisProcess(child)
  const deadline = Date.now() + 120_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance on ${port} exited with ${child.exitCode}: ${stderr}`)
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).status === 200) return { port, child }
    } catch {}
    if (Date.now() > deadline) throw new Error(`instance on ${port} not ready within 120 s: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function stopInstance ({ child }: Instance): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/**
 * The database is DATABASE_URL, or a private embedded PostgreSQL. An app in this process, on the
 * database the instances share, prepares the account, the table and the room, and appends the
 * fan-out events; all of them share one master key (platform keys are sealed under it).
 */
export async function measureProxy (alternate: Alternate, seconds: number) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-proxy-'))
  const embedded = process.env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({ dir: path.join(dataDir, 'pg'), password: randomBytes(12).toString('hex'), port: 0, database: 'openhall' })
  const shared = { DATABASE_URL: process.env.DATABASE_URL ?? embedded!.url, MASTER_KEY: randomBytes(32).toString('base64'), DATA_DIR: dataDir }
  let app: FastifyInstance | undefined
  try {
    app = await buildApp(loadConfig({ ...shared, LOG_LEVEL: 'warn' }))
    await app.ready()
    return await measureWithApp(app, shared, alternate, seconds)
  } finally {
    await app?.close()
    await embedded?.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function measureWithApp (app: FastifyInstance, shared: Record<string, string>, alternate: Alternate, seconds: number) {
  const instanceEnv = {
    ...shared,
    LOG_LEVEL: 'warn',
    // nginx connects from 127.0.0.1 (deploy/nginx)
    TRUST_PROXY: '127.0.0.1',
    LOGIN_RATE_LIMIT_PER_MINUTE: '100000'
  }
  const instances: Instance[] = []
  let proxy: Awaited<ReturnType<typeof startLoopbackProxy>> | undefined
  try {
    await app.db.execute(BENCH_ROWS_DDL as never)
    const password = `Bench-${randomBytes(6).toString('hex')}-A1`
    const username = `bench.proxy.${randomBytes(3).toString('hex')}`
    await app.services.accounts.createAccount(null, { kind: 'person', username, displayName: 'Bench', password, grants: [{ role: 'applicant', scopeType: 'hall' }] })
    const session = await app.services.sessions.signIn({ username, password, ip: '127.0.0.1', userAgent: 'bench', requestId: 'bench' })
    const auth = { authorization: `Bearer ${session.token}` }
    const tender = await publishTender(app, await createDesk(app, 'proxy'))

    const taken = new Set<number>()
    for (let i = 0; i < INSTANCES; i++) instances.push(await onFreePort(PORT_RANGE[0], PORT_RANGE[1], (port) => startInstance(port, instanceEnv), taken))
    // a worker per core (as `worker_processes auto` would): each proxied socket takes two file
    // descriptors, and one worker alone would pass the process limit (20,000 here) at 10,000 sockets
    proxy = await onFreePort(PORT_RANGE[0], PORT_RANGE[1], (port) => startLoopbackProxy({ port, upstreams: instances.map((instance) => instance.port), workers: os.cpus().length, connections: 30_000 }), taken)
    const direct = `http://127.0.0.1:${instances[0]!.port}`
    const proxied = proxy.url

    const read = (base: string, duration: number) => runLoad({ url: `${base}/api/accounts/me`, headers: auth, connections: 50, seconds: duration })
    await read(proxied, 2)
    await read(direct, 2)
    const reads = await alternate(() => read(proxied, seconds), () => read(direct, seconds))

    const write = (base: string, duration: number) =>
      runLoad({ url: `${base}/bench/audited-rows`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ note: '县政务服务大厅 bench via nginx' }), connections: 50, seconds: duration })
    await write(proxied, 2)
    const writes = await alternate(() => write(proxied, seconds), () => write(direct, seconds))

    const { results, ...fanout } = await fanoutRounds(app, proxied, `opening:${tender.id}`, Number(process.env.BENCH_PROXY_WATCHERS ?? 10_000), 30_000)
    return { instances: INSTANCES, reads, writes, fanout }
  } finally {
    await proxy?.stop()
    for (const instance of instances) await stopInstance(instance)
    await app.db.execute('drop table if exists bench_rows' as never).catch(() => {})
  }
}
