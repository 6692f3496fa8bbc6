import { createError } from '../../lib/errors.ts'

export const BidderNotRecipient = createError('BIDDER_NOT_RECIPIENT', 'The package\'s key envelope is not addressed to the certificate that signed it: the bidder could not open its own bid', 422)
export const PackageChanged = createError('PACKAGE_CHANGED', 'The package is not the one anchored before the deadline (SHA-256 differs)', 422)
export const NonceReused = createError('NONCE_REUSED', 'This commitment nonce has been revealed before; nonces are single-use', 409)
export const SignerMismatch = createError('SIGNER_MISMATCH', 'The inner signature is not by the bidder who submitted the package', 422)
export const PackagePartMissing = createError<'PACKAGE_PART_MISSING', 400, [string]>('PACKAGE_PART_MISSING', 'The upload needs a %s part', 400)
export const RevealedNonceWrong = createError('REVEALED_NONCE_WRONG', 'The revealed nonce is not the one sealed in the package', 422)
