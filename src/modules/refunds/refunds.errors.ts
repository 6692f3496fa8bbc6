import { createError } from '../../lib/errors.ts'

export const RefundNotFound = createError<'REFUND_NOT_FOUND', 404, [string]>('REFUND_NOT_FOUND', 'Refund %s not found', 404)
export const NoticeNotRefundable = createError<'NOTICE_NOT_REFUNDABLE', 409, [string]>('NOTICE_NOT_REFUNDABLE', 'This notice cannot be refunded: %s', 409)
export const RefundExists = createError('REFUND_EXISTS', 'A refund of this notice already exists', 409)
export const RefundAccountMismatch = createError('REFUND_ACCOUNT_MISMATCH', 'A deposit is refunded only to the account it was paid from', 422)
export const RefundAlreadyPaid = createError('REFUND_ALREADY_PAID', 'This refund was already paid', 409)
export const RefundTriggerInFuture = createError('REFUND_TRIGGER_IN_FUTURE', 'The event that starts the refund clock cannot be in the future', 422)
