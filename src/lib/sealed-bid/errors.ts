import { createError } from '../errors.ts'

export const BidNotEncrypted = createError('BID_NOT_ENCRYPTED',
  'This upload is not a sealed bid. Bids must be encrypted before upload (Art. 26 of the electronic bidding measures): seal it with the OpenHall bidder client or the bid page', 400)
export const PackageMalformed = createError<'PACKAGE_MALFORMED', 400, [string]>('PACKAGE_MALFORMED', 'The sealed package is malformed: %s', 400)
export const PackageTampered = createError<'PACKAGE_TAMPERED', 422, [string]>('PACKAGE_TAMPERED', 'The sealed package has been altered: %s', 422)
export const ContentKeyWrong = createError('CONTENT_KEY_WRONG', 'The content key does not open this package', 422)
export const CommitmentMismatch = createError<'COMMITMENT_MISMATCH', 422, [string]>('COMMITMENT_MISMATCH', 'The opening fields do not match the commitment made before the deadline: %s', 422)
