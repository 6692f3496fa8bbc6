import { createError } from '../../lib/errors.ts'

export const DepartmentNotFound = createError<'DEPARTMENT_NOT_FOUND', 404, [string]>('DEPARTMENT_NOT_FOUND', 'Department %s not found', 404)
export const WindowNotFound = createError<'WINDOW_NOT_FOUND', 404, [string]>('WINDOW_NOT_FOUND', 'Window %s not found', 404)
export const CodeTaken = createError<'CODE_TAKEN', 409, [string]>('CODE_TAKEN', 'Code "%s" is already in use', 409)
export const WindowDepartmentMismatch = createError<'WINDOW_DEPARTMENT_MISMATCH', 400, [string]>('WINDOW_DEPARTMENT_MISMATCH', '%s', 400)
export const ChiefRepNotGranted = createError<'CHIEF_REP_NOT_GRANTED', 422, [string]>('CHIEF_REP_NOT_GRANTED', 'Account %s holds no active chief representative (chief_rep) grant on this department', 422)
export const DelegationPeriodInvalid = createError<'DELEGATION_PERIOD_INVALID', 422, [string]>('DELEGATION_PERIOD_INVALID', 'The delegation period is invalid: %s', 422)
export const DelegationBackdated = createError<'DELEGATION_BACKDATED', 422, [string]>('DELEGATION_BACKDATED', 'A delegation cannot take effect before it is recorded (valid from %s)', 422)
export const DelegationOutOfOrder = createError<'DELEGATION_OUT_OF_ORDER', 409, [string]>('DELEGATION_OUT_OF_ORDER', 'A later delegation (valid from %s) is already recorded; a new one must start after it', 409)
export const DelegationItemUnknown = createError<'DELEGATION_ITEM_UNKNOWN', 422, [string]>('DELEGATION_ITEM_UNKNOWN', 'The department has no service item %s', 422)
