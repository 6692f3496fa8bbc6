/**
 * Pure rules of the expert pool: dates in the hall's day (Asia/Shanghai), years of practice,
 * region and specialty codes, unavailable dates, employment changes, and the CSV import's row
 * checks. No I/O: the service supplies today's date and what the database knows.
 */
import { isValidCreditCode } from '../../lib/credit-code.ts'
import { addCalendarDays, isIsoDate, shanghaiDate } from '../../lib/working-days.ts'
import { USERNAME_PATTERN, normaliseUsername } from '../accounts/accounts.rules.ts'
import { MOBILE_PATTERN } from '../notifier/notifier.rules.ts'

export type ExpertTitle = 'senior' | 'associate_senior' | 'intermediate' | 'none'

/** The hall's year of an instant (experts' dates are hall dates: shanghaiDate in working-days.ts). */
export function beijingYear (now: Date): number {
  return Number(shanghaiDate(now).slice(0, 4))
}

/** The instants that begin and end (exclusive) the hall's calendar year of `now`, for counting this year's draws. */
export function beijingYearBounds (now: Date): { from: Date, to: Date } {
  const year = beijingYear(now)
  return { from: new Date(`${year}-01-01T00:00:00+08:00`), to: new Date(`${year + 1}-01-01T00:00:00+08:00`) }
}

/** Whole years since practice began, counted by calendar year (a practice begun this year is 0). */
export function yearsOfPractice (practiceSince: number, today: string): number {
  return Math.max(0, Number(today.slice(0, 4)) - practiceSince)
}

/** The earliest year of practice the pool accepts: nobody still judging bids began before it. */
export const EARLIEST_PRACTICE_YEAR = 1950

export function isPracticeYearValid (year: number, today: string): boolean {
  return Number.isInteger(year) && year >= EARLIEST_PRACTICE_YEAR && year <= Number(today.slice(0, 4))
}

/** First two digits of GB/T 2260 codes: the provinces, autonomous regions, municipalities and SARs. */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82'
])

/** A 6-digit administrative division code (行政区划代码) under a real province. */
export function isRegionCode (code: string): boolean {
  return /^[0-9]{6}$/.test(code) && PROVINCES.has(code.slice(0, 2))
}

export const SPECIALTY_CODE_PATTERN = '^[ABC][0-9]{2}([0-9]{2}([0-9]{2})?)?$'
const LEVEL_3 = /^[ABC][0-9]{6}$/

/** The level of a specialty code by its form: A01 → 1, A0102 → 2, A010203 → 3; null when not a code. */
export function specialtyLevel (code: string): 1 | 2 | 3 | null {
  if (!new RegExp(SPECIALTY_CODE_PATTERN).test(code)) return null
  return code.length === 3 ? 1 : code.length === 5 ? 2 : 3
}

export function isLevel3Specialty (code: string): boolean {
  return LEVEL_3.test(code)
}

/** Specialty codes from one cell or field: separated by ; ， 、 or spaces, upper-cased, each once. */
export function splitSpecialties (text: string): string[] {
  return [...new Set(text.split(/[;；,，、\s]+/).map((code) => code.trim().toUpperCase()).filter((code) => code.length > 0))]
}

export interface DateRange { fromDate: string, toDate: string }

export function rangesOverlap (a: DateRange, b: DateRange): boolean {
  return a.fromDate <= b.toDate && b.fromDate <= a.toDate
}

/** The latest day unavailability may be declared for: a year ahead (longer absences are a withdrawal). */
export function latestUnavailableDate (today: string): string {
  return addCalendarDays(today, 366)
}

export type UnavailabilityProblem =
  | { code: 'range' }
  | { code: 'past' }
  | { code: 'too_far', latest: string }
  | { code: 'overlaps', with: DateRange }

