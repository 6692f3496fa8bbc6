import { addCalendarDays, isIsoDate } from '../../lib/working-days.ts'

function isWeekend (date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay()
  return weekday === 0 || weekday === 6
}

/**
 * An exception must change something: a holiday on a weekend, or a make-up workday on a
 * weekday, would be a no-op and usually means the wrong date was typed.
 */
export function exceptionProblem (date: string, kind: 'holiday' | 'workday'): string | null {
  if (!isIsoDate(date)) return `"${date}" is not a calendar date`
  if (kind === 'workday' && !isWeekend(date)) return `${date} is already a weekday; a make-up workday falls on a weekend`
  return null
}

/** A year's holidays and make-up workdays as the State Council publishes them (media/calendars/*.json). */
export interface YearNotice {
  holidays: Array<{ name: string, from: string, to: string }>
  workdays: string[]
}

export type NoticeProblemCode =
  | 'CALENDAR_DATE_OUTSIDE_YEAR'
  | 'CALENDAR_RANGE_REVERSED'
  | 'CALENDAR_HOLIDAY_EMPTY'
  | 'CALENDAR_RANGES_OVERLAP'
  | 'CALENDAR_WORKDAY_NOT_WEEKEND'

/** `dates` are the dates at fault, for words in the reader's language */
export interface NoticeProblem { code: NoticeProblemCode, detail: string, dates: string[] }

/**
 * Why a year's notice cannot be entered as it stands, in the order a reader checks it: each
 * date in the year, each range forwards and resting at least one weekday (a range of weekend
 * days only changes nothing — "empty" — and means a typing error), no day listed twice (ranges
 * overlapping each other or a make-up workday), and make-up workdays on weekends. Empty: enter it.
 */
export function noticeProblems (year: number, notice: YearNotice): NoticeProblem[] {
  const problems: NoticeProblem[] = []
  const inYear = (date: string) => isIsoDate(date) && Number(date.slice(0, 4)) === year
  for (const date of [...notice.holidays.flatMap((h) => [h.from, h.to]), ...notice.workdays]) {
    if (!inYear(date)) problems.push({ code: 'CALENDAR_DATE_OUTSIDE_YEAR', detail: `${date} is not a date of ${year}`, dates: [date] })
  }
  if (problems.length > 0) return problems // the checks below walk the dates, which must be real ones of the year

  const listed = new Map<string, string>()
  for (const holiday of notice.holidays) {
    if (holiday.from > holiday.to) {
      problems.push({ code: 'CALENDAR_RANGE_REVERSED', detail: `${holiday.name}: ${holiday.from} is after ${holiday.to}`, dates: [holiday.from, holiday.to] })
      continue
    }
    let restsWeekday = false
    for (let date = holiday.from; date <= holiday.to; date = addCalendarDays(date, 1)) {
      if (!isWeekend(date)) restsWeekday = true
      const other = listed.get(date)
      if (other !== undefined) problems.push({ code: 'CALENDAR_RANGES_OVERLAP', detail: `${date} is in both ${other} and ${holiday.name}`, dates: [date] })
      listed.set(date, holiday.name)
    }
    if (!restsWeekday) problems.push({ code: 'CALENDAR_HOLIDAY_EMPTY', detail: `${holiday.name} (${holiday.from} to ${holiday.to}) rests no weekday`, dates: [holiday.from, holiday.to] })
  }
  for (const date of notice.workdays) {
    const other = listed.get(date)
    if (other !== undefined) problems.push({ code: 'CALENDAR_RANGES_OVERLAP', detail: `${date} is listed twice (${other} and a make-up workday)`, dates: [date] })
    listed.set(date, 'a make-up workday')
    if (!isWeekend(date)) problems.push({ code: 'CALENDAR_WORKDAY_NOT_WEEKEND', detail: `${date} is already a weekday; a make-up workday falls on a weekend`, dates: [date] })
  }
  return problems
}

export interface CalendarStatus {
  today: string
  years: number[]
  currentYearMissing: boolean
  nextYear: number
  nextYearMissing: boolean
  /** the hall date from which the administrator is warned that next year is missing */
  warnFrom: string
  /** true when the administrator must enter a year now: this year, or next year from warnFrom */
  warn: boolean
  /** the years to enter, for the warning's words */
  missing: number[]
}

/**
 * The State Council publishes next year's arrangement in late October or November; from
 * 1 November the administrator is reminded until it is entered, since deadlines computed from
 * December already run into the new year.
 */
export function calendarStatus (years: readonly number[], today: string): CalendarStatus {
  const year = Number(today.slice(0, 4))
  const nextYear = year + 1
  const warnFrom = `${year}-11-01`
  const currentYearMissing = !years.includes(year)
  const nextYearMissing = !years.includes(nextYear)
  const missing = [...(currentYearMissing ? [year] : []), ...(nextYearMissing && today >= warnFrom ? [nextYear] : [])]
  return { today, years: [...years], currentYearMissing, nextYear, nextYearMissing, warnFrom, warn: missing.length > 0, missing }
}
