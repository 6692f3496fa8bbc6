/**
 * What waits for the signed-in user, on the home page: one section per kind of work the user's
 * roles hold (the same policy the routes enforce decides which), each with its counts linking to
 * the list behind them and its first few items linking to where the work is done. Every figure
 * comes from the modules' services in the caller's scope; nothing here reads a table.
 */
import type { FastifyInstance } from 'fastify'
import type { Actor } from '../lib/actor.ts'
import { mayAttempt } from '../lib/policy.ts'
import { shanghaiDate } from '../lib/working-days.ts'
import type { CaseState } from '../modules/cases/cases.rules.ts'
import type { CaseView } from '../modules/cases/cases.schemas.ts'
import type { TenderView } from '../modules/tenders/tenders.schemas.ts'
import { money, paymentCode } from './fee-format.ts'

/** A count and the list it stands for. */
export interface WorkCount { key: string, labelKey: string, count: number, href: string, urgent?: boolean }

/** One piece of work: where it is done, what it is, and when it is due or happens. */
export interface WorkEntry {
  href: string
  label: string
  /** a reference the reader may copy (a case number, a payment code) */
  code?: string
  detail?: string
  at?: string
  /** a message key naming what is asked (待补正, 今日开标 …) */
  badgeKey?: string
}

export interface WorkSection { key: string, titleKey: string, counts: WorkCount[], entries: WorkEntry[], emptyKey: string }

const SHOWN = 5

/** Midnight that began the hall's day of `now` (Asia/Shanghai). */
function startOfHallDay (now: Date): Date {
  return new Date(`${shanghaiDate(now)}T00:00:00+08:00`)
}

const isToday = (instant: string, now: Date) => shanghaiDate(new Date(instant)) === shanghaiDate(now)

export async function workFor (app: FastifyInstance, actor: Actor): Promise<WorkSection[]> {
  const principal = actor.principal
  const may = (action: Parameters<typeof mayAttempt>[1]) => mayAttempt(principal, action)
  const now = app.clock.now()
  const sections: Array<Promise<WorkSection | null>> = []
  if (may('openings.supervise')) sections.push(supervisedEvents(app, actor, now))
  if (may('supervision.read')) sections.push(supervision(app, actor))
  if (may('cases.handle')) sections.push(caseQueues(app, actor))
  if (may('payments.collect') || may('refunds.execute')) sections.push(cashier(app, actor))
  if (may('tenders.participate')) sections.push(bidder(app, actor, now))
  if (may('tenders.manage')) sections.push(agency(app, actor, now))
  if (may('cases.apply')) sections.push(applicant(app, actor))
  return (await Promise.all(sections)).filter((section): section is WorkSection => section !== null)
}

function openingEntry (tender: TenderView, href: string, now: Date): WorkEntry {
  return { href, label: tender.title, code: tender.code, ...(tender.venueName ? { detail: tender.venueName } : {}), at: tender.openingAt, ...(isToday(tender.openingAt, now) ? { badgeKey: 'home.work.today' } : {}) }
}

/**
 * What a supervisor watches live, today and in the coming days. Openings for now; expert drawings
 * and evaluations join this list as their modules arrive (each its own kind of entry).
 */
async function supervisedEvents (app: FastifyInstance, actor: Actor, now: Date): Promise<WorkSection> {
  const openings = await app.services.tenders.upcomingOpenings(actor.principal, { from: startOfHallDay(now), limit: 50 })
  const today = openings.filter((tender) => isToday(tender.openingAt, now))
  return {
    key: 'supervised',
    titleKey: 'home.work.supervised',
    counts: [
      { key: 'openings-today', labelKey: 'home.work.openingsToday', count: today.length, href: '/schedule' },
      { key: 'openings-coming', labelKey: 'home.work.openingsComing', count: openings.length - today.length, href: '/schedule' }
    ],
    entries: openings.slice(0, 10).map((tender) => openingEntry(tender, `/supervise/openings/${tender.id}`, now)),
    emptyKey: 'home.work.noOpenings'
  }
}

