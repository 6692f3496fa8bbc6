import { createError, type CodedError } from '../../lib/errors.ts'

export const DrawingNotFound = createError<'DRAWING_NOT_FOUND', 404, [string]>('DRAWING_NOT_FOUND', 'Drawing %s not found', 404)
export const DrawingStateInvalid = createError<'DRAWING_STATE_INVALID', 409, [string, string]>('DRAWING_STATE_INVALID', 'The drawing is %s; %s', 409)
export const DrawingAlreadyLive = createError('DRAWING_ALREADY_LIVE', 'The tender already has a drawing under way; cancel it first (a failed, refused or cancelled one stays on record beside a new request)', 409)
export const DrawingTenderClosed = createError<'DRAWING_TENDER_CLOSED', 409, [string]>('DRAWING_TENDER_CLOSED', 'The tender is %s: experts are drawn for a published tender that is still under way', 409)
export const EvaluationTimeInvalid = createError<'DRAWING_EVALUATION_TIME_INVALID', 422, [string]>('DRAWING_EVALUATION_TIME_INVALID', '%s', 422)
export const SpecialtyUnknown = createError<'DRAWING_SPECIALTY_UNKNOWN', 422, [string]>('DRAWING_SPECIALTY_UNKNOWN', 'Specialty %s is not a level-3 specialty of the classification', 422)
export const DepartmentUnknown = createError<'DRAWING_DEPARTMENT_UNKNOWN', 422, [string]>('DRAWING_DEPARTMENT_UNKNOWN', 'Department %s does not exist', 422)
export const DrawTooEarly = createError<'DRAWING_TOO_EARLY', 409, [string]>('DRAWING_TOO_EARLY', 'The draw may run from %s (the configured lead time before the evaluation)', 409)
export const DrawingAlreadyDrawn = createError<'DRAWING_ALREADY_DRAWN', 409, [string]>('DRAWING_ALREADY_DRAWN', 'This request was drawn at %s with the nonce given then; a drawing is never run twice', 409)
export const NonceReused = createError('DRAWING_NONCE_REUSED', 'This nonce was already given for another drawing; give a fresh one', 409)
export const PublicationTooEarly = createError<'DRAWING_PUBLICATION_TOO_EARLY', 409, [string]>('DRAWING_PUBLICATION_TOO_EARLY', 'The list is published when the evaluation starts (%s)', 409)
export const ListSealed = createError('DRAWING_LIST_SEALED', 'The drawn list is sealed until the evaluation starts: only the supervisors see it', 403)
export const OfficialsOnly = createError('DRAWING_OFFICIALS_ONLY', 'Only the hall and the supervisors see the eligible pool', 403)
export const InvitationNotFound = createError<'DRAWING_INVITATION_NOT_FOUND', 404, [string]>('DRAWING_INVITATION_NOT_FOUND', 'You have no invitation of drawing %s', 404)
export const InvitationAnswered = createError<'DRAWING_INVITATION_ANSWERED', 409, [string]>('DRAWING_INVITATION_ANSWERED', 'This invitation is already %s', 409)
export const AnswerClosed = createError<'DRAWING_ANSWER_CLOSED', 409, [string]>('DRAWING_ANSWER_CLOSED', 'The time to answer ended at %s; a reserve has been or will be called', 409)

type Details = Array<{ path: string, message: string }>

/** A coded error that also says where (problem+json `errors`). */
function withDetails<E extends CodedError> (error: E, details: Details): E & { details: Details } {
  return Object.assign(error, { details })
}

const CommitteeInvalidBase = createError<'DRAWING_COMMITTEE_INVALID', 422, [string]>('DRAWING_COMMITTEE_INVALID', 'The request breaks the committee rules: %s', 422)
/** The committee rules broken, each named in `errors` (path, "rule: message"). */
export function committeeInvalid (findings: Array<{ rule: string, path: string, message: string }>) {
  return withDetails(new CommitteeInvalidBase(findings.map((finding) => finding.rule).join(', ')), findings.map((finding) => ({ path: finding.path, message: `${finding.rule}: ${finding.message}` })))
}

const PoolShortBase = createError<'DRAWING_POOL_SHORT', 422, [string]>('DRAWING_POOL_SHORT', 'Not enough eligible experts, nothing was drawn: %s', 422)
/** The lines short of eligible experts, each in `errors`; the drawing is recorded as failed. */
export function poolShort (shortfalls: Array<{ line: number, specialtyCode: string, eligible: number, needed: number, short: number }>) {
  return withDetails(
    new PoolShortBase(shortfalls.map((line) => `${line.specialtyCode} short by ${line.short}`).join('; ')),
    shortfalls.map((line) => ({ path: `/lines/${line.line}`, message: `${line.specialtyCode}: ${line.needed} needed (members and reserves), ${line.eligible} eligible; short by ${line.short}` }))
  )
}
