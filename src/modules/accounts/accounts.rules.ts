/** Pure rules of identity: names, grants, lockout. */
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

export interface LockoutPolicy { maxFailures: number, lockoutMinutes: number }

export function isLocked (lockedUntil: Date | null, now: Date): boolean {
  return lockedUntil !== null && lockedUntil.getTime() > now.getTime()
}

/**
 * The failure counter after one more failed sign-in. Once a lock has expired, counting starts
 * again, so a locked-out user gets the full number of attempts after the wait.
 */
export function afterFailedSignIn (
  state: { failedLogins: number, lockedUntil: Date | null }, now: Date, policy: LockoutPolicy
): { failedLogins: number, lockedUntil: Date | null } {
  const lockExpired = state.lockedUntil !== null && !isLocked(state.lockedUntil, now)
  const failedLogins = (lockExpired ? 0 : state.failedLogins) + 1
  return failedLogins >= policy.maxFailures
    ? { failedLogins, lockedUntil: new Date(now.getTime() + policy.lockoutMinutes * 60_000) }
    : { failedLogins, lockedUntil: lockExpired ? null : state.lockedUntil }
}
