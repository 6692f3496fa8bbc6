import { createError } from '../../lib/errors.ts'

export const NoticeNotFound = createError<'NOTICE_NOT_FOUND', 404, [string]>('NOTICE_NOT_FOUND', 'Notice %s not found', 404)
export const NoticeAudienceEmpty = createError('NOTICE_AUDIENCE_EMPTY', 'A notice goes to the public, or to at least one role or account', 400)
export const NoticeWithdrawn = createError('NOTICE_WITHDRAWN', 'The notice was already withdrawn', 409)