/** The deadline dashboard's totals, each linking to the cases behind it; letters and rectifications still open. */
async function supervision (app: FastifyInstance, actor: Actor): Promise<WorkSection> {
  const cases = app.services.cases
  const [dashboard, letters, rectifications] = await Promise.all([cases.dashboard(actor.principal), cases.listLetters(actor.principal), cases.listRectifications(actor.principal)])
  const total = (column: 'awaiting' | 'yellow' | 'red' | 'paused') => dashboard.departments.reduce((sum, row) => sum + row[column], 0)
  return {
    key: 'supervision',
    titleKey: 'home.work.supervision',
    counts: [
      ...(['red', 'yellow', 'awaiting', 'paused'] as const).map((column) => ({
        key: `cases-${column}`, labelKey: `home.work.column.${column}`, count: total(column), href: `/supervision/cases?column=${column}`, ...(column === 'red' ? { urgent: true } : {})
      })),
      { key: 'letters', labelKey: 'home.work.lettersOpen', count: letters.filter((letter) => letter.reply === null).length, href: '/supervision#letters-title' },
      { key: 'rectifications', labelKey: 'home.work.rectificationsOpen', count: rectifications.filter((item) => item.doneAt === null).length, href: '/supervision#rectifications-title' }
    ],
    entries: rectifications.filter((item) => item.doneAt === null).slice(0, SHOWN).map((item) => ({
      href: `/workbench/cases/${item.caseId}`,
      label: item.rating?.comment || '',
      code: item.caseNumber,
      at: item.dueAt,
      badgeKey: item.overdue ? 'home.work.overdue' : 'home.work.rectification'
    })),
    emptyKey: 'home.work.noRectifications'
  }
}

/** The workbench's queues of a window clerk or a chief representative. */
async function caseQueues (app: FastifyInstance, actor: Actor): Promise<WorkSection> {
  const decides = mayAttempt(actor.principal, 'cases.decide')
  const states: CaseState[] = ['submitted', 'correction', 'accepted', 'review', 'decided']
  const counts = await app.services.cases.caseCounts(actor.principal, states)
  const label: Record<string, string> = { submitted: 'home.work.toAccept', correction: 'home.work.awaitingCorrection', accepted: 'home.work.toReview', review: decides ? 'home.work.toDecide' : 'home.work.inReview', decided: 'home.work.toIssue' }
  return {
    key: 'cases',
    titleKey: 'home.work.cases',
    counts: states.map((state) => ({ key: `state-${state}`, labelKey: label[state]!, count: counts[state] ?? 0, href: `/workbench?state=${state}`, ...(state === (decides ? 'review' : 'submitted') ? { urgent: true } : {}) })),
    entries: [],
    emptyKey: 'home.work.none'
  }
}

/** Notices still unpaid at the cashier's reach, and refunds waiting to be paid back. */
async function cashier (app: FastifyInstance, actor: Actor): Promise<WorkSection> {
  const { payments, refunds } = app.services
  const collects = mayAttempt(actor.principal, 'payments.collect')
  const refundsToo = mayAttempt(actor.principal, 'refunds.execute')
  const [unpaid, shown, pending] = await Promise.all([
    collects ? payments.countNotices(actor, { status: 'issued' }) : 0,
    collects ? payments.listNotices(actor, { status: 'issued', limit: SHOWN }) : [],
    refundsToo ? refunds.list({ status: 'pending', limit: 200 }) : []
  ])
  return {
    key: 'cashier',
    titleKey: 'home.work.cashier',
    counts: [
      ...(collects ? [{ key: 'unpaid', labelKey: 'home.work.unpaidNotices', count: unpaid, href: '/cashier' }] : []),
      ...(refundsToo ? [{ key: 'refunds', labelKey: 'home.work.pendingRefunds', count: pending.length, href: '/finance/refunds' }] : [])
    ],
    entries: shown.map((notice) => ({ href: `/cashier?code=${notice.code}`, label: notice.payer.name, code: paymentCode(notice.code), detail: money(notice.totalFen), at: notice.dueAt })),
    emptyKey: 'home.work.none'
  }
}

/** A bidder's sealed bids that still count, and the openings of the tenders it registered for. */
async function bidder (app: FastifyInstance, actor: Actor, now: Date): Promise<WorkSection> {
  const [mine, submissions] = await Promise.all([app.services.tenders.myTenders(actor), app.services.bids.listMySubmissions(actor, { limit: 200 })])
  const counting = new Set(submissions.filter((submission) => submission.status === 'counting').map((submission) => submission.tenderId))
  const from = startOfHallDay(now).getTime()
  const coming = mine.map(({ tender }) => tender)
    .filter((tender) => ['published', 'bidding', 'opening'].includes(tender.status) && Date.parse(tender.openingAt) >= from)
    .sort((a, b) => Date.parse(a.openingAt) - Date.parse(b.openingAt))
  const openBids = coming.filter((tender) => counting.has(tender.id))
  return {
    key: 'bids',
    titleKey: 'home.work.bids',
    counts: [
      { key: 'open-bids', labelKey: 'home.work.openBids', count: openBids.length, href: '/bidder' },
      { key: 'openings', labelKey: 'home.work.myOpenings', count: coming.length, href: '/bidder' }
    ],
    entries: coming.slice(0, SHOWN).map((tender) => ({
      ...openingEntry(tender, tender.status === 'opening' ? `/bidder/openings/${tender.id}` : `/bidder/tenders/${tender.id}`, now),
      badgeKey: counting.has(tender.id) ? 'home.work.bidSealed' : 'home.work.noBid'
    })),
    emptyKey: 'home.work.noTenders'
  }
}

