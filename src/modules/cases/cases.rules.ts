/**
 * Pure rules of an approval case (办件): its state machine, the acceptance limit, the promised
 * time limit and the pauses that stop its clock, the supervision colours, the chief
 * representative's delegation, rectification after a bad rating, and the case number and query
 * code printed on the receipts.
 *
 *   submitted → accepted | refused | correction
 *   correction → submitted (the corrected materials arrive: a new acceptance decision is due)
 *              | accepted (the clerk accepts them on the spot)
 *   accepted → review → decided (approve, or deny with reasons) → result_issued → delivered → closed
 *   withdrawn: by the applicant from any open state, i.e. before the decision
 *
 * Special procedures (hearing, testing, appraisal, expert review) and a correction asked for
 * during review are pauses — a flag with a reason and a limit — not states: the case stays in
 * review while its clock stands still. A case receives one correction notice in its whole life
 * (一次性告知), at acceptance or in review, never a second one.
 *
 * The Administrative Licensing Law (行政许可法) counts its periods in working days (Art. 82), on
 * the hall's calendar (lib/working-days.ts) and the way addWorkingDays counts "within N working
 * days of": the day of the event is not counted, and the period ends with the end of its last
 * working day, Asia/Shanghai.
 */
import {
  addCalendarDays, addWorkingDays, endOfShanghaiDay, isIsoDate, isWorkingDay, shanghaiDate, workingDaysBetween, type WorkCalendar
} from '../../lib/working-days.ts'

export const CASE_STATES = [
  'submitted', 'correction', 'accepted', 'refused', 'review', 'decided', 'result_issued', 'delivered', 'closed', 'withdrawn'
] as const
export type CaseState = typeof CASE_STATES[number]

export const CASE_TRANSITIONS: Record<CaseState, readonly CaseState[]> = {
  submitted: ['accepted', 'refused', 'correction', 'withdrawn'],
  correction: ['submitted', 'accepted', 'withdrawn'],
  accepted: ['review', 'withdrawn'],
  review: ['decided', 'withdrawn'],
  // once decided the case is the department's act: the applicant can no longer withdraw it
  decided: ['result_issued'],
  result_issued: ['delivered'],
  delivered: ['closed'],
  refused: [],
  closed: [],
  withdrawn: []
}

/** The states an applicant may withdraw from. */
export const OPEN_STATES: readonly CaseState[] = ['submitted', 'correction', 'accepted', 'review']

/** The states whose promised clock runs and is supervised: the limit covers handling up to the decision (办结). */
export const SUPERVISED_STATES: readonly CaseState[] = ['accepted', 'review']

export function canMove (from: CaseState, to: CaseState): boolean {
  return CASE_TRANSITIONS[from].includes(to)
}

/** The codes a cases service raises (cases.errors.ts gives each a title and status). */
export const CASE_ERROR_CODES = [
  'CASE_STATE_INVALID', // the move is not in CASE_TRANSITIONS
  'CORRECTION_ALREADY_GIVEN', // 一次性告知: one correction notice per case, ever
  'CORRECTION_INCOMPLETE', // before acceptance, the notice leaves out a missing material
  'CORRECTION_NOT_NEEDED', // the notice lists nothing (before acceptance: nothing is missing; accept or refuse instead)
  'MATERIAL_NOT_REQUIRED', // the notice asks for a material the item does not ask for, or (before acceptance) an optional one not handed in (Art. 31)
  'MATERIALS_MISSING', // accepting while a required material is missing
  'ACCEPTANCE_LIMIT_PASSED', // refusing or asking for a correction after the acceptance limit
  'CASE_PAUSED', // deciding while the clock is paused
  'PAUSE_NOT_ALLOWED', // pausing a case that is not in review
  'PAUSE_REASON_REQUIRED',
  'PAUSE_LIMIT_INVALID',
  'DECISION_REASONS_REQUIRED', // a denial states its reasons (Art. 38)
  'OUTSIDE_DELEGATION', // the chief representative holds no delegation for this decision now
  'RATING_INVALID'
] as const
export type CaseErrorCode = typeof CASE_ERROR_CODES[number]

export interface CaseFacts {
  state: CaseState
  /** a correction notice was given, at acceptance or in review */
  correctionGiven: boolean
  /** some pause of the clock is in progress */
  paused: boolean
}

