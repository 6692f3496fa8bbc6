import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser, hallAdmin, organisation, supervisor } from '../factories/accounts.ts'
import { createExpert, randomCreditCode, signInExpert } from '../factories/experts.ts'
import { addVenue, publishedTender, tradingDesk } from '../factories/trading.ts'
import { createDepartment } from '../factories/departments.ts'

/** 10:00 in Beijing on 2026-06-15: dates below are read against this day. */
const NOW = new Date('2026-06-15T02:00:00.000Z')

t.test('the specialty classification is public, three levels over works, goods and services', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/specialties' })
  t.equal(res.statusCode, 200)
  const tree = res.json() as Array<{ code: string, branch: string, children: Array<{ code: string, children: Array<{ code: string, name: string }> }> }>
  t.same([...new Set(tree.map((node) => node.branch))], ['works', 'goods', 'services'])
  const level3 = tree.flatMap((one) => one.children.flatMap((two) => two.children))
  t.ok(level3.length >= 30)
  t.ok(level3.every((node) => /^[ABC][0-9]{6}$/.test(node.code)))
  const two = tree.find((node) => node.code === 'A01')!.children.find((node) => node.code === 'A0102')!
  t.ok(two.children.some((node) => node.code === 'A010203' && node.name === '建筑电气工程'))
})

t.test('the hall creates an expert with a new account, who signs in and reads their own profile', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const creditCode = randomCreditCode()
  const res = await app.inject({
    method: 'POST',
    url: '/api/experts',
    headers: admin.headers,
    payload: {
      account: { username: 'wang.jianguo', phone: '13900001111' },
      fullName: '王建国',
      title: 'senior',
      practiceSince: 2001,
      regionCode: '330102',
      specialties: ['A010101', 'A050101'],
      employment: { organisationName: '杭州某建筑设计院有限公司', creditCode, fromDate: '2010-04-01' }
    }
  })
  t.equal(res.statusCode, 201)
  const { expert, oneTimePassword } = res.json()
  t.match(expert, { code: 'ZJ-000001', fullName: '王建国', yearsOfPractice: 25, employer: '杭州某建筑设计院有限公司', drawsThisYear: 0, status: 'active', username: 'wang.jianguo' })
  t.same(expert.specialties, ['A010101', 'A050101'])
  t.same(expert.specialtyNames.map((s: { name: string }) => s.name), ['建筑工程施工', '建筑工程造价'])
  t.type(oneTimePassword, 'string')

  // the one-time password signs in; the account holds the expert role in the hall scope
  const session = await app.services.sessions.signIn({ username: 'wang.jianguo', password: oneTimePassword, ip: '127.0.0.1', userAgent: 'test', requestId: 't' })
  const account = await app.services.accounts.getAccount(expert.accountId)
  t.match(account.grants, [{ role: 'expert', scopeType: 'hall', scopeId: null }])
  t.equal(account.mustChangePassword, true)
  t.ok(session.token)

  const second = await createExpert(app, { specialties: ['B020101'] })
  t.equal((await app.services.experts.findByAccount(second.accountId))?.code, 'ZJ-000002')
})

