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
