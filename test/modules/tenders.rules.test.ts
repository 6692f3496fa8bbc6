import { readFileSync } from 'node:fs'
import t from 'tap'
import { expandPublishedCalendar, statutoryPeriodEnd, toWorkCalendar } from '../../src/lib/working-days.ts'
import {
  bidWindowProblem, canTransition, changeFindings, objectionAnswerDueDate, objectionCutoff, participationIsSecret, publicationFindings
} from '../../src/modules/tenders/tenders.rules.ts'

const published = JSON.parse(readFileSync(new URL('../../media/calendars/cn-2026.json', import.meta.url), 'utf8'))
const calendar = toWorkCalendar(expandPublishedCalendar(published))
const at = (date: string, time = '09:30') => new Date(`${date}T${time}:00+08:00`)

function publication (overrides: Partial<Parameters<typeof publicationFindings>[1]> = {}) {
  return publicationFindings(calendar, {
    now: at('2026-01-27', '08:00'),
    documentsFrom: at('2026-01-27', '08:00'),
    saleUntil: at('2026-02-03', '17:00'),
    bidDeadline: at('2026-02-24'),
    estimateFen: 1_000_000_00n,
    bondFen: 2_000_00n,
    ...overrides
  })
}

t.test('a period ends on its last day, or the next working day when that is a rest day (Civil Code Arts. 201, 203)', async (t) => {
  t.equal(statutoryPeriodEnd(calendar, '2026-11-02', 20), '2026-11-23', 'an ordinary Monday')
  t.equal(statutoryPeriodEnd(calendar, '2026-11-03', 4), '2026-11-09', 'Saturday 7th runs to Monday 9th')
  t.equal(statutoryPeriodEnd(calendar, '2026-01-27', 20), '2026-02-24', 'Spring Festival Monday 16th runs past the holiday to Tuesday 24th')
  t.equal(statutoryPeriodEnd(calendar, '2026-02-08', 20), '2026-02-28', 'the make-up Saturday 28th is a working day and ends the period')
})

t.test('documents issued → bid deadline: at least 20 days, across the Spring Festival', async (t) => {
  t.same(publication().filter((finding) => finding.severity === 'violation'), [], 'documents on 27 January, deadline 24 February: lawful')
  const early = publication({ bidDeadline: at('2026-02-16') })
  const violation = early.find((finding) => finding.rule === 'BID_PERIOD_TOO_SHORT')
  t.ok(violation, '20 calendar days end on Spring Festival Monday: too early')
  t.equal(violation?.earliest, '2026-02-24')
  t.match(violation?.message, /2026-02-24/, 'the message explains the earliest lawful date')
  t.ok(early.some((finding) => finding.rule === 'DEADLINE_ON_REST_DAY' && finding.severity === 'note'), 'a deadline on a holiday is noted')
})

t.test('the sale period lasts at least 5 days and ends before the deadline', async (t) => {
  const short = publication({ documentsFrom: at('2026-02-10', '08:00'), now: at('2026-02-10', '08:00'), saleUntil: at('2026-02-15', '17:00'), bidDeadline: at('2026-03-03') })
  t.equal(short.find((finding) => finding.rule === 'SALE_PERIOD_TOO_SHORT')?.earliest, '2026-02-24', 'five days from 10 February end in the holiday: the sale runs to 24 February')
  const late = publication({ saleUntil: at('2026-02-25') })
  t.ok(late.some((finding) => finding.rule === 'SALE_ENDS_AFTER_DEADLINE'))
})

t.test('the bid bond may not exceed 2% of the estimate', async (t) => {
  t.notOk(publication({ bondFen: 2_000_000n }).some((finding) => finding.rule === 'BOND_ABOVE_CEILING'), 'exactly 2%')
  t.ok(publication({ bondFen: 2_000_001n }).some((finding) => finding.rule === 'BOND_ABOVE_CEILING'), 'one fen above')
})

