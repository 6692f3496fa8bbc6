/**
 * One contract for every BlobStore driver: the fs driver in a temporary directory, the s3 driver
 * on a private s3rver, and the s3 driver on an external S3 when S3_TEST_ENDPOINT is set (CI runs
 * a Ceph RADOS Gateway). Each run gets fresh storage: its own directory or bucket.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import v8 from 'node:v8'
import vm from 'node:vm'
import t, { type Test } from 'tap'
import type { BlobStore, UploadState, UploadedPart } from '../../src/lib/blob-store/types.ts'
import { createFsBlobStore, verifyDownloadToken } from '../../src/lib/blob-store/fs-driver.ts'
import { createS3BlobStore } from '../../src/lib/blob-store/s3-driver.ts'
import { externalS3FromEnv, startS3rver, type S3Endpoint } from '../support/s3-server.ts'

const MiB = 1024 * 1024
const PART_SIZE = 5 * MiB
const LINK_BASE = 'https://hall.example/files'
const LINK_SECRET = 'contract-test-link-secret'

interface ContractFixture {
  /** A store over the same storage; calling it again simulates a restarted process. */
  createStore: () => BlobStore
  /**
   * Whether the backend itself refuses aborted uploads and unknown parts. s3rver implements
   * neither AbortMultipartUpload nor part checks on completion; the fs driver and real S3 do.
   */
  checksUploads: boolean
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

/** Delivers `data` in small chunks, as a network body would arrive. */
function streamOf (data: Buffer, chunkSize = 16 * 1024): Readable {
  return Readable.from((function * () {
    for (let offset = 0; offset < data.length; offset += chunkSize) yield data.subarray(offset, offset + chunkSize)
  })())
}

