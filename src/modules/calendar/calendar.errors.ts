import { createError } from '../../lib/errors.ts'

export const CalendarDayNotFound = createError<'CALENDAR_DAY_NOT_FOUND', 404, [string]>('CALENDAR_DAY_NOT_FOUND', 'No holiday or make-up workday is recorded on %s', 404)
export const CalendarDayRedundant = createError<'CALENDAR_DAY_REDUNDANT', 400, [string]>('CALENDAR_DAY_REDUNDANT', '%s', 400)
