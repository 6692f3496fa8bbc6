/**
 * The embedded object store: plain files under one root directory.
 *
 *   root/objects/<key>           the bytes
 *   root/.meta/<key>.json        size, SHA-256, content type, retained flag, creation time
 *   root/.tmp/                   bodies being received, renamed into objects/ once complete
 *   root/.uploads/<uploadId>/    parts of a resumable upload until it is completed or aborted
 *
 * The metadata file is the commit record: an object counts as stored only while its metadata
 * exists. A put stages the body, removes the old metadata, renames the body into place and then
 * renames the new metadata in, so a crash at any point leaves either the old object, no object,
 * or the new one, never bytes described by another object's digest. Files are fsynced before
 * they are renamed into place.
 *
 * A path cannot be both a file and a directory, so here a key cannot be both an object and a
 * prefix of another key (`a` and `a/b`; through the metadata names also `a` and `a.json/b`). Such
 * a put is refused with BLOB_KEY_INVALID; the s3 driver has no such limit.
 */
import { randomUUID } from 'node:crypto'
import { constants, createWriteStream } from 'node:fs'
import { access, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, statfs } from 'node:fs/promises'
import path from 'node:path'
import type { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BlobInfo, BlobStore, ByteRange, PutOptions, UploadState, UploadedPart } from './types.ts'
import { BlobKeyInvalid, BlobNotFound, BlobRetained, BlobTooLarge, UploadPartInvalid } from '../errors.ts'
import { constantTimeEqual, hmacSha256 } from '../crypto-bits.ts'
import { ByteMeter, HashingStream, assertExpectedDigest, bufferChunks } from './hashing.ts'
import { DEFAULT_CONTENT_TYPE, decodeMetadata, encodeMetadata } from './metadata.ts'
import { StoreFull } from './availability.ts'
import {
  MAX_PART_SIZE, assertValidKey, assertValidLinkLifetime, assertValidPartNumber, isValidKey,
  orderPartsForAssembly, resolveRange
} from './keys.ts'

export interface FsBlobStoreOptions {
  root: string
  /** URL prefix of the route that serves download tokens, e.g. `https://hall.example/files` */
  linkBase: string
  /** HMAC key for download tokens */
  linkSecret: string | Uint8Array
  /** epoch milliseconds; creation times and link expiry */
  now?: () => number
}

/**
 * A staged body none of whose bytes arrived for this long was abandoned: a live upload writes as
 * its bytes come (its file's modification time keeps moving), and a proxy drops an idle body
 * after a minute.
 */
const STALE_STAGING_MS = 3_600_000

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Below this much free space in the staging area the store reports itself not ready. */
const MIN_FREE_BYTES = 1024 * 1024

