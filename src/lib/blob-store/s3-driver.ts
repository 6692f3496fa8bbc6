/**
 * The object store on an S3-compatible service (MinIO, Ceph RADOS Gateway, AWS) through the
 * `minio` client.
 *
 *   <key>               the bytes
 *   .meta/<key>.json    size, SHA-256, content type, retained flag, creation time
 *
 * The sidecar is the commit record, as in the fs driver: it is removed before an object is
 * replaced and written after the new bytes are complete, so an object without a sidecar reads as
 * absent. A SHA-256 over a multipart object cannot be derived from S3's ETags, so this driver
 * hashes bytes itself and never relies on ETags of whole objects (Ceph RGW 16 returns an empty one
 * for CompleteMultipartUpload).
 *
 * Multipart uploads are driven explicitly (initiate, upload part, complete, abort) and never list
 * uploads or parts: `putObject` with a stream lists multipart uploads, and small S3 emulators such
 * as s3rver implement neither ListMultipartUploads nor ListParts. S3 requires every part except the
 * last to hold at least 5 MiB; `partSize` is therefore at least that, and resumable uploads are
 * checked for it before completion. Parts are buffered in memory (their length must be known
 * before sending), so a put holds about one part at a time (two for a moment while a part is
 * joined) and a resumable upload part may not exceed `partSize`.
 *
 * Incomplete uploads that could not be aborted stay invisible to readers; the bucket should carry
 * a lifecycle rule (AbortIncompleteMultipartUpload) to reclaim their space.
 */
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { Readable } from 'node:stream'
import { Client, S3Error, type ClientOptions } from 'minio'
import type { BlobInfo, BlobStore, ByteRange, PutOptions, UploadState, UploadedPart } from './types.ts'
import { BlobNotFound, BlobRetained, BlobTooLarge, UploadPartInvalid } from '../errors.ts'
import { ByteMeter, assertExpectedDigest, bufferChunks, digestStream } from './hashing.ts'
import { DEFAULT_CONTENT_TYPE, decodeMetadata, encodeMetadata } from './metadata.ts'
import {
  MAX_PART_SIZE, MIN_PART_SIZE, assertValidKey, assertValidLinkLifetime, assertValidPartNumber,
  orderPartsForAssembly, resolveRange
} from './keys.ts'

export interface S3BlobStoreOptions {
  /** full URL of the service, e.g. `http://127.0.0.1:9000` */
  endPoint: string
  region: string
  bucket: string
  accessKey: string
  secretKey: string
  /** bytes per multipart part, from 5 MiB to 5 GiB; also the largest resumable-upload part accepted */
  partSize: number
  /** create the bucket on first use when it is missing */
  createBucket?: boolean
}

