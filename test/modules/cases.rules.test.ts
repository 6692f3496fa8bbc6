import { readFileSync } from 'node:fs'
import t from 'tap'
import { expandPublishedCalendar, isWorkingDay, toWorkCalendar } from '../../src/lib/working-days.ts'
import {
  acceptanceLimitEndsAt, acceptanceLimitProblem, canMove, CASE_ERROR_CODES, CASE_STATES, caseDueAt, caseNumber, correctionNoticeBounds, correctionNoticeProblem,
  createQueryCode, decisionProblem, deemedAcceptance, delegationGap, formatQueryCode, isBadRating, isValidQueryCode, isWithinDelegation,
  missingMaterials, moveProblem, normaliseQueryCode, OPEN_STATES, parseCaseNumber, pausedWorkingDays, pauseProblem, promisedClockStartsAt,
  QUERY_CODE_ALPHABET, rectificationDueAt, resultIssueDueAt, superviseCase, supervisionColour, warningStartsAt, workingDaysLeft,
  type Delegation, type RatingLevel
} from '../../src/modules/cases/cases.rules.ts'

// the published 2026 national calendar (the same data as ../shared/data/cn-workcalendar-2026.json)
const published = JSON.parse(readFileSync(new URL('../../media/calendars/cn-2026.json', import.meta.url), 'utf8'))
const calendar = toWorkCalendar(expandPublishedCalendar(published))
/** An instant in hall time (UTC+8); the time is HH:MM or HH:MM:SS. */
function at (date: string, time = '09:30'): Date {
  const instant = new Date(`${date}T${time.length === 5 ? `${time}:00` : time}+08:00`)
  if (Number.isNaN(instant.getTime())) throw new RangeError(`bad test instant ${date} ${time}`)
  return instant
}

/*
 * The hand computations below read these months of the 2026 calendar (h = holiday, w = make-up
 * workday; every other Saturday and Sunday rests). A due "by the end of" a hall day D is the
 * instant D+1 00:00 Beijing time, i.e. D T16:00:00Z.
 *
 *            Mon Tue Wed Thu Fri Sat Sun
 *   Feb        9  10  11  12  13  14w 15h      Spring Festival: 15–23 February
 *             16h 17h 18h 19h 20h 21h 22h
 *             23h 24  25  26  27  28w  1       make-up Saturdays: 14 and 28 February
 *   Mar        2   3   4   5   6   7   8
 *              9
 *   Sep       21  22  23  24  25h 26h 27h      Mid-Autumn: 25–27 September
 *             28  29  30   1h  2h  3h  4h      National Day: 1–7 October
 *   Oct        5h  6h  7h  8   9  10w 11       make-up Saturday: 10 October
 *             12  13  14  15  16  17  18
 *             19
 *   Nov        2   3   4   5   6   7   8       an ordinary month
 *              9  10  11  12  13  14  15
 *             16  17  18  19  20  21  22
 *             23  24
 */
t.test('the calendar the computations rely on', async (t) => {
  t.equal(isWorkingDay(calendar, '2026-02-14'), true, 'make-up Saturday before the Spring Festival')
  for (const day of ['15', '16', '17', '18', '19', '20', '21', '22', '23']) t.equal(isWorkingDay(calendar, `2026-02-${day}`), false, `Spring Festival, 2026-02-${day}`)
  t.equal(isWorkingDay(calendar, '2026-02-24'), true, 'back to work on Tuesday 24th')
  t.equal(isWorkingDay(calendar, '2026-02-28'), true, 'make-up Saturday after the Spring Festival')
  t.equal(isWorkingDay(calendar, '2026-03-01'), false, 'an ordinary Sunday')
  t.equal(isWorkingDay(calendar, '2026-10-10'), true, 'make-up Saturday after National Day')
  t.equal(isWorkingDay(calendar, '2026-11-07'), false, 'an ordinary Saturday')
})

