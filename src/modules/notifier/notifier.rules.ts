/** Pure rules of notification delivery: retry schedule, webhook signature, phone numbers. */
import { hmacSha256 } from '../../lib/crypto-bits.ts'

/** Mainland China mobile numbers, the only ones the hall's gateway texts. */
export const MOBILE_PATTERN = '^1[3-9][0-9]{9}$'

export function isMobileNumber (phone: string | null | undefined): phone is string {
  return typeof phone === 'string' && new RegExp(MOBILE_PATTERN).test(phone)
}

/** 138****5678: enough for a person to recognise their number, not enough to text it. */
export function maskPhone (phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****'
}

/** Delays after the 1st, 2nd … failed attempt: 30 s, 2 min, 10 min, 30 min, then every 2 h. */
const RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 1_800_000, 7_200_000]

export function retryDelayMs (failedAttempts: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(failedAttempts, 1), RETRY_DELAYS_MS.length) - 1]!
}

/** What happens after a failed attempt: try again later, or give up (the delivery is failed). */
export function afterFailedAttempt (attempts: number, maxAttempts: number, retryable: boolean, now: Date): { retryAt: Date } | { giveUp: true } {
  if (!retryable || attempts >= maxAttempts) return { giveUp: true }
  return { retryAt: new Date(now.getTime() + retryDelayMs(attempts)) }
}

/**
 * The webhook's signature: HMAC-SHA256 with the shared secret over `timestamp.body` (Unix
 * seconds, a dot, the exact bytes sent), hex, sent as `x-openhall-signature: hmac-sha256=<hex>`
 * beside `x-openhall-timestamp`. The gateway recomputes it and refuses stale timestamps.
 */
export const WEBHOOK_HEADERS = { timestamp: 'x-openhall-timestamp', signature: 'x-openhall-signature' } as const

export function webhookSignature (secret: string, timestamp: string, body: string): string {
  return `hmac-sha256=${hmacSha256(secret, `${timestamp}.${body}`).toString('hex')}`
}

/** A gateway's answer worth trying again: it was busy, rate-limited or broken, not refusing the message. */
export function isRetryableStatus (status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}