/** Why a case may not move to `to`, or null. */
export function moveProblem (facts: CaseFacts, to: CaseState): CaseErrorCode | null {
  if (!canMove(facts.state, to)) return 'CASE_STATE_INVALID'
  // after the answer the case is `submitted` again, and `submitted → correction` is in the table
  if (to === 'correction' && facts.correctionGiven) return 'CORRECTION_ALREADY_GIVEN'
  if (to === 'decided' && facts.paused) return 'CASE_PAUSED'
  return null
}

/** Required materials (by code) that were not provided, in the item's order. */
export function missingMaterials (required: readonly string[], provided: readonly string[]): string[] {
  return required.filter((code) => !provided.includes(code))
}

/**
 * Required materials an application lacks when it is filed, by code in the item's order. Online
 * the applicant hands in every required material: the form names each one, so nothing is left
 * for a correction notice to ask for. At a window the clerk registers what the applicant brought;
 * what is missing goes on the one correction notice (Art. 32: received, then told once), so a
 * window filing lacks nothing here.
 */
export function missingAtFiling (channel: 'online' | 'window', required: readonly string[], provided: readonly string[]): string[] {
  return channel === 'online' ? missingMaterials(required, provided) : []
}

/** Where a correction notice is given: before acceptance (the case returns to the applicant) or in review (its clock pauses). */
export type CorrectionStage = 'acceptance' | 'review'

export interface CorrectionNotice {
  stage: CorrectionStage
  /** the item's materials, in its order */
  materials: ReadonlyArray<{ code: string, required: boolean }>
  /** the codes handed in so far */
  provided: readonly string[]
  listed: readonly string[]
}

/**
 * What the one correction notice (一次性告知) must list and what it may list, by code in the item's
 * order. Before acceptance it tells the applicant everything at once: every missing required
 * material, plus any provided one that is not in the legal form (Art. 32(4)). In review the
 * application was complete when accepted: the notice lists the materials found at fault, any of
 * the item's. Never a material the item does not ask for (Art. 31).
 */
export function correctionNoticeBounds (notice: Omit<CorrectionNotice, 'listed'>): { must: string[], may: string[] } {
  const codes = notice.materials.map((material) => material.code)
  if (notice.stage === 'review') return { must: [], may: codes }
  const must = missingMaterials(notice.materials.filter((material) => material.required).map((material) => material.code), notice.provided)
  return { must, may: codes.filter((code) => must.includes(code) || notice.provided.includes(code)) }
}

export function correctionNoticeProblem (notice: CorrectionNotice): CaseErrorCode | null {
  const { must, may } = correctionNoticeBounds(notice)
  if (notice.listed.some((code) => !may.includes(code))) return 'MATERIAL_NOT_REQUIRED'
  if (must.some((code) => !notice.listed.includes(code))) return 'CORRECTION_INCOMPLETE'
  // a notice that asks for nothing corrects nothing
  if (notice.listed.length === 0) return 'CORRECTION_NOT_NEEDED'
  return null
}

/** An application is answered within 5 working days: accepted, refused or given its correction notice (Art. 32). */
export const ACCEPTANCE_LIMIT_WORKING_DAYS = 5

/**
 * The end of the acceptance limit of materials received at `submittedAt`. Corrected materials are
 * received anew: their `submittedAt` is the instant the answer arrived, and a fresh limit runs
 * (a second notice is refused, so that limit is for accepting or refusing).
 */
export function acceptanceLimitEndsAt (calendar: WorkCalendar, submittedAt: Date): Date {
  return endOfShanghaiDay(addWorkingDays(calendar, shanghaiDate(submittedAt), ACCEPTANCE_LIMIT_WORKING_DAYS))
}

export interface DeemedAcceptance {
  /** the instant silence turned into acceptance: the end of the acceptance limit */
  deemedAt: Date
  /** the promised clock runs from the receipt of the materials (Art. 32: 自收到申请材料之日起即为受理) */
  clockStartsAt: Date
}

/** A submitted case nobody answered in time is accepted by law; null while the limit runs. */
export function deemedAcceptance (calendar: WorkCalendar, submittedAt: Date, now: Date): DeemedAcceptance | null {
  const deemedAt = acceptanceLimitEndsAt(calendar, submittedAt)
  return now.getTime() >= deemedAt.getTime() ? { deemedAt, clockStartsAt: submittedAt } : null
}