t.test('the case state machine', async (t) => {
  t.test('moves along the procedure', async (t) => {
    const path: Array<[typeof CASE_STATES[number], typeof CASE_STATES[number]]> = [
      ['submitted', 'correction'], ['correction', 'submitted'], ['submitted', 'accepted'], ['accepted', 'review'],
      ['review', 'decided'], ['decided', 'result_issued'], ['result_issued', 'delivered'], ['delivered', 'closed']
    ]
    for (const [from, to] of path) t.ok(canMove(from, to), `${from} → ${to}`)
    t.ok(canMove('submitted', 'refused'), 'an application can be refused at acceptance')
    t.ok(canMove('correction', 'accepted'), 'corrected materials can be accepted on the spot')
  })

  t.test('refuses shortcuts and returns', async (t) => {
    t.notOk(canMove('submitted', 'review'), 'nothing is reviewed before it is accepted')
    t.notOk(canMove('submitted', 'decided'))
    t.notOk(canMove('accepted', 'decided'), 'every decision follows a review')
    t.notOk(canMove('correction', 'refused'), 'the answer is received (submitted) before it can be refused')
    t.notOk(canMove('review', 'correction'), 'a correction in review is a pause, not a return to acceptance')
    t.notOk(canMove('refused', 'accepted'), 'a refusal is final; the applicant applies again')
    t.notOk(canMove('closed', 'submitted'))
    t.notOk(canMove('result_issued', 'decided'))
    t.notOk(canMove('withdrawn', 'submitted'))
  })

  t.test('the applicant withdraws from open states only', async (t) => {
    t.same(OPEN_STATES, ['submitted', 'correction', 'accepted', 'review'])
    for (const state of CASE_STATES) {
      t.equal(canMove(state, 'withdrawn'), OPEN_STATES.includes(state), `withdraw from ${state}`)
    }
    for (const state of ['refused', 'closed', 'withdrawn'] as const) {
      t.same(CASE_STATES.filter((to) => canMove(state, to)), [], `${state} is final`)
    }
  })

  t.test('one correction notice per case; no decision while paused', async (t) => {
    t.equal(moveProblem({ state: 'submitted', correctionGiven: false, paused: false }, 'correction'), null, 'the first notice')
    t.equal(moveProblem({ state: 'submitted', correctionGiven: true, paused: false }, 'correction'), 'CORRECTION_ALREADY_GIVEN', 'the answered case is submitted again, but gets no second notice')
    t.equal(moveProblem({ state: 'correction', correctionGiven: true, paused: false }, 'refused'), 'CASE_STATE_INVALID')
    t.equal(moveProblem({ state: 'review', correctionGiven: false, paused: true }, 'decided'), 'CASE_PAUSED', 'a hearing in progress')
    t.equal(moveProblem({ state: 'review', correctionGiven: false, paused: true }, 'withdrawn'), null, 'the applicant may withdraw during a pause')
    t.equal(moveProblem({ state: 'review', correctionGiven: true, paused: false }, 'decided'), null)
  })

  t.test('pauses belong to review and carry a reason and a limit', async (t) => {
    const review = { state: 'review' as const, correctionGiven: false, paused: false }
    const hearing = { kind: 'hearing' as const, reason: '涉及相邻权利人重大利益，依申请听证', limitWorkingDays: 20 }
    t.equal(pauseProblem(review, hearing), null)
    t.equal(pauseProblem({ ...review, state: 'accepted' }, hearing), 'PAUSE_NOT_ALLOWED')
    t.equal(pauseProblem({ ...review, state: 'submitted' }, { ...hearing, kind: 'correction' }), 'PAUSE_NOT_ALLOWED', 'before acceptance a correction is the correction state')
    t.equal(pauseProblem(review, { ...hearing, reason: '  ' }), 'PAUSE_REASON_REQUIRED')
    t.equal(pauseProblem(review, { ...hearing, limitWorkingDays: null }), 'PAUSE_LIMIT_INVALID', 'the applicant is told how long a procedure takes')
    t.equal(pauseProblem(review, { ...hearing, limitWorkingDays: 0 }), 'PAUSE_LIMIT_INVALID')
    t.equal(pauseProblem(review, { ...hearing, limitWorkingDays: 1.5 }), 'PAUSE_LIMIT_INVALID')
    t.equal(pauseProblem(review, { kind: 'correction', reason: '规划图比例尺不符', limitWorkingDays: null }), null, 'the applicant\'s correction may run open')
    t.equal(pauseProblem({ ...review, correctionGiven: true }, { kind: 'correction', reason: '再补材料', limitWorkingDays: null }), 'CORRECTION_ALREADY_GIVEN', 'not after the notice at acceptance')
  })

  t.test('before acceptance the correction notice lists every missing material, and only the item\'s', async (t) => {
    const materials = [{ code: 'ID_CARD', required: true }, { code: 'LICENCE', required: true }, { code: 'SITE_PLAN', required: true }, { code: 'LEASE', required: false }]
    const required = ['ID_CARD', 'LICENCE', 'SITE_PLAN']
    const notice = (provided: string[], listed: string[]) => correctionNoticeProblem({ stage: 'acceptance', materials, provided, listed })
    t.same(missingMaterials(required, ['ID_CARD']), ['LICENCE', 'SITE_PLAN'])
    t.equal(notice(['ID_CARD'], ['LICENCE']), 'CORRECTION_INCOMPLETE', 'the site plan is left out')
    t.equal(notice(['ID_CARD'], []), 'CORRECTION_INCOMPLETE')
    t.equal(notice(['ID_CARD'], ['SITE_PLAN', 'LICENCE']), null)
    t.equal(notice(['ID_CARD'], ['LICENCE', 'SITE_PLAN', 'BANK_STATEMENT']), 'MATERIAL_NOT_REQUIRED')
    t.equal(notice(['ID_CARD'], ['LICENCE', 'SITE_PLAN', 'LEASE']), 'MATERIAL_NOT_REQUIRED', 'an optional material not handed in is not asked for')
    t.equal(notice(required, []), 'CORRECTION_NOT_NEEDED')
    t.equal(notice(required, ['ID_CARD']), null, 'a provided material in the wrong form may be listed')
    t.equal(notice(['ID_CARD', 'LEASE'], ['LICENCE', 'SITE_PLAN', 'LEASE']), null, 'so may a provided optional one')
    t.same(correctionNoticeBounds({ stage: 'acceptance', materials, provided: ['LICENCE', 'LEASE'] }), { must: ['ID_CARD', 'SITE_PLAN'], may: ['ID_CARD', 'LICENCE', 'SITE_PLAN', 'LEASE'] })
  })

  t.test('in review the correction notice lists the materials at fault, any of the item\'s', async (t) => {
    const materials = [{ code: 'ID_CARD', required: true }, { code: 'LICENCE', required: true }, { code: 'SITE_PLAN', required: true }, { code: 'LEASE', required: false }]
    const provided = ['ID_CARD', 'LICENCE', 'SITE_PLAN']
    const notice = (listed: string[]) => correctionNoticeProblem({ stage: 'review', materials, provided, listed })
    t.equal(notice(['SITE_PLAN']), null, 'the site plan\'s scale is wrong: only the site plan is asked for')
    t.equal(notice(['LICENCE', 'SITE_PLAN']), null)
    t.equal(notice(['LEASE']), null, 'the lease turns out to be needed')
    t.equal(notice(['ID_CARD', 'LICENCE', 'SITE_PLAN', 'LEASE']), null)
    t.equal(notice(['SITE_PLAN', 'BANK_STATEMENT']), 'MATERIAL_NOT_REQUIRED', 'never a material the item does not ask for')
    t.equal(notice([]), 'CORRECTION_NOT_NEEDED', 'a notice asking for nothing')
    t.same(correctionNoticeBounds({ stage: 'review', materials, provided }), { must: [], may: ['ID_CARD', 'LICENCE', 'SITE_PLAN', 'LEASE'] })
  })

  t.test('the error codes a service raises are distinct', async (t) => {
    t.equal(new Set(CASE_ERROR_CODES).size, CASE_ERROR_CODES.length)
    for (const code of ['CASE_STATE_INVALID', 'CORRECTION_ALREADY_GIVEN', 'MATERIALS_MISSING', 'OUTSIDE_DELEGATION'] as const) t.ok(CASE_ERROR_CODES.includes(code), code)
  })
})

