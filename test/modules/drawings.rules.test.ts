/** The drawing's pure rules: the committee rules by name, and each recusal rule with its explanation. */
import t from 'tap'
import {
  annualCapReached, BIDDER_RULES, employedByParty, exclusionsOf, outsideRegions, penalisedOrSuspended, relatedToParty, sameTendererRecently, supervisingDepartmentStaff,
  unavailableOnEvaluationDate, yearsBefore, type ExpertFacts, type RecusalContext
} from '../../src/modules/drawings/drawings.recusal.rules.ts'
import { answerByOf, canMove, committeeFindings, drawFromOf, type CommitteeRequest } from '../../src/modules/drawings/drawings.rules.ts'

const line = (count: number, side: 'technical' | 'economic' = 'technical', specialtyCode = 'A010101') => ({ specialtyCode, side, count, reserves: 1 })
const rulesOf = (request: CommitteeRequest, tradeType: Parameters<typeof committeeFindings>[1]['tradeType'], budgetFen = 500_000_000n) =>
  committeeFindings(request, { tradeType, budgetFen }).map((finding) => finding.rule)

t.test('committee rules, each named when broken', async (t) => {
  const works = (size: number, experts: number[], representatives = 0): CommitteeRequest => ({ committeeSize: size, tendererRepresentatives: representatives, lines: experts.map((count, index) => line(count, index ? 'economic' : 'technical', `A01010${index}`)) })
  t.same(rulesOf(works(5, [4, 1]), 'construction_works'), [], 'works: 5, odd, all experts')
  t.same(rulesOf(works(7, [4, 1], 2), 'construction_works'), [], 'works: 5 experts and 2 representatives of 7 (5/7 ≥ 2/3)')
  t.same(rulesOf(works(4, [3, 1]), 'construction_works'), ['works_five_and_odd'], 'works: 4 is too few and even')
  t.same(rulesOf(works(6, [5, 1]), 'construction_works'), ['works_five_and_odd'], 'works: 6 is even')
  t.same(rulesOf(works(5, [2, 1], 2), 'construction_works'), ['experts_two_thirds'], 'experts 3 of 5 are under two thirds')
  t.same(rulesOf(works(7, [4, 1]), 'construction_works'), ['committee_size_adds_up'], 'the lines must add up to the committee')
  t.same(rulesOf(works(3, [2, 1]), 'procurement_goods'), [], 'procurement under ¥10M: 3 is enough')
  t.same(rulesOf(works(5, [4, 1]), 'procurement_goods', 1_000_000_000n), ['large_procurement_seven_and_odd'], 'procurement of ¥10M or more needs 7')
  t.same(rulesOf(works(7, [5, 2]), 'procurement_services', 1_000_000_000n), [])
  t.same(rulesOf(works(5, [4, 1]), 'procurement_works', 1_200_000_000n), ['large_procurement_seven_and_odd'], 'works procured by the government meet both rule sets')
  t.same(rulesOf({ committeeSize: 5, tendererRepresentatives: 0, lines: [line(3), line(2)] }, 'construction_works'), ['one_line_per_specialty_and_side'])
  const [finding] = committeeFindings(works(4, [3, 1]), { tradeType: 'construction_works', budgetFen: 1n })
  t.match(finding, { rule: 'works_five_and_odd', path: '/committeeSize', message: /5 or more/ }, 'a finding says where and why')
})

t.test('the state machine, the lead time and the answer deadline', async (t) => {
  t.ok(canMove('requested', 'approved'))
  t.ok(canMove('approved', 'failed'))
  t.notOk(canMove('drawn', 'approved'), 'a drawing is never run twice')
  t.notOk(canMove('failed', 'drawn'), 'a failed drawing stays failed')
  t.ok(canMove('drawn', 'cancelled'), 'a drawn drawing is called off with its evaluation')
  t.notOk(canMove('published', 'cancelled'), 'a published one stays published')
  const evaluationAt = new Date('2026-06-10T01:30:00Z')
  t.equal(drawFromOf(evaluationAt, 48).toISOString(), '2026-06-08T01:30:00.000Z')
  t.equal(answerByOf(new Date('2026-06-09T00:00:00Z'), 120, evaluationAt).toISOString(), '2026-06-09T02:00:00.000Z')
  t.equal(answerByOf(new Date('2026-06-10T01:00:00Z'), 120, evaluationAt).toISOString(), evaluationAt.toISOString(), 'never after the evaluation starts')
})

const TENDERER = '91330100MA2TENDER0'
const AGENCY = '91330100MA2AGENCY0'
const BIDDER = '91330100MA2BIDDER0'

const context: RecusalContext = {
  today: '2026-06-08',
  evaluationDate: '2026-06-10',
  parties: [{ role: 'tenderer', name: '示范县教育局', creditCode: TENDERER }, { role: 'agency', name: '示范招标代理', creditCode: AGENCY }, { role: 'bidder', name: '第一建设', creditCode: BIDDER }],
  supervisingDepartmentId: 'dept-housing',
  tendererCreditCode: TENDERER,
  sameTendererDays: 90,
  annualCap: 3,
  regionsInclude: [],
  regionsExclude: []
}

const clean: ExpertFacts = { expertId: 'e1', regionCode: '330106', employments: [], relations: [], penalties: [], unavailability: [], servedFor: [] }
const job = (creditCode: string, fromDate: string, toDate: string | null, departmentId: string | null = null) => ({ organisationName: 'X', creditCode, departmentId, fromDate, toDate })

