/**
 * Pure rules of a tender: its state machine and the statutory timing engine. Periods follow the
 * Tendering and Bidding Law, its Implementing Regulations and the Government Procurement Law,
 * counted as the Civil Code counts periods (lib/working-days.ts, statutoryPeriodEnd).
 */
import { formatYuan } from '../../lib/money.ts'
import { addCalendarDays, endOfShanghaiDay, isWorkingDay, shanghaiDate, statutoryPeriodEnd, type WorkCalendar } from '../../lib/working-days.ts'
import type { TenderStatus } from './tenders.schemas.ts'

/**
 * draft → published → bidding → opening → evaluation → publicity → awarded → contracted, with
 * the exits cancelled (终止) and failed (流标). Opening onwards belongs to later modules; they
 * move a tender through `transitionTender`, which checks this table.
 */
export const TENDER_TRANSITIONS: Record<TenderStatus, readonly TenderStatus[]> = {
  draft: ['published', 'cancelled'],
  published: ['bidding', 'cancelled'],
  bidding: ['opening', 'cancelled'],
  opening: ['evaluation', 'failed', 'cancelled'],
  evaluation: ['publicity', 'failed', 'cancelled'],
  publicity: ['awarded', 'failed', 'cancelled'],
  awarded: ['contracted'],
  contracted: [],
  cancelled: [],
  failed: []
}

export function canTransition (from: TenderStatus, to: TenderStatus): boolean {
  return TENDER_TRANSITIONS[from].includes(to)
}

/** Statutory minimums (calendar days) and the bond ceiling. */
export const STATUTORY = {
  /** documents first issued → bid deadline (招标投标法 第24条, 政府采购法实施条例) */
  bidPeriodDays: 20,
  /** sale / download period of the documents (实施条例 第16条) */
  salePeriodDays: 5,
  /** a clarification or amendment that affects bids, before the deadline (实施条例 第21条) */
  clarificationLeadDays: 15,
  /** an objection to the documents, before the deadline (实施条例 第22条) */
  objectionLeadDays: 10,
  /** answering an objection (实施条例 第22条) */
  objectionAnswerDays: 3,
  /** bid bond ceiling as a share of the estimate, in basis points (实施条例 第26条: 2%) */
  bondCeilingBasisPoints: 200n
} as const

export type TimingRule =
  | 'BID_PERIOD_TOO_SHORT' | 'SALE_PERIOD_TOO_SHORT' | 'SALE_ENDS_AFTER_DEADLINE' | 'BOND_ABOVE_CEILING'
  | 'CLARIFICATION_TOO_LATE' | 'DEADLINE_ON_REST_DAY' | 'DEADLINE_IN_PAST'

export interface TimingFinding {
  rule: TimingRule
  /** violations block mandatory tendering; notes never block */
  severity: 'violation' | 'note'
  message: string
  /** where the finding points, for forms and problem details */
  path: string
  /** the earliest date (Asia/Shanghai) that would satisfy the rule, when there is one */
  earliest?: string
}

export interface PublicationTiming {
  now: Date
  documentsFrom: Date
  saleUntil: Date
  bidDeadline: Date
  estimateFen: bigint
  bondFen: bigint
}