t.test('the acceptance limit: 5 working days, then the case counts as accepted', async (t) => {
  // submitted Wed 11 Feb; working days after it: 12 Thu (1), 13 Fri (2), 14 Sat make-up (3),
  // 15–23 Spring Festival, 24 Tue (4), 25 Wed (5) → the limit ends with 25 February
  const submittedAt = at('2026-02-11', '10:00')
  t.equal(acceptanceLimitEndsAt(calendar, submittedAt).toISOString(), '2026-02-25T16:00:00.000Z')
  t.equal(deemedAcceptance(calendar, submittedAt, at('2026-02-25', '23:59:59')), null, 'the last second of the limit: the clerk may still decide')
  t.same(deemedAcceptance(calendar, submittedAt, at('2026-02-26', '00:00')), {
    deemedAt: new Date('2026-02-25T16:00:00.000Z'),
    clockStartsAt: submittedAt
  }, 'from midnight the case is accepted, counted from the receipt of the materials')

  t.equal(acceptanceLimitProblem(calendar, submittedAt, 'refused', at('2026-02-25', '17:00')), null)
  t.equal(acceptanceLimitProblem(calendar, submittedAt, 'refused', at('2026-02-26')), 'ACCEPTANCE_LIMIT_PASSED')
  t.equal(acceptanceLimitProblem(calendar, submittedAt, 'correction', at('2026-02-26')), 'ACCEPTANCE_LIMIT_PASSED', 'no correction notice after the limit')
  t.equal(acceptanceLimitProblem(calendar, submittedAt, 'accepted', at('2026-02-26')), null)

  t.same(promisedClockStartsAt(calendar, submittedAt, at('2026-02-24', '15:00')), at('2026-02-24', '15:00'), 'accepted in time: the clock starts then')
  t.same(promisedClockStartsAt(calendar, submittedAt, at('2026-02-26')), submittedAt, 'accepted late: the clock started at receipt')
  // the deemed case's 10 promised days run from 11 Feb: 12, 13, 14, 24, 25, 26, 27, 28 (make-up), 2 Mar, 3 Mar
  t.equal(caseDueAt(calendar, { acceptedAt: submittedAt, promisedWorkingDays: 10, pauses: [] }).toISOString(), '2026-03-03T16:00:00.000Z')

  // submitted online on Sunday 15 Feb, a holiday: 16–23 rest, then 24 (1), 25 (2), 26 (3), 27 (4), 28 Sat make-up (5)
  t.equal(acceptanceLimitEndsAt(calendar, at('2026-02-15', '20:00')).toISOString(), '2026-02-28T16:00:00.000Z', 'the limit ends on the make-up Saturday')
  // 23:30 in Beijing on Fri 13 Feb is still the 13th in the hall: 14 (1), 24 (2), 25 (3), 26 (4), 27 (5)
  t.equal(acceptanceLimitEndsAt(calendar, new Date('2026-02-13T15:30:00Z')).toISOString(), '2026-02-27T16:00:00.000Z')
  // corrected materials arrive Mon 2 Mar: a fresh limit of 3 (1), 4 (2), 5 (3), 6 (4), 9 (5)
  t.equal(acceptanceLimitEndsAt(calendar, at('2026-03-02', '10:00')).toISOString(), '2026-03-09T16:00:00.000Z')
})

