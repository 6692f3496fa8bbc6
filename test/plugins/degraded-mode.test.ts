/**
 * Degraded mode: while PostgreSQL or the object store cannot be reached, clients get a specific
 * 503 (DATABASE_UNAVAILABLE, STORE_UNAVAILABLE) with Retry-After instead of an INTERNAL_ERROR,
 * nothing is half-written, /ready says what is failing, and the same request succeeds once the
 * dependency is back. The dependency is made unreachable by a TCP proxy that is cut and restored
 * (the real server keeps running, as it does during a network partition).
 */
import { sql as sqlText } from 'drizzle-orm'
import t from 'tap'
import { createBlobStore } from '../../src/lib/blob-store/index.ts'
import { buildTestApp, countRows, createTestDatabase } from '../helper.ts'
import { startS3rver } from '../support/s3-server.ts'
import { freePort } from '../support/server-process.ts'
import { startTcpProxy } from '../support/tcp-proxy.ts'
import { bidderWithCertificate, publishedTender, registerFor, sealedPackage, submitBid, tradingDesk } from '../factories/trading.ts'

t.test('database unreachable: 503 DATABASE_UNAVAILABLE with Retry-After, /ready says so, then recovers', async (t) => {
  const direct = new URL(await createTestDatabase(t))
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  t.teardown(() => proxy.close())
  const viaProxy = new URL(direct)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  const { app } = await buildTestApp(t, { databaseUrl: viaProxy.toString() })

  t.equal((await app.inject({ method: 'GET', url: '/api/tenders' })).statusCode, 200)
  proxy.cut()
  const refused = await app.inject({ method: 'GET', url: '/api/tenders' })
  t.equal(refused.statusCode, 503)
  t.match(refused.headers['content-type'], /application\/problem\+json/)
  t.equal(refused.json().code, 'DATABASE_UNAVAILABLE')
  t.match(refused.headers['retry-after'], /^[1-9][0-9]*$/, 'tells the client when to come back')
  t.notMatch(refused.body, /ECONN|127\.0\.0\.1|Failed query/, 'no driver detail leaks')

  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { status: 'not_ready', checks: { database: 'failing', storage: 'ok' } })

  proxy.restore()
  t.equal((await app.inject({ method: 'GET', url: '/api/tenders' })).statusCode, 200, 'the pool reconnects')
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200)
})

t.test('object store unreachable: a bid is refused with 503 STORE_UNAVAILABLE, nothing is recorded, the retry is accepted', async (t) => {
  const s3 = await startS3rver(t)
  const proxy = await startTcpProxy({ port: Number(new URL(s3.endPoint).port) })
  t.teardown(() => proxy.close())
  const { app } = await buildTestApp(t, {
    env: { STORAGE_DRIVER: 's3', S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: 'degraded' }
  })
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const sealed = await sealedPackage(bidder, tender.code)

  proxy.cut()
  const refused = await submitBid(app, bidder, tender.id, sealed, 'degraded-bid-1')
  t.equal(refused.statusCode, 503, 'the bid is refused for now')
  t.equal(refused.json().code, 'STORE_UNAVAILABLE')
  t.match(refused.headers['retry-after'], /^[1-9][0-9]*$/)
  t.equal(await countRows(app, 'bid_submissions'), 0, 'no half-done bid')
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json().checks, { database: 'ok', storage: 'failing' })

  proxy.restore()
  const accepted = await submitBid(app, bidder, tender.id, sealed, 'degraded-bid-1')
  t.equal(accepted.statusCode, 201, 'the same bid, retried, is accepted')
  t.equal(accepted.json().sha256, sealed.sha256)
  t.equal(await countRows(app, 'bid_submissions'), 1)
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200)
})

t.test('a store whose endpoint is a closed port answers STORE_UNAVAILABLE from every operation', async (t) => {
  const store = createBlobStore({ driver: 's3', endPoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', bucket: 'closed', accessKey: 'k', secretKey: 's', partSize: 5 * 1024 * 1024 })
  t.teardown(() => store.close())
  await t.rejects(store.put('bids/a', Buffer.from('x')), { code: 'STORE_UNAVAILABLE', statusCode: 503 })
  await t.rejects(store.stat('bids/a'), { code: 'STORE_UNAVAILABLE', statusCode: 503 })
  await t.rejects(store.ping(), { code: 'STORE_UNAVAILABLE', statusCode: 503 })
})

t.test('/ready calls a busy database reachable: every pooled connection taken, the database still answers', async (t) => {
  const { app } = await buildTestApp(t, { env: { DATABASE_POOL_MAX: '2' } })
  const held = [await app.db.$client.reserve(), await app.db.$client.reserve()]
  t.teardown(() => { for (const connection of held) connection.release() })
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200, 'a saturated pool is load, not an outage: the instance stays in rotation')
  t.same(ready.json().checks, { database: 'ok', storage: 'ok' })
})

t.test('a transaction whose connection dies rejects, and the process and its pool carry on', async (t) => {
  const { app } = await buildTestApp(t)
  const sql = app.db.$client
  // PostgreSQL restarting kills every backend mid-transaction; the driver then sends its own ROLLBACK
  // on the dead connection (porsager/postgres#1208), which must reject, not crash the process
  for (let round = 0; round < 3; round++) {
    let inTransaction: (pid: number) => void = () => {}
    const backend = new Promise<number>((resolve) => { inTransaction = resolve })
    const transaction = app.db.transaction(async (tx) => {
      const [row] = await tx.execute<{ pid: number }>(sqlText`select pg_backend_pid() as pid`)
      inTransaction(row!.pid)
      await tx.execute(sqlText`select pg_sleep(5)`)
    })
    const pid = await backend
    // expected before the backend is killed: the connection's close can be read before the
    // answer to pg_terminate_backend, and a rejection nobody waits for yet is an unhandled one
    const failed = t.rejects(transaction, `round ${round}: the transaction fails`)
    await new Promise((resolve) => setTimeout(resolve, 100)) // pg_sleep is in flight
    await sql`select pg_terminate_backend(${pid})`
    await failed
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal((await app.inject({ method: 'GET', url: '/api/tenders' })).statusCode, 200, 'the pool serves the next request')
  t.same(await sql`select 1 as one`, [{ one: 1 }])
})
