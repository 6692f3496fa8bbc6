import { isIsoDate } from '../../lib/working-days.ts'

/**
 * An exception must change something: a holiday on a weekend, or a make-up workday on a
 * weekday, would be a no-op and usually means the wrong date was typed.
 */
export function exceptionProblem (date: string, kind: 'holiday' | 'workday'): string | null {
  if (!isIsoDate(date)) return `"${date}" is not a calendar date`
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay()
  const weekend = weekday === 0 || weekday === 6
  if (kind === 'workday' && !weekend) return `${date} is already a weekday; a make-up workday falls on a weekend`
  return null
}
