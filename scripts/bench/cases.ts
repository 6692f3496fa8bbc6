/**
 * Approvals benchmarks, against the app listening on loopback (this process) with every client
 * in a child process of its own.
 *
 *   cases  1. BENCH_CASES (1,000,000) cases written straight into `cases` by one INSERT … SELECT
 *             over generate_series, spread over BENCH_CASE_DEPARTMENTS (20) departments, two
 *             windows each (a third of the cases filed online, no window) and one published item
 *             each: 95 % finished (closed, refused, withdrawn), 5 % open — a quarter submitted,
 *             a quarter in correction, half accepted or in review with due and warning instants
 *             from 10 days past to 30 days ahead (red, yellow and green), one in ten of those
 *             paused — with the pending timers and announced colours such a hall would have;
 *             then ANALYZE. GET /api/supervision/dashboard as a supervisor, after a warm-up, one
 *             request at a time for BENCH_SECONDS and then 8 at once. Baseline: GET
 *             /api/accounts/me (a trivial authenticated read) by the same supervisor, same
 *             client, same run; the ratio is of the p50s.
 *          2. BENCH_CLERKS (50) clerks, each with its own session, each accepting (POST
 *             /api/cases/:id/acceptance) its own BENCH_TRANSITIONS (6,000) / BENCH_CLERKS cases
 *             per round, every clerk at once, each on a connection opened before the clock starts
 *             (case-client.ts). Rounds of 2,000 gave the baseline a run of about a second, in
 *             which the clients' start weighed enough to lift the ratio by a tenth. The cases are written by SQL in state
 *             `submitted` with every required material and their acceptance timer, as filing
 *             leaves them. Baseline: POST /bench/cases/:id/touch, one authenticated request
 *             running `update cases set updated_at = now() where id = $1` (a primary-key update
 *             of one row of the same 1M-row table, a distinct row each time) on the same pool, by
 *             the same clients. Baseline and scenario
 *             alternate BENCH_ROUNDS (3) times; the round with the median ratio is reported.
 *
 * Setup (departments, windows, items through the catalogue routes, accounts, sessions) goes
 * through the real services and routes and is never timed; seeding is timed and printed.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import path from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { colourCounts } from '../../src/modules/cases/cases.repository.ts'
import { createUser, hallAdmin, supervisor, type TestUser } from '../../test/factories/accounts.ts'
import { itemContent, publishedItem } from '../../test/factories/catalogue.ts'
import { createDepartment, createWindow } from '../../test/factories/departments.ts'
import { percentile, pooled } from './bids.ts'
import { runLoad, type LoadResult } from './load.ts'

const MiB = 1024 * 1024

/** The baseline route: one primary-key update on the app's pool, behind the same authentication. */
export const caseBenchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // the baseline: one authenticated request, one primary-key update of a row of the same table
  app.post('/bench/cases/:caseId/touch', {
    config: { policy: 'authenticated' },
    schema: { params: Type.Object({ caseId: Type.String({ format: 'uuid' }) }), response: { 200: Type.Object({ n: Type.Integer() }) } }
  }, async (request) => {
    const rows = await app.db.$client`update cases set updated_at = now() where id = ${request.params.caseId} returning 1`
    return { n: rows.length }
  })
}

interface Hall {
  departments: Array<{ id: string, windows: [string, string], item: { id: string, version: number, code: string } }>
  supervisor: TestUser
}

/** Departments with two windows and one published item each (the default item: M1 and M2 required, no fee). */
async function createHall (app: FastifyInstance, count: number): Promise<Hall> {
  const admin = await hallAdmin(app)
  const departments = await pooled(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const department = await createDepartment(app, admin.id, `压力测试局${String(i + 1).padStart(2, '0')}`)
    const windows: [string, string] = [(await createWindow(app, admin.id, department.id)).id, (await createWindow(app, admin.id, department.id)).id]
    return { id: department.id, windows }
  })
  // one drafter for every department, one approver: two password hashes instead of forty
  const drafter = await createUser(app, { grants: departments.map((department) => ({ role: 'dept_admin' as const, scopeType: 'department' as const, scopeId: department.id })) })
  const desk = { drafter, approver: admin }
  const items = await pooled(departments, 4, (department) => publishedItem(app, { departmentId: department.id, desk }))
  return { departments: departments.map((department, i) => ({ ...department, item: items[i]! })), supervisor: await supervisor(app) }
}