export function createFsBlobStore ({ root, linkBase, linkSecret, now = Date.now }: FsBlobStoreOptions): BlobStore {
  if (linkSecret.length === 0) throw new Error('createFsBlobStore needs a non-empty linkSecret')
  const rootDir = path.resolve(root)
  const objectsDir = path.join(rootDir, 'objects')
  const metaDir = path.join(rootDir, '.meta')
  const tmpDir = path.join(rootDir, '.tmp')
  const uploadsDir = path.join(rootDir, '.uploads')
  const linkPrefix = linkBase.replace(/\/+$/, '')

  /**
   * Bodies a killed process was receiving stay staged in .tmp/ and never become objects; the
   * first use of the store and then a recurring timer (the storage plugin) remove them. Times
   * are the file system's, so they are compared with the real clock.
   */
  async function sweepStaging (): Promise<number> {
    let removed = 0
    for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
      const file = path.join(tmpDir, name)
      const info = await stat(file).catch(() => null)
      if (info && now() - info.mtimeMs > STALE_STAGING_MS && await rm(file).then(() => true, () => false)) removed++
    }
    return removed
  }

  let layoutReady: Promise<void> | undefined
  function ensureLayout (): Promise<void> {
    layoutReady ??= Promise.all([objectsDir, metaDir, tmpDir, uploadsDir].map((dir) => mkdir(dir, { recursive: true })))
      .then(sweepStaging)
      .then(() => undefined, (error: unknown) => {
        layoutReady = undefined
        throw error
      })
    return layoutReady
  }

  // Keys are validated before any of these run, so they cannot leave their directory.
  const objectPath = (key: string) => path.join(objectsDir, ...key.split('/'))
  const metaPath = (key: string) => `${path.join(metaDir, ...key.split('/'))}.json`
  const stagingPath = () => path.join(tmpDir, `${randomUUID()}.tmp`)

  async function readMeta (key: string): Promise<BlobInfo | null> {
    let text: string
    try {
      text = await readFile(metaPath(key), 'utf8')
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
    return decodeMetadata(key, text)
  }

  async function stageMeta (info: BlobInfo): Promise<string> {
    const staged = stagingPath()
    await writeFileDurably(staged, encodeMetadata(info))
    return staged
  }

  /** Creates the parent directories of `filePath`; refuses keys that collide with another key's path. */
  async function makeRoomFor (key: string, filePath: string): Promise<void> {
    try {
      await mkdir(path.dirname(filePath), { recursive: true })
    } catch (error) {
      if (hasCode(error, 'ENOTDIR', 'EEXIST')) throw new BlobKeyInvalid(key)
      throw error
    }
    // A directory left at the target by deleted longer keys is removed; a non-empty one means
    // live keys below it.
    try {
      await rmdir(filePath)
    } catch (error) {
      if (hasCode(error, 'ENOTEMPTY', 'EEXIST')) throw new BlobKeyInvalid(key)
      if (!hasCode(error, 'ENOENT', 'ENOTDIR')) throw error
    }
  }

  /** Moves a staged body into place under `key` with its metadata (see the header comment). */
  async function commitObject (stagedObject: string, info: BlobInfo): Promise<void> {
    const objectFile = objectPath(info.key)
    const metaFile = metaPath(info.key)
    await makeRoomFor(info.key, objectFile)
    await makeRoomFor(info.key, metaFile)
    const stagedMeta = await stageMeta(info)
    try {
      const current = await readMeta(info.key)
      if (current?.retained) throw new BlobRetained(info.key)
      await rm(metaFile, { force: true })
      await rename(stagedObject, objectFile)
      await rename(stagedMeta, metaFile)
    } finally {
      await rm(stagedMeta, { force: true })
    }
  }

  async function refuseRetained (key: string): Promise<void> {
    const current = await readMeta(key)
    if (current?.retained) throw new BlobRetained(key)
  }

  async function put (key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<BlobInfo> {
    assertValidKey(key)
    await refuseRetained(key)
    await ensureLayout()
    const staged = stagingPath()
    try {
      const hashing = new HashingStream(options.maxBytes)
      await writeStreamToFile(bufferChunks(body), hashing, staged)
      const sha256 = hashing.digest()
      assertExpectedDigest(sha256, options.expectedSha256)
      const info: BlobInfo = {
        key,
        size: hashing.size,
        sha256,
        contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
        retained: options.retain ?? false,
        createdAt: new Date(now())
      }
      await commitObject(staged, info)
      return info
    } finally {
      await rm(staged, { force: true })
    }
  }

  async function get (key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key)
    const info = await readMeta(key)
    if (!info) throw new BlobNotFound(key)
    const span = range ? resolveRange(range, info.size) : undefined
    let handle
    try {
      handle = await open(objectPath(key), 'r')
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFound(key)
      throw error
    }
    return handle.createReadStream(span ?? {})
  }

  async function statObject (key: string): Promise<BlobInfo | null> {
    assertValidKey(key)
    return await readMeta(key)
  }

  async function retain (key: string): Promise<BlobInfo> {
    assertValidKey(key)
    const info = await readMeta(key)
    if (!info) throw new BlobNotFound(key)
    if (info.retained) return info
    const retained = { ...info, retained: true }
    await ensureLayout()
    const stagedMeta = await stageMeta(retained)
    try {
      await rename(stagedMeta, metaPath(key))
    } finally {
      await rm(stagedMeta, { force: true })
    }
    return retained
  }

  async function deleteObject (key: string): Promise<void> {
    assertValidKey(key)
    const info = await readMeta(key)
    if (!info) throw new BlobNotFound(key)
    if (info.retained) throw new BlobRetained(key)
    // Metadata first: once it is gone the object reads as absent even if removing the bytes fails.
    await rm(metaPath(key), { force: true })
    await rm(objectPath(key), { force: true })
  }

  async function createDownloadUrl (key: string, options: { expiresInSeconds: number, filename?: string }): Promise<string> {
    assertValidKey(key)
    assertValidLinkLifetime(options.expiresInSeconds)
    if (!await readMeta(key)) throw new BlobNotFound(key)
    const expiresAt = Math.floor(now() / 1000) + options.expiresInSeconds
    const token = createDownloadToken({ key, expiresAt, filename: options.filename }, linkSecret)
    return `${linkPrefix}/${encodeURIComponent(token)}`
  }

  const uploadDir = (uploadId: string) => path.join(uploadsDir, uploadId)
  const partPath = (uploadId: string, partNumber: number) =>
    path.join(uploadDir(uploadId), `part-${String(partNumber).padStart(5, '0')}`)

  /** Checks that `state` names an open upload of its key. */
  async function openUpload (state: UploadState): Promise<void> {
    assertValidKey(state.key)
    if (typeof state.uploadId !== 'string' || !UPLOAD_ID.test(state.uploadId)) {
      throw new UploadPartInvalid('unknown upload id')
    }
    let manifest: { key: string }
    try {
      manifest = JSON.parse(await readFile(path.join(uploadDir(state.uploadId), 'upload.json'), 'utf8')) as { key: string }
    } catch (error) {
      if (isMissing(error)) throw new UploadPartInvalid(`upload ${state.uploadId} is not open (completed, aborted or never begun)`)
      throw error
    }
    if (manifest.key !== state.key) throw new UploadPartInvalid(`upload ${state.uploadId} belongs to another key`)
  }

  async function beginUpload (key: string, options: { contentType?: string, retain?: boolean } = {}): Promise<UploadState> {
    assertValidKey(key)
    await refuseRetained(key)
    await ensureLayout()
    const uploadId = randomUUID()
    await mkdir(uploadDir(uploadId))
    await writeFileDurably(path.join(uploadDir(uploadId), 'upload.json'), JSON.stringify({ key, createdAt: new Date(now()).toISOString() }))
    return { uploadId, key, contentType: options.contentType ?? DEFAULT_CONTENT_TYPE, retain: options.retain ?? false, parts: [] }
  }

  async function uploadPart (state: UploadState, partNumber: number, body: Readable | Buffer): Promise<UploadedPart> {
    assertValidPartNumber(partNumber)
    await openUpload(state)
    // Staged inside the upload directory so that aborting the upload also discards it; the
    // rename makes a retried part replace the earlier one whole.
    const staged = path.join(uploadDir(state.uploadId), `.${randomUUID()}.tmp`)
    try {
      const hashing = new HashingStream(MAX_PART_SIZE)
      try {
        await writeStreamToFile(bufferChunks(body), hashing, staged)
      } catch (error) {
        if (error instanceof BlobTooLarge) throw new UploadPartInvalid(`part ${partNumber} exceeds ${MAX_PART_SIZE} bytes`)
        if (isMissing(error)) throw new UploadPartInvalid(`upload ${state.uploadId} was closed while part ${partNumber} arrived`)
        throw error
      }
      const sha256 = hashing.digest()
      try {
        await rename(staged, partPath(state.uploadId, partNumber))
      } catch (error) {
        if (isMissing(error)) throw new UploadPartInvalid(`upload ${state.uploadId} was closed while part ${partNumber} arrived`)
        throw error
      }
      return { partNumber, size: hashing.size, sha256, etag: sha256 }
    } finally {
      await rm(staged, { force: true })
    }
  }

  async function completeUpload (state: UploadState): Promise<BlobInfo> {
    await openUpload(state)
    const parts = orderPartsForAssembly(state.parts)
    for (const part of parts) {
      const found = await stat(partPath(state.uploadId, part.partNumber)).catch((error: unknown) => {
        if (isMissing(error)) return null
        throw error
      })
      if (!found) throw new UploadPartInvalid(`part ${part.partNumber} was never uploaded`)
      if (found.size !== part.size) throw new UploadPartInvalid(`part ${part.partNumber} holds ${found.size} bytes, not ${part.size}`)
    }
    await refuseRetained(state.key)

    const uploadId = state.uploadId
    async function * assembledBytes () {
      for (const part of parts) {
        const meter = new ByteMeter()
        const handle = await open(partPath(uploadId, part.partNumber), 'r')
        for await (const chunk of handle.createReadStream()) {
          meter.update(chunk as Buffer)
          yield chunk as Buffer
        }
        // A part retried with other bytes after the caller recorded it must not slip in.
        if (meter.size !== part.size || meter.digest() !== part.sha256) {
          throw new UploadPartInvalid(`part ${part.partNumber} differs from the one recorded in the upload state`)
        }
      }
    }

    const staged = stagingPath()
    try {
      const hashing = new HashingStream()
      await writeStreamToFile(assembledBytes(), hashing, staged)
      const info: BlobInfo = {
        key: state.key,
        size: hashing.size,
        sha256: hashing.digest(),
        contentType: state.contentType || DEFAULT_CONTENT_TYPE,
        retained: state.retain === true,
        createdAt: new Date(now())
      }
      await commitObject(staged, info)
      await rm(uploadDir(uploadId), { recursive: true, force: true })
      return info
    } finally {
      await rm(staged, { force: true })
    }
  }

  async function abortUpload (state: UploadState): Promise<void> {
    if (typeof state.uploadId !== 'string' || !UPLOAD_ID.test(state.uploadId)) {
      throw new UploadPartInvalid('unknown upload id')
    }
    await rm(uploadDir(state.uploadId), { recursive: true, force: true })
  }

  async function ping (): Promise<void> {
    await ensureLayout()
    await access(tmpDir, constants.W_OK)
    // a writable directory on a full disk still refuses every upload: readiness must say so
    const { bavail, bsize } = await statfs(tmpDir)
    if (bavail * bsize < MIN_FREE_BYTES) throw new StoreFull()
  }

  return {
    driver: 'fs',
    put,
    get,
    stat: statObject,
    exists: async (key) => (await statObject(key)) !== null,
    retain,
    delete: deleteObject,
    createDownloadUrl,
    beginUpload,
    uploadPart,
    completeUpload,
    abortUpload,
    sweepStaging: async () => { await ensureLayout(); return sweepStaging() },
    ping,
    close: async () => {}
  }
}

