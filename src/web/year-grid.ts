/** A year as twelve month tables (Monday first) for the calendar page's figure. */
import { isWorkingDay, toWorkCalendar, type CalendarDay } from '../lib/working-days.ts'
import type { Language } from './i18n.ts'

export interface GridDay { day: number, kind: 'work' | 'rest' | 'holiday' | 'makeup', name?: string }

export function yearGrid (year: number, days: CalendarDay[], lang: Language) {
  const calendar = toWorkCalendar(days)
  const names = new Map(days.map((day) => [day.date, day.name]))
  const monthName = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { month: 'long', timeZone: 'UTC' })
  let workingDayCount = 0
  const months = []
  for (let month = 0; month < 12; month++) {
    const first = new Date(Date.UTC(year, month, 1))
    const length = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
    const weeks: Array<Array<GridDay | null>> = []
    let week: Array<GridDay | null> = Array.from({ length: (first.getUTCDay() + 6) % 7 }, () => null)
    for (let day = 1; day <= length; day++) {
      const date = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`
      const working = isWorkingDay(calendar, date)
      if (working) workingDayCount++
      const kind = calendar.holidays.has(date) ? 'holiday' : calendar.workdays.has(date) ? 'makeup' : working ? 'work' : 'rest'
      week.push({ day, kind, name: names.get(date) })
      if (week.length === 7) {
        weeks.push(week)
        week = []
      }
    }
    if (week.length > 0) weeks.push([...week, ...Array.from({ length: 7 - week.length }, () => null)])
    months.push({ label: monthName.format(first), weeks })
  }
  return { months, workingDayCount }
}