// ---------------------------------------------------------------------------------------------
// 1. the dashboard over a million cases

/**
 * The cases, in one statement. Case i belongs to department i % D; one in 20 of each department's
 * cases is open (k = i / 400 numbers the open ones, and picks their state and clock).
 */
async function seedCases (app: FastifyInstance, hall: Hall, count: number) {
  const sql = app.db.$client
  await sql`create table bench_case_departments (n int primary key, department_id uuid, window_a uuid, window_b uuid, item_id uuid, item_version int, item_code text)`
  for (const [n, department] of hall.departments.entries()) {
    await sql`insert into bench_case_departments values (${n}, ${department.id}, ${department.windows[0]}, ${department.windows[1]}, ${department.item.id}, ${department.item.version}, ${department.item.code})`
  }
  const departmentCount = hall.departments.length
  const itemName = itemContent().name
  const started = performance.now()
  await sql`
    insert into cases (number, query_code_hash, item_id, item_version, item_code, item_name, department_id, window_id, mode, channel, applicant, request, state,
      correction_given, received_at, submitted_at, acceptance_due_at, accepted_at, clock_starts_at, promised_working_days, warning_working_days, due_at, warn_at,
      announced_colour, decision, decided_at, closed_at, withdrawn_at, updated_at)
    select 'BENCH-' || lpad(c.i::text, 8, '0'), md5(c.i::text), d.item_id, d.item_version, d.item_code, ${itemName}, d.department_id,
      case c.i % 3 when 0 then d.window_a when 1 then d.window_b end, 'promised'::case_mode, case c.i % 3 when 2 then 'online' else 'window' end,
      jsonb_build_object('name', '压力测试申请人' || c.i), '申请新办食品经营许可证', c.state::case_state,
      c.state = 'correction', c.submitted, c.submitted, c.submitted + interval '7 days',
      case when c.state not in ('submitted', 'correction', 'refused') then c.submitted + interval '1 day' end,
      case when c.state not in ('submitted', 'correction', 'refused') then c.submitted + interval '1 day' end,
      5, 2, c.due, c.due - interval '2 days',
      case when c.due <= now() then 'red' when c.due - interval '2 days' <= now() then 'yellow' end,
      case when c.state = 'closed' then 'approve' end, case when c.state = 'closed' then c.submitted + interval '4 days' end,
      case when c.state = 'closed' then c.submitted + interval '6 days' end, case when c.state = 'withdrawn' then c.submitted + interval '2 days' end,
      coalesce(c.due - interval '5 days', c.submitted + interval '6 days')
    from (
      select g.i,
        case
          when (g.i / ${departmentCount}) % 20 = 0 then (array['submitted', 'correction', 'accepted', 'review'])[(g.i / ${departmentCount * 20}) % 4 + 1]
          when (g.i / ${departmentCount}) % 20 = 1 then 'refused'
          when (g.i / ${departmentCount}) % 20 = 2 then 'withdrawn'
          else 'closed'
        end as state,
        case
          when (g.i / ${departmentCount}) % 20 <> 0 then now() - (g.i % 1000) * interval '1 day' - interval '10 days'
          else now() - ((g.i / ${departmentCount * 20}) % 5) * interval '1 day'
        end as submitted,
        -- accepted and review cases run their clock, but one in ten is paused (no due)
        case
          when (g.i / ${departmentCount}) % 20 = 0 and (g.i / ${departmentCount * 20}) % 4 >= 2 and (g.i / ${departmentCount * 20}) % 10 <> 0
          then now() + (((g.i / ${departmentCount * 20}) * 37) % 41 - 10) * interval '1 day' + (g.i % 24) * interval '1 hour'
        end as due
      from generate_series(1, ${count}::int) as g(i)
    ) as c
    join bench_case_departments d on d.n = c.i % ${departmentCount}`
  // the pending timers such cases have: acceptance limits, and the next colour change of a running clock
  await sql`
    insert into timers (kind, key, fire_at, payload)
    select 'case-acceptance', 'case-clock:' || id, acceptance_due_at, jsonb_build_object('caseId', id)
    from cases where state = 'submitted' and number like 'BENCH-%'`
  await sql`
    insert into timers (kind, key, fire_at, payload)
    select 'case-colour', 'case-clock:' || id, case when warn_at > now() then warn_at else due_at end, jsonb_build_object('caseId', id)
    from cases where state in ('accepted', 'review') and due_at > now() and number like 'BENCH-%'`
  await sql`vacuum analyze cases` // what autovacuum does after a bulk load: the visibility map lets the dashboard scan the index only
  await sql`analyze timers`
  const seedMs = performance.now() - started
  await sql`drop table bench_case_departments`
  const [sizes] = await sql`
    select pg_total_relation_size('cases')::bigint as total, pg_relation_size('cases')::bigint as heap,
      pg_relation_size('cases_open_supervision')::bigint as open_index,
      (select count(*)::int from cases where state in ('submitted', 'correction', 'accepted', 'review')) as open
    ` as Array<{ total: string, heap: string, open_index: string, open: number }>
  return {
    seedMs,
    totalMb: Number(sizes!.total) / MiB,
    heapMb: Number(sizes!.heap) / MiB,
    indexKb: Number(sizes!.open_index) / 1024,
    open: sizes!.open
  }
}

