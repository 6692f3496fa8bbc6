/**
 * The working-day calendar as pure functions. Dates are ISO `YYYY-MM-DD` strings in the hall's
 * time zone (Asia/Shanghai, UTC+8, no daylight saving). A day is a working day when it is a
 * Monday–Friday that is not a holiday, or a weekend day listed as a make-up workday (调休).
 * Years without calendar data fall back to plain weekdays; the administrator enters each year, and
 * a result that ran through such a year is provisional (yearsWithoutData says which years).
 */
export interface WorkCalendar {
  holidays: ReadonlySet<string>
  workdays: ReadonlySet<string>
  /**
   * The years the administrator has entered. A year may hold data without any day of it in
   * the sets above only in theory, so when absent the years of the listed dates are taken.
   */
  years?: ReadonlySet<number>
}

const DAY_MS = 86_400_000
const SHANGHAI_OFFSET_MS = 8 * 3_600_000
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

export function isIsoDate (value: string): boolean {
  if (!ISO_DATE.test(value)) return false
  const time = Date.parse(`${value}T00:00:00Z`)
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value
}

/** Dates already parsed: the same few dates (a case's receipt, today) are asked about again and again. */
const dayNumbers = new Map<string, number>()
const DAY_NUMBERS_KEPT = 4096

function toDayNumber (date: string): number {
  let day = dayNumbers.get(date)
  if (day === undefined) {
    if (!isIsoDate(date)) throw new RangeError(`not an ISO date: ${date}`)
    day = Date.parse(`${date}T00:00:00Z`) / DAY_MS
    if (dayNumbers.size >= DAY_NUMBERS_KEPT) dayNumbers.clear()
    dayNumbers.set(date, day)
  }
  return day
}

function fromDayNumber (day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

export function addCalendarDays (date: string, days: number): string {
  return fromDayNumber(toDayNumber(date) + days)
}

export function isWorkingDay (calendar: WorkCalendar, date: string): boolean {
  return isWorkingDayNumber(calendar, toDayNumber(date))
}

/** A calendar's dates as day numbers, made once per calendar (calendars are replaced, never changed). */
const numberedCalendars = new WeakMap<WorkCalendar, { holidays: ReadonlySet<number>, workdays: ReadonlySet<number> }>()

function numbered (calendar: WorkCalendar): { holidays: ReadonlySet<number>, workdays: ReadonlySet<number> } {
  let days = numberedCalendars.get(calendar)
  if (!days) {
    days = { holidays: new Set([...calendar.holidays].map(toDayNumber)), workdays: new Set([...calendar.workdays].map(toDayNumber)) }
    numberedCalendars.set(calendar, days)
  }
  return days
}

/** The loops below walk day numbers, already validated: no date is parsed or formatted on the way. */
function isWorkingDayNumber (calendar: WorkCalendar, day: number): boolean {
  const { holidays, workdays } = numbered(calendar)
  if (holidays.has(day)) return false
  if (workdays.has(day)) return true
  const weekday = (((day + 4) % 7) + 7) % 7 // day 0, 1970-01-01, was a Thursday
  return weekday !== 0 && weekday !== 6
}

/** The first working day on or after `date`. */
export function nextWorkingDay (calendar: WorkCalendar, date: string): string {
  let day = toDayNumber(date)
  while (!isWorkingDayNumber(calendar, day)) day++
  return fromDayNumber(day)
}

/**
 * The last day of a period of `days` calendar days that starts with an event on `date`, as the
 * Civil Code counts it: the day of the event is not counted (Art. 201), and a period whose last
 * day is a rest day ends on the next working day (Art. 203).
 */
export function statutoryPeriodEnd (calendar: WorkCalendar, date: string, days: number): string {
  return nextWorkingDay(calendar, addCalendarDays(date, days))
}

/**
 * The date `count` working days after `date` (the start day itself is not counted, as in
 * "within 5 working days of acceptance"). Negative counts go backwards; zero returns `date`.
 */
export function addWorkingDays (calendar: WorkCalendar, date: string, count: number): string {
  if (!Number.isInteger(count)) throw new RangeError('working-day count must be an integer')
  let day = toDayNumber(date)
  const step = count < 0 ? -1 : 1
  for (let remaining = Math.abs(count); remaining > 0;) {
    day += step
    if (isWorkingDayNumber(calendar, day)) remaining--
  }
  return fromDayNumber(day)
}

/** Working days in (from, to]; negative when `to` is before `from`. */
export function workingDaysBetween (calendar: WorkCalendar, from: string, to: string): number {
  const start = toDayNumber(from)
  const end = toDayNumber(to)
  const [low, high, sign] = start <= end ? [start, end, 1] : [end, start, -1]
  let count = 0
  for (let day = low + 1; day <= high; day++) {
    if (isWorkingDayNumber(calendar, day)) count++
  }
  return count * sign
}

/** The hall's calendar date of an instant. */
export function shanghaiDate (instant: Date): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10)
}

/** The instant a hall day ends (the next day's 00:00 Asia/Shanghai): deadlines "by the end of day". */
export function endOfShanghaiDay (date: string): Date {
  return new Date((toDayNumber(date) + 1) * DAY_MS - SHANGHAI_OFFSET_MS)
}

export interface CalendarDay {
  date: string
  kind: 'holiday' | 'workday'
  name: string
}

export function toWorkCalendar (days: Iterable<CalendarDay>): WorkCalendar {
  const holidays = new Set<string>()
  const workdays = new Set<string>()
  const years = new Set<number>()
  for (const day of days) {
    (day.kind === 'holiday' ? holidays : workdays).add(day.date)
    years.add(Number(day.date.slice(0, 4)))
  }
  return { holidays, workdays, years }
}

/** The years with calendar data (any holiday or make-up workday entered), ascending. */
export function yearsWithData (calendar: WorkCalendar): number[] {
  const years = calendar.years ?? new Set([...calendar.holidays, ...calendar.workdays].map((date) => Number(date.slice(0, 4))))
  return [...years].sort((a, b) => a - b)
}

/**
 * The years between two dates (both included, either order) that have no calendar data: a
 * computation over that span counted their weekdays as working days, so its result is provisional.
 */
export function yearsWithoutData (calendar: WorkCalendar, from: string, to: string): number[] {
  const known = new Set(yearsWithData(calendar))
  const [low, high] = [toDayNumber(from), toDayNumber(to)].sort((a, b) => a - b) as [number, number]
  const missing: number[] = []
  for (let year = Number(fromDayNumber(low).slice(0, 4)); year <= Number(fromDayNumber(high).slice(0, 4)); year++) {
    if (!known.has(year)) missing.push(year)
  }
  return missing
}

/** Expands the published national calendar format (named holiday ranges + make-up workdays). */
export function expandPublishedCalendar (published: {
  holidays: Array<{ name: string, from: string, to: string }>
  workdays: string[]
}): CalendarDay[] {
  const days: CalendarDay[] = []
  for (const holiday of published.holidays) {
    for (let day = toDayNumber(holiday.from); day <= toDayNumber(holiday.to); day++) {
      days.push({ date: fromDayNumber(day), kind: 'holiday', name: holiday.name })
    }
  }
  for (const date of published.workdays) {
    const near = published.holidays.find((h) => Math.abs(toDayNumber(h.from) - toDayNumber(date)) <= 14)
    days.push({ date, kind: 'workday', name: near ? `${near.name} 调休` : '调休 make-up workday' })
  }
  return days
}