/** S3 error codes meaning the object or upload addressed does not exist. */
const MISSING_OBJECT = new Set(['NoSuchKey', 'NotFound'])
const UPLOAD_REFUSED = new Set(['NoSuchUpload', 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall'])

export function createS3BlobStore (options: S3BlobStoreOptions): BlobStore {
  const { bucket, region, partSize } = options
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be an integer from ${MIN_PART_SIZE} to ${MAX_PART_SIZE} bytes`)
  }
  const location = parseEndPoint(options.endPoint)
  const client = new Client({
    ...location,
    transport: drainingTransport(location.useSSL),
    region,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    pathStyle: true,
    partSize
  })

  let bucketReady: Promise<void> | undefined
  function whenBucketReady (): Promise<void> {
    if (!options.createBucket) return Promise.resolve()
    bucketReady ??= ensureBucket().catch((error: unknown) => {
      bucketReady = undefined
      throw error
    })
    return bucketReady
  }

  async function ensureBucket (): Promise<void> {
    if (await client.bucketExists(bucket)) return
    try {
      await client.makeBucket(bucket, region)
    } catch (error) {
      // Another instance created it first.
      if (!hasS3Code(error, 'BucketAlreadyOwnedByYou')) throw error
    }
  }

  const sidecarName = (key: string) => `.meta/${key}.json`

  async function readSidecar (key: string): Promise<BlobInfo | null> {
    let text: string
    try {
      text = (await readAll(await client.getObject(bucket, sidecarName(key)))).toString('utf8')
    } catch (error) {
      if (isMissingObject(error)) return null
      throw error
    }
    return decodeMetadata(key, text)
  }

  async function writeSidecar (info: BlobInfo): Promise<void> {
    const body = Buffer.from(encodeMetadata(info))
    await client.putObject(bucket, sidecarName(info.key), body, body.length, { 'Content-Type': 'application/json' })
  }

  async function refuseRetained (key: string): Promise<void> {
    const current = await readSidecar(key)
    if (current?.retained) throw new BlobRetained(key)
  }

  /**
   * Replaces the bytes under `key` through `writeBytes`, removing the old sidecar first. When the
   * service refuses the write, the old bytes are still in place and their sidecar is put back;
   * after any other failure (a lost connection) nobody knows which bytes are stored, so the key
   * stays absent rather than described by a digest that may be stale.
   */
  async function replaceObject (key: string, writeBytes: () => Promise<unknown>): Promise<void> {
    const current = await readSidecar(key)
    if (current?.retained) throw new BlobRetained(key)
    if (current) await client.removeObject(bucket, sidecarName(key))
    try {
      await writeBytes()
    } catch (error) {
      if (current && error instanceof S3Error && error.code) await writeSidecar(current).catch(() => {})
      throw error
    }
  }

  async function sendPart (key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
    const { etag } = await client.uploadPart({
      bucketName: bucket,
      objectName: key,
      // the client puts the id into the query string as given
      uploadID: escapeQueryValue(uploadId),
      partNumber,
      headers: {}
    }, body)
    return etag
  }

  /** Best effort: the original failure matters more, and an unaborted upload stays invisible. */
  async function abandonUpload (key: string, uploadId: string): Promise<void> {
    await client.abortMultipartUpload(bucket, key, escapeQueryValue(uploadId)).catch(() => {})
  }

  async function put (key: string, body: Readable | Buffer, putOptions: PutOptions = {}): Promise<BlobInfo> {
    assertValidKey(key)
    await whenBucketReady()
    await refuseRetained(key)
    const contentType = putOptions.contentType ?? DEFAULT_CONTENT_TYPE
    const meter = new ByteMeter(putOptions.maxBytes)
    const parts: Array<{ part: number, etag: string }> = []
    let uploadId: string | undefined
    // Bytes received but not yet sent; never more than one part plus one chunk.
    let pending: Buffer[] = []
    let pendingSize = 0

    function takePart (size: number): Buffer {
      const joined = pending.length === 1 ? pending[0] as Buffer : Buffer.concat(pending, pendingSize)
      const rest = joined.subarray(size)
      pending = rest.length > 0 ? [rest] : []
      pendingSize = rest.length
      return joined.subarray(0, size)
    }

    // The part lives only in this function's frame, so it can be collected once it is sent.
    async function sendNextPart (bytes: Buffer): Promise<void> {
      uploadId ??= await client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': contentType })
      const partNumber = parts.length + 1
      parts.push({ part: partNumber, etag: await sendPart(key, uploadId, partNumber, bytes) })
    }

    try {
      for await (const chunk of bufferChunks(body)) {
        meter.update(chunk)
        pending.push(chunk)
        pendingSize += chunk.length
        while (pendingSize >= partSize) await sendNextPart(takePart(partSize))
      }
      const sha256 = meter.digest()
      assertExpectedDigest(sha256, putOptions.expectedSha256)
      const last = takePart(pendingSize)
      if (uploadId === undefined) {
        await replaceObject(key, () => client.putObject(bucket, key, last, last.length, { 'Content-Type': contentType }))
      } else {
        if (last.length > 0) await sendNextPart(last)
        const multipartId = uploadId
        await replaceObject(key, () => client.completeMultipartUpload(bucket, key, multipartId, parts))
      }
      const info: BlobInfo = {
        key,
        size: meter.size,
        sha256,
        contentType,
        retained: putOptions.retain ?? false,
        createdAt: new Date()
      }
      await writeSidecar(info)
      return info
    } catch (error) {
      if (uploadId !== undefined) await abandonUpload(key, uploadId)
      throw error
    }
  }

  async function get (key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key)
    await whenBucketReady()
    const info = await readSidecar(key)
    if (!info) throw new BlobNotFound(key)
    try {
      if (!range) return await client.getObject(bucket, key)
      const { start, end } = resolveRange(range, info.size)
      return keepRange(await client.getPartialObject(bucket, key, start, end - start + 1), start, end)
    } catch (error) {
      if (isMissingObject(error)) throw new BlobNotFound(key)
      throw error
    }
  }

  async function stat (key: string): Promise<BlobInfo | null> {
    assertValidKey(key)
    await whenBucketReady()
    return await readSidecar(key)
  }

  async function retain (key: string): Promise<BlobInfo> {
    assertValidKey(key)
    await whenBucketReady()
    const info = await readSidecar(key)
    if (!info) throw new BlobNotFound(key)
    if (info.retained) return info
    const retained = { ...info, retained: true }
    await writeSidecar(retained)
    return retained
  }

  async function deleteObject (key: string): Promise<void> {
    assertValidKey(key)
    await whenBucketReady()
    const info = await readSidecar(key)
    if (!info) throw new BlobNotFound(key)
    if (info.retained) throw new BlobRetained(key)
    await client.removeObject(bucket, sidecarName(key))
    await client.removeObject(bucket, key)
  }

  async function createDownloadUrl (key: string, linkOptions: { expiresInSeconds: number, filename?: string }): Promise<string> {
    assertValidKey(key)
    assertValidLinkLifetime(linkOptions.expiresInSeconds)
    await whenBucketReady()
    if (!await readSidecar(key)) throw new BlobNotFound(key)
    const responseHeaders: Record<string, string> = linkOptions.filename === undefined
      ? {}
      : { 'response-content-disposition': formatContentDisposition(linkOptions.filename) }
    return await client.presignedGetObject(bucket, key, linkOptions.expiresInSeconds, responseHeaders)
  }

  function assertUploadState (state: UploadState): void {
    assertValidKey(state.key)
    if (typeof state.uploadId !== 'string' || state.uploadId.length === 0 || state.uploadId.length > 1024) {
      throw new UploadPartInvalid('unknown upload id')
    }
  }

  async function beginUpload (key: string, uploadOptions: { contentType?: string, retain?: boolean } = {}): Promise<UploadState> {
    assertValidKey(key)
    await whenBucketReady()
    await refuseRetained(key)
    const contentType = uploadOptions.contentType ?? DEFAULT_CONTENT_TYPE
    const uploadId = await client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': contentType })
    return { uploadId, key, contentType, retain: uploadOptions.retain ?? false, parts: [] }
  }

  async function uploadPart (state: UploadState, partNumber: number, body: Readable | Buffer): Promise<UploadedPart> {
    assertValidPartNumber(partNumber)
    assertUploadState(state)
    await whenBucketReady()
    const meter = new ByteMeter(partSize)
    const chunks: Buffer[] = []
    try {
      for await (const chunk of bufferChunks(body)) {
        meter.update(chunk)
        chunks.push(chunk)
      }
    } catch (error) {
      if (error instanceof BlobTooLarge) throw new UploadPartInvalid(`part ${partNumber} exceeds ${partSize} bytes`)
      throw error
    }
    const bytes = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, meter.size)
    try {
      const etag = await sendPart(state.key, state.uploadId, partNumber, bytes)
      return { partNumber, size: meter.size, sha256: meter.digest(), etag }
    } catch (error) {
      throw asUploadError(error)
    }
  }

  async function completeUpload (state: UploadState): Promise<BlobInfo> {
    assertUploadState(state)
    await whenBucketReady()
    const parts = orderPartsForAssembly(state.parts)
    try {
      await replaceObject(state.key, () => client.completeMultipartUpload(bucket, state.key, state.uploadId,
        parts.map((part) => ({ part: part.partNumber, etag: part.etag }))))
    } catch (error) {
      throw asUploadError(error)
    }
    // S3 cannot say what SHA-256 the assembled object has; read it back once.
    const { size, sha256 } = await digestStream(await client.getObject(bucket, state.key))
    const info: BlobInfo = {
      key: state.key,
      size,
      sha256,
      contentType: state.contentType || DEFAULT_CONTENT_TYPE,
      retained: state.retain === true,
      createdAt: new Date()
    }
    await writeSidecar(info)
    return info
  }

  async function abortUpload (state: UploadState): Promise<void> {
    assertUploadState(state)
    await whenBucketReady()
    try {
      await client.abortMultipartUpload(bucket, state.key, escapeQueryValue(state.uploadId))
    } catch (error) {
      if (!hasS3Code(error, 'NoSuchUpload')) throw error
    }
  }

  async function ping (): Promise<void> {
    await whenBucketReady()
    if (!await client.bucketExists(bucket)) throw new Error(`bucket ${bucket} does not exist`)
  }

  return {
    driver: 's3',
    put,
    get,
    stat,
    exists: async (key) => (await stat(key)) !== null,
    retain,
    delete: deleteObject,
    createDownloadUrl,
    beginUpload,
    uploadPart,
    completeUpload,
    abortUpload,
    // bodies stream straight to the bucket: nothing is staged on this machine's disk (what a
    // killed upload leaves in the bucket is the bucket's lifecycle rule's, see the README)
    sweepStaging: async () => 0,
    ping,
    close: async () => {}
  }
}

function parseEndPoint (endPoint: string): { endPoint: string, port: number, useSSL: boolean } {
  const url = new URL(endPoint)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`S3 endpoint must be an http(s) URL: ${url.origin}`)
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new Error(`S3 endpoint must be a bare origin such as https://s3.example:9000, not ${url.origin}${url.pathname}`)
  }
  const useSSL = url.protocol === 'https:'
  return {
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (useSSL ? 443 : 80) : Number(url.port),
    useSSL
  }
}

/** The statuses minio v8 retries on (internal/request.mjs `retryHttpCodes`). */
const RETRYABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 520])

