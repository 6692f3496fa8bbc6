/**
 * The State Council's holiday notice pasted as lines, turned into the import's lists of dates.
 * One line per holiday or per group of make-up workdays; blank lines and lines starting with #
 * are ignored:
 *
 *   元旦 2027-01-01 至 2027-01-03        a holiday: name, first day, 至 (or 到 ~ ～ - —), last day
 *   清明节 2027-04-05                     a one-day holiday
 *   调休上班 2027-02-07 2027-02-20        make-up workdays (also 上班 or 调休), any number of dates
 *
 * Dates may be written 2027-01-01, 2027/1/1, 2027.1.1 or 2027年1月1日. Whether the dates make a
 * sound year (inside it, no overlaps, workdays on weekends) is the import's check, not this one.
 */
import { isIsoDate } from '../lib/working-days.ts'

export interface ParsedNotice {
  holidays: Array<{ name: string, from: string, to: string }>
  workdays: string[]
}

export type NoticeLineProblemCode = 'unrecognised' | 'badDate' | 'noName' | 'nameTooLong'

export interface NoticeLineProblem {
  /** 1-based, as an editor counts lines */
  line: number
  text: string
  code: NoticeLineProblemCode
}

export type NoticeParse =
  | { ok: true, notice: ParsedNotice }
  | { ok: false, empty: boolean, problems: NoticeLineProblem[] }

const DATE = /(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?/g
const WORKDAY_KEYWORD = /^(?:调休上班|上班|调休)[\s:：]*/
const RANGE_SEPARATOR = /^\s*(?:至|到|~|～|-|—|–)\s*$/
const LIST_SEPARATOR = /^[\s,，、;；]*$/
const TRAILING = /^[\s。.;；,，]*$/
const NAME_TRIM = /^[\s:：]+|[\s:：]+$/g
const MAX_NAME = 60

interface DateMatch { date: string | null, start: number, end: number }

function datesIn (text: string): DateMatch[] {
  return [...text.matchAll(DATE)].map((match) => {
    const date = `${match[1]}-${match[2]!.padStart(2, '0')}-${match[3]!.padStart(2, '0')}`
    return { date: isIsoDate(date) ? date : null, start: match.index, end: match.index + match[0].length }
  })
}

/** Text between consecutive dates (and after the last) must all match `between` / TRAILING. */
function joinedBy (text: string, dates: DateMatch[], between: RegExp): boolean {
  for (let i = 1; i < dates.length; i++) {
    if (!between.test(text.slice(dates[i - 1]!.end, dates[i]!.start))) return false
  }
  return TRAILING.test(text.slice(dates.at(-1)!.end))
}

export function parseNoticeLines (text: string): NoticeParse {
  const notice: ParsedNotice = { holidays: [], workdays: [] }
  const problems: NoticeLineProblem[] = []
  let lines = 0
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    lines++
    const problem = (code: NoticeLineProblemCode) => problems.push({ line: index + 1, text: line, code })
    const keyword = WORKDAY_KEYWORD.exec(line)
    const body = keyword ? line.slice(keyword[0].length) : line
    const dates = datesIn(body)
    if (dates.length === 0) return problem('unrecognised')
    if (dates.some((match) => match.date === null)) return problem('badDate')

    if (keyword) {
      if (dates[0]!.start !== 0 || !joinedBy(body, dates, LIST_SEPARATOR)) return problem('unrecognised')
      notice.workdays.push(...dates.map((match) => match.date!))
      return
    }
    const name = line.slice(0, dates[0]!.start).replace(NAME_TRIM, '')
    if (name === '') return problem('noName')
    if ([...name].length > MAX_NAME) return problem('nameTooLong')
    if (dates.length > 2 || !joinedBy(line, dates, RANGE_SEPARATOR)) return problem('unrecognised')
    notice.holidays.push({ name, from: dates[0]!.date!, to: dates.at(-1)!.date! })
  })
  if (problems.length > 0 || lines === 0 || notice.holidays.length === 0) {
    return { ok: false, empty: problems.length === 0, problems }
  }
  return { ok: true, notice }
}
