/**
 * The case's timer kinds, its clock key, its supervision rooms and the errors its rule codes raise,
 * shared by the service and its use-case files (cases.acceptance.ts, cases.review.ts, …);
 * cases.service.ts re-exports the rooms.
 */
import * as errors from './cases.errors.ts'
import type { CaseErrorCode } from './cases.rules.ts'

export const ACCEPTANCE_TIMER = 'case-acceptance'
export const COLOUR_TIMER = 'case-colour'
/**
 * A case has one clock timer: the acceptance limit while it awaits acceptance, then (scheduling
 * the same key with another kind) its warning and its due — so a step moves the timer in one statement.
 */
export const clockKey = (caseId: string) => `case-clock:${caseId}`
export const PAUSE_LIMIT_TIMER = 'case-pause-limit'
export const SUBTASK_TIMER = 'case-subtask'
export const LETTER_TIMER = 'supervision-letter'
export const RECTIFICATION_TIMER = 'case-rectification'
/** Recomputes the clocks of a batch of cases after the calendar changed, then sets itself for the next batch. */
export const RECLOCK_TIMER = 'case-reclock'
export const RECLOCK_BATCH = 200

/** Supervisors and the hall watch the whole hall; a department's own officials its own room. */
export const HALL_ROOM = 'supervision:hall'
export const departmentRoom = (departmentId: string) => `supervision:dept:${departmentId}`
export const WATCHERS = { roles: ['supervisor', 'hall_admin', 'dept_admin', 'chief_rep', 'clerk'] as Array<'supervisor' | 'hall_admin' | 'dept_admin' | 'chief_rep' | 'clerk'> }

export const ERROR_OF: Record<CaseErrorCode, () => Error> = {
  CASE_STATE_INVALID: () => new Error('unreachable: raised with its states'),
  CORRECTION_ALREADY_GIVEN: () => new errors.CorrectionAlreadyGiven(),
  CORRECTION_INCOMPLETE: () => new errors.CorrectionIncomplete('a missing material'),
  CORRECTION_NOT_NEEDED: () => new errors.CorrectionNotNeeded(),
  MATERIAL_NOT_REQUIRED: () => new errors.MaterialNotRequired('listed'),
  MATERIALS_MISSING: () => new errors.MaterialsMissing('required materials'),
  ACCEPTANCE_LIMIT_PASSED: () => new errors.AcceptanceLimitPassed(),
  CASE_PAUSED: () => new errors.CasePaused(),
  PAUSE_NOT_ALLOWED: () => new errors.PauseNotAllowed(),
  PAUSE_REASON_REQUIRED: () => new errors.PauseReasonRequired(),
  PAUSE_LIMIT_INVALID: () => new errors.PauseLimitInvalid(),
  DECISION_REASONS_REQUIRED: () => new errors.DecisionReasonsRequired(),
  OUTSIDE_DELEGATION: () => new errors.OutsideDelegation('no delegation covers it'),
  RATING_INVALID: () => new errors.RatingInvalid()
}