/** Writes a stream through `through` into a new file, fsynced before it is closed. */
async function writeStreamToFile (source: AsyncIterable<Buffer>, through: Transform, filePath: string): Promise<void> {
  await pipeline(source, through, createWriteStream(filePath, { flags: 'wx', flush: true }))
}

async function writeFileDurably (filePath: string, data: string): Promise<void> {
  const handle = await open(filePath, 'wx')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function hasCode (error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as { code?: string }).code ?? '')
}

/** A path that is absent, or that runs through a file or ends at a directory, names no object. */
function isMissing (error: unknown): boolean {
  return hasCode(error, 'ENOENT', 'ENOTDIR', 'EISDIR')
}

interface DownloadLink {
  key: string
  /** epoch seconds */
  expiresAt: number
  filename?: string | undefined
}

/** `base64url(JSON {k, e, f?}) '.' base64url(HMAC-SHA256(secret, first part))` */
export function createDownloadToken ({ key, expiresAt, filename }: DownloadLink, linkSecret: string | Uint8Array): string {
  const payload = Buffer.from(JSON.stringify({ k: key, e: expiresAt, ...(filename === undefined ? {} : { f: filename }) })).toString('base64url')
  return `${payload}.${hmacSha256(linkSecret, payload).toString('base64url')}`
}

/**
 * The key (and suggested filename) a download token grants, or null when the token is malformed,
 * forged or expired at `nowMs`.
 */
export function verifyDownloadToken (token: string, linkSecret: string | Uint8Array, nowMs: number): { key: string, filename?: string } | null {
  if (typeof token !== 'string' || token.length > 8192) return null
  const [payload, signature, ...rest] = token.split('.')
  if (payload === undefined || signature === undefined || rest.length > 0) return null
  const expected = hmacSha256(linkSecret, payload).toString('base64url')
  if (!constantTimeEqual(signature, expected)) return null
  let claims: { k?: unknown, e?: unknown, f?: unknown }
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims
  } catch {
    return null
  }
  if (typeof claims !== 'object' || claims === null) return null
  const { k: key, e: expiresAt, f: filename } = claims
  if (!isValidKey(key) || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return null
  if (filename !== undefined && typeof filename !== 'string') return null
  if (nowMs >= expiresAt * 1000) return null
  return filename === undefined ? { key } : { key, filename }
}
