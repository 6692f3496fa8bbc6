/**
 * `app.db`: drizzle over the `postgres` driver, one pool per instance. With DATABASE_URL the app
 * uses that server; without it, it starts its private PostgreSQL under DATA_DIR/pg. Migrations
 * from schema/migrations run at start under an advisory lock, so instances starting together
 * migrate once. The raw driver is `app.db.$client` (LISTEN/NOTIFY, advisory locks).
 *
 * The server's start and the migrations (openDatabase) run before the plugin is registered, not
 * inside it: a cold initdb on a loaded machine outlasts avvio's plugin timeout, and the server
 * may be started early, while the app's modules load (src/server.ts).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql, type SQL } from 'drizzle-orm'
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import { PgDialect } from 'drizzle-orm/pg-core'
import fp from 'fastify-plugin'
import postgres from 'postgres'
import type { DatabaseServer } from '../lib/embedded-postgres.ts'

export type Database = PostgresJsDatabase & { $client: postgres.Sql }
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]
/** Either the pool or an open transaction: repositories accept both. */
export type Queryable = Database | Transaction

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
  }
}

export const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../schema/migrations')
const MIGRATION_LOCK = 7_260_001

export interface DbPluginOptions {
  /** a pool over a migrated database (openDatabase) */
  db: Database
  /** what the pool runs on; stopped after the pool has closed */
  server: DatabaseServer
}

type Unsafe = (query: string, args?: unknown[], options?: { prepare?: boolean }) => unknown
type Scoped = (...args: unknown[]) => unknown
interface PatchableSql { unsafe: Unsafe, begin?: Scoped, savepoint?: Scoped }

/**
 * drizzle runs every query through `sql.unsafe(text, params, { prepare: false })`, so PostgreSQL
 * parses and plans each one again; measured here, that made a primary-key read 3.6x slower than
 * the same query prepared. Parameterised queries are single statements whose texts come from
 * code (a bounded set), so they are sent as prepared statements, which postgres.js caches per
 * connection by text. Queries without parameters (migrations, multi-statement DDL) are unchanged.
 * Transactions and savepoints get their own `sql` objects, which are patched the same way.
 */
function preferPreparedStatements (sql: PatchableSql): void {
  const unsafe = sql.unsafe.bind(sql)
  sql.unsafe = (query, args, options) => unsafe(query, args, args && args.length > 0 ? { ...options, prepare: true } : options)
  for (const scope of ['begin', 'savepoint'] as const) {
    const original = sql[scope]?.bind(sql)
    if (!original) continue
    sql[scope] = (...args: unknown[]) => {
      const work = args.pop() as (inner: PatchableSql) => unknown
      return original(...args, (inner: PatchableSql) => {
        preferPreparedStatements(inner)
        return work(inner)
      })
    }
  }
}

export function connect (url: string, poolMax: number): Database {
  const client = postgres(url, {
    max: poolMax,
    onnotice: () => {},
    connection: { application_name: 'openhall' }
  })
  preferPreparedStatements(client as unknown as PatchableSql)
  // no schema: the relational query API is not used, and with it every transaction built a query
  // builder for each of the schema's tables
  const db = drizzle({ client, casing: 'snake_case' }) as Database
  checkUnawaitedStatements(db)
  return db
}

/** Statements sent inside a transaction without waiting for their answer (sendUnawaited), by transaction. */
const unawaited = new WeakMap<Transaction, Array<PromiseLike<unknown>>>()

/**
 * Sends `statement` inside `tx` without waiting for its answer, so that it travels to PostgreSQL
 * with the statement after it (often the COMMIT) instead of costing a round trip of its own.
 * Its failure still fails the transaction: a failed statement aborts the transaction, PostgreSQL
 * turns the COMMIT behind it into a rollback, and db.transaction then rejects with the failure
 * (checkUnawaitedStatements). Returns false, having sent nothing, when `tx` is not a transaction
 * opened by db.transaction (the pool, or a savepoint, where that check does not run): the
 * caller then sends and awaits as usual.
 */
