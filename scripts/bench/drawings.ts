/**
 * Expert drawing benchmark, against the app listening on loopback (this process):
 *
 *   drawing  BENCH_EXPERTS (100,000) experts written by SQL over generate_series, each with an
 *            account, one to three level-3 specialties out of 30, a region out of 20, a current
 *            employer out of 20,000 organisations (a quarter with an earlier one ending within
 *            the last three years), and the facts recusal reads: 5 % declared relations, 2 %
 *            penalties or suspensions (half of them over), 3 % unavailable around the evaluation
 *            day, one in 200 employed by the tenderer; then ANALYZE. BENCH_DRAWS (40) drawings,
 *            one per published tender, each of 3 lines (specialties with 3 members + 1 reserve:
 *            9 + 3), requested by the agency and approved by the hall untimed; timed: the
 *            supervisor's POST /api/drawings/:id/draw (eligibility over the pool with every
 *            recusal rule, the snapshot and its hash, the draw, the sealed list, invitations,
 *            audit), one at a time after 3 warm-ups. Baseline: GET /bench/drawings/candidates,
 *            one authenticated request running a plain indexed query of the same candidates
 *            (active experts holding the request's specialties, ids only), the same number of
 *            times by the same client. The figure is the draw's p95; the ratio is of the p95s.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { hallAdmin, supervisor, type TestUser } from '../../test/factories/accounts.ts'
import { addVenue, publishedTender, tradingDesk } from '../../test/factories/trading.ts'
import { percentile } from './bids.ts'

/** The baseline route: the candidates of a drawing's specialties by one plain indexed query. */
export const drawingBenchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/bench/drawings/candidates', {
    config: { policy: 'authenticated' },
    schema: { querystring: Type.Object({ codes: Type.String({ maxLength: 200 }) }), response: { 200: Type.Object({ n: Type.Integer() }) } }
  }, async (request) => {
    const rows = await app.db.$client`
      select distinct e.id from expert_specialties s join experts e on e.id = s.expert_id
      where s.specialty_code = any(${request.query.codes.split(',')}::text[]) and e.status = 'active'`
    return { n: rows.length }
  })
}

const REGIONS = ['330102', '330105', '330106', '330108', '330109', '330110', '330111', '330112', '330113', '330114',
  '330122', '330127', '330182', '330183', '330185', '330203', '330205', '330206', '330211', '330212']

/** The pool, in a few statements; returns the specialty codes used and the seeding time. */
async function seedPool (app: FastifyInstance, count: number, tendererCreditCode: string, evaluationDay: string) {
  const sql = app.db.$client
  const specialties = (await sql`select code from specialties where level = 3 order by code limit 30`).map((row) => row.code as string)
  if (specialties.length < 30) throw new Error(`the classification has ${specialties.length} level-3 specialties; the benchmark needs 30`)
  const started = performance.now()
  await sql`
    insert into accounts (kind, username, display_name, phone, status)
    select 'person', 'bench_expert_' || g.i, '压测专家' || g.i, '139' || lpad(g.i::text, 8, '0'), 'active'
    from generate_series(1, ${count}::int) as g(i)`
  await sql`
    insert into experts (account_id, code, full_name, title, practice_since, region_code)
    select a.id, 'BZ-' || lpad(n::text, 6, '0'), a.display_name,
      (array['senior', 'associate_senior', 'intermediate', 'senior'])[n % 4 + 1]::expert_title,
      1985 + (n * 7) % 36, (${REGIONS}::text[])[(n * 13) % 20 + 1]
    from (select id, display_name, substr(username, 14)::int as n from accounts where username like 'bench_expert_%') a`
  await sql`create table bench_experts as select id, substr(code, 4)::int as n from experts where code like 'BZ-%'`
  await sql`
    insert into expert_specialties (expert_id, specialty_code)
    select id, (${specialties}::text[])[n % 30 + 1] from bench_experts
    union select id, (${specialties}::text[])[(n * 7 + 3) % 30 + 1] from bench_experts where n % 3 <> 0
    union select id, (${specialties}::text[])[(n * 13 + 5) % 30 + 1] from bench_experts where n % 5 = 0`
  // organisation k's credit code; the tenderer employs one expert in 200
  const org = (k: string) => `'91330100' || lpad(((${k}) % 20000)::text, 9, '0') || 'X'`
  await sql.unsafe(`
    insert into expert_employments (expert_id, organisation_name, credit_code, from_date, to_date)
    select id, '压测单位' || (n * 31) % 20000, case when n % 200 = 0 then $1 else ${org('n * 31')} end, date '2015-01-01' + (n % 3000), null from bench_experts
    union all
    select id, '压测单位' || (n * 17) % 20000, ${org('n * 17')}, date '2008-01-01' + (n % 1000), date '2015-01-01' + (n % 3000) - 1 from bench_experts where n % 4 = 0`, [tendererCreditCode])
  await sql.unsafe(`
    insert into expert_relations (expert_id, kind, organisation_name, credit_code)
    select id, (case when n % 40 = 0 then 'shareholding' else 'relative' end)::relation_kind, '压测关联单位' || (n * 11) % 20000, ${org('n * 11')}
    from bench_experts where n % 20 = 0`)
  await sql`
    insert into expert_penalties (expert_id, kind, reason, from_date, to_date)
    select id, (case when n % 100 = 0 then 'penalty' else 'suspension' end)::penalty_kind, '压测处理记录', date '2026-01-01', case when n % 100 = 0 then date '2026-06-30' end
    from bench_experts where n % 50 = 0`
  await sql`
    insert into expert_unavailability (expert_id, from_date, to_date, reason)
    select id, ${evaluationDay}::date - (n % 3), ${evaluationDay}::date + (n % 2), '出差' from bench_experts where n % 33 = 0`
  await sql`drop table bench_experts`
  for (const table of ['accounts', 'experts', 'expert_specialties', 'expert_employments', 'expert_relations', 'expert_penalties', 'expert_unavailability']) await sql.unsafe(`analyze ${table}`)
  return { specialties, seedMs: performance.now() - started }
}