/** Why an expert may not declare these dates: not a range, in the past, too far ahead, or over dates already declared. */
export function unavailabilityProblem (range: DateRange, today: string, existing: readonly DateRange[]): UnavailabilityProblem | null {
  if (!isIsoDate(range.fromDate) || !isIsoDate(range.toDate) || range.toDate < range.fromDate) return { code: 'range' }
  if (range.fromDate < today) return { code: 'past' }
  const latest = latestUnavailableDate(today)
  if (range.toDate > latest) return { code: 'too_far', latest }
  const clash = existing.find((other) => rangesOverlap(range, other))
  return clash ? { code: 'overlaps', with: clash } : null
}

/**
 * A new employment starts after the current one began (the current one then ends the day
 * before) and at most a year ahead; with no current employment any date up to a year ahead.
 */
export function employmentStartValid (currentFrom: string | null, newFrom: string, today: string): boolean {
  if (!isIsoDate(newFrom) || newFrom > addCalendarDays(today, 366)) return false
  return currentFrom === null || newFrom > currentFrom
}

/** The day the current employment ends when a new one starts on `newFrom`. */
export function employmentEndBefore (newFrom: string): string {
  return addCalendarDays(newFrom, -1)
}

// ---------------------------------------------------------------------------------------------
// CSV import

/** The columns of the import file, by their Chinese header (English keys are accepted too). */
export const IMPORT_COLUMNS = [
  { key: 'fullName', header: '姓名', required: true },
  { key: 'phone', header: '手机号', required: true },
  { key: 'username', header: '登录名', required: true },
  { key: 'title', header: '职称', required: true },
  { key: 'practiceSince', header: '执业起始年份', required: true },
  { key: 'regionCode', header: '地区代码', required: true },
  { key: 'specialties', header: '专业代码', required: true },
  { key: 'organisationName', header: '工作单位', required: false },
  { key: 'creditCode', header: '统一社会信用代码', required: false },
  { key: 'employedFrom', header: '入职日期', required: false }
] as const
export type ImportColumn = typeof IMPORT_COLUMNS[number]['key']

/** 职称 as written in the file: the four levels of professional title. */
export const TITLE_WORDS: Record<string, ExpertTitle> = {
  正高级: 'senior',
  正高: 'senior',
  高级: 'senior',
  副高级: 'associate_senior',
  副高: 'associate_senior',
  中级: 'intermediate',
  无: 'none',
  初级: 'none',
  其他: 'none'
}

export const MAX_IMPORT_ROWS = 5000
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024
const MAX_NAME = 100
const MAX_ORGANISATION = 200

/** Where each column sits in the file, or what is wrong with the header line. */
export function readImportHeader (fields: readonly string[]): { columns: Record<ImportColumn, number> } | { problem: string } {
  const columns: Partial<Record<ImportColumn, number>> = {}
  for (const [index, raw] of fields.entries()) {
    const name = raw.trim()
    const column = IMPORT_COLUMNS.find((candidate) => candidate.header === name || candidate.key === name)
    if (!column) return { problem: `unknown column "${name.slice(0, 40)}"` }
    if (columns[column.key] !== undefined) return { problem: `column "${column.header}" appears twice` }
    columns[column.key] = index
  }
  const missing = IMPORT_COLUMNS.filter((column) => columns[column.key] === undefined && column.required)
  if (missing.length > 0) return { problem: `missing column(s): ${missing.map((column) => column.header).join(', ')}` }
  const employer = IMPORT_COLUMNS.filter((column) => !column.required)
  const present = employer.filter((column) => columns[column.key] !== undefined)
  if (present.length > 0 && present.length < employer.length) return { problem: `the employer columns come together: ${employer.map((column) => column.header).join(', ')}` }
  return { columns: columns as Record<ImportColumn, number> }
}

export interface ImportRow {
  /** the line of the file the row starts on (the header is line 1) */
  line: number
  fullName: string
  phone: string
  username: string
  title: ExpertTitle
  practiceSince: number
  regionCode: string
  specialties: string[]
  employment: { organisationName: string, creditCode: string, fromDate: string } | null
}