/**
 * After the limit the case is already accepted: it can no longer be refused or sent back for
 * correction (a later objection to it is a denial after review). Accepting stays possible.
 */
export function acceptanceLimitProblem (calendar: WorkCalendar, submittedAt: Date, to: CaseState, now: Date): CaseErrorCode | null {
  if (to !== 'refused' && to !== 'correction') return null
  return deemedAcceptance(calendar, submittedAt, now) ? 'ACCEPTANCE_LIMIT_PASSED' : null
}

/**
 * When the promised clock starts: at acceptance, or at the receipt of the materials when the
 * acceptance came after the limit — a late acceptance must not give the department extra days.
 */
export function promisedClockStartsAt (calendar: WorkCalendar, submittedAt: Date, acceptedAt: Date): Date {
  return acceptedAt.getTime() >= acceptanceLimitEndsAt(calendar, submittedAt).getTime() ? submittedAt : acceptedAt
}

/** Procedures whose time is not counted in the limit (Art. 45); the applicant is told how long they take. */
export const SPECIAL_PROCEDURES = ['hearing', 'testing', 'appraisal', 'expert_review'] as const
export type SpecialProcedure = typeof SPECIAL_PROCEDURES[number]
export type PauseKind = 'correction' | SpecialProcedure

/**
 * A stop of the clock. `to` is null while it lasts. `limitWorkingDays` caps the working days it
 * may take out of the limit: past the period announced to the applicant the clock runs again,
 * so a procedure cannot hold a case indefinitely. Null means no cap (the applicant's own
 * correction: the department waits for the applicant).
 */
export interface ClockPause {
  from: Date
  to: Date | null
  limitWorkingDays?: number | null
}

export interface CaseClock {
  /** the start of the promised clock (promisedClockStartsAt) */
  acceptedAt: Date
  /** the item's promised limit; 0 for an instant case (即办件), due the same working day */
  promisedWorkingDays: number
  pauses: readonly ClockPause[]
}

/**
 * The working days a set of pauses takes out of the clock. A pause covers the working days from
 * the day it starts up to, not including, the day it ends: on its first day the department lost
 * its working time, on its last day the case is back and the clock runs. So a pause from Thursday
 * to the next Tuesday covers Thursday, Friday and Monday; weekends and holidays inside it cover
 * nothing, because the clock never counted them; a pause that starts and ends the same day covers
 * nothing. Overlapping pauses (a hearing during a test) count each day once. With `asOf` the
 * pauses are taken as known then: an open one, or one ending later, counts as if it ended at `asOf`.
 */
export function pausedWorkingDays (calendar: WorkCalendar, pauses: readonly ClockPause[], asOf?: Date): Set<string> {
  const days = new Set<string>()
  for (const pause of pauses) {
    if (pause.to && pause.to.getTime() < pause.from.getTime()) throw new RangeError('a pause cannot end before it starts')
    const end = pause.to && asOf ? new Date(Math.min(pause.to.getTime(), asOf.getTime())) : pause.to ?? asOf
    if (!end) throw new RangeError('an open pause is counted up to an instant: pass asOf')
    const cap = pause.limitWorkingDays ?? null
    if (cap !== null && (!Number.isInteger(cap) || cap < 0)) throw new RangeError('a pause limit is a whole number of working days')
    const limit = cap ?? Number.POSITIVE_INFINITY
    const lastDay = shanghaiDate(end)
    let covered = 0
    for (let day = shanghaiDate(pause.from); day < lastDay && covered < limit; day = addCalendarDays(day, 1)) {
      if (isWorkingDay(calendar, day)) {
        days.add(day)
        covered++
      }
    }
  }
  return days
}

/**
 * The instant a case is due: the end of the N-th working day after acceptance on which the clock
 * ran, i.e. the promised limit with every paused working day added back. Pauses therefore extend
 * the due only by the working days they actually took; a pause that starts after the due lies
 * beyond the N-th running day and changes nothing — a case already late is not rescued by a
 * hearing opened afterwards. The days before the clock starts (a correction at acceptance) are
 * never counted, so they add nothing either. An instant case is due at the end of the day it is
 * accepted (the next working day when that is a rest day).
 */
