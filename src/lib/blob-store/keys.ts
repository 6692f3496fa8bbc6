/**
 * Checks on what callers hand to a store, shared by every driver so they refuse the same inputs
 * with the same codes: object keys, byte ranges, upload part numbers and link lifetimes.
 *
 * Keys are caller-chosen relative paths such as `bids/<uuid>` or `recordings/<uuid>.webm`. They
 * become file paths (fs driver) and object names (s3 driver), so they are checked before any I/O.
 * Drivers keep their own records under top-level names starting with '.' (`.meta/`, `.uploads/`,
 * `.tmp/`); no segment of a user key may start with '.', which keeps user keys out of those
 * namespaces (and rules out '.' and '..' segments).
 */
import type { ByteRange, UploadedPart } from './types.ts'
import { BlobKeyInvalid, BlobRangeInvalid, UploadPartInvalid } from '../errors.ts'

export const MAX_KEY_LENGTH = 512

/** File systems cap names at 255 bytes; the fs driver appends `.json` for metadata. */
export const MAX_KEY_SEGMENT_LENGTH = 200

/** S3 numbers parts 1..10000; both drivers keep to it. */
export const MAX_PART_NUMBER = 10_000

/** S3 refuses multipart uploads whose parts (all but the last) are smaller than this. */
export const MIN_PART_SIZE = 5 * 1024 * 1024

/** The largest single part S3 accepts. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024

/** Presigned S3 URLs cannot outlive seven days; fs links keep to the same bound. */
export const MAX_LINK_SECONDS = 7 * 24 * 60 * 60

const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

export function isValidKey (key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) return false
  return key.split('/').every((segment) => segment.length <= MAX_KEY_SEGMENT_LENGTH && KEY_SEGMENT.test(segment))
}

/** Throws BLOB_KEY_INVALID unless `key` is a safe relative object key. */
export function assertValidKey (key: unknown): asserts key is string {
  if (!isValidKey(key)) throw new BlobKeyInvalid(describeKey(key))
}

/** The offending key for the error message, cut short so a hostile key cannot flood the logs. */
function describeKey (key: unknown): string {
  if (typeof key !== 'string') return typeof key
  return key.length > 80 ? `${key.slice(0, 80)}…` : key
}

/**
 * The inclusive byte span to read from an object of `size` bytes. Every requested byte must exist
 * (so an empty object has no valid range); anything else is BLOB_RANGE_INVALID.
 */
export function resolveRange (range: ByteRange, size: number): { start: number, end: number } {
  const { start } = range
  const end = range.end ?? size - 1
  const valid = Number.isSafeInteger(start) && Number.isSafeInteger(end) &&
    start >= 0 && start <= end && end < size
  if (!valid) throw new BlobRangeInvalid(`${String(range.start)}-${String(range.end ?? '')} of ${size} bytes`)
  return { start, end }
}

export function assertValidPartNumber (partNumber: unknown): asserts partNumber is number {
  if (!Number.isInteger(partNumber) || (partNumber as number) < 1 || (partNumber as number) > MAX_PART_NUMBER) {
    throw new UploadPartInvalid(`part number must be an integer from 1 to ${MAX_PART_NUMBER}`)
  }
}

/**
 * The parts to assemble, in partNumber order. A part listed twice (a retry the caller recorded
 * again) counts once, with its last entry, which describes the bytes the store kept. Every part but
 * the last must be at least MIN_PART_SIZE: S3 refuses smaller ones, and the fs driver applies the
 * same rule so that code tested against it behaves the same on S3.
 */
export function orderPartsForAssembly (parts: readonly UploadedPart[]): UploadedPart[] {
  if (!Array.isArray(parts) || parts.length === 0) throw new UploadPartInvalid('an upload needs at least one part')
  const byNumber = new Map<number, UploadedPart>()
  for (const part of parts) {
    assertValidPartNumber(part.partNumber)
    byNumber.set(part.partNumber, part)
  }
  const ordered = [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber)
  for (const part of ordered.slice(0, -1)) {
    if (part.size < MIN_PART_SIZE) {
      throw new UploadPartInvalid(`part ${part.partNumber} has ${part.size} bytes; all parts but the last need at least ${MIN_PART_SIZE}`)
    }
  }
  return ordered
}

export function assertValidLinkLifetime (expiresInSeconds: unknown): asserts expiresInSeconds is number {
  if (!Number.isInteger(expiresInSeconds) || (expiresInSeconds as number) < 1 || (expiresInSeconds as number) > MAX_LINK_SECONDS) {
    throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_LINK_SECONDS}`)
  }
}
