import { createError } from '../errors.ts'

export const CertificateUntrusted = createError<'CERTIFICATE_UNTRUSTED', 422, [string]>('CERTIFICATE_UNTRUSTED', 'The certificate does not chain to a trusted root: %s', 422)
export const CertificateExpired = createError<'CERTIFICATE_EXPIRED', 422, [string]>('CERTIFICATE_EXPIRED', 'The certificate %s has expired', 422)
export const CertificateNotYetValid = createError<'CERTIFICATE_NOT_YET_VALID', 422, [string]>('CERTIFICATE_NOT_YET_VALID', 'The certificate %s is not valid yet', 422)
export const CertificateRevoked = createError<'CERTIFICATE_REVOKED', 422, [string]>('CERTIFICATE_REVOKED', 'The certificate %s has been revoked', 422)
export const CertificateInvalid = createError<'CERTIFICATE_INVALID', 400, [string]>('CERTIFICATE_INVALID', 'The certificate is not acceptable: %s', 400)
export const CsrInvalid = createError<'CSR_INVALID', 400, [string]>('CSR_INVALID', 'The certificate signing request is not acceptable: %s', 400)
export const CrlInvalid = createError<'CRL_INVALID', 400, [string]>('CRL_INVALID', 'The certificate revocation list is not acceptable: %s', 400)
