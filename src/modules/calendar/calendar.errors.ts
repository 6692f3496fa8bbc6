import { createError } from '../../lib/errors.ts'

export const CalendarDayNotFound = createError<'CALENDAR_DAY_NOT_FOUND', 404, [string]>('CALENDAR_DAY_NOT_FOUND', 'No holiday or make-up workday is recorded on %s', 404)
export const CalendarDayRedundant = createError<'CALENDAR_DAY_REDUNDANT', 400, [string]>('CALENDAR_DAY_REDUNDANT', '%s', 400)

// refusals of a year's import (POST /calendar/years/:year); the detail names the dates
export const CalendarDateOutsideYear = createError<'CALENDAR_DATE_OUTSIDE_YEAR', 422, [string]>('CALENDAR_DATE_OUTSIDE_YEAR', '%s', 422)
export const CalendarRangeReversed = createError<'CALENDAR_RANGE_REVERSED', 422, [string]>('CALENDAR_RANGE_REVERSED', '%s', 422)
export const CalendarHolidayEmpty = createError<'CALENDAR_HOLIDAY_EMPTY', 422, [string]>('CALENDAR_HOLIDAY_EMPTY', '%s', 422)
export const CalendarRangesOverlap = createError<'CALENDAR_RANGES_OVERLAP', 422, [string]>('CALENDAR_RANGES_OVERLAP', '%s', 422)
export const CalendarWorkdayNotWeekend = createError<'CALENDAR_WORKDAY_NOT_WEEKEND', 422, [string]>('CALENDAR_WORKDAY_NOT_WEEKEND', '%s', 422)
export const CalendarYearHasData = createError<'CALENDAR_YEAR_HAS_DATA', 409, [number]>(
  'CALENDAR_YEAR_HAS_DATA', '%d already has calendar data; send replace: true to replace the whole year', 409)

export const NOTICE_REFUSALS = {
  CALENDAR_DATE_OUTSIDE_YEAR: CalendarDateOutsideYear,
  CALENDAR_RANGE_REVERSED: CalendarRangeReversed,
  CALENDAR_HOLIDAY_EMPTY: CalendarHolidayEmpty,
  CALENDAR_RANGES_OVERLAP: CalendarRangesOverlap,
  CALENDAR_WORKDAY_NOT_WEEKEND: CalendarWorkdayNotWeekend
} as const