async function readAll (stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Replaces any earlier record of the same part, as a caller persisting upload state does. */
function recordPart (state: UploadState, part: UploadedPart): void {
  state.parts = [...state.parts.filter((known) => known.partNumber !== part.partNumber), part]
}

// Live-memory sampling needs collections on demand (flags set at runtime expose `gc`) and Buffer
// memory released by the collection itself rather than by a background sweeper, which would leave
// dead Buffers counted for a while.
v8.setFlagsFromString('--expose-gc')
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping')
const collectGarbage = vm.runInNewContext('gc') as () => void

function liveBytes (): number {
  collectGarbage()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

/**
 * Peak growth of live JS heap plus Buffer memory while `work` runs, sampled on a timer (to catch
 * a driver waiting on the network) and whenever `work` calls `sample` (to catch it mid-stream; a
 * fast local write may finish between two timer ticks). A collection costs tens of milliseconds
 * under tap, so samples are sparse.
 */
async function peakMemoryGrowth (work: (sample: () => void) => Promise<void>): Promise<number> {
  const baseline = liveBytes()
  let peak = baseline
  const sample = () => { peak = Math.max(peak, liveBytes()) }
  const timer = setInterval(sample, 100)
  try {
    await work(sample)
  } finally {
    clearInterval(timer)
  }
  sample()
  return peak - baseline
}

function runContract (t: Test, fixture: ContractFixture): void {
  const store = fixture.createStore()
  t.teardown(() => store.close())

  t.test('put of a Buffer and of a stream reports the size and SHA-256 of the bytes', async (t) => {
    const small = Buffer.from('标书 sealed bid v1\n')
    const info = await store.put('bids/buffer.txt', small, { contentType: 'text/plain; charset=utf-8' })
    t.equal(info.key, 'bids/buffer.txt')
    t.equal(info.size, small.length)
    t.equal(info.sha256, sha256(small))
    t.equal(info.contentType, 'text/plain; charset=utf-8')
    t.equal(info.retained, false)
    t.ok(info.createdAt instanceof Date && !Number.isNaN(info.createdAt.getTime()))

    const data = randomBytes(300 * 1024 + 17)
    const streamed = await store.put('bids/streamed.bin', streamOf(data))
    t.equal(streamed.size, data.length)
    t.equal(streamed.sha256, sha256(data))
    t.equal(streamed.contentType, 'application/octet-stream')
    t.same(await readAll(await store.get('bids/streamed.bin')), data)

    const text = await store.put('bids/strings.txt', Readable.from(['第一段 ', 'second chunk']))
    t.equal(text.sha256, sha256(Buffer.from('第一段 second chunk')), 'an object-mode stream of strings is stored as UTF-8')

    const stat = await store.stat('bids/buffer.txt')
    t.same(stat && { ...stat, createdAt: stat.createdAt.toISOString() }, { ...info, createdAt: info.createdAt.toISOString() })

    const empty = await store.put('bids/empty', Buffer.alloc(0))
    t.equal(empty.size, 0)
    t.equal(empty.sha256, sha256(Buffer.alloc(0)))
    t.equal((await readAll(await store.get('bids/empty'))).length, 0)
    await t.rejects(store.get('bids/empty', { start: 0 }), { code: 'BLOB_RANGE_INVALID' })
  })

  t.test('get returns the whole object or an inclusive byte range', async (t) => {
    const data = Buffer.from('0123456789abcdefghij')
    await store.put('ranges/text', data)
    t.equal((await readAll(await store.get('ranges/text'))).toString(), data.toString())
    t.equal((await readAll(await store.get('ranges/text', { start: 0, end: 0 }))).toString(), '0')
    t.equal((await readAll(await store.get('ranges/text', { start: 5, end: 9 }))).toString(), '56789')
    t.equal((await readAll(await store.get('ranges/text', { start: 19, end: 19 }))).toString(), 'j')
    t.equal((await readAll(await store.get('ranges/text', { start: 15 }))).toString(), 'fghij')
    t.equal((await readAll(await store.get('ranges/text', { start: 0, end: 19 }))).toString(), data.toString())

    for (const range of [{ start: 20 }, { start: 5, end: 4 }, { start: -1, end: 3 }, { start: 0, end: 20 }, { start: 1.5, end: 3 }]) {
      await t.rejects(store.get('ranges/text', range), { code: 'BLOB_RANGE_INVALID' }, JSON.stringify(range))
    }
  })

  t.test('stat, exists and get tell present from absent objects', async (t) => {
    await store.put('presence/here', Buffer.from('x'))
    t.equal(await store.exists('presence/here'), true)
    t.ok(await store.stat('presence/here'))
    t.equal(await store.exists('presence/missing'), false)
    t.equal(await store.stat('presence/missing'), null)
    await t.rejects(store.get('presence/missing'), { code: 'BLOB_NOT_FOUND' })
    await t.rejects(store.get('presence/missing', { start: 0 }), { code: 'BLOB_NOT_FOUND' })
    await t.rejects(store.delete('presence/missing'), { code: 'BLOB_NOT_FOUND' })
    await t.rejects(store.retain('presence/missing'), { code: 'BLOB_NOT_FOUND' })
  })

  t.test('a normal object can be overwritten and deleted', async (t) => {
    await store.put('drafts/notice', Buffer.from('first version'))
    const second = Buffer.from('second, longer version')
    const info = await store.put('drafts/notice', streamOf(second, 5), { contentType: 'text/plain' })
    t.equal(info.sha256, sha256(second))
    t.equal((await store.stat('drafts/notice'))?.sha256, sha256(second))
    t.same(await readAll(await store.get('drafts/notice')), second)

    await store.delete('drafts/notice')
    t.equal(await store.exists('drafts/notice'), false)
    await t.rejects(store.get('drafts/notice'), { code: 'BLOB_NOT_FOUND' })
    const again = await store.put('drafts/notice', Buffer.from('recreated'))
    t.equal(again.size, 9)
  })

  t.test('a retained object cannot be deleted or overwritten', async (t) => {
    const data = Buffer.from('archived minutes')
    await store.put('archive/minutes.txt', data)
    const retained = await store.retain('archive/minutes.txt')
    t.equal(retained.retained, true)
    t.equal(retained.sha256, sha256(data))
    t.equal((await store.retain('archive/minutes.txt')).retained, true, 'retain is idempotent')
    t.equal((await store.stat('archive/minutes.txt'))?.retained, true)

    await t.rejects(store.delete('archive/minutes.txt'), { code: 'BLOB_RETAINED' })
    await t.rejects(store.put('archive/minutes.txt', Buffer.from('rewritten')), { code: 'BLOB_RETAINED' })
    await t.rejects(store.beginUpload('archive/minutes.txt'), { code: 'BLOB_RETAINED' })
    t.same(await readAll(await store.get('archive/minutes.txt')), data)
    t.equal((await store.stat('archive/minutes.txt'))?.sha256, sha256(data))

    const born = await store.put('archive/born-retained', Buffer.from('kept'), { retain: true })
    t.equal(born.retained, true)
    await t.rejects(store.delete('archive/born-retained'), { code: 'BLOB_RETAINED' })
  })

  t.test('a body over maxBytes is refused and nothing is stored', async (t) => {
    await t.rejects(store.put('limits/too-big', streamOf(randomBytes(64 * 1024), 4096), { maxBytes: 10_000 }), { code: 'BLOB_TOO_LARGE' })
    t.equal(await store.exists('limits/too-big'), false)
    await t.rejects(store.put('limits/too-big', Buffer.alloc(10_001), { maxBytes: 10_000 }), { code: 'BLOB_TOO_LARGE' })
    t.equal(await store.exists('limits/too-big'), false)
    t.equal((await store.put('limits/too-big', Buffer.alloc(10_000), { maxBytes: 10_000 })).size, 10_000, 'exactly maxBytes is accepted')

    const kept = await store.put('limits/kept', Buffer.from('old'))
    await t.rejects(store.put('limits/kept', Buffer.alloc(100), { maxBytes: 10 }), { code: 'BLOB_TOO_LARGE' })
    t.equal((await store.stat('limits/kept'))?.sha256, kept.sha256, 'a refused overwrite keeps the old object')
    t.equal((await readAll(await store.get('limits/kept'))).toString(), 'old')
  })

  t.test('a body whose SHA-256 differs from the expected one is refused and nothing is stored', async (t) => {
    const data = Buffer.from('offer: 1,234,500.00 CNY')
    await t.rejects(store.put('digests/offer', streamOf(data, 4), { expectedSha256: sha256(Buffer.from('something else')) }), { code: 'BLOB_DIGEST_MISMATCH' })
    t.equal(await store.exists('digests/offer'), false)
    const info = await store.put('digests/offer', data, { expectedSha256: sha256(data).toUpperCase() })
    t.equal(info.sha256, sha256(data), 'a matching digest in any letter case is accepted')
  })

  t.test('keys outside the allowed shape are refused', async (t) => {
    const keys = ['../x', '/abs', 'a//b', '.meta/x', '', 'a/./b', 'a/../b', 'trailing/', '.uploads/x', 'a/.hidden', 'with space', 'back\\slash', '中文', 'x'.repeat(513)]
    for (const key of keys) {
      await t.rejects(store.put(key, Buffer.from('x')), { code: 'BLOB_KEY_INVALID' }, `put ${JSON.stringify(key.slice(0, 20))}`)
      await t.rejects(store.get(key), { code: 'BLOB_KEY_INVALID' })
      await t.rejects(store.stat(key), { code: 'BLOB_KEY_INVALID' })
      await t.rejects(store.exists(key), { code: 'BLOB_KEY_INVALID' })
      await t.rejects(store.delete(key), { code: 'BLOB_KEY_INVALID' })
      await t.rejects(store.beginUpload(key), { code: 'BLOB_KEY_INVALID' })
    }
    await t.rejects(store.put(`long/${'s'.repeat(201)}`, Buffer.from('x')), { code: 'BLOB_KEY_INVALID' }, 'a segment over 200 characters')
    const longest = `${'k'.repeat(200)}/${'e'.repeat(200)}/${'y'.repeat(106)}.bin`
    t.equal(longest.length, 512)
    t.equal((await store.put(longest, Buffer.from('ok'))).key, longest, 'a 512-character key is accepted')
  })

  t.test('a large streamed object round-trips with bounded memory', async (t) => {
    const size = 24 * MiB + 123
    const expected = createHash('sha256')
    function * generated (sample: () => void) {
      for (let sent = 0; sent < size;) {
        const chunk = randomBytes(Math.min(64 * 1024, size - sent))
        expected.update(chunk)
        sent += chunk.length
        if (sent % (3 * MiB) === 0) sample()
        yield chunk
      }
    }
    let info: Awaited<ReturnType<BlobStore['put']>> | undefined
    const putGrowth = await peakMemoryGrowth(async (sample) => {
      info = await store.put('recordings/large.webm', Readable.from(generated(sample)), { contentType: 'video/webm' })
    })
    const expectedSha256 = expected.digest('hex')
    t.equal(info?.size, size)
    t.equal(info?.sha256, expectedSha256)
    t.ok(putGrowth < 3 * PART_SIZE, `put grew live memory by ${(putGrowth / MiB).toFixed(1)} MiB`)

    let readBack = ''
    const getGrowth = await peakMemoryGrowth(async (sample) => {
      const hash = createHash('sha256')
      let received = 0
      for await (const chunk of await store.get('recordings/large.webm')) {
        hash.update(chunk as Buffer)
        const before = received
        received += (chunk as Buffer).length
        if (Math.floor(before / (3 * MiB)) !== Math.floor(received / (3 * MiB))) sample()
      }
      readBack = hash.digest('hex')
    })
    t.equal(readBack, expectedSha256)
    t.ok(getGrowth < 3 * PART_SIZE, `get grew live memory by ${(getGrowth / MiB).toFixed(1)} MiB`)

    const tail = await readAll(await store.get('recordings/large.webm', { start: size - 10 }))
    t.equal(tail.length, 10)
  })

  t.test('multi-part bodies that break a limit leave nothing behind', async (t) => {
    const data = randomBytes(PART_SIZE * 2 + 1000)
    await t.rejects(store.put('limits/multi', streamOf(data, 256 * 1024), { maxBytes: PART_SIZE + 10 }), { code: 'BLOB_TOO_LARGE' })
    t.equal(await store.exists('limits/multi'), false)
    await t.rejects(store.put('limits/multi', streamOf(data, 256 * 1024), { expectedSha256: sha256(Buffer.from('other')) }), { code: 'BLOB_DIGEST_MISMATCH' })
    t.equal(await store.exists('limits/multi'), false)
    const info = await store.put('limits/multi', data, { expectedSha256: sha256(data) })
    t.equal(info.size, data.length)
    t.same(await readAll(await store.get('limits/multi', { start: PART_SIZE - 3, end: PART_SIZE + 2 })), data.subarray(PART_SIZE - 3, PART_SIZE + 3))
  })

  t.test('a download URL grants the object for a limited time', async (t) => {
    const data = Buffer.from('%PDF-1.7 tender documents')
    await store.put('tenders/docs.pdf', data, { contentType: 'application/pdf' })
    const url = await store.createDownloadUrl('tenders/docs.pdf', { expiresInSeconds: 60, filename: '招标文件 v2.pdf' })
    if (store.driver === 's3') {
      const response = await fetch(url)
      t.equal(response.status, 200)
      t.same(Buffer.from(await response.arrayBuffer()), data)
      t.match(response.headers.get('content-disposition') ?? '', /^attachment; .*filename\*=UTF-8''%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6%20v2\.pdf/)
    } else {
      t.ok(url.startsWith(`${LINK_BASE}/`))
      const token = decodeURIComponent(url.slice(LINK_BASE.length + 1))
      t.same(verifyDownloadToken(token, LINK_SECRET, Date.now()), { key: 'tenders/docs.pdf', filename: '招标文件 v2.pdf' })
      t.equal(verifyDownloadToken(token, LINK_SECRET, Date.now() + 61_000), null, 'expired')
      t.equal(verifyDownloadToken(token, 'another-secret', Date.now()), null, 'signed with another secret')
      const [payload = '', signature = ''] = token.split('.')
      const forged = Buffer.from(JSON.stringify({ k: 'tenders/other.pdf', e: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')
      t.equal(verifyDownloadToken(`${forged}.${signature}`, LINK_SECRET, Date.now()), null, 'payload swapped')
      const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`
      t.equal(verifyDownloadToken(`${payload}.${flipped}`, LINK_SECRET, Date.now()), null, 'signature altered')
      t.equal(verifyDownloadToken('not-a-token', LINK_SECRET, Date.now()), null)
      const plain = decodeURIComponent((await store.createDownloadUrl('tenders/docs.pdf', { expiresInSeconds: 5 })).slice(LINK_BASE.length + 1))
      t.same(verifyDownloadToken(plain, LINK_SECRET, Date.now()), { key: 'tenders/docs.pdf' })
    }
    await t.rejects(store.createDownloadUrl('tenders/missing.pdf', { expiresInSeconds: 60 }), { code: 'BLOB_NOT_FOUND' })
    await t.rejects(store.createDownloadUrl('../etc/passwd', { expiresInSeconds: 60 }), { code: 'BLOB_KEY_INVALID' })
  })

  t.test('a resumable upload survives a restart and retried parts', async (t) => {
    const first = randomBytes(PART_SIZE)
    const last = randomBytes(123_457)
    const state = await store.beginUpload('recordings/session.webm', { contentType: 'video/webm' })
    t.equal(state.key, 'recordings/session.webm')
    t.same(state.parts, [])

    const second = await store.uploadPart(state, 2, streamOf(last))
    t.same({ partNumber: second.partNumber, size: second.size, sha256: second.sha256 }, { partNumber: 2, size: last.length, sha256: sha256(last) })
    recordPart(state, second)
    recordPart(state, await store.uploadPart(state, 1, streamOf(first, 256 * 1024)))

    // The caller persisted the state; the process restarts and the client re-sends part 1.
    const persisted = JSON.stringify(state)
    const restarted = fixture.createStore()
    const resumed = JSON.parse(persisted) as UploadState
    const retried = await restarted.uploadPart(resumed, 1, first)
    t.same({ size: retried.size, sha256: retried.sha256 }, { size: first.length, sha256: sha256(first) })
    recordPart(resumed, retried)

    const info = await restarted.completeUpload(resumed)
    const whole = Buffer.concat([first, last])
    t.equal(info.size, whole.length)
    t.equal(info.sha256, sha256(whole))
    t.equal(info.contentType, 'video/webm')
    t.equal(info.retained, false)
    t.same(await readAll(await store.get('recordings/session.webm')), whole)
    t.equal((await store.stat('recordings/session.webm'))?.sha256, sha256(whole))
    await restarted.close()
  })

  t.test('a resumable upload can create a retained object', async (t) => {
    const state = await store.beginUpload('archive/upload-retained', { retain: true })
    recordPart(state, await store.uploadPart(state, 1, Buffer.from('only part')))
    const info = await store.completeUpload(state)
    t.equal(info.retained, true)
    t.equal(info.sha256, sha256(Buffer.from('only part')))
    await t.rejects(store.delete('archive/upload-retained'), { code: 'BLOB_RETAINED' })
  })

  t.test('upload parts and part lists are validated', async (t) => {
    const state = await store.beginUpload('uploads/checked')
    for (const partNumber of [0, 10_001, 1.5, -1]) {
      await t.rejects(store.uploadPart(state, partNumber, Buffer.from('x')), { code: 'UPLOAD_PART_INVALID' }, `part ${partNumber}`)
    }
    const only = await store.uploadPart(state, 1, Buffer.from('small first part'))
    await t.rejects(store.completeUpload({ ...state, parts: [] }), { code: 'UPLOAD_PART_INVALID' }, 'no parts')
    const smallSecond = { partNumber: 2, size: 3, sha256: sha256(Buffer.from('abc')), etag: 'abc' }
    await t.rejects(store.completeUpload({ ...state, parts: [smallSecond, only] }), { code: 'UPLOAD_PART_INVALID' }, 'a part before the last is under 5 MiB')
    if (fixture.checksUploads) {
      await t.rejects(store.completeUpload({ ...state, parts: [{ ...only, partNumber: 3 }] }), { code: 'UPLOAD_PART_INVALID' }, 'a part never uploaded')
    }
    t.equal(await store.exists('uploads/checked'), false)
    // Every uploaded part is listed: Ceph RGW refuses to complete with a subset, unlike AWS.
    const info = await store.completeUpload({ ...state, parts: [only] })
    t.equal(info.sha256, sha256(Buffer.from('small first part')))
  })

  t.test('an aborted upload is gone', async (t) => {
    const state = await store.beginUpload('uploads/aborted')
    recordPart(state, await store.uploadPart(state, 1, Buffer.from('never assembled')))
    if (fixture.checksUploads) {
      await store.abortUpload(state)
      await t.resolves(store.abortUpload(state), 'aborting twice is harmless')
      await t.rejects(store.uploadPart(state, 2, Buffer.from('late')), { code: 'UPLOAD_PART_INVALID' })
      // Ceph RGW 16 answers CompleteMultipartUpload of an aborted upload with a 500, not NoSuchUpload.
      await t.rejects(store.completeUpload(state))
    } else {
      // s3rver has no AbortMultipartUpload; the driver reports that instead of pretending.
      await t.rejects(store.abortUpload(state))
    }
    t.equal(await store.exists('uploads/aborted'), false)
  })

  t.test('ping answers while the store is reachable', async (t) => {
    await t.resolves(store.ping())
  })
}

t.test('fs driver', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'openhall-blobs-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const createStore = () => createFsBlobStore({ root, linkBase: LINK_BASE, linkSecret: LINK_SECRET })
  runContract(t, { createStore, checksUploads: true })

  t.test('a key cannot be both an object and a prefix of another key', async (t) => {
    const store = createStore()
    await store.put('nested/leaf', Buffer.from('a'))
    await t.rejects(store.put('nested/leaf/child', Buffer.from('b')), { code: 'BLOB_KEY_INVALID' })
    await t.rejects(store.put('nested', Buffer.from('c')), { code: 'BLOB_KEY_INVALID' })
    t.equal(await store.exists('nested/leaf/child'), false)
    await store.delete('nested/leaf')
    t.equal((await store.put('nested', Buffer.from('c'))).size, 1, 'free again once the longer key is gone')
  })

  t.test('bodies a killed process left staging are removed when the store is next used', async (t) => {
    const staging = await mkdtemp(path.join(tmpdir(), 'openhall-staging-'))
    t.teardown(() => rm(staging, { recursive: true, force: true }))
    await mkdir(path.join(staging, '.tmp'), { recursive: true })
    await writeFile(path.join(staging, '.tmp', 'abandoned.tmp'), 'half a bid')
    await writeFile(path.join(staging, '.tmp', 'receiving.tmp'), 'a bid arriving now')
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000)
    await utimes(path.join(staging, '.tmp', 'abandoned.tmp'), twoHoursAgo, twoHoursAgo)
    const store = createFsBlobStore({ root: staging, linkBase: LINK_BASE, linkSecret: LINK_SECRET })
    await store.ping()
    t.same(await readdir(path.join(staging, '.tmp')), ['receiving.tmp'], 'only bytes no upload wrote for an hour are removed')
    t.equal(await store.sweepStaging(), 0, 'a sweep finds nothing more')
  })
})

function s3Fixture (endpoint: S3Endpoint): ContractFixture & { bucket: string } {
  const bucket = `openhall-contract-${randomBytes(6).toString('hex')}`
  return {
    bucket,
    createStore: () => createS3BlobStore({ ...endpoint, bucket, partSize: PART_SIZE, createBucket: true }),
    checksUploads: true
  }
}

t.test('s3 driver on s3rver', async (t) => {
  const server = await startS3rver(t)
  runContract(t, { ...s3Fixture(server), checksUploads: false })
})

const external = externalS3FromEnv()
if (external) {
  t.test(`s3 driver on ${external.endPoint}`, async (t) => {
    runContract(t, s3Fixture(external))
  })
}