export function caseDueAt (calendar: WorkCalendar, clock: CaseClock, asOf?: Date): Date {
  const promised = clock.promisedWorkingDays
  if (!Number.isInteger(promised) || promised < 0) throw new RangeError('a promised limit is a whole number of working days')
  const paused = pausedWorkingDays(calendar, clock.pauses, asOf)
  const accepted = shanghaiDate(clock.acceptedAt)
  // an instant case counts its acceptance day; a promised one starts counting the day after
  let day = promised === 0 ? addCalendarDays(accepted, -1) : accepted
  for (let running = 0; running < Math.max(promised, 1);) {
    day = addCalendarDays(day, 1)
    if (isWorkingDay(calendar, day) && !paused.has(day)) running++
  }
  return endOfShanghaiDay(day)
}

export type SupervisionColour = 'green' | 'yellow' | 'red'

/** Yellow this many working days before the due unless the item sets its own. */
export const DEFAULT_WARNING_WORKING_DAYS = 2

/**
 * Working days still to come after today, up to and including the due day: 0 on the due day
 * itself, negative once it has passed. Today is left out because it is already under way.
 */
export function workingDaysLeft (calendar: WorkCalendar, now: Date, dueAt: Date): number {
  // the due instant ends a hall day; the day it ends is the one before it
  return workingDaysBetween(calendar, shanghaiDate(now), shanghaiDate(new Date(dueAt.getTime() - 1)))
}

/** Red from the due instant on; yellow while at most `warningWorkingDays` working days are left; green before. */
export function supervisionColour (calendar: WorkCalendar, now: Date, dueAt: Date, warningWorkingDays = DEFAULT_WARNING_WORKING_DAYS): SupervisionColour {
  if (!Number.isInteger(warningWorkingDays) || warningWorkingDays < 0) throw new RangeError('the warning is a whole number of working days')
  if (now.getTime() >= dueAt.getTime()) return 'red'
  return workingDaysLeft(calendar, now, dueAt) <= warningWorkingDays ? 'yellow' : 'green'
}

/**
 * The first instant a case due at `dueAt` shows yellow: the start of the earliest day from which
 * at most `warningWorkingDays` working days are left. Stored with the due, it lets the dashboard
 * count colours in SQL (now ≥ due: red, now ≥ warn: yellow) exactly as supervisionColour decides.
 */
export function warningStartsAt (calendar: WorkCalendar, dueAt: Date, warningWorkingDays = DEFAULT_WARNING_WORKING_DAYS): Date {
  if (!Number.isInteger(warningWorkingDays) || warningWorkingDays < 0) throw new RangeError('the warning is a whole number of working days')
  let day = shanghaiDate(new Date(dueAt.getTime() - 1))
  let left = 0
  for (;;) {
    const leftTheDayBefore = left + (isWorkingDay(calendar, day) ? 1 : 0)
    if (leftTheDayBefore > warningWorkingDays) break
    day = addCalendarDays(day, -1)
    left = leftTheDayBefore
  }
  return new Date(Math.min(endOfShanghaiDay(addCalendarDays(day, -1)).getTime(), dueAt.getTime()))
}

export interface Supervision {
  colour: SupervisionColour
  dueAt: Date
  workingDaysLeft: number
  /** a pause is in progress: the due moves on day by day, the days left stay put */
  paused: boolean
}

/** What the deadline dashboard shows of a case at `now`; a pause in progress counts up to now. */
export function superviseCase (calendar: WorkCalendar, clock: CaseClock, now: Date, warningWorkingDays = DEFAULT_WARNING_WORKING_DAYS): Supervision {
  const dueAt = caseDueAt(calendar, clock, now)
  const paused = clock.pauses.some((pause) => pause.from.getTime() <= now.getTime() && (pause.to === null || pause.to.getTime() > now.getTime()))
  return {
    colour: supervisionColour(calendar, now, dueAt, warningWorkingDays),
    dueAt,
    workingDaysLeft: workingDaysLeft(calendar, now, dueAt),
    paused
  }
}