t.test('the due: promised working days after acceptance, pauses added back', async (t) => {
  t.test('across the Spring Festival', async (t) => {
    // accepted Thu 12 Feb, 5 days: 13 Fri (1), 14 Sat make-up (2), 24 (3), 25 (4), 26 (5); plain weekdays would say 19 Feb
    t.equal(caseDueAt(calendar, { acceptedAt: at('2026-02-12', '10:00'), promisedWorkingDays: 5, pauses: [] }).toISOString(), '2026-02-26T16:00:00.000Z')
    // accepted Tue 24 Feb, 4 days: 25 (1), 26 (2), 27 (3), 28 Sat make-up (4)
    t.equal(caseDueAt(calendar, { acceptedAt: at('2026-02-24'), promisedWorkingDays: 4, pauses: [] }).toISOString(), '2026-02-28T16:00:00.000Z', 'due on the make-up Saturday')
  })

  t.test('instant cases are due the same working day', async (t) => {
    t.equal(caseDueAt(calendar, { acceptedAt: at('2026-11-03', '16:50'), promisedWorkingDays: 0, pauses: [] }).toISOString(), '2026-11-03T16:00:00.000Z', 'an ordinary Tuesday')
    t.equal(caseDueAt(calendar, { acceptedAt: at('2026-02-14', '11:00'), promisedWorkingDays: 0, pauses: [] }).toISOString(), '2026-02-14T16:00:00.000Z', 'the make-up Saturday is a working day')
    t.equal(caseDueAt(calendar, { acceptedAt: at('2026-02-16', '11:00'), promisedWorkingDays: 0, pauses: [] }).toISOString(), '2026-02-24T16:00:00.000Z', 'accepted online on a holiday: the first working day after it')
  })

  // accepted Mon 2 Nov with 10 promised days: 3, 4, 5, 6, 9, 10, 11, 12, 13, 16 → due with 16 November
  const november = { acceptedAt: at('2026-11-02', '10:00'), promisedWorkingDays: 10 }
  const due = (pauses: Array<{ from: Date, to: Date | null, limitWorkingDays?: number }>, asOf?: Date) => caseDueAt(calendar, { ...november, pauses }, asOf).toISOString()

  t.test('a pause that spans a weekend adds only its working days', async (t) => {
    t.equal(due([]), '2026-11-16T16:00:00.000Z')
    const hearing = { from: at('2026-11-05', '10:00'), to: at('2026-11-10', '09:00') }
    // Thu 5 → Tue 10 covers Thu 5, Fri 6 and Mon 9 (the weekend 7–8 was never counted; on the 10th the clock runs):
    // running days 3 (1), 4 (2), 10 (3), 11, 12, 13, 16, 17, 18, 19 (10)
    t.same([...pausedWorkingDays(calendar, [hearing])], ['2026-11-05', '2026-11-06', '2026-11-09'])
    t.equal(due([hearing]), '2026-11-19T16:00:00.000Z', 'three working days later')
    t.equal(due([{ from: at('2026-11-07', '10:00'), to: at('2026-11-09', '08:30') }]), '2026-11-16T16:00:00.000Z', 'a pause over the weekend alone adds nothing')
    t.equal(due([{ from: at('2026-11-05', '10:00'), to: at('2026-11-05', '16:00') }]), '2026-11-16T16:00:00.000Z', 'a pause within one day adds nothing')
    t.equal(due([{ from: at('2026-11-06', '15:00'), to: at('2026-11-07', '11:00') }]), '2026-11-17T16:00:00.000Z', 'Friday lost, answered on Saturday: one day')
  })

  t.test('a special procedure counts up to its announced limit, and overlapping pauses count a day once', async (t) => {
    // expert review limited to 2 working days lasts Thu 5 → Wed 11 (5, 6, 9, 10): only 5 and 6 come off → 16 + 2 = 18
    t.equal(due([{ from: at('2026-11-05', '10:00'), to: at('2026-11-11', '10:00'), limitWorkingDays: 2 }]), '2026-11-18T16:00:00.000Z')
    // hearing 5 → 10 (5, 6, 9) and testing 9 → 11 (9, 10): together 5, 6, 9, 10 → 16 + 4 working days = 20
    t.equal(due([
      { from: at('2026-11-05', '10:00'), to: at('2026-11-10', '09:00') },
      { from: at('2026-11-09', '10:00'), to: at('2026-11-11', '09:00') }
    ]), '2026-11-20T16:00:00.000Z')
  })

  t.test('a pause after the due does not rescue a late case; one on the due day extends it', async (t) => {
    t.equal(due([{ from: at('2026-11-17', '10:00'), to: at('2026-11-20', '10:00') }]), '2026-11-16T16:00:00.000Z')
    // 9 running days end with Fri 13; Mon 16 and Tue 17 paused; Wed 18 is the 10th
    t.equal(due([{ from: at('2026-11-16', '10:00'), to: at('2026-11-18', '10:00') }]), '2026-11-18T16:00:00.000Z')
  })

  t.test('a correction pause', async (t) => {
    // in review: the applicant corrects Wed 4 → Thu 12 Nov, covering 4, 5, 6, 9, 10, 11 (6 working days):
    // running days 3 (1), 12 (2), 13, 16, 17, 18, 19, 20, 23, 24 (10)
    t.equal(due([{ from: at('2026-11-04', '09:00'), to: at('2026-11-12', '15:00') }]), '2026-11-24T16:00:00.000Z')
    // across the Spring Festival: accepted Tue 10 Feb, 8 days (11, 12, 13, 14, 24, 25, 26, 27 → 27 Feb without a pause);
    // a correction Thu 12 → Wed 25 lasts 13 calendar days but covers only 12, 13, 14, 24:
    // running days 11 (1), 25 (2), 26, 27, 28 make-up, 2 Mar, 3 Mar, 4 Mar (8)
    const february = { acceptedAt: at('2026-02-10', '10:00'), promisedWorkingDays: 8 }
    t.equal(caseDueAt(calendar, { ...february, pauses: [] }).toISOString(), '2026-02-27T16:00:00.000Z')
    t.equal(caseDueAt(calendar, { ...february, pauses: [{ from: at('2026-02-12', '10:00'), to: at('2026-02-25', '09:00') }] }).toISOString(), '2026-03-04T16:00:00.000Z')
    // at acceptance: notice Thu 12 Feb, answered and accepted Tue 24 Feb; 5 days from 24 Feb: 25, 26, 27, 28, 2 Mar —
    // the correction lies before the clock started and adds nothing
    const atAcceptance = { acceptedAt: at('2026-02-24', '14:00'), promisedWorkingDays: 5 }
    t.equal(caseDueAt(calendar, { ...atAcceptance, pauses: [] }).toISOString(), '2026-03-02T16:00:00.000Z')
    t.equal(caseDueAt(calendar, { ...atAcceptance, pauses: [{ from: at('2026-02-12', '10:00'), to: at('2026-02-24', '10:00') }] }).toISOString(), '2026-03-02T16:00:00.000Z')
  })

  t.test('an open pause counts up to the instant asked about', async (t) => {
    const open = { from: at('2026-11-05', '10:00'), to: null }
    t.throws(() => due([open]), RangeError)
    t.equal(due([open], at('2026-11-09', '10:00')), '2026-11-18T16:00:00.000Z', 'on Monday 9th: 5 and 6 paused so far')
    t.equal(due([open], at('2026-11-10', '10:00')), '2026-11-19T16:00:00.000Z', 'on Tuesday 10th: 5, 6 and 9')
    t.equal(due([{ from: at('2026-11-05', '10:00'), to: at('2026-11-20', '10:00') }], at('2026-11-10', '10:00')), '2026-11-19T16:00:00.000Z', 'a later end is not known yet')
    t.throws(() => due([{ from: at('2026-11-05'), to: at('2026-11-04') }]), RangeError)
    t.throws(() => caseDueAt(calendar, { ...november, promisedWorkingDays: -1, pauses: [] }), RangeError)
    t.throws(() => caseDueAt(calendar, { ...november, promisedWorkingDays: 1.5, pauses: [] }), RangeError)
  })
})

