import { createError } from '../../lib/errors.ts'

export const EscrowNotFound = createError<'ESCROW_NOT_FOUND', 404, [string]>('ESCROW_NOT_FOUND', 'Escrow %s not found', 404)
export const EscrowNotYetOpen = createError<'ESCROW_NOT_YET_OPEN', 409, [string]>('ESCROW_NOT_YET_OPEN', 'The escrow key can only be reassembled after %s', 409)
export const EscrowQuorumNotMet = createError<'ESCROW_QUORUM_NOT_MET', 409, [number, number]>('ESCROW_QUORUM_NOT_MET', '%d of the required %d custodians have submitted their shares', 409)
export const EscrowShareInvalid = createError('ESCROW_SHARE_INVALID', 'This is not the share that was given to you', 422)
export const EscrowShareSubmitted = createError('ESCROW_SHARE_SUBMITTED', 'You have already submitted your share', 409)
export const EscrowParametersInvalid = createError<'ESCROW_PARAMETERS_INVALID', 400, [string]>('ESCROW_PARAMETERS_INVALID', '%s', 400)
export const CustodianWithoutCertificate = createError<'CUSTODIAN_WITHOUT_CERTIFICATE', 422, [string]>('CUSTODIAN_WITHOUT_CERTIFICATE', 'Custodian %s has no valid RSA certificate to receive a share', 422)
