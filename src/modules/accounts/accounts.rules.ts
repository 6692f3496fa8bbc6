/** Pure rules of identity: names, grants, sign-in throttling. */
import { isValidCreditCode } from '../../lib/credit-code.ts'
import { isGrantShapeValid, ROLE_SCOPES, type Grant } from '../../lib/policy.ts'

export const USERNAME_PATTERN = '^[a-z][a-z0-9_.-]{2,63}$'

export function normaliseUsername (username: string): string {
  return username.trim().toLowerCase()
}

/** Why an organisation/person + credit code combination is invalid, or null. */
export function creditCodeProblem (kind: 'person' | 'organisation', creditCode: string | undefined | null): 'required' | 'not_for_persons' | 'invalid' | null {
  if (kind === 'person') return creditCode ? 'not_for_persons' : null
  if (!creditCode) return 'required'
  return isValidCreditCode(creditCode) ? null : 'invalid'
}

export function grantProblem (grant: Grant): string | null {
  if (isGrantShapeValid(grant)) return null
  const allowed = ROLE_SCOPES[grant.role]
  if (!allowed.includes(grant.scopeType)) return `role ${grant.role} can be granted in scopes: ${allowed.join(', ')}`
  return grant.scopeType === 'hall' ? 'a hall-scope grant has no scopeId' : `a ${grant.scopeType} grant needs scopeId`
}

/**
 * Sign-in throttling instead of a lock an attacker could set: after `freeFailures` failed
 * sign-ins on an account name (or 4× as many from one client address, which many people may
 * share), each further attempt must wait a delay that doubles from one second up to
 * `maxDelayMinutes`. Failures are forgotten after a quiet hour (or twice the longest delay).
 */
export interface ThrottlePolicy { freeFailures: number, maxDelayMinutes: number }

export type ThrottleScope = 'account' | 'client'

export interface ThrottleState {
  failures: number
  firstFailureAt: Date
  lastFailureAt: Date
  blockedUntil: Date | null
}

const CLIENT_FACTOR = 4

export function freeFailuresFor (scope: ThrottleScope, policy: ThrottlePolicy): number {
  return scope === 'client' ? policy.freeFailures * CLIENT_FACTOR : policy.freeFailures
}

export function forgetAfterMs (policy: ThrottlePolicy): number {
  return Math.max(3_600_000, 2 * policy.maxDelayMinutes * 60_000)
}

/** True when the remembered failures are still counted at `now`. */
export function isRemembered (state: ThrottleState | undefined, now: Date, policy: ThrottlePolicy): state is ThrottleState {
  return state !== undefined && now.getTime() - state.lastFailureAt.getTime() < forgetAfterMs(policy)
}

/** Whole seconds until attempts are checked again; 0 when they are checked now. */
export function secondsBlocked (state: ThrottleState | undefined, now: Date): number {
  if (!state?.blockedUntil) return 0
  return Math.max(0, Math.ceil((state.blockedUntil.getTime() - now.getTime()) / 1000))
}

/** The delay imposed after the n-th failure: none up to the free ones, then 1 s, 2 s, 4 s … capped. */
export function delayAfterFailures (failures: number, free: number, policy: ThrottlePolicy): number {
  if (failures < free) return 0
  const capMs = policy.maxDelayMinutes * 60_000
  return Math.min(capMs, 1000 * 2 ** Math.min(failures - free, 30))
}

/** The state after one more failure at `now` (a forgotten history starts again at one). */
export function afterFailure (state: ThrottleState | undefined, now: Date, scope: ThrottleScope, policy: ThrottlePolicy): ThrottleState {
  const remembered = isRemembered(state, now, policy)
  const failures = remembered ? state.failures + 1 : 1
  const delay = delayAfterFailures(failures, freeFailuresFor(scope, policy), policy)
  return {
    failures,
    firstFailureAt: remembered ? state.firstFailureAt : now,
    lastFailureAt: now,
    blockedUntil: delay > 0 ? new Date(now.getTime() + delay) : null
  }
}

/**
 * One-time codes by SMS: six digits, valid ten minutes, five tries; a new code for the same
 * purpose replaces the old one no sooner than a minute after it; at most five codes an hour to
 * one number and ten from one client address.
 */
export const CODE_POLICY = { digits: 6, ttlMinutes: 10, maxAttempts: 5, resendSeconds: 60, perNumberPerHour: 5, perClientPerHour: 10 } as const

export type CodeProblem = 'used' | 'expired' | 'exhausted' | null

export function codeProblem (code: { expiresAt: Date, attempts: number, usedAt: Date | null }, now: Date): CodeProblem {
  if (code.usedAt) return 'used'
  if (code.attempts >= CODE_POLICY.maxAttempts) return 'exhausted'
  if (now >= code.expiresAt) return 'expired'
  return null
}

/**
 * Whole seconds before another code may be sent, 0 when it may now: the last code for this
 * purpose must be a minute old, and the hour's codes to the number and from the address
 * (oldest first) must be fewer than allowed; otherwise the wait is until the oldest leaves the hour.
 */
export function secondsBeforeNextCode (input: { lastSentAt: Date | null, toNumber: Date[], fromClient: Date[] }, now: Date): number {
  const waits = [0]
  if (input.lastSentAt) waits.push(input.lastSentAt.getTime() + CODE_POLICY.resendSeconds * 1000 - now.getTime())
  const hourly = (sent: Date[], allowed: number) => {
    if (sent.length < allowed) return 0
    const oldest = [...sent].sort((a, b) => a.getTime() - b.getTime())[sent.length - allowed]!
    return oldest.getTime() + 3_600_000 - now.getTime()
  }
  waits.push(hourly(input.toNumber, CODE_POLICY.perNumberPerHour), hourly(input.fromClient, CODE_POLICY.perClientPerHour))
  return Math.max(0, Math.ceil(Math.max(...waits) / 1000))
}