export interface DrawingBenchResult {
  experts: number
  draws: number
  seedMs: number
  drawMs: { p50: number, p95: number, max: number }
  baselineMs: { p50: number, p95: number, max: number }
  ratio: number
  eligible: number
  candidates: number
}

const summary = (times: number[]) => ({ p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: Math.max(...times) })

export async function measureDrawings (app: FastifyInstance, appUrl: string, count: number, draws: number): Promise<DrawingBenchResult> {
  const desk = await tradingDesk(app)
  const operator: TestUser = await hallAdmin(app)
  const watcher: TestUser = await supervisor(app)
  const warmups = 3
  const tenders = []
  // a room each: their openings fall at the same instant
  for (let i = 0; i < draws + warmups; i++) tenders.push(await publishedTender(app, desk, {}, { venueId: await addVenue(app, desk.hall) }))
  const [project] = await app.db.$client`select tenderer_credit_code from projects p join tenders t on t.project_id = p.id where t.id = ${tenders[0]!.id}`
  // the draws run three hours before the bid deadline (after the lead time began), for an
  // evaluation two hours after it: this process moves its app's clock there, as an embedder may
  const deadline = Math.min(...tenders.map((tender) => new Date(tender.bidDeadline).getTime()))
  const shift = deadline - 3 * 3600_000 - Date.now()
  app.clock.now = () => new Date(Date.now() + shift)
  const evaluationAt = new Date(deadline + 2 * 3600_000)
  const evaluationDay = new Date(evaluationAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
  const { specialties, seedMs } = await seedPool(app, count, project!.tenderer_credit_code as string, evaluationDay)

  async function call (method: 'GET' | 'POST', url: string, user: TestUser, body?: unknown) {
    const response = await fetch(`${appUrl}${url}`, {
      method, headers: { ...user.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`)
    return JSON.parse(text) as Record<string, unknown>
  }

  const drawTimes: number[] = []
  const baselineTimes: number[] = []
  let eligible = 0
  let candidates = 0
  for (const [i, tender] of tenders.entries()) {
    const codes = [0, 1, 2].map((k) => specialties[(i * 3 + k) % 30]!)
    const drawing = await call('POST', `/api/tenders/${tender.id}/drawings`, desk.agency, {
      committeeSize: 9,
      tendererRepresentatives: 0,
      lines: codes.map((specialtyCode, k) => ({ specialtyCode, side: k === 2 ? 'economic' : 'technical', count: 3, reserves: 1 })),
      evaluationAt: evaluationAt.toISOString(),
      evaluationPlace: null,
      regionsInclude: [],
      regionsExclude: []
    })
    const id = drawing.id as string
    await call('POST', `/api/drawings/${id}/approve`, operator, {})

    const baselineStarted = performance.now()
    const plain = await call('GET', `/bench/drawings/candidates?codes=${codes.join(',')}`, watcher)
    const baselineMs = performance.now() - baselineStarted

    const started = performance.now()
    const drawn = await call('POST', `/api/drawings/${id}/draw`, watcher, { nonce: `bench-${i}-${Date.now()}` })
    const drawMs = performance.now() - started
    if (drawn.state !== 'drawn') throw new Error(`drawing ${id} ended ${String(drawn.state)}`)
    if (i >= warmups) {
      drawTimes.push(drawMs)
      baselineTimes.push(baselineMs)
      candidates = plain.n as number
    }
    const [snapshot] = await app.db.$client`select sum(length(eligible) / 8)::int as eligible from drawing_snapshots where drawing_id = ${id}`
    eligible = snapshot!.eligible as number
  }
  const [drawnCount] = await app.db.$client`select count(*)::int as n from drawn_experts d join drawings g on g.id = d.drawing_id where g.tender_id = any(${tenders.map((tender) => tender.id)}::uuid[])`
  if (drawnCount!.n !== tenders.length * 12) throw new Error(`expected ${tenders.length * 12} drawn experts, found ${drawnCount!.n}`)
  // the draw's own integrity: no drawn expert is one a recusal rule should have kept out
  const today = new Date(app.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10)
  const [conflicted] = await app.db.$client`
    select count(*)::int as n from drawn_experts d join drawings g on g.id = d.drawing_id
    where g.tender_id = any(${tenders.map((tender) => tender.id)}::uuid[]) and (
      exists (select 1 from expert_employments m where m.expert_id = d.expert_id and m.credit_code = ${project!.tenderer_credit_code as string}
        and (m.to_date is null or m.to_date >= ${evaluationDay}::date - interval '3 years'))
      or exists (select 1 from expert_penalties p where p.expert_id = d.expert_id and p.from_date <= ${today}::date and (p.to_date is null or p.to_date >= ${today}::date))
      or exists (select 1 from expert_unavailability u where u.expert_id = d.expert_id and ${evaluationDay}::date between u.from_date and u.to_date))`
  if (conflicted!.n !== 0) throw new Error(`${conflicted!.n} drawn experts should have been excluded`)
  const drawMs = summary(drawTimes)
  const baselineMs = summary(baselineTimes)
  return { experts: count, draws, seedMs, drawMs, baselineMs, ratio: drawMs.p95 / baselineMs.p95, eligible, candidates }
}
