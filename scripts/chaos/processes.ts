/**
 * The real parts the chaos harness breaks, each started by the harness itself on loopback and
 * in its own port range, never touching a shared server:
 *
 *   PostgreSQL   a private cluster (initdb + pg_ctl of the system's PostgreSQL, run as the
 *                `postgres` OS user when the harness is root), so it can be restarted under load
 *   Ceph RGW     the repository's .ci/ceph-rgw.sh (or the shared tools copy), reached by the app
 *                through a TCP proxy that can be cut (test/support/tcp-proxy.ts)
 *   OpenHall     instances as child processes (`node --import tsx src/server.ts`, or the compiled
 *                dist/server.js when it exists), configured by environment like production
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import postgres from 'postgres'

const PG_BIN = process.env.CHAOS_PG_BIN ?? '/usr/lib/postgresql/15/bin'
const isRoot = process.getuid?.() === 0

/** Runs a command to completion; rejects with its output when it fails. */
export function run (command: string, args: string[], options: { env?: Record<string, string>, cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: options.cwd })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${(err || out).slice(-2000)}`))))
  })
}

/** A PostgreSQL binary, as the `postgres` OS user when this process is root (initdb refuses root). */
function pg (binary: string, args: string[]): Promise<string> {
  const file = path.join(PG_BIN, binary)
  return isRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args)
}

export interface PrivatePostgres {
  port: number
  /** connection string of `database` (superuser, trust on loopback) */
  url (database: string): string
  createDatabase (name: string): Promise<string>
  /** `immediate` is a crash (no checkpoint): committed work must survive by the WAL alone */
  stop (mode: 'fast' | 'immediate'): Promise<void>
  start (): Promise<void>
  isUp (): Promise<boolean>
  dump (database: string, file: string): Promise<void>
  restore (file: string, database: string): Promise<void>
}

export async function startPostgres (dir: string, port: number): Promise<PrivatePostgres> {
  const data = path.join(dir, 'pgdata')
  await mkdir(dir, { recursive: true })
  if (isRoot) await run('chown', ['postgres:postgres', dir])
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'])
  }
  const logFile = path.join(dir, 'postgres.log')
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=300 -c fsync=on`
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`
  const isUp = async () => {
    try {
      await run(path.join(PG_BIN, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)])
      return true
    } catch {
      return false
    }
  }
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start'])
  }
  await start()
  return {
    port,
    url,
    async createDatabase (name) {
      const sql = postgres(url('postgres'), { max: 1, onnotice: () => {} })
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`)
        await sql.unsafe(`create database "${name}"`)
      } finally {
        await sql.end()
      }
      return url(name)
    },
    stop: async (mode) => { await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']) },
    start,
    isUp,
    async dump (database, file) {
      await run(path.join(PG_BIN, 'pg_dump'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-Fc', '-f', file, database])
    },
    async restore (file, database) {
      await run(path.join(PG_BIN, 'pg_restore'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '--no-owner', '--exit-on-error', '-d', database, file])
    }
  }
}

export interface ObjectStoreServer {
  endPoint: string
  accessKey: string
  secretKey: string
  stop (): Promise<void>
}

/** The repository's copy of the RGW script (CI) when present, else the shared tools copy. */
export function rgwScript (): string {
  const candidates = [path.resolve('.ci/ceph-rgw.sh'), '/work/shared/tools/ceph-rgw.sh']
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found) throw new Error(`no ceph-rgw.sh at ${candidates.join(' or ')}`)
  return found
}

export async function startRgw (dir: string, port: number): Promise<ObjectStoreServer> {
  const script = rgwScript()
  await mkdir(dir, { recursive: true })
  const output = await run('bash', [script, 'start', dir, String(port)])
  const line = output.trim().split('\n').at(-1) ?? ''
  const value = (name: string) => new RegExp(`${name}=(\\S+)`).exec(line)?.[1]
  const endPoint = value('S3_ENDPOINT')
  const accessKey = value('S3_ACCESS_KEY')
  const secretKey = value('S3_SECRET_KEY')
  if (!endPoint || !accessKey || !secretKey) throw new Error(`ceph-rgw.sh printed no S3 settings: ${output.slice(-500)}`)
  return { endPoint, accessKey, secretKey, stop: async () => { await run('bash', [script, 'stop', dir]).catch(() => '') } }
}

export interface Instance {
  name: string
  port: number
  url: string
  /** SIGKILL: no drain, no shutdown hook, as a crashed machine */
  kill (): Promise<void>
  /** SIGTERM and wait */
  stop (): Promise<void>
  alive (): boolean
  log: string
}

const started = new Set<ChildProcess>()
process.on('exit', () => { for (const child of started) child.kill('SIGKILL') })

/** The newest modification time of any file under `dir`. */
async function newestChange (dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

/**
 * The server entry: the compiled build when there is one newer than every source file (a stale
 * build would test yesterday's code), else the sources through tsx, as `npm start` runs them.
 */
async function serverCommand (): Promise<string[]> {
  const built = path.resolve('dist/server.js')
  if (existsSync(built) && (await stat(built)).mtimeMs > await newestChange(path.resolve('src'))) return [built]
  return ['--import', 'tsx', 'src/server.ts']
}

export async function startInstance (name: string, port: number, env: Record<string, string>, logDir: string): Promise<Instance> {
  const log = path.join(logDir, `${name}.log`)
  const handle = await open(log, 'a')
  const child = spawn(process.execPath, await serverCommand(), {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', handle.fd, handle.fd]
  })
  started.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    started.delete(child)
    handle.close().then(resolve, resolve)
  }))
  const url = `http://127.0.0.1:${port}`
  const instance: Instance = {
    name,
    port,
    url,
    log,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill () {
      child.kill('SIGKILL')
      await exited
    },
    async stop () {
      if (!instance.alive()) return
      child.kill('SIGTERM')
      const force = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(force)
    }
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    if (!instance.alive()) throw new Error(`instance ${name} exited before it was ready:\n${(await readFile(log, 'utf8')).slice(-3000)}`)
    if ((await readiness(url)).status === 200) return instance
    if (Date.now() > deadline) throw new Error(`instance ${name} not ready within 90 s`)
    await sleep(200)
  }
}

export interface Readiness { status: number, checks?: { database: string, storage: string } }

/** GET /ready: status 0 when nothing answers within two and a half seconds. */
export async function readiness (baseUrl: string): Promise<Readiness> {
  try {
    const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2500) })
    const body = await response.json() as { checks?: Readiness['checks'] }
    return { status: response.status, checks: body.checks }
  } catch {
    return { status: 0 }
  }
}
