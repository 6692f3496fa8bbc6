/**
 * Secrets at rest under the master key (AES-256-GCM). The additional data binds a ciphertext to
 * its purpose, so a blob encrypted for one use cannot be substituted for another.
 * Format: base64url(iv ‖ tag ‖ ciphertext), iv 12 bytes, tag 16 bytes.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

export interface MasterKey {
  seal (plaintext: Uint8Array, purpose: string): string
  open (sealed: string, purpose: string): Buffer
  /** A purpose-bound 32-byte subkey (e.g. for HMAC-signed download links). */
  derive (purpose: string): Buffer
}

export function createMasterKey (keyBase64: string): MasterKey {
  const key = Buffer.from(keyBase64, 'base64')
  if (key.length !== 32) throw new RangeError('master key must be 32 bytes')
  return {
    seal (plaintext, purpose) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(purpose))
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
    },
    open (sealed, purpose) {
      const raw = Buffer.from(sealed, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
      decipher.setAAD(Buffer.from(purpose))
      decipher.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()])
    },
    derive (purpose) {
      return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from(`openhall:${purpose}`), 32))
    }
  }
}