t.test('creation refuses bad input with a specific code and writes nothing', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const base = { account: { username: 'li.ming', phone: '13900002222' }, fullName: '李明', title: 'intermediate', practiceSince: 2012, regionCode: '330102', specialties: ['A010101'] }
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ specialties: ['A019999'] }, 422, 'SPECIALTY_UNKNOWN'],
    [{ specialties: ['A01'] }, 400, 'VALIDATION_FAILED'],
    [{ regionCode: '990102' }, 422, 'REGION_CODE_INVALID'],
    [{ practiceSince: 2027 }, 422, 'PRACTICE_YEAR_INVALID'],
    // a well-formed code whose check character is wrong
    [{ employment: { organisationName: '某公司', creditCode: '91330100MA2B3C4D41', fromDate: '2015-01-01' } }, 400, 'CREDIT_CODE_INVALID'],
    [{ account: { username: 'li.ming', phone: '12345' } }, 400, 'VALIDATION_FAILED'],
    [{ account: { username: 'li.ming', phone: '13900002222', password: 'short' } }, 400, 'WEAK_PASSWORD']
  ]
  for (const [change, status, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/experts', headers: admin.headers, payload: { ...base, ...change } })
    t.equal(res.statusCode, status, code)
    t.equal(res.json().code, code)
  }
  t.equal(await countRows(app, 'experts'), 0)
  t.equal(await countRows(app, "accounts where username = 'li.ming'"), 0)

  const taken = await createUser(app)
  const clash = await app.inject({ method: 'POST', url: '/api/experts', headers: admin.headers, payload: { ...base, account: { username: taken.username, phone: '13900002222' } } })
  t.equal(clash.json().code, 'USERNAME_TAKEN')
  const company = await organisation(app, 'bidder')
  const notPerson = await app.inject({ method: 'POST', url: '/api/experts', headers: admin.headers, payload: { ...base, account: { accountId: company.id } } })
  t.equal(notPerson.json().code, 'EXPERT_ACCOUNT_NOT_PERSON')
  t.equal(await countRows(app, 'experts'), 0)
})

t.test('an existing person joins the pool on their own account, once', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const person = await createUser(app)
  const payload = { account: { accountId: person.id }, fullName: '赵敏', title: 'associate_senior', practiceSince: 2015, regionCode: '330102', specialties: ['C020101'] }
  const res = await app.inject({ method: 'POST', url: '/api/experts', headers: admin.headers, payload })
  t.equal(res.statusCode, 201)
  t.equal(res.json().oneTimePassword, null)
  t.equal(res.json().expert.employer, null)
  const again = await app.inject({ method: 'POST', url: '/api/experts', headers: admin.headers, payload })
  t.equal(again.json().code, 'EXPERT_ACCOUNT_TAKEN')
  // the expert role took effect on the person's existing session
  const own = await app.inject({ method: 'GET', url: '/api/me/expert', headers: person.headers })
  t.equal(own.json().fullName, '赵敏')
})