/** Everything the statutory timing says about a publication, in a stable order. */
export function publicationFindings (calendar: WorkCalendar, input: PublicationTiming): TimingFinding[] {
  const findings: TimingFinding[] = []
  const issued = shanghaiDate(input.documentsFrom)
  const deadlineDate = shanghaiDate(input.bidDeadline)
  if (input.bidDeadline.getTime() <= input.now.getTime()) {
    findings.push({ rule: 'DEADLINE_IN_PAST', severity: 'violation', path: '/bidDeadline', message: 'The bid deadline has already passed' })
  }
  const earliestDeadline = statutoryPeriodEnd(calendar, issued, STATUTORY.bidPeriodDays)
  if (deadlineDate < earliestDeadline) {
    findings.push({
      rule: 'BID_PERIOD_TOO_SHORT',
      severity: 'violation',
      path: '/bidDeadline',
      earliest: earliestDeadline,
      message: `From the first issue of the documents (${issued}) to the bid deadline there must be at least ${STATUTORY.bidPeriodDays} days: the deadline may fall on ${earliestDeadline} at the earliest (a period ending on a rest day runs to the next working day)`
    })
  }
  const earliestSaleEnd = statutoryPeriodEnd(calendar, issued, STATUTORY.salePeriodDays)
  if (shanghaiDate(input.saleUntil) < earliestSaleEnd) {
    findings.push({
      rule: 'SALE_PERIOD_TOO_SHORT',
      severity: 'violation',
      path: '/saleUntil',
      earliest: earliestSaleEnd,
      message: `The documents must be on sale for at least ${STATUTORY.salePeriodDays} days from ${issued}: the sale may end on ${earliestSaleEnd} at the earliest`
    })
  }
  if (input.saleUntil.getTime() > input.bidDeadline.getTime()) {
    findings.push({ rule: 'SALE_ENDS_AFTER_DEADLINE', severity: 'violation', path: '/saleUntil', message: 'The sale of the documents must end no later than the bid deadline' })
  }
  if (input.bondFen * 10_000n > input.estimateFen * STATUTORY.bondCeilingBasisPoints) {
    const ceiling = input.estimateFen * STATUTORY.bondCeilingBasisPoints / 10_000n
    findings.push({
      rule: 'BOND_ABOVE_CEILING',
      severity: 'violation',
      path: '/bond/amountFen',
      message: `The bid bond may not exceed 2% of the estimate: at most ${ceiling} fen`
    })
  }
  findings.push(...restDayNote(calendar, input.bidDeadline))
  return findings
}

function restDayNote (calendar: WorkCalendar, deadline: Date): TimingFinding[] {
  const date = shanghaiDate(deadline)
  return !isWorkingDay(calendar, date)
    ? [{ rule: 'DEADLINE_ON_REST_DAY', severity: 'note', path: '/bidDeadline', message: `The bid deadline and opening fall on a rest day (${date}); the hall must be staffed for it` }]
    : []
}

/**
 * The earliest lawful timetable for documents issued `now`: the sale ends on the last day of its
 * 5-day period (23:59:59) and bids close on the last day of the 20-day period at `deadlineTime`
 * (hall time). The agency's draft form proposes it; tests and the demo start from it.
 */
export function earliestLawfulTimetable (calendar: WorkCalendar, now: Date, deadlineTime = '09:30') {
  const issued = shanghaiDate(now)
  const deadlineDate = statutoryPeriodEnd(calendar, issued, STATUTORY.bidPeriodDays)
  return {
    documentsFrom: now,
    saleUntil: new Date(endOfShanghaiDay(statutoryPeriodEnd(calendar, issued, STATUTORY.salePeriodDays)).getTime() - 1000),
    bidDeadline: new Date(`${deadlineDate}T${deadlineTime}:00+08:00`),
    deadlineDate
  }
}

/**
 * A clarification or amendment issued `at`: when it affects the preparation of bids, the
 * deadline must lie at least 15 days later (or move there).
 */
export function changeFindings (calendar: WorkCalendar, input: { at: Date, affectsBids: boolean, bidDeadline: Date }): TimingFinding[] {
  const findings: TimingFinding[] = []
  if (input.affectsBids) {
    const issued = shanghaiDate(input.at)
    const earliest = statutoryPeriodEnd(calendar, issued, STATUTORY.clarificationLeadDays)
    if (shanghaiDate(input.bidDeadline) < earliest) {
      findings.push({
        rule: 'CLARIFICATION_TOO_LATE',
        severity: 'violation',
        path: '/newBidDeadline',
        earliest,
        message: `A clarification that affects bids must be issued at least ${STATUTORY.clarificationLeadDays} days before the bid deadline: move the deadline to ${earliest} or later`
      })
    }
  }
  if (input.bidDeadline.getTime() <= input.at.getTime()) {
    findings.push({ rule: 'DEADLINE_IN_PAST', severity: 'violation', path: '/newBidDeadline', message: 'The bid deadline has already passed' })
  }
  findings.push(...restDayNote(calendar, input.bidDeadline))
  return findings
}