export type RowProblemCode =
  | 'REQUIRED' | 'TOO_LONG' | 'COLUMN_COUNT' | 'MALFORMED'
  | 'USERNAME_INVALID' | 'USERNAME_DUPLICATE' | 'USERNAME_TAKEN' | 'ACCOUNT_IS_EXPERT'
  | 'PHONE_INVALID' | 'TITLE_UNKNOWN' | 'PRACTICE_YEAR_INVALID' | 'REGION_CODE_INVALID'
  | 'SPECIALTY_INVALID' | 'SPECIALTY_UNKNOWN' | 'CREDIT_CODE_INVALID' | 'DATE_INVALID' | 'DATE_IN_FUTURE' | 'EMPLOYER_INCOMPLETE'

export interface RowProblem { row: number, field: ImportColumn | 'row', code: RowProblemCode, message: string }

const PROBLEM_MESSAGES: Record<RowProblemCode, string> = {
  REQUIRED: 'is required',
  TOO_LONG: 'is too long',
  COLUMN_COUNT: 'has a different number of fields than the header',
  MALFORMED: 'is not valid CSV',
  USERNAME_INVALID: 'must be 3–64 lower case letters, digits, _ . - starting with a letter',
  USERNAME_DUPLICATE: 'appears on an earlier row of the file',
  USERNAME_TAKEN: 'is taken by another account',
  ACCOUNT_IS_EXPERT: 'already belongs to an expert',
  PHONE_INVALID: 'must be an 11-digit mainland mobile number',
  TITLE_UNKNOWN: `must be one of ${Object.keys(TITLE_WORDS).join(', ')}`,
  PRACTICE_YEAR_INVALID: `must be a year from ${EARLIEST_PRACTICE_YEAR} to this year`,
  REGION_CODE_INVALID: 'must be a 6-digit administrative division code',
  SPECIALTY_INVALID: 'must be level-3 codes such as A010101, separated by semicolons',
  SPECIALTY_UNKNOWN: 'names a code that is not in the classification',
  CREDIT_CODE_INVALID: 'is not a valid unified social credit code',
  DATE_INVALID: 'must be a date written YYYY-MM-DD',
  DATE_IN_FUTURE: 'must not be after today',
  EMPLOYER_INCOMPLETE: 'the employer, its credit code and the start date come together'
}

export function rowProblem (row: number, field: RowProblem['field'], code: RowProblemCode, detail?: string): RowProblem {
  return { row, field, code, message: `${field} ${PROBLEM_MESSAGES[code]}${detail ? ` (${detail})` : ''}` }
}

/**
 * One data row of the file, checked on its own (the database's checks — known specialties,
 * names taken — and the file's duplicates come after). Returns the row or its problems.
 */