export interface DashboardResult {
  cases: number
  open: number
  seedMs: number
  totalMb: number
  heapMb: number
  indexKb: number
  sequential: LoadResult
  concurrent: LoadResult
  baselineSequential: LoadResult
  baselineConcurrent: LoadResult
  /** the two colour-count queries and the department names, in process, without HTTP (median of 20) */
  queryMs: number
  colours: { awaiting: number, green: number, yellow: number, red: number, paused: number }
  plan: string
}

async function measureDashboard (app: FastifyInstance, appUrl: string, hall: Hall, count: number, seconds: number) {
  const seeded = await seedCases(app, hall, count)
  const headers = hall.supervisor.headers
  const dashboard = `${appUrl}/api/supervision/dashboard`
  const me = `${appUrl}/api/accounts/me`
  const response = await app.inject({ method: 'GET', url: '/api/supervision/dashboard', headers })
  if (response.statusCode !== 200) throw new Error(`dashboard: ${response.statusCode} ${response.body}`)
  const colours = { awaiting: 0, green: 0, yellow: 0, red: 0, paused: 0 }
  for (const row of response.json().departments as Array<typeof colours>) for (const key of Object.keys(colours) as Array<keyof typeof colours>) colours[key] += row[key]

  await runLoad({ url: dashboard, headers, connections: 2, seconds: 2 }) // warm-up
  await runLoad({ url: me, headers, connections: 2, seconds: 1 })
  const baselineSequential = await runLoad({ url: me, headers, connections: 1, seconds })
  const sequential = await runLoad({ url: dashboard, headers, connections: 1, seconds })
  const baselineConcurrent = await runLoad({ url: me, headers, connections: 8, seconds })
  const concurrent = await runLoad({ url: dashboard, headers, connections: 8, seconds })
  for (const result of [baselineSequential, sequential, baselineConcurrent, concurrent]) {
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`dashboard requests failed: ${result.non2xx} non-2xx, ${result.errors} errors`)
  }

  const times: number[] = []
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const now = new Date()
    await colourCounts(app.db, null, now)
    times.push(performance.now() - started)
  }
  const plan = await app.db.$client.unsafe(`
    explain (analyze, buffers, costs off, timing off, summary on)
    select department_id, window_id, count(*) filter (where state in ('submitted', 'correction')), count(*) filter (where warn_at > now()),
      count(*) filter (where warn_at <= now() and due_at > now()), count(*) filter (where due_at <= now()),
      count(*) filter (where state in ('accepted', 'review') and due_at is null)
    from cases where state in ('submitted', 'correction', 'accepted', 'review') group by grouping sets ((department_id), (window_id))`) as Array<Record<string, string>>
  return {
    cases: count,
    ...seeded,
    sequential,
    concurrent,
    baselineSequential,
    baselineConcurrent,
    queryMs: percentile(times, 0.5),
    colours,
    plan: plan.map((line) => Object.values(line)[0]).join('\n')
  } satisfies DashboardResult
}

