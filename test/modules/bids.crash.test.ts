/**
 * A hard kill in the middle of many bid uploads: after the restart every bid that got a receipt
 * is intact and verifiable, no submission points at incomplete bytes, and the uploads that did
 * not get their receipt complete exactly once when the clients retry with their keys. Objects
 * of uploads the kill cut short are swept once no upload could still be running.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildTestApp, createTestDatabase, TEST_MASTER_KEY } from '../helper.ts'
import { bidderWithCertificate, publishedTender, registerFor, sealedPackage, storedBidObjects, tradingDesk } from '../factories/trading.ts'
import { freePort, startServer, waitReady } from '../support/server-process.ts'

const UPLOADS = 12

t.test('SIGKILL during uploads loses no receipted bid and leaves no partial one', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-crash-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const { app } = await buildTestApp(t, { databaseUrl, env: { DATA_DIR: dataDir } })
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const uploads: Array<{ bidder: Awaited<ReturnType<typeof bidderWithCertificate>>, sealed: Awaited<ReturnType<typeof sealedPackage>>, key: string }> = []
  for (let index = 0; index < UPLOADS; index++) {
    const bidder = await bidderWithCertificate(app)
    await registerFor(app, bidder, tender.id)
    uploads.push({ bidder, sealed: await sealedPackage(bidder, tender.code, { size: 6 * 1024 * 1024 }), key: `crash-upload-${index}` })
  }

  const port = await freePort()
  const env = { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: String(port), MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'warn' }
  const send = (upload: typeof uploads[number]) => {
    const form = new FormData()
    form.append('signature', new Blob([Buffer.from(upload.sealed.signature)]), 'bid.ohsb.p7s')
    form.append('package', new Blob([Buffer.from(upload.sealed.bytes)]), 'bid.ohsb')
    return fetch(`http://127.0.0.1:${port}/api/tenders/${tender.id}/bids`, {
      method: 'POST', body: form, headers: { authorization: upload.bidder.user.headers.authorization, 'idempotency-key': upload.key }
    })
  }

  const server = startServer(env)
  await waitReady(port).catch((error: Error) => { throw new Error(`${error.message}\n${server.output()}`) })
  const receipted = new Map<string, { id: string, sha256: string, receipt: { json: string, cms: string } }>()
  let killed = false
  const attempts = uploads.map(async (upload) => {
    try {
      const response = await send(upload)
      if (response.status === 201 && !killed) receipted.set(upload.key, await response.json() as never)
      if (!killed && receipted.size >= 2) { killed = true; server.child.kill('SIGKILL') }
    } catch {
      // the connection died with the server: no receipt
    }
  })
  await Promise.all(attempts)
  if (!killed) server.child.kill('SIGKILL')
  await server.exited
  t.ok(receipted.size >= 2, `${receipted.size} uploads got a receipt before the kill`)
  t.ok(receipted.size < UPLOADS, 'the kill interrupted the others')

  const restarted = startServer(env)
  await waitReady(port).catch((error: Error) => { throw new Error(`${error.message}\n${restarted.output()}`) })
  t.teardown(async () => { restarted.child.kill('SIGTERM'); await restarted.exited })

  // every submission row points at whole bytes: the stored object hashes to the recorded digest
  const rows = await app.db.$client`select id, idempotency_key, blob_key, sha256, size, receipt from bid_submissions where tender_id = ${tender.id}`
  for (const row of rows) {
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of await app.store.get(row.blob_key as string)) { hash.update(chunk as Buffer); size += (chunk as Buffer).length }
    t.equal(hash.digest('hex'), row.sha256, `submission ${row.idempotency_key as string} is intact`)
    t.equal(size, Number(row.size))
  }
  for (const [key, receipt] of receipted) {
    const row = rows.find((candidate) => candidate.idempotency_key === key)
    t.ok(row, `receipted upload ${key} survived the kill`)
    t.equal(row?.receipt, receipt.receipt.json)
    const verified = await app.pki.verifySignature({ cms: Buffer.from(receipt.receipt.cms, 'base64') })
    t.equal(Buffer.from(verified.content!).toString(), receipt.receipt.json, 'and its receipt verifies')
  }

  // what the kill left half-received is swept once no upload could still be running
  const objectsBefore = await storedBidObjects(dataDir)
  const realNow = app.clock.now
  app.clock.now = () => new Date(Date.now() + 7 * 3_600_000)
  const swept = await app.services.bids.sweepAbandonedUploads()
  app.clock.now = realNow
  const objectsAfter = await storedBidObjects(dataDir)
  t.equal(objectsAfter.length, rows.length, `every stored bid object belongs to a submission (${swept} abandoned uploads swept)`)
  t.equal(objectsBefore.length - objectsAfter.length, objectsBefore.length - rows.length, 'and only the orphans were removed')
  const [marks] = await app.db.$client`select count(*)::int as n from bid_uploads`
  t.equal(marks!.n, 0, 'no upload is left marked in progress')

  // the clients retry what got no receipt: each completes once, with the same key
  for (const upload of uploads.filter((candidate) => !receipted.has(candidate.key))) {
    const response = await send(upload)
    t.ok([200, 201].includes(response.status), `retry of ${upload.key}: ${response.status}`)
  }
  const [count] = await app.db.$client`select count(*)::int as n, count(distinct bidder_id)::int as bidders from bid_submissions where tender_id = ${tender.id}`
  t.same(count, { n: UPLOADS, bidders: UPLOADS }, 'one submission per upload, none twice')
})