export function validateImportRow (
  line: number, fields: readonly string[], columns: Record<ImportColumn, number>, headerLength: number, today: string
): { row: ImportRow } | { problems: RowProblem[] } {
  if (fields.length !== headerLength) return { problems: [rowProblem(line, 'row', 'COLUMN_COUNT', `${fields.length} instead of ${headerLength}`)] }
  const problems: RowProblem[] = []
  const cell = (key: ImportColumn) => columns[key] === undefined ? '' : (fields[columns[key]] ?? '').trim()
  const required = (key: ImportColumn, max = 100): string => {
    const value = cell(key)
    if (value === '') problems.push(rowProblem(line, key, 'REQUIRED'))
    else if (value.length > max) problems.push(rowProblem(line, key, 'TOO_LONG'))
    return value
  }

  const fullName = required('fullName', MAX_NAME)
  const phone = required('phone')
  if (phone !== '' && !new RegExp(MOBILE_PATTERN).test(phone)) problems.push(rowProblem(line, 'phone', 'PHONE_INVALID'))
  const username = normaliseUsername(required('username'))
  if (username !== '' && !new RegExp(USERNAME_PATTERN).test(username)) problems.push(rowProblem(line, 'username', 'USERNAME_INVALID'))
  const titleWord = required('title')
  const title = TITLE_WORDS[titleWord]
  if (titleWord !== '' && !title) problems.push(rowProblem(line, 'title', 'TITLE_UNKNOWN'))
  const yearText = required('practiceSince')
  const practiceSince = Number(yearText)
  if (yearText !== '' && (!/^[0-9]{4}$/.test(yearText) || !isPracticeYearValid(practiceSince, today))) problems.push(rowProblem(line, 'practiceSince', 'PRACTICE_YEAR_INVALID'))
  const regionCode = required('regionCode')
  if (regionCode !== '' && !isRegionCode(regionCode)) problems.push(rowProblem(line, 'regionCode', 'REGION_CODE_INVALID'))
  const specialtyText = required('specialties', 400)
  const specialties = splitSpecialties(specialtyText)
  const notLevel3 = specialties.filter((code) => !isLevel3Specialty(code))
  if (specialtyText !== '' && (specialties.length === 0 || notLevel3.length > 0)) problems.push(rowProblem(line, 'specialties', 'SPECIALTY_INVALID', notLevel3.join(' ').slice(0, 60)))

  let employment: ImportRow['employment'] = null
  const organisationName = cell('organisationName')
  const creditCode = cell('creditCode').toUpperCase()
  const fromDate = cell('employedFrom')
  const given = [organisationName, creditCode, fromDate].filter((value) => value !== '').length
  if (given > 0 && given < 3) {
    problems.push(rowProblem(line, organisationName === '' ? 'organisationName' : creditCode === '' ? 'creditCode' : 'employedFrom', 'EMPLOYER_INCOMPLETE'))
  } else if (given === 3) {
    if (organisationName.length > MAX_ORGANISATION) problems.push(rowProblem(line, 'organisationName', 'TOO_LONG'))
    if (!isValidCreditCode(creditCode)) problems.push(rowProblem(line, 'creditCode', 'CREDIT_CODE_INVALID'))
    if (!isIsoDate(fromDate)) problems.push(rowProblem(line, 'employedFrom', 'DATE_INVALID'))
    else if (fromDate > today) problems.push(rowProblem(line, 'employedFrom', 'DATE_IN_FUTURE'))
    employment = { organisationName, creditCode, fromDate }
  }
  if (problems.length > 0) return { problems }
  return { row: { line, fullName, phone, username, title: title!, practiceSince, regionCode, specialties, employment } }
}

/**
 * The login name and level-3 specialty codes a row names, read even from a row with other
 * mistakes, so the database's checks report on every row at once.
 */
export function rowReferences (fields: readonly string[], columns: Record<ImportColumn, number>): { username: string | null, specialties: string[] } {
  const username = normaliseUsername(fields[columns.username] ?? '')
  return {
    username: new RegExp(USERNAME_PATTERN).test(username) ? username : null,
    specialties: splitSpecialties(fields[columns.specialties] ?? '').filter(isLevel3Specialty)
  }
}

/** A login name on a later row of the same file is a mistake of the file, reported on that row. */
export function duplicateUsernames (rows: ReadonlyArray<{ line: number, username: string | null }>): RowProblem[] {
  const seen = new Map<string, number>()
  const problems: RowProblem[] = []
  for (const row of rows) {
    if (row.username === null) continue
    const first = seen.get(row.username)
    if (first !== undefined) problems.push(rowProblem(row.line, 'username', 'USERNAME_DUPLICATE', `line ${first}`))
    else seen.set(row.username, row.line)
  }
  return problems
}

/** Problems sorted as a person reads the file: by line, then by column order. */
export function sortProblems (problems: readonly RowProblem[]): RowProblem[] {
  const order = (field: RowProblem['field']) => field === 'row' ? -1 : IMPORT_COLUMNS.findIndex((column) => column.key === field)
  return [...problems].sort((a, b) => a.row - b.row || order(a.field) - order(b.field))
}

/** 专家证号: ZJ- and six digits, numbered in the order experts joined. */
export function expertCode (sequence: number): string {
  return `ZJ-${String(sequence).padStart(6, '0')}`
}