t.test('the pool is searched by specialty at any level, region, status and name, with this year\'s draws', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const watcher = await supervisor(app)
  const a = await createExpert(app, { specialties: ['A010101', 'A010203'], regionCode: '330102', fullName: '张工' })
  const b = await createExpert(app, { specialties: ['A020101'], regionCode: '330106', fullName: '陈工' })
  const c = await createExpert(app, { specialties: ['B030101'], regionCode: '320102', fullName: '刘医' })
  const names = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/api/experts?${query}`, headers: watcher.headers })
    t.equal(res.statusCode, 200, query)
    return (res.json().items as Array<{ fullName: string }>).map((item) => item.fullName)
  }
  t.same(await names('specialty=A01'), ['张工'])
  t.same(await names('specialty=A02'), ['陈工'])
  t.same(await names('specialty=A0102'), ['张工'])
  t.same(await names('specialty=A010203'), ['张工'])
  t.same(await names('region=33'), ['张工', '陈工'])
  t.same(await names('region=320102'), ['刘医'])
  t.same(await names('q=陈'), ['陈工'])
  t.same(await names('q=ZJ-000003'), ['刘医'])
  const page = await app.inject({ method: 'GET', url: '/api/experts?limit=2&offset=2', headers: watcher.headers })
  t.equal(page.json().total, 3)
  t.equal(page.json().items.length, 1)

  // this year's draws: confirmed places on drawings run in the hall's current year (Beijing) only.
  // The drawing module writes these rows; here they are written directly to prove what the pool reads.
  const desk = await tradingDesk(app)
  const sql = app.db.$client
  const drawn = async (drawnAt: string, state: string) => {
    const tender = await publishedTender(app, desk, {}, { venueId: await addVenue(app, desk.hall) })
    const [drawing] = await sql<Array<{ id: string }>>`
      insert into drawings (tender_id, state, requested_by, request, evaluation_at, draw_from, drawn_at)
      values (${tender.id}, 'published', ${desk.agency.id}, '{}'::jsonb, ${drawnAt}, ${drawnAt}, ${drawnAt}) returning id`
    await sql`insert into drawn_experts (drawing_id, expert_id, pseudonym, line, position, role, state)
      values (${drawing!.id}, ${a.expertId}, 'E1', 0, 0, 'member', ${state})`
  }
  await drawn('2025-12-31T16:30:00.000Z', 'confirmed') // 00:30 on 1 January 2026 in Beijing: this year
  await drawn('2025-12-31T15:30:00.000Z', 'confirmed') // 23:30 on 31 December 2025 in Beijing: last year
  await drawn('2026-03-01T02:00:00.000Z', 'declined')
  const listed = await app.inject({ method: 'GET', url: '/api/experts?specialty=A01', headers: watcher.headers })
  t.equal(listed.json().items[0].drawsThisYear, 1)
  t.equal(listed.json().items[0].yearsOfPractice, 18)

  const withdrawn = await app.inject({ method: 'POST', url: `/api/experts/${c.expertId}/withdrawal`, headers: admin.headers })
  t.equal(withdrawn.json().status, 'withdrawn')
  t.same(await names('status=active'), ['张工', '陈工'])
  t.equal((await app.inject({ method: 'POST', url: `/api/experts/${c.expertId}/withdrawal`, headers: admin.headers })).json().code, 'EXPERT_WITHDRAWN')
  t.equal((await app.inject({ method: 'POST', url: `/api/experts/${c.expertId}/reinstatement`, headers: admin.headers })).json().status, 'active')
  t.equal(b.code, 'ZJ-000002')
})

t.test('the hall edits facts, records employment, relations and penalties; lifting is setting the end date', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id, '县住房和城乡建设局')
  const expert = await createExpert(app, { employedFrom: '2015-03-01' })
  const url = `/api/experts/${expert.expertId}`

  const edited = await app.inject({ method: 'PATCH', url, headers: admin.headers, payload: { title: 'associate_senior', regionCode: '330106', specialties: ['C010101', 'C010102'] } })
  t.equal(edited.statusCode, 200)
  t.match(edited.json(), { title: 'associate_senior', regionCode: '330106', specialties: ['C010101', 'C010102'] })
  t.equal((await app.inject({ method: 'PATCH', url, headers: admin.headers, payload: { specialties: ['C0101'] } })).statusCode, 400)

  const newEmployer = randomCreditCode()
  const moved = await app.inject({ method: 'POST', url: `${url}/employments`, headers: admin.headers, payload: { organisationName: '县住房和城乡建设局', creditCode: newEmployer, fromDate: '2026-07-01', departmentId: department.id } })
  t.equal(moved.statusCode, 200)
  const employments = moved.json().employments as Array<{ creditCode: string, fromDate: string, toDate: string | null, departmentId: string | null }>
  t.match(employments, [{ creditCode: newEmployer, fromDate: '2026-07-01', toDate: null, departmentId: department.id }, { creditCode: expert.creditCode, fromDate: '2015-03-01', toDate: '2026-06-30' }])
  const early = await app.inject({ method: 'POST', url: `${url}/employments`, headers: admin.headers, payload: { organisationName: '某公司', creditCode: randomCreditCode(), fromDate: '2026-06-01' } })
  t.equal(early.json().code, 'EMPLOYMENT_START_INVALID')

  const related = await app.inject({ method: 'POST', url: `${url}/relations`, headers: admin.headers, payload: { kind: 'shareholding', organisationName: '某某投资有限公司', creditCode: randomCreditCode(), note: '持股5%' } })
  const relation = related.json().relations[0]
  t.match(relation, { kind: 'shareholding', endedAt: null })
  const ended = await app.inject({ method: 'DELETE', url: `${url}/relations/${relation.id}`, headers: admin.headers })
  t.ok(ended.json().relations[0].endedAt)
  t.equal((await app.inject({ method: 'DELETE', url: `${url}/relations/${relation.id}`, headers: admin.headers })).json().code, 'RELATION_NOT_FOUND')

  const suspended = await app.inject({ method: 'POST', url: `${url}/penalties`, headers: admin.headers, payload: { kind: 'suspension', reason: '无故缺席评标', fromDate: '2026-06-01' } })
  const penalty = suspended.json().penalties[0]
  t.match(penalty, { kind: 'suspension', toDate: null, inForce: true })
  const badRange = await app.inject({ method: 'POST', url: `${url}/penalties`, headers: admin.headers, payload: { kind: 'penalty', reason: '违规', fromDate: '2026-06-01', toDate: '2026-05-01' } })
  t.equal(badRange.json().code, 'EXPERT_DATES_INVALID')
  const lifted = await app.inject({ method: 'PUT', url: `${url}/penalties/${penalty.id}/end`, headers: admin.headers, payload: { toDate: '2026-06-10' } })
  t.match(lifted.json().penalties[0], { toDate: '2026-06-10', inForce: false })
  const beforeStart = await app.inject({ method: 'PUT', url: `${url}/penalties/${penalty.id}/end`, headers: admin.headers, payload: { toDate: '2026-05-01' } })
  t.equal(beforeStart.json().code, 'PENALTY_END_INVALID')

  const audit = await app.db.$client<Array<{ action: string }>>`select action from audit_entries where stream = ${`expert:${expert.expertId}`} order by seq`
  t.same(audit.map((row) => row.action), [
    'expert.created', 'expert.updated', 'expert.employment_recorded', 'expert.relation_recorded', 'expert.relation_ended',
    'expert.penalty_recorded', 'expert.penalty_ended'
  ])
})

t.test('access: experts see only their own profile; a bidder and the public are kept out of the pool', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const one = await createExpert(app)
  const other = await createExpert(app)
  const oneHeaders = await signInExpert(app, one)
  const bidder = await organisation(app, 'bidder')
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id, '县财政局')
  const localSupervisor = await createUser(app, { grants: [{ role: 'supervisor', scopeType: 'department', scopeId: department.id }] })

  t.equal((await app.inject({ method: 'GET', url: '/api/me/expert', headers: oneHeaders })).json().id, one.expertId)
  t.equal((await app.inject({ method: 'GET', url: `/api/experts/${other.expertId}`, headers: oneHeaders })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/experts', headers: oneHeaders })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/experts', headers: bidder.headers })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/me/expert', headers: bidder.headers })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/experts' })).statusCode, 401)
  const scoped = await app.inject({ method: 'GET', url: '/api/experts', headers: localSupervisor.headers })
  t.equal(scoped.statusCode, 403)
  t.equal(scoped.json().code, 'EXPERT_POOL_NOT_IN_SCOPE')
  t.equal((await app.inject({ method: 'POST', url: `/api/experts/${other.expertId}/withdrawal`, headers: (await supervisor(app)).headers })).statusCode, 403)
  // an expert's withdrawal of a change that is another's is not found
  const otherHeaders = await signInExpert(app, other)
  const proposed = await app.inject({ method: 'POST', url: '/api/me/expert/changes', headers: otherHeaders, payload: { kind: 'relation_added', relation: { kind: 'relative', organisationName: '某公司', creditCode: randomCreditCode() } } })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/me/expert/changes/${proposed.json().id}`, headers: oneHeaders })).statusCode, 404)
  const unknown = await app.inject({ method: 'GET', url: '/api/experts/00000000-0000-4000-8000-000000000000', headers: admin.headers })
  t.equal(unknown.json().code, 'EXPERT_NOT_FOUND')
})
