import { createError } from '../../lib/errors.ts'

export const CaseNotFound = createError<'CASE_NOT_FOUND', 404, [string]>('CASE_NOT_FOUND', 'Case %s not found', 404)
export const CaseStateInvalid = createError<'CASE_STATE_INVALID', 409, [string, string]>('CASE_STATE_INVALID', 'The case is %s; it cannot move to %s', 409)
export const CorrectionAlreadyGiven = createError('CORRECTION_ALREADY_GIVEN', 'This case has already received its one correction notice (一次性告知)', 409)
export const CorrectionIncomplete = createError<'CORRECTION_INCOMPLETE', 422, [string]>('CORRECTION_INCOMPLETE', 'The notice must list every missing material; it leaves out %s', 422)
export const CorrectionNotNeeded = createError('CORRECTION_NOT_NEEDED', 'Nothing is missing: accept or refuse the application instead', 422)
export const MaterialNotRequired = createError<'MATERIAL_NOT_REQUIRED', 422, [string]>('MATERIAL_NOT_REQUIRED', 'The item does not ask for material %s', 422)
export const MaterialsMissing = createError<'MATERIALS_MISSING', 422, [string]>('MATERIALS_MISSING', 'Required materials are missing: %s; give the correction notice instead', 422)
/**
 * An online application left out required materials: the applicant learns at once which (the
 * window receives what is handed in and tells the applicant once, by the correction notice).
 * `details` names each missing material, so a form can mark its field.
 */
export class ApplicationMaterialsMissing extends createError<'APPLICATION_MATERIALS_MISSING', 422, [string]>('APPLICATION_MATERIALS_MISSING', 'The application lacks required materials: %s; hand them in with the application', 422) {
  readonly details: Array<{ path: string, message: string }>
  constructor (readonly missing: string[]) {
    super(missing.join(', '))
    this.details = missing.map((code) => ({ path: `/materials/${code}`, message: 'required material not handed in' }))
  }
}
export const MaterialUnknown = createError<'MATERIAL_UNKNOWN', 422, [string]>('MATERIAL_UNKNOWN', 'The item has no material %s', 422)
export const AcceptanceLimitPassed = createError('ACCEPTANCE_LIMIT_PASSED', 'The 5-working-day acceptance limit has passed: the case counts as accepted', 409)
export const CasePaused = createError('CASE_PAUSED', 'The clock of this case is paused; end the pause first', 409)
export const NotPaused = createError('CASE_NOT_PAUSED', 'The clock of this case is running', 409)
export const PauseNotAllowed = createError('PAUSE_NOT_ALLOWED', 'The clock is paused only while the case is in review', 409)
export const PauseReasonRequired = createError('PAUSE_REASON_REQUIRED', 'A pause states its reason', 422)
export const PauseLimitInvalid = createError('PAUSE_LIMIT_INVALID', 'A special procedure announces its length: a whole number of working days, at least 1', 422)
export const DecisionReasonsRequired = createError('DECISION_REASONS_REQUIRED', 'A denial states its reasons (Art. 38)', 422)
export const OutsideDelegation = createError<'OUTSIDE_DELEGATION', 403, [string]>('OUTSIDE_DELEGATION', 'The decision is outside your recorded delegation: %s', 403)
export const RefusalReasonsRequired = createError('REFUSAL_REASONS_REQUIRED', 'A refusal receipt states its reasons', 422)
export const SubtasksOpen = createError<'SUBTASKS_OPEN', 409, [string]>('SUBTASKS_OPEN', 'Participating departments have not answered: %s', 409)
export const SubtaskDeclined = createError('SUBTASK_DECLINED', 'A participating department declined: the case can only be denied', 409)
export const SubtaskNotFound = createError<'SUBTASK_NOT_FOUND', 404, [string]>('SUBTASK_NOT_FOUND', 'Sub-task of department %s not found', 404)
export const SubtaskSettled = createError('SUBTASK_SETTLED', 'This sub-task has been answered', 409)
export const SubtaskTakenOver = createError('SUBTASK_TAKEN_OVER', 'The hall has taken over the coordination of this sub-task', 409)
export const AwaitingPayment = createError<'CASE_AWAITING_PAYMENT', 409, [string]>('CASE_AWAITING_PAYMENT', 'The item requires its fees to be paid before the result is issued (payment code %s)', 409)
export const ResultSignatureInvalid = createError<'RESULT_SIGNATURE_INVALID', 422, [string]>('RESULT_SIGNATURE_INVALID', 'The result is not signed with the department\'s seal certificate: %s', 422)
export const ResultNotIssued = createError('RESULT_NOT_ISSUED', 'The result of this case has not been issued', 404)
export const QueryCodeWrong = createError('CASE_QUERY_FAILED', 'No case matches this number and query code', 404)
export const RatingNotOpen = createError('RATING_NOT_OPEN', 'A case is rated once, after it is closed', 409)
export const RatingInvalid = createError('RATING_INVALID', 'A rating is a whole number from 1 to 5, with a comment of at most 2000 characters', 400)
export const WindowNotServing = createError<'WINDOW_NOT_SERVING', 422, [string]>('WINDOW_NOT_SERVING', 'This window does not receive this item: %s', 422)
export const LetterNotFound = createError<'LETTER_NOT_FOUND', 404, [string]>('LETTER_NOT_FOUND', 'Supervision letter %s not found', 404)
export const LetterAnswered = createError('LETTER_ANSWERED', 'This supervision letter has been answered', 409)
export const RectificationNotFound = createError<'RECTIFICATION_NOT_FOUND', 404, [string]>('RECTIFICATION_NOT_FOUND', 'Rectification %s not found', 404)
export const RectificationDone = createError('RECTIFICATION_DONE', 'This rectification has been reported', 409)
export const CorrectionUnanswered = createError('CORRECTION_UNANSWERED', 'A correction pause ends when the applicant hands in the listed materials', 409)
export const NoCorrection = createError('NO_CORRECTION_PENDING', 'This case has no correction notice waiting for an answer', 409)
export const DocumentNotAvailable = createError<'CASE_DOCUMENT_NOT_AVAILABLE', 404, [string]>('CASE_DOCUMENT_NOT_AVAILABLE', 'This case has no %s', 404)
export const DeliveredByReceivingWindow = createError('DELIVERED_BY_RECEIVING_WINDOW', 'The result goes back through the window that received the case', 409)
export const StepNotYours = createError('CASE_STEP_NOT_YOURS', 'This step belongs to the department (or the window that received the case)', 403)
export const ApplicationInvalid = createError<'APPLICATION_INVALID', 400, [string]>('APPLICATION_INVALID', 'The application needs %s', 400)