/** The instant a pause capped at `limit` working days stops holding the clock: the end of its last covered day. */
export function pauseLimitEndsAt (calendar: WorkCalendar, from: Date, limit: number): Date {
  let day = shanghaiDate(from)
  let covered = 0
  for (;;) {
    if (isWorkingDay(calendar, day) && ++covered === limit) return endOfShanghaiDay(day)
    day = addCalendarDays(day, 1)
  }
}

/** A pause may be opened in review only, with a reason; a special procedure also with its announced length. */
export function pauseProblem (facts: CaseFacts, pause: { kind: PauseKind, reason: string, limitWorkingDays: number | null }): CaseErrorCode | null {
  if (facts.state !== 'review') return 'PAUSE_NOT_ALLOWED'
  if (pause.kind === 'correction' && facts.correctionGiven) return 'CORRECTION_ALREADY_GIVEN'
  if (pause.reason.trim() === '') return 'PAUSE_REASON_REQUIRED'
  const limit = pause.limitWorkingDays
  // the applicant's correction may run open-ended; a procedure the department chose may not
  if (limit === null) return pause.kind === 'correction' ? null : 'PAUSE_LIMIT_INVALID'
  return Number.isInteger(limit) && limit >= 1 ? null : 'PAUSE_LIMIT_INVALID'
}

export const CASE_DECISIONS = ['approve', 'deny'] as const
export type CaseDecision = typeof CASE_DECISIONS[number]

/**
 * The powers a department recorded for its chief representative (首席代表): which items, which
 * decisions, from when (inclusive) until when (exclusive; null = until revoked).
 */
export interface Delegation {
  items: readonly string[]
  decisions: readonly CaseDecision[]
  from: Date
  until: Date | null
}

export type DelegationGap = 'not_yet_valid' | 'expired' | 'item_not_delegated' | 'decision_not_delegated'

/** Which part of the delegation a decision falls outside of, or null when it is covered. */
export function delegationGap (delegation: Delegation, act: { itemCode: string, decision: CaseDecision, at: Date }): DelegationGap | null {
  if (act.at.getTime() < delegation.from.getTime()) return 'not_yet_valid'
  if (delegation.until && act.at.getTime() >= delegation.until.getTime()) return 'expired'
  if (!delegation.items.includes(act.itemCode)) return 'item_not_delegated'
  if (!delegation.decisions.includes(act.decision)) return 'decision_not_delegated'
  return null
}

export function isWithinDelegation (delegation: Delegation, act: { itemCode: string, decision: CaseDecision, at: Date }): boolean {
  return delegationGap(delegation, act) === null
}

/** A decision needs a delegation that covers it, and a denial needs its reasons (Art. 38). */
export function decisionProblem (input: { delegation: Delegation | null, itemCode: string, decision: CaseDecision, reasons: readonly string[], at: Date }): CaseErrorCode | null {
  if (input.decision === 'deny' && !input.reasons.some((reason) => reason.trim() !== '')) return 'DECISION_REASONS_REQUIRED'
  if (!input.delegation || !isWithinDelegation(input.delegation, input)) return 'OUTSIDE_DELEGATION'
  return null
}

/** The licence is issued and served within 10 working days of an approval (Art. 44). */
export const RESULT_ISSUE_WORKING_DAYS = 10

export function resultIssueDueAt (calendar: WorkCalendar, decidedAt: Date): Date {
  return endOfShanghaiDay(addWorkingDays(calendar, shanghaiDate(decidedAt), RESULT_ISSUE_WORKING_DAYS))
}

/** 好差评: 1 非常不满意, 2 不满意, 3 基本满意, 4 满意, 5 非常满意. */
export const RATING_LEVELS = [1, 2, 3, 4, 5] as const
export type RatingLevel = typeof RATING_LEVELS[number]

/** A bad rating is rectified within 15 working days (国办发〔2019〕51号). */
export const RECTIFICATION_WORKING_DAYS = 15

export function isRatingLevel (level: number): level is RatingLevel {
  return (RATING_LEVELS as readonly number[]).includes(level)
}

export function isBadRating (level: RatingLevel): boolean {
  return level <= 2
}

