/**
 * Sealing a bid on the bidder's side (the key never reaches the platform): a fresh content key
 * encrypts the files, the manifest and the bidder's inner signature in AES-256-GCM chunks; the
 * key travels in a CMS envelope to the bidder's own certificate (and the tender's escrow key when
 * the tender declares one); the opening fields are committed with a secret nonce. Memory stays
 * bounded by the chunk size, whatever the size of the files.
 */
import { createEnvelopedData } from '../cms/enveloped-data.ts'
import { createSignedData } from '../cms/signed-data.ts'
import { canonicalJson, type JsonValue } from '../canonical-json.ts'
import type { CryptoProvider, Signer } from '../pki/crypto-provider.ts'
import {
  DEFAULT_CHUNK_SIZE, FLAG_FINAL, FLAG_MORE, FORMAT, MAGIC, MAX_CHUNK_SIZE, RECORD_FILE, RECORD_MANIFEST, RECORD_SIGNATURE, VERSION,
  chunkAad, chunkIv, commitmentInput, concat, isSafeFileName, keyCheckInput, recordHeader, toHex, u32, utf8,
  type Manifest, type PackageHeader
} from './format.ts'

export interface SealFile {
  name: string
  size: number
  content: AsyncIterable<Uint8Array>
}

export interface SealInput {
  provider: CryptoProvider
  signer: Signer
  tenderId: string
  opening: Record<string, JsonValue>
  files: SealFile[]
  /** certificates (DER) that can open the content key: the bidder's own, and the tender's escrow key if any */
  recipients: Uint8Array[]
  chunkSize?: number
  sealedAt?: Date
}

export interface SealedBid {
  header: PackageHeader
  /** the package bytes; iterate once */
  bytes: AsyncIterable<Uint8Array>
  /** size and SHA-256 of the package, once `bytes` has been read to the end */
  summary (): { size: number, sha256: string }
  /** what the bidder keeps secret until the opening */
  secrets: { contentKey: Uint8Array, nonce: Uint8Array, commitment: string }
}

export async function sealBid (input: SealInput): Promise<SealedBid> {
  const { provider } = input
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE
  if (!Number.isInteger(chunkSize) || chunkSize < 1024 || chunkSize > MAX_CHUNK_SIZE) throw new RangeError('chunk size out of range')
  if (input.recipients.length === 0) throw new RangeError('at least the bidder must be able to open the bid')
  const names = new Set<string>()
  for (const file of input.files) {
    if (!isSafeFileName(file.name) || names.has(file.name)) throw new RangeError(`unsafe or duplicate file name: ${file.name}`)
    names.add(file.name)
  }

  const contentKey = provider.randomBytes(32)
  const nonce = provider.randomBytes(32)
  const ivPrefix = provider.randomBytes(4)
  const commitment = toHex(await provider.sha256(commitmentInput(input.opening, nonce)))
  const keyEnvelope = await createEnvelopedData({ provider, content: contentKey, recipients: input.recipients })
  const header: PackageHeader = {
    format: FORMAT,
    version: VERSION,
    tenderId: input.tenderId,
    cipher: 'AES-256-GCM',
    chunkSize,
    ivPrefix: toHex(ivPrefix),
    keyCheck: toHex((await provider.sha256(keyCheckInput(contentKey))).subarray(0, 16)),
    keyEnvelope: btoa(Array.from(keyEnvelope, (byte) => String.fromCharCode(byte)).join('')),
    commitment,
    sealedAt: (input.sealedAt ?? new Date()).toISOString()
  }
  const headerBytes = utf8(canonicalJson(header as unknown as JsonValue))
  const headerDigest = await provider.sha256(headerBytes)

  /** The plaintext records: files, then the manifest, then the bidder's signature over it. */
  async function * plaintext (): AsyncGenerator<Uint8Array> {
    const files: Manifest['files'] = []
    for (const file of input.files) {
      const name = utf8(file.name)
      yield concat(recordHeader(RECORD_FILE, 2 + name.length + file.size), Uint8Array.of(name.length >> 8, name.length & 0xff), name)
      const hash = provider.createSha256()
      let written = 0
      for await (const piece of file.content) {
        written += piece.length
        if (written > file.size) throw new RangeError(`${file.name} is larger than declared`)
        hash.update(piece)
        yield piece
      }
      if (written !== file.size) throw new RangeError(`${file.name} is smaller than declared`)
      files.push({ name: file.name, size: file.size, sha256: toHex(hash.digest()) })
    }
    const manifest: Manifest = { format: FORMAT, version: VERSION, tenderId: input.tenderId, files, opening: input.opening, nonce: toHex(nonce) }
    const manifestBytes = utf8(canonicalJson(manifest as unknown as JsonValue))
    yield concat(recordHeader(RECORD_MANIFEST, manifestBytes.length), manifestBytes)
    const signature = await createSignedData({ provider, signer: input.signer, content: manifestBytes, detached: true })
    yield concat(recordHeader(RECORD_SIGNATURE, signature.length), signature)
  }

  const packageHash = provider.createSha256()
  let size = 0
  let finished = false
  let digest: string | undefined

  async function * bytes (): AsyncGenerator<Uint8Array> {
    let index = 0
    // a chunk leaves as its 5-byte frame and its sealed bytes, without copying the megabyte
    const emit = async (plain: Uint8Array, flags: number): Promise<[Uint8Array, Uint8Array]> => {
      const sealed = await provider.aesGcmEncrypt(contentKey, chunkIv(ivPrefix, index), chunkAad(headerDigest, index, flags), plain)
      index++
      return [concat(Uint8Array.of(flags), u32(plain.length)), sealed]
    }
    const out = (piece: Uint8Array) => {
      packageHash.update(piece)
      size += piece.length
      return piece
    }
    yield out(concat(MAGIC, u32(headerBytes.length), headerBytes))
    // a full chunk waits until more plaintext arrives, so the last one can carry the final flag
    let buffer = new Uint8Array(chunkSize)
    let filled = 0
    let pending: Uint8Array | null = null
    for await (const piece of plaintext()) {
      let offset = 0
      while (offset < piece.length) {
        if (pending) {
          for (const part of await emit(pending, FLAG_MORE)) yield out(part)
          pending = null
        }
        const take = Math.min(chunkSize - filled, piece.length - offset)
        buffer.set(piece.subarray(offset, offset + take), filled)
        filled += take
        offset += take
        if (filled === chunkSize) {
          pending = buffer
          buffer = new Uint8Array(chunkSize)
          filled = 0
        }
      }
    }
    for (const part of await emit(pending ?? buffer.subarray(0, filled), FLAG_FINAL)) yield out(part)
    finished = true
  }

  return {
    header,
    bytes: bytes(),
    summary () {
      if (!finished) throw new Error('the package has not been read to the end')
      digest ??= toHex(packageHash.digest())
      return { size, sha256: digest }
    },
    secrets: { contentKey, nonce, commitment }
  }
}

/** The outer signature: the bidder signs the package digest at submission (CMS, detached). */
export async function signPackage (input: { provider: CryptoProvider, signer: Signer, packageSha256: string, signingTime?: Date }): Promise<Uint8Array> {
  const digest = new Uint8Array(input.packageSha256.match(/../g)!.map((byte) => parseInt(byte, 16)))
  return createSignedData({ provider: input.provider, signer: input.signer, contentDigest: digest, detached: true, signingTime: input.signingTime })
}