/**
 * Objections to the documents are filed at least 10 days before the deadline. The cutoff is
 * plain calendar days: a rest day never shortens the objector's right.
 */
export function objectionCutoff (bidDeadline: Date): string {
  return addCalendarDays(shanghaiDate(bidDeadline), -STATUTORY.objectionLeadDays)
}

/** The last day to answer an objection filed `at` (3 days, extended over rest days). */
export function objectionAnswerDueDate (calendar: WorkCalendar, at: Date): string {
  return statutoryPeriodEnd(calendar, shanghaiDate(at), STATUTORY.objectionAnswerDays)
}

export type BidWindowProblem = 'TENDER_CLOSED' | 'TENDER_NOT_BIDDING' | 'TENDER_PAUSED' | 'BID_WINDOW_CLOSED' | null

/**
 * Whether a bid (or its replacement or withdrawal) completed at `at` is accepted: only while the
 * tender is bidding, not paused by an unanswered objection, and not after the deadline (the
 * deadline instant itself is too late).
 */
export function bidWindowProblem (tender: { status: TenderStatus, bidDeadline: Date, pausedSince: Date | null }, at: Date): BidWindowProblem {
  if (tender.status === 'cancelled' || tender.status === 'failed') return 'TENDER_CLOSED'
  if (tender.status !== 'draft' && tender.status !== 'published' && (tender.status !== 'bidding' || at.getTime() >= tender.bidDeadline.getTime())) return 'BID_WINDOW_CLOSED'
  if (tender.status !== 'bidding') return 'TENDER_NOT_BIDDING'
  if (tender.pausedSince) return 'TENDER_PAUSED'
  return null
}

/**
 * The shortest decryption window of a mandatory tender (依法必须招标); other tenders may declare a
 * window from one minute, e.g. a demonstration run or a small procurement whose bidders are all
 * present.
 */
export const MANDATORY_MIN_DECRYPTION_MINUTES = 10

/**
 * Bids freeze this long after the deadline: a bid whose last byte arrived before the deadline is
 * still being verified and recorded for a moment, and must not find its tender already opening.
 */
export const FREEZE_GRACE_MS = 60_000

/** Documents can be obtained from their first issue until the end of the sale period. */
export function saleIsOpen (tender: { status: TenderStatus, documentsFrom: Date, saleUntil: Date }, at: Date): boolean {
  return tender.status === 'bidding' && at.getTime() >= tender.documentsFrom.getTime() && at.getTime() <= tender.saleUntil.getTime()
}

/**
 * Before the deadline nobody may learn who registered, downloaded or bid, nor how many — not even
 * when the tender is cancelled earlier (it may be tendered again). A tender paused by an objection
 * when its deadline came stays secret: its deadline is about to move.
 */
export function participationIsSecret (tender: { status: TenderStatus, bidDeadline: Date, pausedSince: Date | null }, at: Date): boolean {
  return at.getTime() < tender.bidDeadline.getTime() || (tender.status === 'bidding' && tender.pausedSince !== null)
}

/** The status a tender takes at publication: bidding at once when the documents are out now. */
export function statusAtPublication (documentsFrom: Date, now: Date): 'published' | 'bidding' {
  return documentsFrom.getTime() <= now.getTime() ? 'bidding' : 'published'
}

/**
 * The fee line of a bid bond: a deposit fee item whose formula takes the amount the tender
 * documents set, in yuan, as its `amount` parameter (the hall's bid-bond item, e.g. TB-BZJ).
 */
export function bondFeeLine (feeCode: string, bondFen: bigint): { code: string, parameters: { amount: string } } {
  return { code: feeCode, parameters: { amount: formatYuan(bondFen, { grouping: false }) } }
}
