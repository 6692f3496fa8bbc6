/**
 * A connection lost while it starts must fail only the query that opened it. The driver reads
 * the array types on every new connection and dropped that read's promise: a reset during it
 * ended the process with an unhandled rejection (scripts/patches/postgres-array-types.mjs). A
 * proxy in front of PostgreSQL resets the first connection exactly when the driver sends that
 * read; the query waiting for the connection fails, nothing escapes, and the next query gets a
 * new connection.
 */
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { connect } from '../../src/plugins/db.ts'
import { createTestDatabase } from '../helper.ts'

/** Passes PostgreSQL's traffic through, and resets the first connection whose client asks for the array types. */
async function resetAtArrayTypes (target: URL) {
  let resets = 0
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    for (const socket of [client, upstream]) socket.on('error', () => { client.destroy(); upstream.destroy() })
    upstream.pipe(client)
    client.on('data', (chunk) => {
      if (resets === 0 && chunk.includes('pg_catalog.pg_type')) {
        resets++
        client.resetAndDestroy()
        upstream.destroy()
        return
      }
      upstream.write(chunk)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const url = new URL(target)
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
  return { url: url.toString(), resets: () => resets, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

t.test('a connection reset while it reads the array types fails its query, not the process', async (t) => {
  const proxy = await resetAtArrayTypes(new URL(await createTestDatabase(t)))
  const escaped: unknown[] = []
  const onUnhandled = (reason: unknown) => { escaped.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  const db = connect(proxy.url, 1)
  t.teardown(async () => {
    process.off('unhandledRejection', onUnhandled)
    await db.$client.end({ timeout: 1 })
    await proxy.close()
  })

  const failed = await db.$client`select 1 as one`.then(() => null, (error: unknown) => error as { code?: string })
  t.equal(proxy.resets(), 1, 'the proxy reset the connection during the array types read')
  t.ok(failed, 'the query that opened the connection fails')
  t.match(failed?.code, /^(ECONNRESET|CONNECTION_CLOSED|CONNECTION_DESTROYED)$/, 'with the connection\'s failure')
  // an unhandled rejection is reported after the microtask queue drains
  await sleep(50)
  t.same(escaped.map(String), [], 'no rejection escapes to the process')

  const [row] = await db.$client<Array<{ one: number }>>`select 1 as one`
  t.equal(row?.one, 1, 'the next query gets a new connection, which reads the types and answers')
  const [array] = await db.$client<Array<{ codes: string[] }>>`select array['A01', 'B02']::text[] as codes`
  t.same(array?.codes, ['A01', 'B02'], 'arrays parse: the new connection read the array types')
})
