/**
 * Test harness: every test file gets its own PostgreSQL database cloned from a migrated
 * template (fast, isolated, real), its own data directory, and an app built exactly as the
 * server builds it. The server is TEST_DATABASE_URL / DATABASE_URL, or (when a file is run
 * directly with no server configured) a private embedded PostgreSQL for this process.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import tap from 'tap'
import { buildApp } from '../src/app.ts'
import { loadConfig, type Config } from '../src/config.ts'
import { startEmbeddedPostgres } from '../src/lib/embedded-postgres.ts'
import { MIGRATIONS_FOLDER, connect, runMigrations } from '../src/plugins/db.ts'

export interface TestContext {
  teardown (fn: () => unknown): void
}

let serverUrl: Promise<string> | undefined

async function resolveServer (): Promise<string> {
  const configured = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
  if (configured) return configured
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-test-pg-'))
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), password: 'openhall-test', port: 0, database: 'postgres' })
  // when the file's tests are done; the server's child process would otherwise keep this one alive
  tap.teardown(async () => { await server.stop().catch(() => {}) })
  return server.url
}

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function templateName (): Promise<string> {
  const hash = createHash('sha256')
  const files = (await readdir(MIGRATIONS_FOLDER, { recursive: true })).filter((file) => file.endsWith('.sql') || file.endsWith('.json')).sort()
  for (const file of files) hash.update(file).update(await readFile(path.join(MIGRATIONS_FOLDER, file)))
  return `openhall_tpl_${hash.digest('hex').slice(0, 12)}`
}

/** Creates a fresh, migrated database for one test file and drops it at teardown. */
export async function createTestDatabase (t: TestContext): Promise<string> {
  serverUrl ??= resolveServer()
  const server = await serverUrl
  const admin = postgres(withDatabase(server, 'postgres'), { max: 1, onnotice: () => {} })
  const template = await templateName()
  const name = `openhall_t_${process.pid}_${randomBytes(4).toString('hex')}`
  try {
    await admin`select pg_advisory_lock(7260100)`
    const [existing] = await admin`select 1 from pg_database where datname = ${template}`
    if (!existing) {
      await admin.unsafe(`create database ${template}`)
      const db = connect(withDatabase(server, template), 2)
      await runMigrations(db)
      await db.$client.end()
    }
    await admin.unsafe(`create database ${name} template ${template}`)
  } finally {
    await admin`select pg_advisory_unlock(7260100)`.catch(() => {})
    await admin.end()
  }
  t.teardown(async () => {
    const dropper = postgres(withDatabase(server, 'postgres'), { max: 1, onnotice: () => {} })
    await dropper.unsafe(`drop database if exists ${name} with (force)`).catch(() => {})
    await dropper.end()
  })
  return withDatabase(server, name)
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  databaseUrl: string
  /** log lines (parsed JSON) written by this app */
  logs: Array<Record<string, unknown>>
}

export interface BuildTestAppOptions {
  /** reuse a database (second instance on the same data); defaults to a fresh one */
  databaseUrl?: string
  env?: Record<string, string>
  /** listen on a loopback port (WebSocket clients, browsers); inject works either way */
  listen?: boolean
  /** runs after the app is built and before it is ready, like a module's registration */
  setup?: (app: FastifyInstance) => Promise<void> | void
}

/** One master key per test process, so several instances on one database share platform keys. */
export const TEST_MASTER_KEY = randomBytes(32).toString('base64')

export async function buildTestApp (t: TestContext, options: BuildTestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? await createTestDatabase(t)
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-test-data-'))
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'info',
    DATABASE_POOL_MAX: '5',
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    ...options.env
  })
  const logs: Array<Record<string, unknown>> = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    }
  })
  const app = await buildApp(config, { logStream })
  t.teardown(async () => {
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  await options.setup?.(app)
  if (options.listen) await app.listen({ port: 0, host: '127.0.0.1' })
  else await app.ready()
  return { app, config, databaseUrl, logs }
}

/** Base URL of a listening test app. */
export function baseUrl (app: FastifyInstance): string {
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('app is not listening')
  return `http://127.0.0.1:${address.port}`
}

export async function countRows (app: FastifyInstance, table: string): Promise<number> {
  const [row] = await app.db.$client.unsafe<Array<{ count: number }>>(`select count(*)::int as count from ${table}`)
  return row!.count
}