/**
 * minio v8 gives up on a response with a retryable status without reading it, which keeps its
 * keep-alive socket busy until the server drops it (65 s on Ceph RGW, which answers some upload
 * errors with a 500) and holds the process open meanwhile. Such responses are drained as they
 * arrive; minio never reads their bodies.
 */
function drainingTransport (useSSL: boolean): NonNullable<ClientOptions['transport']> {
  const base = useSSL ? https : http
  const request = (options: http.RequestOptions, callback?: (response: IncomingMessage) => void) =>
    base.request(options, (response) => {
      if (RETRYABLE_STATUS.has(response.statusCode ?? 0)) response.resume()
      callback?.(response)
    })
  return { request } as NonNullable<ClientOptions['transport']>
}

/**
 * `attachment` with the name twice: an ASCII fallback for old clients and the exact UTF-8 name
 * (RFC 6266 / RFC 8187), since most names in the hall are Chinese.
 */
export function formatContentDisposition (filename: string): string {
  const cleaned = Array.from(filename, (char) => isUnsafeInFilename(char) ? '_' : char).join('')
  const fallback = cleaned.replace(/[^\x20-\x7e]|["%;]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${escapeQueryValue(cleaned)}`
}

/** Control characters and path separators have no place in a suggested file name. */
function isUnsafeInFilename (char: string): boolean {
  const code = char.codePointAt(0) ?? 0
  return code < 0x20 || code === 0x7f || char === '/' || char === '\\'
}

/** RFC 3986 escaping; encodeURIComponent leaves !'()* alone, S3 signatures do not. */
function escapeQueryValue (value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * The requested bytes out of a ranged GET. HTTP lets a server ignore a Range (200 with the whole
 * body) and some S3 emulators widen it (s3rver answers `bytes=0-0` with every byte), so the
 * Content-Range actually served decides what is skipped and cut off.
 */
function keepRange (response: Readable, start: number, end: number): Readable {
  const { statusCode, headers } = response as IncomingMessage
  const served = statusCode === 206 ? /^bytes (\d+)-(\d+)\//.exec(headers['content-range'] ?? '') : null
  const servedStart = served ? Number(served[1]) : 0
  if (served && servedStart === start && Number(served[2]) === end) return response
  if (servedStart > start) {
    response.destroy()
    throw new Error(`the service answered a request for bytes ${start}-${end} with ${headers['content-range'] ?? 'the whole object'}`)
  }
  async function * requestedBytes () {
    let offset = servedStart
    for await (const chunk of response) {
      const bytes = chunk as Buffer
      const from = Math.max(start - offset, 0)
      const to = Math.min(end + 1 - offset, bytes.length)
      if (to > from) yield bytes.subarray(from, to)
      offset += bytes.length
      // Leaving the loop destroys the response, so the rest is never downloaded.
      if (offset > end) break
    }
  }
  return Readable.from(requestedBytes(), { objectMode: false })
}

async function readAll (stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function hasS3Code (error: unknown, code: string): boolean {
  return error instanceof S3Error && error.code === code
}

function isMissingObject (error: unknown): boolean {
  return error instanceof S3Error && MISSING_OBJECT.has(error.code ?? '')
}

/** Refusals of an upload or its parts by the service become UPLOAD_PART_INVALID. */
function asUploadError (error: unknown): unknown {
  if (error instanceof S3Error && UPLOAD_REFUSED.has(error.code ?? '')) return new UploadPartInvalid(error.message)
  return error
}