t.test('supervision colours', async (t) => {
  t.test('yellow and red boundaries', async (t) => {
    const dueAt = new Date('2026-11-16T16:00:00.000Z') // the end of Mon 16 Nov
    // working days after today up to the due day: on Wed 11 they are 12, 13, 16 (3); on Thu 12: 13, 16 (2)
    t.equal(workingDaysLeft(calendar, at('2026-11-11', '10:00'), dueAt), 3)
    t.equal(supervisionColour(calendar, at('2026-11-11', '23:59:59'), dueAt, 2), 'green')
    t.equal(supervisionColour(calendar, at('2026-11-12', '00:00'), dueAt, 2), 'yellow', 'two working days left: yellow with N = 2')
    t.equal(workingDaysLeft(calendar, at('2026-11-14', '10:00'), dueAt), 1, 'on Saturday only Monday is left')
    t.equal(supervisionColour(calendar, at('2026-11-13', '10:00'), dueAt, 0), 'green', 'N = 0: Friday has Monday left')
    t.equal(supervisionColour(calendar, at('2026-11-16', '00:00'), dueAt, 0), 'yellow', 'N = 0: yellow on the due day itself')
    t.equal(supervisionColour(calendar, at('2026-11-16', '23:59:59'), dueAt, 2), 'yellow', 'the last second is still in time')
    t.equal(supervisionColour(calendar, at('2026-11-17', '00:00'), dueAt, 2), 'red', 'overdue from midnight')
    t.equal(workingDaysLeft(calendar, at('2026-11-17', '10:00'), dueAt), -1)
    t.throws(() => supervisionColour(calendar, at('2026-11-12'), dueAt, -1), RangeError)
  })

  t.test('across the Spring Festival the make-up Saturday turns a case yellow', async (t) => {
    const dueAt = new Date('2026-02-26T16:00:00.000Z') // accepted 12 Feb with 5 days, computed above
    // on Fri 13 left are 14, 24, 25, 26 (4); on Sat 14 and through the holiday 24, 25, 26 (3)
    t.equal(supervisionColour(calendar, at('2026-02-13', '10:00'), dueAt, 3), 'green')
    t.equal(supervisionColour(calendar, at('2026-02-14', '10:00'), dueAt, 3), 'yellow')
    t.equal(workingDaysLeft(calendar, at('2026-02-20', '10:00'), dueAt), 3, 'the holiday does not use up days')
  })

  t.test('the stored warning instant agrees with the colour at every hour', async (t) => {
    const dues = [new Date('2026-11-16T16:00:00.000Z'), new Date('2026-02-26T16:00:00.000Z'), new Date('2026-10-09T16:00:00.000Z'), new Date('2026-02-14T16:00:00.000Z')]
    for (const dueAt of dues) {
      for (const warning of [0, 1, 2, 3, 5]) {
        const warnAt = warningStartsAt(calendar, dueAt, warning)
        let disagreements = 0
        for (let instant = dueAt.getTime() - 30 * 86_400_000; instant < dueAt.getTime(); instant += 3_600_000) {
          const expected = supervisionColour(calendar, new Date(instant), dueAt, warning)
          const stored = instant >= warnAt.getTime() ? 'yellow' : 'green'
          if (expected !== stored) disagreements++
        }
        t.equal(disagreements, 0, `due ${dueAt.toISOString()}, warning ${warning}: ${warnAt.toISOString()}`)
      }
    }
    t.same(warningStartsAt(calendar, new Date('2026-11-16T16:00:00.000Z'), 2), new Date('2026-11-11T16:00:00.000Z'), 'Thu 12 Nov starts yellow')
    t.same(warningStartsAt(calendar, new Date('2026-02-26T16:00:00.000Z'), 3), new Date('2026-02-13T16:00:00.000Z'), 'the make-up Saturday 14 Feb starts yellow')
  })

  t.test('a pause in progress holds the days left instead of turning red', async (t) => {
    // accepted Mon 2 Nov with 10 days (due 16 Nov); a hearing opens Thu 12 Nov
    const clock = { acceptedAt: at('2026-11-02', '10:00'), promisedWorkingDays: 10, pauses: [{ from: at('2026-11-12', '10:00'), to: null }] }
    t.same(superviseCase(calendar, clock, at('2026-11-12', '11:00'), 2), {
      colour: 'yellow', dueAt: new Date('2026-11-16T16:00:00.000Z'), workingDaysLeft: 2, paused: true
    }, 'as it opens: 13 and 16 left')
    // on Wed 18: 12, 13, 16, 17 paused → due 16 + 4 = 20; left 19, 20
    t.same(superviseCase(calendar, clock, at('2026-11-18', '10:00'), 2), {
      colour: 'yellow', dueAt: new Date('2026-11-20T16:00:00.000Z'), workingDaysLeft: 2, paused: true
    }, 'past the original due, still two days left')
    t.equal(superviseCase(calendar, { ...clock, pauses: [] }, at('2026-11-18', '10:00'), 2).colour, 'red', 'without the hearing the case is late')
    // the hearing ends Thu 19 09:00: 12, 13, 16, 17, 18 paused → due 16 + 5 = 23; left 20, 23
    t.same(superviseCase(calendar, { ...clock, pauses: [{ from: at('2026-11-12', '10:00'), to: at('2026-11-19', '09:00') }] }, at('2026-11-19', '10:00'), 2), {
      colour: 'yellow', dueAt: new Date('2026-11-23T16:00:00.000Z'), workingDaysLeft: 2, paused: false
    })
    // a hearing opened on Wed 18, after the due of 16 Nov, leaves the case red
    const late = superviseCase(calendar, { ...clock, pauses: [{ from: at('2026-11-18', '10:00'), to: null }] }, at('2026-11-19', '10:00'), 2)
    t.equal(late.colour, 'red')
    t.equal(late.dueAt.toISOString(), '2026-11-16T16:00:00.000Z')
    t.equal(late.paused, true)
  })
})

