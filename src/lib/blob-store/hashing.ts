/**
 * Size and SHA-256 of a body computed while it streams through, so no driver ever needs the
 * whole object in memory to describe it. The byte limit is enforced on arrival: the first chunk
 * that crosses it fails the stream with BLOB_TOO_LARGE, which tears down the source as well.
 */
import { createHash, type Hash } from 'node:crypto'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { BlobDigestMismatch, BlobTooLarge } from '../errors.ts'

/** Counts and hashes bytes fed to it; throws BLOB_TOO_LARGE once more than `maxBytes` arrived. */
export class ByteMeter {
  #hash: Hash = createHash('sha256')
  #size = 0
  #sha256: string | undefined

  constructor (readonly maxBytes?: number) {}

  get size (): number {
    return this.#size
  }

  update (chunk: Uint8Array): void {
    if (this.#sha256 !== undefined) throw new Error('ByteMeter already finished')
    this.#size += chunk.byteLength
    if (this.maxBytes !== undefined && this.#size > this.maxBytes) throw new BlobTooLarge(this.maxBytes)
    this.#hash.update(chunk)
  }

  /** Lowercase hex SHA-256 of everything fed so far; the meter accepts no bytes afterwards. */
  digest (): string {
    this.#sha256 ??= this.#hash.digest('hex')
    return this.#sha256
  }
}

/** A pass-through stream that meters what flows through it (see ByteMeter). */
export class HashingStream extends Transform {
  readonly meter: ByteMeter

  constructor (maxBytes?: number) {
    super()
    this.meter = new ByteMeter(maxBytes)
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.meter.update(chunk)
    } catch (error) {
      callback(error as Error)
      return
    }
    callback(null, chunk)
  }

  get size (): number {
    return this.meter.size
  }

  digest (): string {
    return this.meter.digest()
  }
}

/**
 * Buffers and streams are both accepted as bodies; drivers consume them as Buffers, whatever the
 * stream yields (object-mode streams may yield strings).
 */
export async function * bufferChunks (body: Readable | Buffer): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(body)) {
    yield body
    return
  }
  for await (const chunk of body) {
    if (Buffer.isBuffer(chunk)) yield chunk
    else if (typeof chunk === 'string') yield Buffer.from(chunk)
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    else throw new TypeError('a body stream must yield bytes or strings')
  }
}

/** Throws BLOB_DIGEST_MISMATCH when the caller announced a different SHA-256 than arrived. */
export function assertExpectedDigest (actualSha256: string, expectedSha256: string | undefined): void {
  if (expectedSha256 === undefined) return
  if (actualSha256 !== expectedSha256.toLowerCase()) throw new BlobDigestMismatch(actualSha256, expectedSha256)
}

/** SHA-256 and size of a whole stream, reading it chunk by chunk. */
export async function digestStream (source: Readable): Promise<{ size: number, sha256: string }> {
  const meter = new ByteMeter()
  for await (const chunk of bufferChunks(source)) meter.update(chunk)
  return { size: meter.size, sha256: meter.digest() }
}
