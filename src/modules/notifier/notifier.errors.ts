import { createError } from '../../lib/errors.ts'

export const MessageNotFound = createError<'MESSAGE_NOT_FOUND', 404, [string]>('MESSAGE_NOT_FOUND', 'Message %s not found', 404)
/** No SMS gateway is configured (SMS_DRIVER=none): codes cannot be sent, so nothing that needs one starts. */
export const SmsUnavailable = createError('SMS_UNAVAILABLE', 'Text messages cannot be sent at present; ask the hall', 503)