export function sendUnawaited (tx: Queryable, statement: Promise<unknown> & { execute (): unknown }): boolean {
  const statements = unawaited.get(tx as Transaction)
  if (!statements) return false
  statement.execute()
  // answered before the COMMIT's own answer: checked once the transaction has ended
  statement.catch(() => {})
  statements.push(statement)
  return true
}

const dialect = new PgDialect({ casing: 'snake_case' })

/**
 * Runs a write whose answer nobody reads. Inside a transaction opened by db.transaction it is sent
 * without waiting (sendUnawaited), so the writes of a step and its COMMIT reach PostgreSQL in one
 * round trip; elsewhere it is awaited. The caller's later statements still see what it wrote:
 * statements on a connection run in the order they were sent.
 */
export async function write (tx: Queryable, query: SQL): Promise<void> {
  if (unawaited.has(tx as Transaction)) {
    const { sql: text, params } = dialect.sqlToQuery(query)
    sendUnawaited(tx, driverOf(tx as Transaction).unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }))
    return
  }
  await tx.execute(query)
}

/**
 * db.transaction, made to reject when a statement sent with sendUnawaited failed. By the time
 * the COMMIT is answered every statement sent before it has been answered, so waiting for them
 * afterwards costs nothing; a failure among them means the COMMIT was a rollback.
 */
function checkUnawaitedStatements (db: Database): void {
  const transaction = db.transaction.bind(db)
  db.transaction = (async (work: (tx: Transaction) => Promise<unknown>, config?: Parameters<Database['transaction']>[1]) => {
    const statements: Array<PromiseLike<unknown>> = []
    const result = await transaction(async (tx) => {
      unawaited.set(tx, statements)
      return work(tx)
    }, config)
    for (const statement of statements) await statement
    return result
  }) as Database['transaction']
}

export async function runMigrations (db: Database): Promise<void> {
  const reserved = await db.$client.reserve()
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK})`
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {})
    reserved.release()
  }
}

/** The postgres.js client under a drizzle transaction, for what drizzle cannot express (COPY). */
export function driverOf (tx: Transaction): postgres.TransactionSql {
  return (tx as unknown as { session: { client: postgres.TransactionSql } }).session.client
}

const PG_RETRYABLE = new Set(['40001', '40P01'])

/** The PostgreSQL error behind a failure (drizzle wraps driver errors in DrizzleQueryError). */
export function postgresErrorOf (error: unknown): { code: string, constraint: string | null } | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code, constraint_name: constraint } = current as { code?: unknown, constraint_name?: unknown }
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { code, constraint: typeof constraint === 'string' ? constraint : null }
  }
  return null
}

/** Runs `work` in a transaction, retrying on serialization failures and deadlocks. */
export async function inTransaction<T> (db: Database, work: (tx: Transaction) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work)
    } catch (error) {
      const code = postgresErrorOf(error)?.code
      if (attempt >= attempts || !code || !PG_RETRYABLE.has(code)) throw error
    }
  }
}

/**
 * Runs `work` over one consistent snapshot: a read-only REPEATABLE READ transaction, so a check
 * that reads in several statements compares rows of one moment however many writers commit
 * meanwhile (it never blocks them). `takenAt` is the database's clock when the snapshot was
 * taken: what committed after it is not seen. Every check or report over live data reads this way.
 */
export async function inSnapshot<T> (db: Database, work: (tx: Transaction, takenAt: Date) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // the first statement of a REPEATABLE READ transaction takes its snapshot
    const [row] = await tx.execute<{ taken_at: string }>(sql`
      select to_char(statement_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as taken_at`)
    return work(tx, new Date(row!.taken_at))
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' })
}

/** Connects to the server and applies the pending migrations. */
export async function openDatabase (server: DatabaseServer, poolMax: number): Promise<Database> {
  const db = connect(server.url, poolMax)
  try {
    await runMigrations(db)
  } catch (error) {
    await db.$client.end({ timeout: 1 })
    throw error
  }
  return db
}

export default fp<DbPluginOptions>(async function dbPlugin (app, { db, server }) {
  app.decorate('db', db)
  app.addHook('onClose', async () => {
    await db.$client.end({ timeout: 5 })
    await server.stop()
  })
}, { name: 'db' })
