/**
 * Coded errors of the CMS library. 400s say the input cannot be read (or uses something this
 * library deliberately does not implement); 422s say it was read but does not hold up. Messages
 * name the structure or check that failed and never include key material or plaintext.
 */
import { createError } from '../errors.ts'

export const CmsMalformed = createError<'CMS_MALFORMED', 400, [string]>('CMS_MALFORMED', 'CMS structure is malformed: %s', 400)
export const CmsUnsupported = createError<'CMS_UNSUPPORTED', 400, [string]>('CMS_UNSUPPORTED', 'CMS feature is not supported: %s', 400)
export const SignatureInvalid = createError<'SIGNATURE_INVALID', 422, [string]>('SIGNATURE_INVALID', 'Signature is not valid: %s', 422)
export const NotARecipient = createError<'NOT_A_RECIPIENT', 422, [string]>('NOT_A_RECIPIENT', 'The certificate with serial %s is not among the recipients of this envelope', 422)
export const DecryptionFailed = createError<'DECRYPTION_FAILED', 422, [string]>('DECRYPTION_FAILED', 'The envelope could not be decrypted: %s', 422)