/** An agency's drafts, the questions and objections its tenders have yet to answer, and the openings it hosts. */
async function agency (app: FastifyInstance, actor: Actor, now: Date): Promise<WorkSection> {
  const { tenders } = app.services
  const [drafts, unanswered, openings] = await Promise.all([
    tenders.listTenders(actor.principal, { mine: true, status: 'draft', limit: 200 }),
    tenders.pendingAnswers(actor),
    tenders.upcomingOpenings(actor.principal, { from: startOfHallDay(now), limit: 20 })
  ])
  const questions = unanswered.reduce((sum, tender) => sum + tender.questions, 0)
  const objections = unanswered.reduce((sum, tender) => sum + tender.objections, 0)
  // a count opens the first tender it is about (each tender's page lists what to answer)
  const firstWith = (kind: 'questions' | 'objections') => {
    const tender = unanswered.find((entry) => entry[kind] > 0)
    return tender ? `/agency/tenders/${tender.tenderId}` : '/agency'
  }
  return {
    key: 'agency',
    titleKey: 'home.work.agency',
    counts: [
      { key: 'drafts', labelKey: 'home.work.drafts', count: drafts.length, href: '/agency' },
      { key: 'questions', labelKey: 'home.work.questions', count: questions, href: firstWith('questions'), ...(questions > 0 ? { urgent: true } : {}) },
      { key: 'objections', labelKey: 'home.work.objections', count: objections, href: firstWith('objections'), ...(objections > 0 ? { urgent: true } : {}) },
      { key: 'openings', labelKey: 'home.work.hostedOpenings', count: openings.length, href: '/agency' }
    ],
    entries: [
      ...unanswered.map((tender) => ({ href: `/agency/tenders/${tender.tenderId}`, label: tender.title, code: tender.code, badgeKey: 'home.work.toAnswer' })),
      ...drafts.slice(0, SHOWN).map((tender) => ({ href: `/agency/tenders/${tender.id}`, label: tender.title, code: tender.code, badgeKey: 'home.work.draft' })),
      ...openings.slice(0, SHOWN).map((tender) => openingEntry(tender, `/agency/openings/${tender.id}`, now))
    ],
    emptyKey: 'home.work.none'
  }
}

/** What an applicant's own cases ask of it: materials to hand in, fees to pay, a rating to give. */
function applicantNeed (c: CaseView): string | null {
  if (c.correction && c.correction.answeredAt === null && ['correction', 'review'].includes(c.state)) return 'home.work.needCorrection'
  if (c.payment && c.payment.status === 'issued') return 'home.work.needPayment'
  if (c.state === 'closed' && !c.rating) return 'home.work.needRating'
  return null
}

async function applicant (app: FastifyInstance, actor: Actor): Promise<WorkSection> {
  const mine = await app.services.cases.myCases(actor)
  const needing = mine.flatMap((c) => {
    const need = applicantNeed(c)
    return need ? [{ c, need }] : []
  })
  const count = (need: string) => needing.filter((entry) => entry.need === need).length
  return {
    key: 'applicant',
    titleKey: 'home.work.applicant',
    counts: [
      { key: 'correction', labelKey: 'home.work.needCorrection', count: count('home.work.needCorrection'), href: '/my/cases', urgent: true },
      { key: 'payment', labelKey: 'home.work.needPayment', count: count('home.work.needPayment'), href: '/my/cases' },
      { key: 'rating', labelKey: 'home.work.needRating', count: count('home.work.needRating'), href: '/my/cases' },
      { key: 'open', labelKey: 'home.work.openCases', count: mine.filter((c) => ['submitted', 'correction', 'accepted', 'review', 'decided', 'result_issued'].includes(c.state)).length, href: '/my/cases' }
    ],
    entries: needing.slice(0, SHOWN).map(({ c, need }) => ({
      href: need === 'home.work.needRating' ? `/my/cases/${c.id}#rating` : `/my/cases/${c.id}`, label: c.itemName, code: c.number, badgeKey: need
    })),
    emptyKey: 'home.work.nothingNeeded'
  }
}