t.test('the chief representative decides inside the recorded delegation', async (t) => {
  const delegation: Delegation = {
    items: ['SCJG-001', 'SCJG-002'],
    decisions: ['approve'],
    from: at('2026-03-01', '00:00'),
    until: at('2026-07-01', '00:00') // the whole of 30 June included
  }
  const act = { itemCode: 'SCJG-001', decision: 'approve' as const, at: at('2026-04-15', '10:00') }
  t.equal(delegationGap(delegation, act), null)
  t.ok(isWithinDelegation(delegation, act))
  t.equal(delegationGap(delegation, { ...act, at: at('2026-02-28', '23:59:59') }), 'not_yet_valid')
  t.equal(delegationGap(delegation, { ...act, at: at('2026-03-01', '00:00') }), null, 'valid from its first instant')
  t.equal(delegationGap(delegation, { ...act, at: at('2026-06-30', '23:59:59') }), null)
  t.equal(delegationGap(delegation, { ...act, at: at('2026-07-01', '00:00') }), 'expired')
  t.equal(delegationGap(delegation, { ...act, itemCode: 'SCJG-003' }), 'item_not_delegated')
  t.equal(delegationGap(delegation, { ...act, decision: 'deny' }), 'decision_not_delegated', 'approving is delegated, denying is not')
  t.equal(delegationGap({ ...delegation, until: null }, { ...act, at: at('2030-01-01') }), null, 'until revoked')

  const both: Delegation = { ...delegation, decisions: ['approve', 'deny'] }
  t.equal(decisionProblem({ delegation: both, itemCode: 'SCJG-002', decision: 'deny', reasons: ['经营场所不符合消防要求'], at: act.at }), null)
  t.equal(decisionProblem({ delegation: both, itemCode: 'SCJG-002', decision: 'deny', reasons: [], at: act.at }), 'DECISION_REASONS_REQUIRED')
  t.equal(decisionProblem({ delegation: both, itemCode: 'SCJG-002', decision: 'deny', reasons: [' '], at: act.at }), 'DECISION_REASONS_REQUIRED')
  t.equal(decisionProblem({ delegation, itemCode: 'SCJG-002', decision: 'deny', reasons: ['理由'], at: act.at }), 'OUTSIDE_DELEGATION')
  t.equal(decisionProblem({ delegation, itemCode: 'SCJG-001', decision: 'approve', reasons: [], at: at('2026-07-02') }), 'OUTSIDE_DELEGATION')
  t.equal(decisionProblem({ delegation: null, itemCode: 'SCJG-001', decision: 'approve', reasons: [], at: act.at }), 'OUTSIDE_DELEGATION')
})

