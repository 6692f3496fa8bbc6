/**
 * The draw reads the pool with only the facts its recusal rules could act on (poolOf), not every
 * history (factsOf): over experts with facts on both sides of every rule's edges — employment with
 * a party ending exactly three years before or a day earlier, relations ended or not, penalties
 * ending the day before the draw or on it, unavailability ending the day before the evaluation,
 * calls for the same tenderer inside and outside the period and earlier in the year — the rules
 * must reach the same verdict, expert by expert, on both.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { exclusionsOf, type RecusalContext } from '../../src/modules/drawings/drawings.recusal.rules.ts'
import { factsOf, poolOf } from '../../src/modules/drawings/drawings.repository.ts'
import { addCalendarDays } from '../../src/lib/working-days.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { createDepartment } from '../factories/departments.ts'
import { TENDERER_CREDIT_CODE } from '../factories/drawings.ts'
import { addVenue, publishedTender, tradingDesk } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'

const TODAY = '2026-06-10'
const EVALUATION = '2026-06-12'
const AGENCY = '91330100MA1L2M3N4X'
const BIDDER = '91330100MA2B3C4D5Y'
const STRANGER = '91330100MA9Z8Y7X6W'

t.test('the pool\'s pre-filtered facts give the rules the same verdicts as whole histories', async (t) => {
  const { app } = await buildTestApp(t)
  const sql = app.db.$client
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id, '县住房和城乡建设局')
  const desk = await tradingDesk(app)
  // three tenders of the same tenderer: this drawing's, and two earlier committees experts were called to
  const tenderInRoom = async () => publishedTender(app, desk, {}, { venueId: await addVenue(app, desk.hall) })
  const [tender, earlier, older] = [await tenderInRoom(), await tenderInRoom(), await tenderInRoom()]
  const drawingId = randomUUID()
  const earlierDrawing = randomUUID()
  const olderDrawing = randomUUID()
  const drawingRow = (id: string, tenderId: string, state: string, evaluationAt: string) => sql`
    insert into drawings (id, tender_id, state, requested_by, request, evaluation_at, draw_from)
    values (${id}, ${tenderId}, ${state}, ${desk.agency.id}, '{}'::jsonb, ${evaluationAt}::timestamptz, ${evaluationAt}::timestamptz - interval '2 days')`
  await drawingRow(drawingId, tender!.id, 'approved', `${EVALUATION}T01:30:00Z`)
  await drawingRow(earlierDrawing, earlier!.id, 'published', `${addCalendarDays(EVALUATION, -30)}T01:30:00Z`)
  await drawingRow(olderDrawing, older!.id, 'drawn', `${addCalendarDays(EVALUATION, -120)}T01:30:00Z`)

  const employments: Array<[string, string | null, string | null]> = [
    [TENDERER_CREDIT_CODE, null, null], [AGENCY, '2023-06-10', null], [AGENCY, '2023-06-09', null], [BIDDER, '2024-01-01', null],
    [STRANGER, null, null], [STRANGER, null, department.id], [STRANGER, '2026-06-09', department.id], [STRANGER, null, null]
  ]
  const penalties: Array<[string, string | null] | null> = [null, ['2026-01-01', '2026-06-09'], ['2026-01-01', TODAY], ['2026-06-11', null], ['2025-01-01', null], null]
  const away: Array<[string, string] | null> = [null, ['2026-06-01', '2026-06-11'], ['2026-06-12', '2026-06-20'], ['2026-06-13', '2026-06-20'], null]
  const relations: Array<[string, string | null] | null> = [null, [BIDDER, null], [AGENCY, '2026-01-01T00:00:00Z'], [STRANGER, null], null, null, null]
  const calls: Array<string[]> = [[], [earlierDrawing], [olderDrawing], [earlierDrawing, olderDrawing], [], []]
  const ids: string[] = []
  for (let i = 0; i < 84; i++) {
    const [account] = await sql`insert into accounts (kind, username, display_name) values ('person', ${`pool_${i}`}, ${`专家${i}`}) returning id`
    const [expert] = await sql`insert into experts (account_id, code, full_name, title, practice_since, region_code) values (${account!.id}, ${`ZJ-P${i}`}, ${`专家${i}`}, 'senior', 2000, ${i % 9 === 0 ? '330200' : '330102'}) returning id`
    const id = expert!.id as string
    ids.push(id)
    await sql`insert into expert_specialties (expert_id, specialty_code) values (${id}, ${i % 4 === 3 ? 'A020101' : 'A010101'})`
    const [code, toDate, departmentId] = employments[i % employments.length]!
    await sql`insert into expert_employments (expert_id, organisation_name, credit_code, department_id, from_date, to_date) values (${id}, '某单位', ${code}, ${departmentId}, '2015-01-01', ${toDate})`
    const penalty = penalties[i % penalties.length]
    if (penalty) await sql`insert into expert_penalties (expert_id, kind, reason, from_date, to_date) values (${id}, 'suspension', '违反纪律', ${penalty[0]}, ${penalty[1]})`
    const period = away[(i * 7) % away.length]
    if (period) await sql`insert into expert_unavailability (expert_id, from_date, to_date) values (${id}, ${period[0]}, ${period[1]})`
    const relation = relations[(i * 3) % relations.length]
    if (relation) await sql`insert into expert_relations (expert_id, kind, organisation_name, credit_code, ended_at) values (${id}, 'relative', '亲属单位', ${relation[0]}, ${relation[1]})`
    for (const call of calls[(i * 5) % calls.length]!) await sql`insert into drawn_experts (drawing_id, expert_id, pseudonym, line, position, role, state) values (${call}, ${id}, ${`p${i}`}, 0, ${i}, 'member', 'confirmed')`
  }
  // one expert outside the requested specialties, with facts, never in the pool
  await sql`insert into expert_specialties (expert_id, specialty_code) values (${ids[0]!}, 'B040101')`

  const context: RecusalContext = {
    today: TODAY,
    evaluationDate: EVALUATION,
    parties: [{ role: 'tenderer', name: '招标人', creditCode: TENDERER_CREDIT_CODE }, { role: 'agency', name: '代理机构', creditCode: AGENCY }, { role: 'bidder', name: '投标人', creditCode: BIDDER }],
    supervisingDepartmentId: department.id,
    tendererCreditCode: TENDERER_CREDIT_CODE,
    sameTendererDays: 90,
    annualCap: 2,
    regionsInclude: [],
    regionsExclude: ['3302']
  }
  const pool = await poolOf(app.db, drawingId, ['A010101', 'A020101'], {
    partyCodes: context.parties.map((party) => party.creditCode),
    supervisingDepartmentId: department.id,
    today: TODAY,
    evaluationDate: EVALUATION,
    calledSince: [addCalendarDays(EVALUATION, -90), '2026-01-01'].sort()[0]!
  })
  const whole = new Map((await factsOf(app.db, drawingId, ids)).map((expert) => [expert.expertId, expert]))
  t.equal(pool.length, 84, 'every active expert of the specialties is a candidate')
  const verdicts = new Map<string, number>()
  for (const expert of pool) {
    const fast = exclusionsOf(expert, context)
    t.same(fast, exclusionsOf(whole.get(expert.expertId)!, context), `the same verdict for ${whole.get(expert.expertId)!.fullName}`)
    for (const { rule } of fast) verdicts.set(rule, (verdicts.get(rule) ?? 0) + 1)
  }
  t.same([...verdicts.keys()].sort(), [
    'annual_cap_reached', 'employed_by_party', 'penalised_or_suspended', 'region_excluded', 'related_to_party',
    'same_tenderer_recently', 'supervising_department_staff', 'unavailable_on_evaluation_date'
  ], 'every rule excluded someone: the comparison is not vacuous')
  t.ok(pool.some((expert) => exclusionsOf(expert, context).length === 0), 'and some experts stay eligible')
  t.ok(pool.reduce((facts, expert) => facts + expert.employments.length, 0) < [...whole.values()].reduce((facts, expert) => facts + expert.employments.length, 0), 'the pool read fewer facts than the histories hold')
})
