import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { STAGING_SWEEP_TIMER } from '../../src/plugins/storage.ts'
import { fire } from '../factories/cases.ts'
import { buildTestApp } from '../helper.ts'

t.test('fs download links: whole object, ranges, expiry and tampering', async (t) => {
  const { app } = await buildTestApp(t)
  const body = randomBytes(10_000)
  const stored = await app.store.put('archive/sample.bin', body, { contentType: 'application/octet-stream' })
  t.equal(stored.sha256, createHash('sha256').update(body).digest('hex'))
  const url = new URL(await app.store.createDownloadUrl('archive/sample.bin', { expiresInSeconds: 60, filename: '开标记录.bin' }))
  t.match(url.pathname, /^\/api\/blobs\//)

  const whole = await app.inject({ method: 'GET', url: url.pathname })
  t.equal(whole.statusCode, 200)
  t.same(whole.rawPayload, body)
  t.equal(whole.headers.etag, `"${stored.sha256}"`)
  t.match(String(whole.headers['content-disposition']), /filename\*=UTF-8''/)

  const range = await app.inject({ method: 'GET', url: url.pathname, headers: { range: 'bytes=100-199' } })
  t.equal(range.statusCode, 206)
  t.equal(range.headers['content-range'], 'bytes 100-199/10000')
  t.same(range.rawPayload, body.subarray(100, 200))
  const suffix = await app.inject({ method: 'GET', url: url.pathname, headers: { range: 'bytes=-10' } })
  t.same(suffix.rawPayload, body.subarray(9990))
  const outside = await app.inject({ method: 'GET', url: url.pathname, headers: { range: 'bytes=20000-' } })
  t.equal(outside.statusCode, 416)
  t.equal(outside.json().code, 'BLOB_RANGE_INVALID')

  const token = url.pathname.split('/').pop()!
  const tampered = await app.inject({ method: 'GET', url: `/api/blobs/${token.slice(0, -2)}xx` })
  t.equal(tampered.statusCode, 404)
  t.equal(tampered.json().code, 'DOWNLOAD_LINK_INVALID')
  const shortLived = new URL(await app.store.createDownloadUrl('archive/sample.bin', { expiresInSeconds: 1 }))
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.equal((await app.inject({ method: 'GET', url: shortLived.pathname })).statusCode, 404, 'an expired link is dead')
})

t.test('a resumable upload continues after the instance restarts', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-resume-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const first = await buildTestApp(t, { env: { DATA_DIR: dataDir } })
  const part1 = randomBytes(5 * 1024 * 1024)
  const part2 = randomBytes(123_456)
  const { uploadId } = await first.app.store.resumable.begin({ key: 'recordings/opening-1.webm', contentType: 'video/webm', retain: true })
  await first.app.store.resumable.putPart(uploadId, 2, part2)
  await first.app.close()

  const second = await buildTestApp(t, { databaseUrl: first.databaseUrl, env: { DATA_DIR: dataDir } })
  const status = await second.app.store.resumable.status(uploadId)
  t.same(status.parts.map((part) => part.partNumber), [2], 'the new instance knows which parts arrived')
  await second.app.store.resumable.putPart(uploadId, 1, part1)
  const info = await second.app.store.resumable.complete(uploadId)
  t.equal(info.size, part1.length + part2.length)
  t.equal(info.sha256, createHash('sha256').update(part1).update(part2).digest('hex'))
  t.equal(info.retained, true)
  await t.rejects(second.app.store.delete('recordings/opening-1.webm'), { code: 'BLOB_RETAINED' })
  await t.rejects(second.app.store.resumable.status(uploadId), { code: 'UPLOAD_NOT_FOUND' })
})

t.test('a recurring timer sweeps what killed uploads left staged, without a restart', async (t) => {
  const { app, config, logs } = await buildTestApp(t)
  t.equal(config.storage.driver, 'fs')
  const staging = path.join((config.storage as { root: string }).root, '.tmp')
  await app.store.put('warm/up.bin', Buffer.from('the store is in use'))
  await mkdir(staging, { recursive: true })
  await writeFile(path.join(staging, 'abandoned.tmp'), 'half a bid')
  await writeFile(path.join(staging, 'receiving.tmp'), 'a bid arriving now')
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000)
  await utimes(path.join(staging, 'abandoned.tmp'), twoHoursAgo, twoHoursAgo)

  await fire(app, STAGING_SWEEP_TIMER)
  t.same(await readdir(staging), ['receiving.tmp'], 'only bytes no upload wrote for an hour are removed')
  t.match(logs.find((line) => line.msg === 'removed the staged bytes of uploads that never completed'), { level: 40, removed: 1 })
  const [timer] = await app.db.$client`select interval_seconds, fired_at from timers where key = ${STAGING_SWEEP_TIMER}`
  t.equal(timer!.interval_seconds, 900, 'and it sweeps again every 15 minutes')
})