/** The instant a bad rating must be rectified by; null for a rating that calls for none. */
export function rectificationDueAt (calendar: WorkCalendar, rating: { level: RatingLevel, ratedAt: Date }): Date | null {
  if (!isRatingLevel(rating.level)) throw new RangeError(`a rating is 1 to 5, not ${rating.level}`)
  if (!isBadRating(rating.level)) return null
  return endOfShanghaiDay(addWorkingDays(calendar, shanghaiDate(rating.ratedAt), RECTIFICATION_WORKING_DAYS))
}

/** Department codes as the departments module accepts them. */
const DEPARTMENT_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/
/** The sequence is padded to four digits and never written with more leading zeros: one spelling per number. */
const CASE_NUMBER = /^(.+)-(\d{8})-(\d{4}|[1-9]\d{4,})$/

/**
 * The case number on receipts and in the public progress search: the department's code, the hall
 * date of submission and the department's sequence of that day, e.g. `SCJGJ-20260211-0007`.
 * Unique as long as the sequence is unique per department and day (the repository's job); the
 * date and sequence are read from the right, so a department code with hyphens stays unambiguous.
 */
export function caseNumber (departmentCode: string, submittedAt: Date, sequence: number): string {
  if (!DEPARTMENT_CODE.test(departmentCode)) throw new RangeError(`not a department code: ${JSON.stringify(departmentCode)}`)
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError('the sequence starts at 1')
  return `${departmentCode}-${shanghaiDate(submittedAt).replaceAll('-', '')}-${String(sequence).padStart(4, '0')}`
}

export function parseCaseNumber (value: string): { departmentCode: string, date: string, sequence: number } | null {
  const match = CASE_NUMBER.exec(value)
  if (!match || !DEPARTMENT_CODE.test(match[1]!)) return null
  const digits = match[2]!
  const date = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`
  const sequence = Number(match[3])
  if (sequence < 1 || !Number.isSafeInteger(sequence) || !isIsoDate(date)) return null
  return { departmentCode: match[1]!, date, sequence }
}

/**
 * The query code (查询码) printed on the receipt: the case number says which case, the code proves
 * the asker holds the receipt. 23 symbols people read aloud and copy without doubt: no 0/O/Q,
 * 1/I/L, 8/B, G (6), S (5), Z (2), U/V. The prime count makes a weighted mod-23 check symbol
 * catch every single wrong symbol and every swap of two neighbours before the database is asked.
 */
export const QUERY_CODE_ALPHABET = '2345679ACDEFHJKMNPRTWXY'
const QUERY_CODE_BODY = 9

function queryCheckSymbol (body: string): string | null {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    const value = QUERY_CODE_ALPHABET.indexOf(body[i]!)
    if (value < 0) return null
    sum += (i + 1) * value
  }
  return QUERY_CODE_ALPHABET[sum % QUERY_CODE_ALPHABET.length]!
}

/**
 * A new query code from `randomIndex(size)`, which returns a uniform integer in [0, size); the
 * service passes node:crypto's randomInt, so the 9 random symbols (about 40 bits) cannot be guessed.
 */
export function createQueryCode (randomIndex: (size: number) => number): string {
  let body = ''
  for (let i = 0; i < QUERY_CODE_BODY; i++) {
    const index = randomIndex(QUERY_CODE_ALPHABET.length)
    if (!Number.isInteger(index) || index < 0 || index >= QUERY_CODE_ALPHABET.length) throw new RangeError(`the random source returned ${index}, not an index below ${QUERY_CODE_ALPHABET.length}`)
    body += QUERY_CODE_ALPHABET[index]
  }
  return body + queryCheckSymbol(body)
}

/** What a person typed, canonical: separators removed, full-width forms (Chinese input methods) made ASCII, upper case. */
export function normaliseQueryCode (input: string): string {
  return input
    .replace(/[\s\-\u2010-\u2015\u2212\uff0d]/g, '')
    .replace(/[\uff01-\uff5e]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0))
    .toUpperCase()
}

export function isValidQueryCode (code: string): boolean {
  return code.length === QUERY_CODE_BODY + 1 && queryCheckSymbol(code.slice(0, QUERY_CODE_BODY)) === code[QUERY_CODE_BODY]
}

/** "7KXM4TAP9C" printed as "7KXM4-TAP9C". */
export function formatQueryCode (code: string): string {
  if (!isValidQueryCode(code)) throw new RangeError('not a query code')
  return `${code.slice(0, 5)}-${code.slice(5)}`
}