t.test('a bad rating is rectified within 15 working days; results are issued within 10', async (t) => {
  t.same([1, 2, 3, 4, 5].map((level) => isBadRating(level as RatingLevel)), [true, true, false, false, false])
  // rated Tue 10 Feb: 11, 12, 13, 14 make-up (4), 24, 25, 26, 27, 28 make-up (9), 2, 3, 4, 5, 6 Mar (14), 9 Mar (15)
  t.equal(rectificationDueAt(calendar, { level: 2, ratedAt: at('2026-02-10', '15:00') })?.toISOString(), '2026-03-09T16:00:00.000Z')
  // rated Mon 21 Sep: 22, 23, 24 (3), Mid-Autumn, 28, 29, 30 (6), National Day, 8, 9, 10 make-up (9), 12–16 (14), 19 Oct (15)
  t.equal(rectificationDueAt(calendar, { level: 1, ratedAt: at('2026-09-21', '15:00') })?.toISOString(), '2026-10-19T16:00:00.000Z')
  t.equal(rectificationDueAt(calendar, { level: 3, ratedAt: at('2026-09-21') }), null, 'basically satisfied calls for no rectification')
  t.throws(() => rectificationDueAt(calendar, { level: 6 as RatingLevel, ratedAt: at('2026-09-21') }), RangeError)
  // decided Tue 29 Sep: 30 (1), National Day, 8, 9, 10 make-up (4), 12–16 (9), 19 Oct (10)
  t.equal(resultIssueDueAt(calendar, at('2026-09-29', '16:00')).toISOString(), '2026-10-19T16:00:00.000Z')
})

