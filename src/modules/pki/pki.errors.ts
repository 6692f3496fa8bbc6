import { createError } from '../../lib/errors.ts'

export const CertificateNotFound = createError<'CERTIFICATE_NOT_FOUND', 404, [string]>('CERTIFICATE_NOT_FOUND', 'Certificate %s not found', 404)
export const CertificateAlreadyRevoked = createError('CERTIFICATE_ALREADY_REVOKED', 'The certificate is already revoked', 409)
export const CertificateAlreadyLinked = createError('CERTIFICATE_ALREADY_LINKED', 'This certificate is already linked to an account', 409)
export const CertificateNotLinked = createError('CERTIFICATE_NOT_LINKED', 'This certificate is valid but not linked to any OpenHall account; register it first', 401)
export const CertificateSubjectMismatch = createError<'CERTIFICATE_SUBJECT_MISMATCH', 422, [string]>('CERTIFICATE_SUBJECT_MISMATCH', '%s', 422)
export const ProfileMismatch = createError<'CERTIFICATE_PROFILE_MISMATCH', 400, [string]>('CERTIFICATE_PROFILE_MISMATCH', '%s', 400)
export const ChallengeInvalid = createError('CHALLENGE_INVALID', 'The sign-in challenge is unknown, used or expired; request a new one', 401)
export const ChallengeMismatch = createError('CHALLENGE_MISMATCH', 'The signature is not over the challenge that was issued', 401)
export const AuthorityNotFound = createError<'AUTHORITY_NOT_FOUND', 404, [string]>('AUTHORITY_NOT_FOUND', 'Trusted authority %s not found', 404)
export const NotACertificateAuthority = createError('NOT_A_CERTIFICATE_AUTHORITY', 'The certificate is not a CA certificate (basicConstraints CA:TRUE)', 400)
export const PemInvalid = createError<'PEM_INVALID', 400, [string]>('PEM_INVALID', 'Expected a PEM %s', 400)
