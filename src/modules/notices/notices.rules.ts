import { isVisible, type Audience } from '../../plugins/live.ts'
import { hasRole, type Principal } from '../../lib/policy.ts'

export const NOTICES_ROOM = 'notices:hall'

export function audienceIsEmpty (audience: Audience): boolean {
  return !('public' in audience) && (audience.roles?.length ?? 0) === 0 && (audience.parties?.length ?? 0) === 0
}

/**
 * Readers of a notice: its audience, plus its publisher and the hall's administrators and
 * supervisors, who answer for what the hall says.
 */
export function widenForOversight (audience: Audience, publisherId: string): Audience {
  if ('public' in audience) return audience
  return {
    roles: [...new Set([...(audience.roles ?? []), 'hall_admin' as const, 'supervisor' as const])],
    parties: [...new Set([...(audience.parties ?? []), publisherId])]
  }
}

export function mayRead (principal: Principal | null, audience: Audience): boolean {
  return isVisible(principal, audience)
}

/** Withdrawal is for the publisher or the hall administrator. */
export function mayWithdraw (principal: Principal, publisherId: string): boolean {
  return principal.accountId === publisherId || hasRole(principal, 'hall_admin')
}