t.test('a clarification that affects bids leaves 15 days to the deadline, or the deadline must move', async (t) => {
  t.same(changeFindings(calendar, { at: at('2026-09-15', '10:00'), affectsBids: true, bidDeadline: at('2026-09-30') }).filter((f) => f.severity === 'violation'), [])
  const late = changeFindings(calendar, { at: at('2026-09-15', '10:00'), affectsBids: true, bidDeadline: at('2026-09-29') })
  t.equal(late[0]?.rule, 'CLARIFICATION_TOO_LATE')
  t.equal(late[0]?.earliest, '2026-09-30')
  const golden = changeFindings(calendar, { at: at('2026-09-20', '10:00'), affectsBids: true, bidDeadline: at('2026-10-06') })
  t.equal(golden[0]?.earliest, '2026-10-08', 'fifteen days from the make-up Sunday end in the Golden Week: the deadline moves to 8 October')
  t.same(changeFindings(calendar, { at: at('2026-09-28', '10:00'), affectsBids: false, bidDeadline: at('2026-09-30') }).filter((f) => f.severity === 'violation'), [], 'a clarification that does not affect bids may come late')
})

t.test('objections: at least 10 days before the deadline, answered within 3 days', async (t) => {
  t.equal(objectionCutoff(at('2026-03-10')), '2026-02-28')
  t.equal(objectionAnswerDueDate(calendar, at('2026-02-13', '15:00')), '2026-02-24', 'three days from Friday 13th end in the holiday: answer by 24 February')
  t.equal(objectionAnswerDueDate(calendar, at('2026-11-24', '15:00')), '2026-11-27')
})

t.test('the bid window: open while bidding and unpaused, closed at the deadline instant', async (t) => {
  const deadline = at('2026-12-01')
  const tender = { status: 'bidding' as const, bidDeadline: deadline, pausedSince: null }
  t.equal(bidWindowProblem(tender, new Date(deadline.getTime() - 1)), null)
  t.equal(bidWindowProblem(tender, deadline), 'BID_WINDOW_CLOSED', 'the deadline instant itself is too late')
  t.equal(bidWindowProblem({ ...tender, pausedSince: at('2026-11-20') }, at('2026-11-25')), 'TENDER_PAUSED')
  t.equal(bidWindowProblem({ ...tender, status: 'cancelled' }, at('2026-11-25')), 'TENDER_CLOSED')
  t.equal(bidWindowProblem({ ...tender, status: 'published' }, at('2026-11-25')), 'TENDER_NOT_BIDDING')
  t.equal(bidWindowProblem({ ...tender, status: 'opening' }, at('2026-12-02')), 'BID_WINDOW_CLOSED')
  t.equal(bidWindowProblem({ ...tender, status: 'opening' }, at('2026-11-30')), 'BID_WINDOW_CLOSED', 'once the bids froze, even an upload that finished in time is late')
  t.ok(participationIsSecret({ ...tender, status: 'cancelled' }, at('2026-11-30')), 'a tender cancelled before its deadline keeps its bidders secret (it may be tendered again)')
  t.ok(participationIsSecret(tender, at('2026-11-30')))
  t.notOk(participationIsSecret({ ...tender, status: 'opening' }, at('2026-12-01', '09:31')))
  t.notOk(participationIsSecret(tender, at('2026-12-01', '09:31')), 'past the deadline, even before the timer moved the tender on')
  t.ok(participationIsSecret({ ...tender, pausedSince: at('2026-11-25') }, at('2026-12-01', '09:31')), 'paused at the deadline: the deadline will move, so it stays secret')
})

t.test('the state machine', async (t) => {
  t.ok(canTransition('draft', 'published'))
  t.notOk(canTransition('draft', 'bidding'), 'a draft is published first')
  t.ok(canTransition('bidding', 'opening'))
  t.notOk(canTransition('bidding', 'failed'), '流标 is decided at the opening')
  t.notOk(canTransition('cancelled', 'bidding'), 'a cancelled tender stays cancelled')
  t.notOk(canTransition('contracted', 'cancelled'))
})
