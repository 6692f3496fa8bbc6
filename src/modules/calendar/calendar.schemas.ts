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
  to: IsoDate
})
