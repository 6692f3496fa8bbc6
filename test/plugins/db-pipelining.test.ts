/**
 * Round trips inside a transaction: the BEGIN travels with the first statements
 * (scripts/patches/postgres-pipelined-begin.mjs), and writes whose answer nobody reads travel
 * with the COMMIT (`write` in src/plugins/db.ts). Both must keep a transaction's meaning.
 */
import net from 'node:net'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import t from 'tap'
import { buildTestApp, createTestDatabase } from '../helper.ts'
import { write } from '../../src/plugins/db.ts'

/** A driver whose socket counts what it writes (each write is one trip towards the server). */
function countingClient (url: string) {
  const parsed = new URL(url)
  const writes = { count: 0 }
  // `socket` is the driver's documented hook for a custom connection; its types leave it out
  const socket = () => {
    const connection = net.connect({ host: parsed.hostname, port: Number(parsed.port || 5432) })
    const send = connection.write.bind(connection) as (...args: unknown[]) => boolean
    connection.write = ((...args: unknown[]) => { writes.count++; return send(...args) }) as typeof connection.write
    return connection
  }
  const client = postgres(url, { max: 1, onnotice: () => {}, socket } as postgres.Options<Record<string, never>>)
  return { client, writes }
}

t.test('a transaction sends its BEGIN with its first statement, and still runs it inside the transaction', async (t) => {
  const url = await createTestDatabase(t)
  const { client, writes } = countingClient(url)
  t.teardown(() => client.end())
  await client`create table pipelined (n int primary key)`

  writes.count = 0
  const answer = await client.begin(async (tx) => tx`select 1 as one`)
  t.equal(answer[0]!.one, 1)
  t.equal(writes.count, 2, 'BEGIN + SELECT in one write, COMMIT in another')

  // the statements sent with the BEGIN are undone with the transaction
  await t.rejects(client.begin(async (tx) => {
    await tx`insert into pipelined values (1)`
    throw new Error('changed my mind')
  }), /changed my mind/)
  t.same(await client`select n from pipelined`, [], 'nothing of a rolled-back transaction stays')

  // a pool whose every connection is busy: the transaction waits for a connection, then pipelines there
  const [a, b] = await Promise.all([
    client.begin((tx) => tx`insert into pipelined values (2) returning n`),
    client.begin((tx) => tx`insert into pipelined values (3) returning n`)
  ])
  t.same([a![0]!.n, b![0]!.n], [2, 3])
  t.same((await client`select n from pipelined order by n`).map((row) => row.n), [2, 3])

  // the connection stays the transaction's: a query of someone else waits for it instead of being
  // pipelined into it (here it would run inside a read-only transaction and be refused)
  let outside: Promise<unknown> | undefined
  await client.begin('read only', async (tx) => {
    await tx`select 1`
    outside = client`insert into pipelined values (4)`
    await new Promise((resolve) => setTimeout(resolve, 50))
    await tx`select 2`
  })
  await outside
  t.same((await client`select n from pipelined order by n`).map((row) => row.n), [2, 3, 4])
})

t.test('a write nobody reads travels with the COMMIT, and its failure fails the transaction', async (t) => {
  const { app } = await buildTestApp(t)
  await app.db.execute(sql`create table written (n int primary key)`)

  await app.db.transaction(async (tx) => {
    await write(tx, sql`insert into written values (${1})`)
    // later statements of the transaction see it: statements on a connection run in order
    const rows = await tx.execute<{ n: number }>(sql`select n from written`)
    t.same(rows.map((row) => row.n), [1])
    await write(tx, sql`insert into written values (${2})`)
  })
  t.same((await app.db.execute<{ n: number }>(sql`select n from written order by n`)).map((row) => row.n), [1, 2])

  // the duplicate is refused after write() returned: the COMMIT behind it is a rollback
  await t.rejects(app.db.transaction(async (tx) => {
    await write(tx, sql`insert into written values (${3})`)
    await write(tx, sql`insert into written values (${1})`)
    return 'the caller thinks all went well'
  }), { code: '23505' })
  // outside a transaction and in a savepoint it is awaited where it is written
  await t.rejects(write(app.db, sql`insert into written values (${1})`), { cause: { code: '23505' } })
  await t.rejects(app.db.transaction((tx) => tx.transaction((savepoint) => write(savepoint, sql`insert into written values (${2})`))), { cause: { code: '23505' } })
  t.same((await app.db.execute<{ n: number }>(sql`select n from written order by n`)).map((row) => row.n), [1, 2], 'nothing of the failed transactions was written')
})
