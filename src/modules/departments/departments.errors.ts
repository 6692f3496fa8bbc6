import { createError } from '../../lib/errors.ts'

export const DepartmentNotFound = createError<'DEPARTMENT_NOT_FOUND', 404, [string]>('DEPARTMENT_NOT_FOUND', 'Department %s not found', 404)
export const WindowNotFound = createError<'WINDOW_NOT_FOUND', 404, [string]>('WINDOW_NOT_FOUND', 'Window %s not found', 404)
export const CodeTaken = createError<'CODE_TAKEN', 409, [string]>('CODE_TAKEN', 'Code "%s" is already in use', 409)
export const WindowDepartmentMismatch = createError<'WINDOW_DEPARTMENT_MISMATCH', 400, [string]>('WINDOW_DEPARTMENT_MISMATCH', '%s', 400)