// ---------------------------------------------------------------------------------------------
// 2. acceptances by 50 clerks at once

interface ClientResult { requests: number, seconds: number, statuses: Record<string, number>, latencies: number[] }
export interface TransitionSide { perSecond: number, p50: number, p99: number, requests: number, failed: number, statuses: Record<string, number> }

async function runClient (job: { baseUrl: string, lanes: Array<{ authorization: string, paths: string[] }> }): Promise<ClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('scripts/bench/case-client.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin.end(JSON.stringify(job))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number]
  if (code !== 0) throw new Error(`case client exited with ${code}`)
  return JSON.parse(output) as ClientResult
}

/** Only answered transitions count; failures are kept, reported and fail the scenario. */
const sideOf = (result: ClientResult): TransitionSide => {
  const ok = result.statuses['200'] ?? 0
  return { perSecond: ok / result.seconds, p50: percentile(result.latencies, 0.5), p99: percentile(result.latencies, 0.99), requests: result.requests, failed: result.requests - ok, statuses: result.statuses }
}

/** `perClerk` submitted cases of each clerk's department, as filing leaves them: both materials, the acceptance timer. */
async function submittedCases (app: FastifyInstance, hall: Hall, clerkDepartments: number[], perClerk: number, batch: string): Promise<string[][]> {
  const sql = app.db.$client
  const ids = clerkDepartments.map(() => Array.from({ length: perClerk }, () => randomUUID()))
  const rows = clerkDepartments.flatMap((n, clerk) => ids[clerk]!.map((id, j) => ({ id, n, number: `BENCH-T-${batch}-${clerk}-${j}` })))
  const itemName = itemContent().name
  for (let from = 0; from < rows.length; from += 2000) {
    const chunk = rows.slice(from, from + 2000)
    const departments = chunk.map((row) => hall.departments[row.n]!)
    await sql`
      insert into cases (id, number, query_code_hash, item_id, item_version, item_code, item_name, department_id, window_id, mode, channel, applicant, request, state,
        received_at, submitted_at, acceptance_due_at, promised_working_days, warning_working_days, updated_at)
      select v.id, v.number, md5(v.number), v.item_id, v.item_version, v.item_code, ${itemName}, v.department_id, v.window_id, 'promised'::case_mode, 'window',
        jsonb_build_object('name', '压力测试申请人'), '申请新办食品经营许可证', 'submitted'::case_state, now(), now(), now() + interval '7 days', 5, 2, now()
      from unnest(${chunk.map((row) => row.id)}::uuid[], ${chunk.map((row) => row.number)}::text[], ${departments.map((d) => d.item.id)}::uuid[],
        ${departments.map((d) => d.item.version)}::int[], ${departments.map((d) => d.item.code)}::text[], ${departments.map((d) => d.id)}::uuid[],
        ${departments.map((d) => d.windows[0])}::uuid[]) as v(id, number, item_id, item_version, item_code, department_id, window_id)`
  }
  const all = rows.map((row) => row.id)
  await sql`
    insert into case_materials (case_id, code, file_name, blob_key, size, sha256, uploaded_at)
    select id, code, code || '.pdf', 'cases/materials/bench-' || id || '-' || code, 1024, md5(id::text || code) || md5(code), now()
    from unnest(${all}::uuid[]) as id, unnest(array['M1', 'M2']) as code`
  await sql`
    insert into timers (kind, key, fire_at, payload)
    select 'case-acceptance', 'case-clock:' || id, now() + interval '7 days', jsonb_build_object('caseId', id) from unnest(${all}::uuid[]) as id`
  return ids
}

