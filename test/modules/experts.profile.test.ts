import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { createExpert, randomCreditCode, signInExpert } from '../factories/experts.ts'

/** 10:00 in Beijing on 2026-06-15. */
const NOW = new Date('2026-06-15T02:00:00.000Z')

t.test('unavailable dates: from today, within a year, never overlapping; taken back only before they begin', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const expert = await createExpert(app)
  const headers = await signInExpert(app, expert)
  const declare = (fromDate: string, toDate: string) => app.inject({ method: 'POST', url: '/api/me/expert/unavailability', headers, payload: { fromDate, toDate, reason: '出差' } })

  const ok = await declare('2026-06-15', '2026-06-20')
  t.equal(ok.statusCode, 200)
  t.match(ok.json().unavailability, [{ fromDate: '2026-06-15', toDate: '2026-06-20', reason: '出差' }])
  t.equal((await declare('2026-06-14', '2026-06-16')).json().code, 'UNAVAILABILITY_IN_PAST')
  t.equal((await declare('2026-06-20', '2026-06-22')).json().code, 'UNAVAILABILITY_OVERLAPS')
  t.equal((await declare('2026-07-02', '2026-07-01')).json().code, 'EXPERT_DATES_INVALID')
  t.equal((await declare('2027-06-01', '2027-06-30')).json().code, 'UNAVAILABILITY_TOO_FAR')
  const later = await declare('2026-08-01', '2026-08-03')
  t.equal(later.json().unavailability.length, 2)

  const [begun, future] = later.json().unavailability as Array<{ id: string }>
  const refused = await app.inject({ method: 'DELETE', url: `/api/me/expert/unavailability/${begun!.id}`, headers })
  t.equal(refused.json().code, 'UNAVAILABILITY_STARTED')
  const removed = await app.inject({ method: 'DELETE', url: `/api/me/expert/unavailability/${future!.id}`, headers })
  t.equal(removed.json().unavailability.length, 1)
})

t.test('a change of employer waits for the hall; approval ends the old job the day before and records the new one', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const expert = await createExpert(app, { employedFrom: '2015-03-01' })
  const headers = await signInExpert(app, expert)
  const newEmployer = randomCreditCode()

  const proposed = await app.inject({
    method: 'POST',
    url: '/api/me/expert/changes',
    headers,
    payload: { kind: 'employment', employment: { organisationName: '省建筑科学研究院', creditCode: newEmployer, fromDate: '2026-07-01' } }
  })
  t.equal(proposed.statusCode, 201)
  t.equal(proposed.json().state, 'pending')
  // nothing changed yet: the rules that keep conflicted experts out read the approved facts only
  const before = await app.inject({ method: 'GET', url: '/api/me/expert', headers })
  t.equal(before.json().employments.length, 1)
  t.equal(before.json().pendingChange, true)
  const second = await app.inject({ method: 'POST', url: '/api/me/expert/changes', headers, payload: { kind: 'relation_added', relation: { kind: 'relative', organisationName: '某公司', creditCode: randomCreditCode() } } })
  t.equal(second.json().code, 'PROFILE_CHANGE_PENDING')

  const queue = await app.inject({ method: 'GET', url: '/api/experts?pendingChange=true', headers: admin.headers })
  t.same(queue.json().items.map((item: { id: string }) => item.id), [expert.expertId])

  const approved = await app.inject({ method: 'POST', url: `/api/experts/${expert.expertId}/changes/${proposed.json().id}/approval`, headers: admin.headers })
  t.equal(approved.statusCode, 200)
  t.match(approved.json().employments, [
    { organisationName: '省建筑科学研究院', creditCode: newEmployer, fromDate: '2026-07-01', toDate: null },
    { creditCode: expert.creditCode, fromDate: '2015-03-01', toDate: '2026-06-30' }
  ])
  t.match(approved.json().changes, [{ state: 'approved' }])
  t.equal(approved.json().pendingChange, false)
  const twice = await app.inject({ method: 'POST', url: `/api/experts/${expert.expertId}/changes/${proposed.json().id}/approval`, headers: admin.headers })
  t.equal(twice.json().code, 'PROFILE_CHANGE_DECIDED')
  const audit = await app.db.$client<Array<{ action: string }>>`select action from audit_entries where stream = ${`expert:${expert.expertId}`} order by seq`
  t.same(audit.map((row) => row.action), ['expert.created', 'expert.change_proposed', 'expert.change_approved'])
})

t.test('relations: added and ended through approved proposals; a refusal says why and changes nothing; a proposal can be withdrawn', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const expert = await createExpert(app)
  const headers = await signInExpert(app, expert)
  const propose = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/me/expert/changes', headers, payload })
  const review = (changeId: string, decision: 'approval' | 'refusal', payload?: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/api/experts/${expert.expertId}/changes/${changeId}/${decision}`, headers: admin.headers, ...(payload ? { payload } : {}) })

  const company = randomCreditCode()
  const added = await propose({ kind: 'relation_added', relation: { kind: 'relative', organisationName: '某某建设集团有限公司', creditCode: company, note: '配偶任项目经理' } })
  const withRelation = await review(added.json().id, 'approval')
  const relation = withRelation.json().relations[0]
  t.match(relation, { kind: 'relative', creditCode: company, endedAt: null })

  const ending = await propose({ kind: 'relation_ended', relationId: relation.id })
  const refused = await review(ending.json().id, 'refusal', { reason: '请提供离职证明' })
  t.match(refused.json().changes.find((change: { id: string }) => change.id === ending.json().id), { state: 'refused', refusalReason: '请提供离职证明' })
  t.equal(refused.json().relations[0].endedAt, null)
  t.equal((await review(ending.json().id, 'refusal', {})).statusCode, 400)

  const again = await propose({ kind: 'relation_ended', relationId: relation.id })
  t.equal(again.statusCode, 201)
  const withdrawn = await app.inject({ method: 'DELETE', url: `/api/me/expert/changes/${again.json().id}`, headers })
  t.equal(withdrawn.statusCode, 204)
  t.equal(await countRows(app, "expert_profile_changes where state = 'pending'"), 0)
  const ended = await review((await propose({ kind: 'relation_ended', relationId: relation.id })).json().id, 'approval')
  t.ok(ended.json().relations[0].endedAt)
  t.equal((await propose({ kind: 'relation_ended', relationId: relation.id })).json().code, 'RELATION_NOT_FOUND')

  const badCode = await propose({ kind: 'relation_added', relation: { kind: 'shareholding', organisationName: '某公司', creditCode: '911111111111111111' } })
  t.equal(badCode.json().code, 'CREDIT_CODE_INVALID')
  const early = await propose({ kind: 'employment', employment: { organisationName: '某公司', creditCode: randomCreditCode(), fromDate: '2010-01-01' } })
  t.equal(early.json().code, 'EMPLOYMENT_START_INVALID')
})

t.test('an account with the expert role but no profile is told so', async (t) => {
  const { app } = await buildTestApp(t)
  const { createUser } = await import('../factories/accounts.ts')
  const bare = await createUser(app, { grants: [{ role: 'expert', scopeType: 'hall' }] })
  const res = await app.inject({ method: 'GET', url: '/api/me/expert', headers: bare.headers })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'EXPERT_PROFILE_NOT_FOUND')
})
