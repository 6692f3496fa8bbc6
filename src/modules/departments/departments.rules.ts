import type { WINDOW_KINDS } from '../../../schema/index.ts'

export type WindowKind = typeof WINDOW_KINDS[number]

/**
 * A department window belongs to one department; the comprehensive agency window and the
 * major-project window belong to the hall and serve many departments.
 * Returns the reason the combination is invalid, or null.
 */
export function windowOwnershipProblem (kind: WindowKind, departmentId: string | null): string | null {
  if (kind === 'department' && !departmentId) return 'a department window needs its departmentId'
  if (kind !== 'department' && departmentId) return `a ${kind} window belongs to the hall, not to a department`
  return null
}

/** How far in the past a delegation's start may lie: the client's clock and the request's travel. */
export const DELEGATION_START_TOLERANCE_MS = 5 * 60_000

/**
 * Why a delegation recorded at `now` for [from, until) cannot be recorded after the latest one
 * of its department (which it then ends at `from`), or null. A delegation never takes effect
 * before it is recorded: decisions already taken were judged under the one then in force.
 */
export function delegationPeriodProblem (
  input: { from: Date, until: Date | null, now: Date, latestFrom: Date | null }
): { code: 'period' | 'backdated' | 'out_of_order', detail: string } | null {
  if (input.until && input.until.getTime() <= input.from.getTime()) return { code: 'period', detail: 'validUntil must be after validFrom' }
  if (input.from.getTime() < input.now.getTime() - DELEGATION_START_TOLERANCE_MS) return { code: 'backdated', detail: input.from.toISOString() }
  if (input.latestFrom && input.latestFrom.getTime() >= input.from.getTime()) return { code: 'out_of_order', detail: input.latestFrom.toISOString() }
  return null
}
