import { createError } from '../../lib/errors.ts'

export const SessionNotFound = createError<'SESSION_NOT_FOUND', 404, [string]>('SESSION_NOT_FOUND', 'Session %s not found', 404)
