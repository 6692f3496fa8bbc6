/**
 * Signed requests between a bank and the hall (README "Bank interface"). The bank signs
 *
 *   OPENHALL-BANK-V1 \n METHOD \n path?query \n timestamp \n nonce \n hex(SHA-256(body))
 *
 * with its HMAC-SHA256 key (`hmac-sha256=<hex>`) or with its certificate's key as a detached CMS
 * SignedData (`cms=<base64 DER>`). The timestamp (Unix seconds) bounds a replay window and the
 * nonce, remembered for that window, makes every request usable once. Both sides use this file:
 * the hall to verify, the simulated bank and integrators' tests to sign.
 */
import { randomBytes } from 'node:crypto'
import { constantTimeEqual, hmacSha256, sha256Hex } from './crypto-bits.ts'

export const BANK_HEADERS = {
  timestamp: 'x-openhall-bank-timestamp',
  nonce: 'x-openhall-bank-nonce',
  signature: 'x-openhall-bank-signature'
} as const

export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/

export interface BankRequest {
  method: string
  /** path and query exactly as sent, e.g. `/api/bank/icbc/payments` */
  path: string
  timestamp: string
  nonce: string
  body: Uint8Array
}

export function bankSigningString (request: BankRequest): string {
  return ['OPENHALL-BANK-V1', request.method.toUpperCase(), request.path, request.timestamp, request.nonce, sha256Hex(request.body)].join('\n')
}

export type BankSignature = { scheme: 'hmac-sha256', value: Buffer } | { scheme: 'cms', value: Buffer }

export function parseBankSignature (header: string | undefined): BankSignature | null {
  if (!header) return null
  const match = /^(hmac-sha256|cms)=([A-Za-z0-9+/=]+)$/.exec(header.trim())
  if (!match) return null
  if (match[1] === 'hmac-sha256') return /^[0-9a-f]{64}$/.test(match[2]!) ? { scheme: 'hmac-sha256', value: Buffer.from(match[2]!, 'hex') } : null
  return { scheme: 'cms', value: Buffer.from(match[2]!, 'base64') }
}

export function verifyBankHmac (key: Uint8Array, request: BankRequest, mac: Uint8Array): boolean {
  return constantTimeEqual(hmacSha256(key, bankSigningString(request)), mac)
}

/** True when the request's timestamp is within `maxSkewSeconds` of `now`. */
export function isFreshBankRequest (timestamp: string, now: Date, maxSkewSeconds: number): boolean {
  if (!/^[0-9]{1,12}$/.test(timestamp)) return false
  return Math.abs(Number(timestamp) - Math.floor(now.getTime() / 1000)) <= maxSkewSeconds
}

/** The headers of an HMAC-signed request (the bank's side). */
export function signBankRequest (key: Uint8Array, request: { method: string, path: string, body: Uint8Array, now?: Date, nonce?: string }): Record<string, string> {
  const signed: BankRequest = {
    method: request.method,
    path: request.path,
    body: request.body,
    timestamp: String(Math.floor((request.now ?? new Date()).getTime() / 1000)),
    nonce: request.nonce ?? randomBytes(18).toString('base64url')
  }
  return {
    [BANK_HEADERS.timestamp]: signed.timestamp,
    [BANK_HEADERS.nonce]: signed.nonce,
    [BANK_HEADERS.signature]: `hmac-sha256=${hmacSha256(key, bankSigningString(signed)).toString('hex')}`
  }
}
