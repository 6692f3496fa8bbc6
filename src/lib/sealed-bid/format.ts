/**
 * Sealed-bid format v1: the byte layout, shared by the sealer and the opener, in the browser and
 * on the server. Specification: README.md, "Sealed-bid format v1".
 *
 *   package = "OHSB" 0x01 ‖ u32 headerLength ‖ header (canonical JSON) ‖ chunk+
 *   chunk   = u8 flags (0 more, 1 final) ‖ u32 plaintextLength ‖ AES-256-GCM(ciphertext ‖ tag)
 *   iv      = ivPrefix (4 bytes) ‖ u64 chunk index
 *   aad     = "OHSB1" ‖ SHA-256(header) ‖ u64 chunk index ‖ flags
 *   plaintext (all chunks) = record* with record = u8 type ‖ u64 length ‖ body:
 *     'F' file (u16 nameLength ‖ name ‖ bytes)*, then 'M' manifest, then 'S' inner signature
 */
import { concatBytes as concat, fromHex, toHex } from '../bytes.ts'
import { canonicalJson, type JsonValue } from '../canonical-json.ts'

export const MAGIC = Uint8Array.of(0x4f, 0x48, 0x53, 0x42, 0x01) // "OHSB" v1
export const AAD_PREFIX = Uint8Array.of(0x4f, 0x48, 0x53, 0x42, 0x31) // "OHSB1"
export const KEY_CHECK_LABEL = 'openhall-sealed-bid-key-check'
export const FORMAT = 'openhall-sealed-bid'
export const VERSION = 1
export const DEFAULT_CHUNK_SIZE = 1024 * 1024
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024
export const MAX_HEADER_BYTES = 1024 * 1024
export const MAX_MANIFEST_BYTES = 1024 * 1024
export const CHUNK_OVERHEAD = 1 + 4 + 16
export const TAG_BYTES = 16
export const FLAG_MORE = 0
export const FLAG_FINAL = 1

export const RECORD_FILE = 0x46
export const RECORD_MANIFEST = 0x4d
export const RECORD_SIGNATURE = 0x53

export interface PackageHeader {
  format: typeof FORMAT
  version: typeof VERSION
  tenderId: string
  cipher: 'AES-256-GCM'
  chunkSize: number
  /** hex, 4 bytes */
  ivPrefix: string
  /** hex, the first 16 bytes of SHA-256(KEY_CHECK_LABEL ‖ content key) */
  keyCheck: string
  /** base64 CMS EnvelopedData; its content is the 32-byte content key */
  keyEnvelope: string
  /** hex SHA-256(canonical JSON of the opening fields ‖ nonce) */
  commitment: string
  sealedAt: string
}

export interface ManifestFile { name: string, size: number, sha256: string }

export interface Manifest {
  format: typeof FORMAT
  version: typeof VERSION
  tenderId: string
  files: ManifestFile[]
  /** the fields the tender declares for its opening record (price in fen, duration, …) */
  opening: Record<string, JsonValue>
  /** hex, 32 bytes: the secret that makes the commitment unguessable */
  nonce: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export const utf8 = (text: string) => encoder.encode(text)
export const fromUtf8 = (bytes: Uint8Array) => decoder.decode(bytes)

export { concat, fromHex, toHex }

export function u32 (value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value)
  return out
}

export function u64 (value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('u64 out of range')
  const out = new Uint8Array(8)
  const view = new DataView(out.buffer)
  view.setUint32(0, Math.floor(value / 2 ** 32))
  view.setUint32(4, value >>> 0)
  return out
}

export function readU64 (bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8)
  const value = view.getUint32(0) * 2 ** 32 + view.getUint32(4)
  if (!Number.isSafeInteger(value)) throw new RangeError('u64 beyond 2^53')
  return value
}

export function chunkIv (ivPrefix: Uint8Array, index: number): Uint8Array {
  return concat(ivPrefix, u64(index))
}

export function chunkAad (headerDigest: Uint8Array, index: number, flags: number): Uint8Array {
  return concat(AAD_PREFIX, headerDigest, u64(index), Uint8Array.of(flags))
}

/** The commitment to the opening fields: SHA-256(canonical JSON ‖ nonce), as bytes to hash. */
export function commitmentInput (opening: Record<string, JsonValue>, nonce: Uint8Array): Uint8Array {
  return concat(utf8(canonicalJson(opening)), nonce)
}

export function keyCheckInput (contentKey: Uint8Array): Uint8Array {
  return concat(utf8(KEY_CHECK_LABEL), contentKey)
}

export function recordHeader (type: number, length: number): Uint8Array {
  return concat(Uint8Array.of(type), u64(length))
}

/** A file name inside a package: a relative path of safe segments (no `..`, no absolute paths). */
export function isSafeFileName (name: string): boolean {
  if (name.length === 0 || utf8(name).length > 1024 || name.startsWith('/') || name.includes('\\') || name.includes('\0')) return false
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
}
