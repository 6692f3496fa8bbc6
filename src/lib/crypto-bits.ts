/** Small node:crypto helpers shared by identity, audit and storage. */
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto'

/** One-shot hash: no Hash object per call (the audit verifier hashes three times per entry). */
export function sha256Hex (data: string | Uint8Array): string {
  return hash('sha256', data, 'hex')
}

export function hmacSha256 (key: string | Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** An unguessable token for sessions, links and challenges (256 bits, base64url). */
export function randomToken (bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

export function constantTimeEqual (a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a)
  const right = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
