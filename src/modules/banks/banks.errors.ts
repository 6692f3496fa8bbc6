import { createError } from '../../lib/errors.ts'

export const BankNotFound = createError<'BANK_NOT_FOUND', 404, [string]>('BANK_NOT_FOUND', 'Bank %s not found', 404)
export const BankCodeTaken = createError<'BANK_CODE_TAKEN', 409, [string]>('BANK_CODE_TAKEN', 'Bank code %s is already used', 409)
export const BankCertificateInvalid = createError<'BANK_CERTIFICATE_INVALID', 400, [string]>('BANK_CERTIFICATE_INVALID', 'The bank certificate is not usable: %s', 400)
/** One answer for an unknown bank, a missing or a wrong signature: a caller learns nothing more. */
export const BankSignatureInvalid = createError('BANK_SIGNATURE_INVALID', 'The request is not signed by a registered bank', 401)
export const BankRequestStale = createError<'BANK_REQUEST_STALE', 401, [number]>('BANK_REQUEST_STALE', 'The request timestamp is more than %d seconds away from the hall\'s time', 401)
export const BankRequestReplayed = createError('BANK_REQUEST_REPLAYED', 'This signed request was already received', 409)
export const BankUnknown = createError<'BANK_UNKNOWN', 422, [string]>('BANK_UNKNOWN', 'No active bank has the code %s', 422)
/** A bank transaction id is recorded once, whatever records it: a payment, a refund, a remittance. */
export const BankTransactionConflict = createError<'DUPLICATE_BANK_TRANSACTION', 409, [string]>('DUPLICATE_BANK_TRANSACTION', 'Bank transaction %s is already recorded', 409)
export const BankBodyInvalid = createError('BANK_BODY_INVALID', 'The request body is not JSON', 400)