t.test('each recusal rule explains itself, and only excludes what it names', async (t) => {
  t.same(exclusionsOf(clean, context), [], 'an expert with no conflicting fact is eligible')

  t.match(employedByParty({ ...clean, employments: [job(BIDDER, '2020-01-01', null)] }, context), { rule: 'employed_by_party', detail: /works for the bidder 第一建设/ })
  t.match(employedByParty({ ...clean, employments: [job(AGENCY, '2015-01-01', '2023-06-08')] }, context), { rule: 'employed_by_party', detail: /until 2023-06-08 \(within 3 years\)/ }, 'left exactly three years ago: still excluded')
  t.equal(employedByParty({ ...clean, employments: [job(AGENCY, '2015-01-01', '2023-06-07')] }, context), null, 'left more than three years ago')
  t.equal(employedByParty({ ...clean, employments: [job('91330100MA2OTHER00', '2015-01-01', null)] }, context), null)

  t.match(relatedToParty({ ...clean, relations: [{ kind: 'relative', organisationName: 'X', creditCode: TENDERER, endedAt: null }] }, context), { rule: 'related_to_party', detail: /relative relation with the tenderer/ })
  t.equal(relatedToParty({ ...clean, relations: [{ kind: 'shareholding', organisationName: 'X', creditCode: TENDERER, endedAt: new Date('2025-01-01') }] }, context), null, 'an ended relation is history')

  t.match(supervisingDepartmentStaff({ ...clean, employments: [job('123', '2019-01-01', null, 'dept-housing')] }, context), { rule: 'supervising_department_staff' })
  t.equal(supervisingDepartmentStaff({ ...clean, employments: [job('123', '2019-01-01', '2024-01-01', 'dept-housing')] }, context), null, 'former staff of the department are not its staff')
  t.equal(supervisingDepartmentStaff({ ...clean, employments: [job('123', '2019-01-01', null, 'dept-housing')] }, { ...context, supervisingDepartmentId: null }), null)

  t.match(penalisedOrSuspended({ ...clean, penalties: [{ kind: 'suspension', reason: '无故缺席', fromDate: '2026-06-01', toDate: '2026-12-01' }] }, context), { rule: 'penalised_or_suspended', detail: /suspension from 2026-06-01 to 2026-12-01/ })
  t.match(penalisedOrSuspended({ ...clean, penalties: [{ kind: 'penalty', reason: 'r', fromDate: '2026-01-01', toDate: null }] }, context), { detail: /until lifted/ })
  t.equal(penalisedOrSuspended({ ...clean, penalties: [{ kind: 'penalty', reason: 'r', fromDate: '2025-01-01', toDate: '2026-06-07' }] }, context), null, 'a penalty that ended before the draw')

  t.match(sameTendererRecently({ ...clean, servedFor: [{ tendererCreditCode: TENDERER, evaluationDate: '2026-03-12' }] }, context), { rule: 'same_tenderer_recently', detail: /within 90 days/ })
  t.equal(sameTendererRecently({ ...clean, servedFor: [{ tendererCreditCode: TENDERER, evaluationDate: '2026-03-11' }] }, context), null, '91 days before')
  t.equal(sameTendererRecently({ ...clean, servedFor: [{ tendererCreditCode: BIDDER, evaluationDate: '2026-06-01' }] }, context), null, 'another tenderer')

  const served = (dates: string[]) => ({ ...clean, servedFor: dates.map((evaluationDate) => ({ tendererCreditCode: 'other', evaluationDate })) })
  t.match(annualCapReached(served(['2026-01-05', '2026-02-05', '2026-03-05']), context), { rule: 'annual_cap_reached', detail: /3 committees in 2026; the cap is 3/ })
  t.equal(annualCapReached(served(['2025-01-05', '2026-02-05', '2026-03-05']), context), null, 'last year does not count')

  t.match(unavailableOnEvaluationDate({ ...clean, unavailability: [{ fromDate: '2026-06-10', toDate: '2026-06-12' }] }, context), { rule: 'unavailable_on_evaluation_date' })
  t.equal(unavailableOnEvaluationDate({ ...clean, unavailability: [{ fromDate: '2026-06-08', toDate: '2026-06-09' }] }, context), null)

  t.match(outsideRegions(clean, { ...context, regionsInclude: ['3302', '31'] }), { rule: 'region_not_included' })
  t.equal(outsideRegions(clean, { ...context, regionsInclude: ['33'] }), null, 'a province prefix includes its counties')
  t.match(outsideRegions(clean, { ...context, regionsExclude: ['330106'] }), { rule: 'region_excluded' })

  const many = { ...clean, employments: [job(BIDDER, '2020-01-01', null)], unavailability: [{ fromDate: '2026-06-10', toDate: '2026-06-10' }] }
  t.same(exclusionsOf(many, context).map((exclusion) => exclusion.rule), ['employed_by_party', 'unavailable_on_evaluation_date'], 'every reason, not only the first')
  t.same(exclusionsOf(many, context, BIDDER_RULES).map((exclusion) => exclusion.rule), ['employed_by_party'], 'the recheck applies the bidder rules only')
  t.equal(yearsBefore('2028-02-29', 3), '2025-02-28')
})
