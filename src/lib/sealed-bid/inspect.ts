/**
 * What the platform can check about a sealed package without any key: that it is a package at
 * all (refusing plaintext uploads), a well-formed header, an unbroken chain of chunk frames up to
 * the final one, its size and SHA-256, and who can open it. This is what submission verifies.
 */
import { listRecipients } from '../cms/enveloped-data.ts'
import type { CryptoProvider, IncrementalHash } from '../pki/crypto-provider.ts'
import { BidNotEncrypted, PackageMalformed, PackageTampered } from './errors.ts'
import {
  FLAG_FINAL, FLAG_MORE, FORMAT, MAGIC, MAX_CHUNK_SIZE, MAX_HEADER_BYTES, TAG_BYTES, VERSION, fromUtf8, toHex,
  type PackageHeader
} from './format.ts'
import { ByteReader } from './reader.ts'

/** Signatures of common plaintext documents: an upload starting like this was not sealed. */
const PLAINTEXT_SIGNATURES = [
  [0x25, 0x50, 0x44, 0x46], // %PDF
  [0x50, 0x4b, 0x03, 0x04], // zip, docx, xlsx
  [0xd0, 0xcf, 0x11, 0xe0], // doc, xls
  [0x52, 0x61, 0x72, 0x21], // Rar!
  [0x37, 0x7a, 0xbc, 0xaf], // 7z
  [0x89, 0x50, 0x4e, 0x47], // png
  [0xff, 0xd8, 0xff] // jpeg
]

const SNIFF_BYTES = 512
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function looksLikePlaintext (sample: Uint8Array): boolean {
  if (PLAINTEXT_SIGNATURES.some((signature) => signature.every((byte, index) => sample[index] === byte))) return true
  if (sample.length < 16) return false
  // text (JSON, XML, CSV, Chinese prose): valid UTF-8 without control characters; random or
  // encrypted bytes are essentially never valid UTF-8 over hundreds of bytes
  for (let cut = 0; cut < 4; cut++) {
    try {
      const text = strictUtf8.decode(sample.subarray(0, sample.length - cut))
      return !Array.from(text).some((char) => { const code = char.charCodeAt(0); return code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d })
    } catch {
      // maybe a character cut in half at the end: try a shorter sample
    }
  }
  return false
}

export async function readHeader (reader: ByteReader, hash?: IncrementalHash): Promise<{ header: PackageHeader, headerBytes: Uint8Array }> {
  const start = await reader.read(MAGIC.length)
  if (!start || !MAGIC.every((byte, index) => start[index] === byte)) {
    const sample = start ? new Uint8Array([...start, ...await reader.readUpTo(SNIFF_BYTES - start.length)]) : new Uint8Array()
    if (looksLikePlaintext(sample)) throw new BidNotEncrypted()
    throw new PackageMalformed('not an OpenHall sealed package (wrong magic bytes)')
  }
  hash?.update(start)
  const lengthBytes = await reader.read(4)
  if (!lengthBytes) throw new PackageMalformed('truncated header')
  hash?.update(lengthBytes)
  const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 4).getUint32(0)
  if (length === 0 || length > MAX_HEADER_BYTES) throw new PackageMalformed('header length out of range')
  const headerBytes = await reader.read(length)
  if (!headerBytes) throw new PackageMalformed('truncated header')
  hash?.update(headerBytes)
  let header: PackageHeader
  try {
    header = JSON.parse(fromUtf8(headerBytes)) as PackageHeader
  } catch {
    throw new PackageMalformed('the header is not JSON')
  }
  const valid = header.format === FORMAT && header.version === VERSION && header.cipher === 'AES-256-GCM' &&
    typeof header.tenderId === 'string' && header.tenderId.length > 0 &&
    Number.isInteger(header.chunkSize) && header.chunkSize >= 1024 && header.chunkSize <= MAX_CHUNK_SIZE &&
    /^[0-9a-f]{8}$/.test(header.ivPrefix) && /^[0-9a-f]{32}$/.test(header.keyCheck) && /^[0-9a-f]{64}$/.test(header.commitment) &&
    typeof header.keyEnvelope === 'string' && typeof header.sealedAt === 'string'
  if (!valid) throw new PackageMalformed('the header lacks required fields or has bad values')
  return { header, headerBytes }
}

/** Only the header of a package (what the escrow needs to unwrap its key), without reading on. */
export async function packageHeader (bytes: AsyncIterable<Uint8Array>): Promise<PackageHeader> {
  return (await readHeader(new ByteReader(bytes))).header
}

export interface PackageInspection {
  header: PackageHeader
  chunks: number
  size: number
  sha256: string
  /** certificates (issuer + serial) that can open the content key */
  recipients: Array<{ issuerDer: Uint8Array, serialHex: string }>
}

/**
 * `digest: false` skips hashing (sha256 comes back empty) for a caller that hashes the same bytes
 * on another path already, such as an object store computing SHA-256 on the way in.
 */
export async function inspectPackage (input: { provider: CryptoProvider, bytes: AsyncIterable<Uint8Array>, maxBytes?: number, digest?: boolean }): Promise<PackageInspection> {
  const reader = new ByteReader(input.bytes)
  const hash = input.digest === false ? { update () {}, digest: () => new Uint8Array() } : input.provider.createSha256()
  try {
    const { header } = await readHeader(reader, hash)
    let recipients: PackageInspection['recipients']
    try {
      recipients = listRecipients(Uint8Array.from(atob(header.keyEnvelope), (char) => char.charCodeAt(0)))
    } catch {
      throw new PackageMalformed('the key envelope is not a CMS EnvelopedData')
    }
    let chunks = 0
    for (;;) {
      const frame = await reader.read(5)
      if (!frame) throw new PackageTampered('truncated: no final chunk')
      hash.update(frame)
      const flags = frame[0]!
      const length = new DataView(frame.buffer, frame.byteOffset + 1, 4).getUint32(0)
      if ((flags !== FLAG_MORE && flags !== FLAG_FINAL) || length > header.chunkSize) throw new PackageTampered(`chunk ${chunks} has a bad frame`)
      // read the sealed chunk in bounded pieces; it is hashed, not kept
      let remaining = length + TAG_BYTES
      while (remaining > 0) {
        const piece = await reader.read(Math.min(remaining, 64 * 1024))
        if (!piece) throw new PackageTampered(`truncated in chunk ${chunks}`)
        hash.update(piece)
        remaining -= piece.length
      }
      chunks++
      if (input.maxBytes !== undefined && reader.consumed > input.maxBytes) throw new PackageMalformed(`larger than ${input.maxBytes} bytes`)
      if (flags === FLAG_FINAL) break
      if (chunks > Number.MAX_SAFE_INTEGER / MAX_CHUNK_SIZE) throw new PackageMalformed('too many chunks')
    }
    if (!await reader.atEnd()) throw new PackageTampered('data after the final chunk')
    return { header, chunks, size: reader.consumed, sha256: toHex(hash.digest()), recipients }
  } finally {
    await reader.cancel()
  }
}
