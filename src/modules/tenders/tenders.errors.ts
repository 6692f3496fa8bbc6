import { createError } from '../../lib/errors.ts'

export const TenderNotFound = createError<'TENDER_NOT_FOUND', 404, [string]>('TENDER_NOT_FOUND', 'Tender %s not found', 404)
export const TenderStateInvalid = createError<'TENDER_STATE_INVALID', 409, [string, string]>('TENDER_STATE_INVALID', 'The tender is %s; %s', 409)
export const TenderInvalid = createError<'TENDER_INVALID', 422, [string]>('TENDER_INVALID', '%s', 422)
export const ProjectNotScheduled = createError('PROJECT_NOT_SCHEDULED', 'The project has no opening room booked for this tender: ask the hall to book a slot', 409)
export const DocumentsMissing = createError('TENDER_DOCUMENTS_MISSING', 'Upload the tender documents before publishing', 409)
export const DocumentNotFound = createError<'DOCUMENT_NOT_FOUND', 404, [string]>('DOCUMENT_NOT_FOUND', 'Document %s not found', 404)
export const DocumentPartMissing = createError<'DOCUMENT_PART_MISSING', 400, [string]>('DOCUMENT_PART_MISSING', 'The upload needs %s', 400)
export const FeeItemUnsuitable = createError<'FEE_ITEM_UNSUITABLE', 422, [string]>('FEE_ITEM_UNSUITABLE', '%s', 422)
export const SaleClosed = createError('DOCUMENT_SALE_CLOSED', 'The documents are not on sale now (outside the sale period, or the tender is not open)', 409)
export const NotRegistered = createError('NOT_REGISTERED', 'Obtain the tender documents first (register for the tender)', 409)
export const DocumentsNotPaid = createError('DOCUMENT_FEE_UNPAID', 'The document fee is not paid yet; downloads open when it is', 402)
export const ParticipationSecret = createError('PARTICIPATION_SECRET', 'Who obtained the documents, and how many did, stays secret until the bid deadline', 409)
export const QuestionNotFound = createError<'QUESTION_NOT_FOUND', 404, [string]>('QUESTION_NOT_FOUND', 'Question %s not found', 404)
export const QuestionAnswered = createError('QUESTION_ALREADY_ANSWERED', 'The question has been answered', 409)
export const ObjectionNotFound = createError<'OBJECTION_NOT_FOUND', 404, [string]>('OBJECTION_NOT_FOUND', 'Objection %s not found', 404)
export const ObjectionAnswered = createError('OBJECTION_ALREADY_ANSWERED', 'The objection has been answered', 409)
export const ObjectionTooLate = createError<'OBJECTION_TOO_LATE', 422, [string]>('OBJECTION_TOO_LATE', 'Objections to the documents are filed at least 10 days before the bid deadline (by %s)', 422)
export const DecryptionWindowTooShort = createError<'DECRYPTION_WINDOW_TOO_SHORT', 422, [number]>('DECRYPTION_WINDOW_TOO_SHORT', 'Mandatory tendering gives bidders a decryption window of at least %d minutes', 422)
export const DeadlineMayOnlyMoveLater = createError('DEADLINE_MAY_ONLY_MOVE_LATER', 'A new bid deadline must be later than the current one', 422)

/** A statutory timing rule that blocks (mandatory tendering); `details` lists every finding. */
export class TimingRuleViolated extends Error {
  readonly statusCode = 422
  readonly details: Array<{ path: string, message: string }>
  constructor (readonly code: string, message: string, findings: Array<{ rule: string, path: string, message: string }>) {
    super(message)
    this.details = findings.map((finding) => ({ path: finding.path, message: `${finding.rule}: ${finding.message}` }))
  }
}
