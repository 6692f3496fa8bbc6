import { Type, type Static } from 'typebox'
import { IsoDate, StrictObject, Timestamp } from '../../lib/http-schemas.ts'

export const ServerTimeSchema = Type.Object({
  now: Timestamp,
  epochMs: Type.Integer(),
  timeZone: Type.Literal('Asia/Shanghai'),
  today: IsoDate,
  workingDay: Type.Boolean()
})

export const CalendarDaySchema = Type.Object({
  date: IsoDate,
  kind: Type.Union([Type.Literal('holiday'), Type.Literal('workday')]),
  name: Type.String()
})

export const CalendarYearSchema = Type.Object({ year: Type.Integer(), days: Type.Array(CalendarDaySchema) })
export const YearParams = StrictObject({ year: Type.Integer({ minimum: 2000, maximum: 2100 }) })
export const DateParams = StrictObject({ date: IsoDate })

export const PutCalendarDaySchema = StrictObject({
  kind: Type.Union([Type.Literal('holiday'), Type.Literal('workday')]),
  name: Type.String({ minLength: 1, maxLength: 60 })
})
export type PutCalendarDay = Static<typeof PutCalendarDaySchema>

export const WorkingDaysQuery = StrictObject({
  from: IsoDate,
  days: Type.Optional(Type.Integer({ minimum: -3650, maximum: 3650, description: 'working days to add' })),
  to: Type.Optional(IsoDate)
})
export const WorkingDaysResultSchema = Type.Object({
  from: IsoDate,
  days: Type.Integer({ description: 'working days in (from, to]' }),
  to: IsoDate,
  provisional: Type.Boolean({ description: 'true when the period runs into a year without calendar data, whose weekdays were all counted as working days' }),
  yearsWithoutData: Type.Array(Type.Integer(), { description: 'the years of the period without calendar data' })
})

export const CalendarStatusSchema = Type.Object({
  today: IsoDate,
  years: Type.Array(Type.Integer(), { description: 'years with calendar data' }),
  currentYearMissing: Type.Boolean(),
  nextYear: Type.Integer(),
  nextYearMissing: Type.Boolean(),
  warnFrom: Type.String({ format: 'date', description: 'from this hall date a missing next year is warned about' }),
  warn: Type.Boolean({ description: 'a year the administrator must enter now (this year, or next year from warnFrom)' }),
  missing: Type.Array(Type.Integer(), { description: 'the years to enter now' })
})

const HolidayRangeSchema = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 60 }),
  from: IsoDate,
  to: IsoDate
})

/** The State Council notice as lists of dates: the shape of media/calendars/*.json. */
export const ImportCalendarYearSchema = StrictObject({
  holidays: Type.Array(HolidayRangeSchema, { minItems: 1, maxItems: 40 }),
  workdays: Type.Array(IsoDate, { maxItems: 40, description: 'make-up workdays (weekend days worked)' }),
  replace: Type.Optional(Type.Boolean({ description: 'replace a year that already has data (otherwise 409 CALENDAR_YEAR_HAS_DATA)' }))
})
export type ImportCalendarYear = Static<typeof ImportCalendarYearSchema>

export const ImportedYearSchema = Type.Object({
  year: Type.Integer(),
  holidays: Type.Integer({ description: 'holiday days entered' }),
  workdays: Type.Integer({ description: 'make-up workdays entered' }),
  replaced: Type.Integer({ description: 'days of the year removed first (replace: true)' }),
  days: Type.Array(CalendarDaySchema)
})
