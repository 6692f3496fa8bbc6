import { createError } from '../../lib/errors.ts'

export interface LineProblem { line: number, message: string }

/** The whole statement is refused: nothing of it is kept, so it can be corrected and sent again. */
export class StatementMalformed extends Error {
  readonly code = 'STATEMENT_MALFORMED'
  readonly statusCode = 422
  /** the first problems, as problem+json `errors` */
  readonly details: Array<{ path: string, message: string }>
  constructor (problems: LineProblem[], readonly problemCount: number) {
    super(`The statement has ${problemCount} malformed line(s); nothing was imported`)
    this.name = 'CodedError'
    this.details = problems.map((problem) => ({ path: `line ${problem.line}`, message: problem.message }))
  }
}

export const StatementNotFound = createError<'STATEMENT_NOT_FOUND', 404, [string]>('STATEMENT_NOT_FOUND', 'Bank statement %s not found', 404)
export const StatementAlreadyImported = createError<'STATEMENT_ALREADY_IMPORTED', 409, [string, string]>('STATEMENT_ALREADY_IMPORTED', 'The statement of bank %s for %s was already imported', 409)
export const StatementDateInvalid = createError('STATEMENT_DATE_INVALID', 'A statement covers a past or current day', 422)
export const ReconciliationItemNotFound = createError<'RECONCILIATION_ITEM_NOT_FOUND', 404, [string]>('RECONCILIATION_ITEM_NOT_FOUND', 'Reconciliation item %s not found', 404)
export const ReconciliationItemResolved = createError('RECONCILIATION_ITEM_RESOLVED', 'This difference was already resolved', 409)
export const ResolutionNotAllowed = createError<'RESOLUTION_NOT_ALLOWED', 422, [string, string]>('RESOLUTION_NOT_ALLOWED', 'A %s difference cannot be resolved by %s', 422)
export const SuspenseOfRecordedPayment = createError<'SUSPENSE_PAYMENT_RECORDED', 409, [string]>('SUSPENSE_PAYMENT_RECORDED', 'Bank transaction %s has been recorded as a payment since the import; acknowledge the difference instead', 409)
export const SuspenseOfPayableCredit = createError<'SUSPENSE_NOTICE_PAYABLE', 409, [string]>('SUSPENSE_NOTICE_PAYABLE', 'The credit can still pay notice %s: record the payment instead of parking the money in suspense', 409)
export const NothingToRemit = createError('NOTHING_TO_REMIT', 'Every payment up to this date is already remitted', 409)
export const RemittanceNotFound = createError<'REMITTANCE_NOT_FOUND', 404, [string]>('REMITTANCE_NOT_FOUND', 'Remittance batch %s not found', 404)
export const RemittanceConfirmed = createError('REMITTANCE_CONFIRMED', 'This remittance was already confirmed', 409)
export const StatementMediaType = createError('UNSUPPORTED_MEDIA_TYPE', 'Send the statement as text/csv', 415)