export interface TransitionsResult {
  clerks: number
  perRound: number
  scenario: TransitionSide
  baseline: TransitionSide
  ratio: number
  ratios: number[]
  accepted: number
  expected: number
  /** statuses of the measured runs in which a request failed */
  failures: string[]
}

async function measureTransitions (app: FastifyInstance, appUrl: string, hall: Hall, clerks: number, perRound: number, rounds: number): Promise<TransitionsResult> {
  const sql = app.db.$client
  const clerkDepartments = Array.from({ length: clerks }, (_, i) => i % hall.departments.length)
  const sessions = await pooled(clerkDepartments, 4, (n) => createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: hall.departments[n]!.id }] }))
  const perClerk = Math.max(1, Math.ceil(perRound / clerks))
  const acceptances = (ids: string[][]) => ({ baseUrl: appUrl, lanes: sessions.map((clerk, i) => ({ authorization: clerk.headers.authorization, paths: ids[i]!.map((id) => `/api/cases/${id}/acceptance`) })) })
  // distinct rows spread over the whole table, as the acceptances are (a 2 % tablesample ran short of rows for long rounds on small tables)
  const sample = (await sql`select id from cases order by random() limit ${perClerk * clerks}` as Array<{ id: string }>).map((row) => row.id)
  const counters = { baseUrl: appUrl, lanes: sessions.map((clerk, i) => ({ authorization: clerk.headers.authorization, paths: sample.slice(i * perClerk, (i + 1) * perClerk).map((id) => `/bench/cases/${id}/touch`) })) }
  const batches: string[][][] = []
  for (let round = 0; round <= rounds; round++) batches.push(await submittedCases(app, hall, clerkDepartments, round === 0 ? 4 : perClerk, String(round)))
  await sql`vacuum analyze cases` // what autovacuum does after a bulk load: the visibility map lets the dashboard scan the index only

  await runClient(acceptances(batches[0]!)) // warm-up: plans, caches, connections
  await runClient({ ...counters, lanes: counters.lanes.map((lane) => ({ ...lane, paths: lane.paths.slice(0, 4) })) })
  const results: Array<{ scenario: TransitionSide, baseline: TransitionSide, ratio: number }> = []
  for (let round = 1; round <= rounds; round++) {
    const baseline = sideOf(await runClient(counters))
    const scenario = sideOf(await runClient(acceptances(batches[round]!)))
    results.push({ scenario, baseline, ratio: scenario.perSecond / baseline.perSecond })
  }
  const measured = batches.flat(2)
  const [check] = await sql`select count(*)::int as accepted from cases where id = any(${measured}::uuid[]) and state = 'accepted' and due_at is not null` as Array<{ accepted: number }>
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)]!
  const failures = results.flatMap((result) => [result.scenario, result.baseline]).filter((side) => side.failed > 0).map((side) => JSON.stringify(side.statuses))
  return { clerks, perRound: perClerk * clerks, ...median, ratios: results.map((result) => result.ratio), accepted: check!.accepted, expected: measured.length, failures }
}

// ---------------------------------------------------------------------------------------------

export async function measureCases (app: FastifyInstance, appUrl: string, seconds: number) {
  const count = Number(process.env.BENCH_CASES ?? 1_000_000)
  const departments = Number(process.env.BENCH_CASE_DEPARTMENTS ?? 20)
  const clerks = Number(process.env.BENCH_CLERKS ?? 50)
  const perRound = Number(process.env.BENCH_TRANSITIONS ?? 6000)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const hall = await createHall(app, departments)
  const dashboard = await measureDashboard(app, appUrl, hall, count, seconds)
  const transitions = await measureTransitions(app, appUrl, hall, clerks, perRound, rounds)
  return { departments, dashboard, transitions }
}
