import { createError } from '../../lib/errors.ts'

export const FeeItemNotFound = createError<'FEE_ITEM_NOT_FOUND', 404, [string]>('FEE_ITEM_NOT_FOUND', 'Fee item %s not found', 404)
export const FeeVersionNotFound = createError<'FEE_VERSION_NOT_FOUND', 404, [string]>('FEE_VERSION_NOT_FOUND', 'Fee item version %s not found', 404)
export const FeeCodeTaken = createError<'FEE_CODE_TAKEN', 409, [string]>('FEE_CODE_TAKEN', 'Fee item code %s is already used', 409)
export const FeeDefinitionInvalid = createError<'FEE_DEFINITION_INVALID', 400, [string]>('FEE_DEFINITION_INVALID', 'The fee definition is invalid: %s', 400)
export const FeeVersionPending = createError('FEE_VERSION_PENDING', 'A proposed version of this fee item awaits a decision', 409)
export const FeeVersionDecided = createError('FEE_VERSION_DECIDED', 'This version was already approved or rejected', 409)
export const FeeSelfApproval = createError('FEE_SELF_APPROVAL', 'A fee version must be approved by someone other than its proposer', 409)
export const FeeVersionBackdated = createError<'FEE_VERSION_BACKDATED', 422, [string, string]>('FEE_VERSION_BACKDATED', 'A fee version starts today (%s) or later, never in the past (proposed from %s)', 422)
export const FeeVersionRetroactive = createError<'FEE_VERSION_RETROACTIVE', 409, [string]>('FEE_VERSION_RETROACTIVE', 'A fee version cannot take effect in the past (valid from %s)', 409)
export const FeeNotInForce = createError<'FEE_NOT_IN_FORCE', 422, [string, string]>('FEE_NOT_IN_FORCE', 'Fee item %s has no approved version in force on %s', 422)
export const FeeInputInvalid = createError<'FEE_INPUT_INVALID', 422, [string, string]>('FEE_INPUT_INVALID', 'Fee item %s: %s', 422)
