/**
 * The drawable pool (expert_pool, kept by the triggers of migration 0015) is always what the
 * experts and their specialties say: one row per active expert and specialty, with the expert's
 * region. Checked after each kind of change through the service, and after many clerks change
 * the same experts at once (withdraw, reinstate, new specialties, new regions), where a trigger
 * that read a stale status would leave a withdrawn expert drawable.
 */
import t from 'tap'
import { hallAdmin } from '../factories/accounts.ts'
import { createExpert } from '../factories/experts.ts'
import { buildTestApp } from '../helper.ts'
import { pooled } from '../../scripts/bench/bids.ts'

type Row = { specialty_code: string, expert_id: string, region_code: string }

t.test('expert_pool follows every change of status, region and specialties, also under concurrent changes', async (t) => {
  const { app } = await buildTestApp(t)
  const sql = app.db.$client
  const admin = await hallAdmin(app)
  /** a change through the API, as the hall's pages make it; the answer's status */
  const change = async (expertId: string, what: 'withdrawal' | 'reinstatement' | { specialties?: string[], regionCode?: string }) => {
    const response = typeof what === 'string'
      ? await app.inject({ method: 'POST', url: `/api/experts/${expertId}/${what}`, headers: admin.headers })
      : await app.inject({ method: 'PATCH', url: `/api/experts/${expertId}`, headers: admin.headers, payload: what })
    return { status: response.statusCode, code: response.json().code as string | undefined }
  }
  /** the pool as the triggers keep it, and as the tables say it should be */
  const kept = async () => (await sql<Row[]>`select specialty_code, expert_id::text, region_code from expert_pool order by 1, 2`).map((row) => ({ ...row }))
  const truth = async () => (await sql<Row[]>`
    select s.specialty_code, s.expert_id::text, e.region_code from expert_specialties s join experts e on e.id = s.expert_id
    where e.status = 'active' order by 1, 2`).map((row) => ({ ...row }))

  const first = await createExpert(app, { specialties: ['A010101', 'A010102'], regionCode: '330102' })
  const second = await createExpert(app, { specialties: ['B010101'], regionCode: '330105' })
  t.same(await kept(), await truth(), 'a new expert is drawable in each of their specialties')
  t.equal((await kept()).filter((row) => row.expert_id === first.expertId).length, 2)

  t.equal((await change(first.expertId, { specialties: ['A010102', 'A010103'] })).status, 200)
  t.same((await kept()).filter((row) => row.expert_id === first.expertId).map((row) => row.specialty_code), ['A010102', 'A010103'], 'specialties replaced')
  t.equal((await change(first.expertId, { regionCode: '330106' })).status, 200)
  t.ok((await kept()).filter((row) => row.expert_id === first.expertId).every((row) => row.region_code === '330106'), 'a new region on every row')
  t.equal((await change(second.expertId, 'withdrawal')).status, 200)
  t.notOk((await kept()).some((row) => row.expert_id === second.expertId), 'a withdrawn expert is not drawable')
  t.equal((await change(second.expertId, 'reinstatement')).status, 200)
  t.same(await kept(), await truth(), 'reinstated: drawable again')

  // many clerks at once on a few experts: whatever order the transactions commit in, the pool agrees with the tables
  const crowd = [first, second, ...await Promise.all(Array.from({ length: 4 }, () => createExpert(app, { specialties: ['A010101'] })))]
  const codes = ['A010101', 'A010102', 'A010103', 'B010101']
  const changes = Array.from({ length: 120 }, (_, i) => ({ expert: crowd[i % crowd.length]!, kind: i % 4, code: codes[(i * 7) % 4]!, region: `33010${i % 9}` }))
  const answers = await pooled(changes, 12, async ({ expert, kind, code, region }) =>
    change(expert.expertId, kind === 0 ? 'withdrawal' : kind === 1 ? 'reinstatement' : kind === 2 ? { specialties: [code] } : { regionCode: region }))
  // withdrawing a withdrawn expert, or reinstating an active one, is refused: a state the race had already reached
  t.same(answers.filter((answer) => answer.status !== 200 && !['EXPERT_WITHDRAWN', 'EXPERT_ACTIVE'].includes(answer.code ?? '')), [], 'every change answered or refused for the state it found')
  t.same(await kept(), await truth(), 'after 120 concurrent changes the pool is exactly the active experts\' specialties')
})