t.test('case numbers: department, hall date, sequence', async (t) => {
  t.equal(caseNumber('SCJGJ', at('2026-02-11', '10:00'), 7), 'SCJGJ-20260211-0007')
  t.equal(caseNumber('SCJGJ', new Date('2026-02-11T16:30:00Z'), 7), 'SCJGJ-20260212-0007', '00:30 in Beijing is the next hall day')
  t.equal(caseNumber('SCJGJ', at('2026-02-11'), 12345), 'SCJGJ-20260211-12345', 'a busy day widens the sequence')
  t.same(parseCaseNumber('SCJGJ-20260211-0007'), { departmentCode: 'SCJGJ', date: '2026-02-11', sequence: 7 })
  t.same(parseCaseNumber(caseNumber('ZJ-JS', at('2026-10-10'), 42)), { departmentCode: 'ZJ-JS', date: '2026-10-10', sequence: 42 }, 'a hyphen in the department code stays unambiguous')
  t.equal(parseCaseNumber('SCJGJ-20260230-0001'), null, 'no 30 February')
  t.equal(parseCaseNumber('SCJGJ-20260211-00007'), null, 'one spelling per number')
  t.equal(parseCaseNumber('SCJGJ-20260211-0000'), null)
  t.equal(parseCaseNumber('-20260211-0001'), null)
  t.throws(() => caseNumber('SCJGJ', at('2026-02-11'), 0), RangeError)
  t.throws(() => caseNumber('SC JGJ', at('2026-02-11'), 1), RangeError)
})

t.test('query codes: random, unambiguous, checked', async (t) => {
  t.equal(QUERY_CODE_ALPHABET.length, 23)
  t.equal(new Set(QUERY_CODE_ALPHABET).size, 23)
  for (const confusable of '01OQILBGSZ8UV') t.notOk(QUERY_CODE_ALPHABET.includes(confusable), `no ${confusable}`)

  // indices 0..8 pick "2345679AC"; the check is Σ (i+1)·i = 240 ≡ 10 (mod 23) → the 11th symbol, E
  let next = 0
  const code = createQueryCode(() => next++)
  t.equal(code, '2345679ACE')
  t.equal(createQueryCode(() => 0), '2222222222', 'all zeros sum to 0 → the first symbol')
  t.ok(isValidQueryCode(code))
  t.equal(formatQueryCode(code), '23456-79ACE')
  t.equal(normaliseQueryCode(' 23456－79ace '), code, 'as typed: spaces, a full-width hyphen, lower case')
  t.ok(isValidQueryCode(normaliseQueryCode('２３４５６７９ＡＣＥ')), 'full-width forms from a Chinese input method')

  let substitutions = 0
  for (let i = 0; i < code.length; i++) {
    for (const symbol of QUERY_CODE_ALPHABET) {
      if (symbol === code[i]) continue
      substitutions++
      if (isValidQueryCode(code.slice(0, i) + symbol + code.slice(i + 1))) t.fail(`substituting ${symbol} at ${i} went unnoticed`)
    }
  }
  t.equal(substitutions, 10 * 22, 'every single wrong symbol is caught')
  for (let i = 0; i + 1 < code.length; i++) {
    t.notOk(isValidQueryCode(code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)), `swapping ${i} and ${i + 1} is caught`)
  }
  t.notOk(isValidQueryCode('2345679AC0'), 'a symbol outside the alphabet')
  t.notOk(isValidQueryCode('2345679ACEE'), 'too long')
  t.throws(() => createQueryCode(() => 23), RangeError, 'a random source out of range')
  t.throws(() => createQueryCode(() => 1.5), RangeError)
  t.throws(() => formatQueryCode('2345679ACD'), RangeError)
})
