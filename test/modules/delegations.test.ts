import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { chiefRep, publishedItem, recordDelegation } from '../factories/catalogue.ts'
import { createDepartment } from '../factories/departments.ts'

const HOUR = 3_600_000

t.test('a department has one chief representative at a time: a new delegation ends the one in force', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const item = await publishedItem(app, { departmentId: market.id, code: 'SCJG-001' })
  const other = await publishedItem(app, { departmentId: market.id, code: 'SCJG-002', desk: item.desk })
  const first = await chiefRep(app, market.id)
  const second = await chiefRep(app, market.id)
  const deptAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: market.id }] })
  const url = `/api/departments/${market.id}/delegations`

  const before = app.clock.now()
  const recorded = await app.inject({ method: 'POST', url, headers: deptAdmin.headers, payload: { chiefRepId: first.id, itemCodes: ['SCJG-001'], decisions: ['approve'], reference: '市监授〔2026〕1号' } })
  t.equal(recorded.statusCode, 201, recorded.body)
  t.match(recorded.json(), { departmentId: market.id, chiefRepId: first.id, itemCodes: ['SCJG-001'], decisions: ['approve'], reference: '市监授〔2026〕1号', validUntil: null, inForce: true, recordedBy: deptAdmin.id })
  t.ok(new Date(recorded.json().validFrom).getTime() >= before.getTime(), 'in force from when it is recorded')

  const inForce = await app.services.departments.delegationInForce(market.id, new Date(Date.now() + HOUR))
  t.match(inForce, { id: recorded.json().id, chiefRepId: first.id, delegation: { items: ['SCJG-001'], decisions: ['approve'], until: null } })
  t.ok(inForce!.delegation.from instanceof Date)
  t.equal(await app.services.departments.delegationInForce(market.id, new Date(before.getTime() - HOUR)), null, 'nobody before it')

  // the second chief representative takes over tomorrow; the first one's delegation ends then
  const tomorrow = new Date(Date.now() + 24 * HOUR)
  const next = await recordDelegation(app, { departmentId: market.id, chiefRepId: second.id, itemCodes: [item.code, other.code], decisions: ['approve', 'deny'], validFrom: tomorrow, by: admin })
  t.equal(next.inForce, false, 'not yet')
  const history = (await app.inject({ method: 'GET', url, headers: deptAdmin.headers })).json()
  t.same(history.map((row: { id: string }) => row.id), [next.id, recorded.json().id], 'newest first')
  t.equal(history[1].validUntil, tomorrow.toISOString(), 'the one in force ends where the new one starts')
  t.equal(history[1].inForce, true, 'until tomorrow')
  t.equal((await app.services.departments.delegationInForce(market.id, new Date(tomorrow.getTime() - 1)))?.chiefRepId, first.id)
  t.match(await app.services.departments.delegationInForce(market.id, tomorrow), { id: next.id, chiefRepId: second.id, delegation: { items: ['SCJG-001', 'SCJG-002'], decisions: ['approve', 'deny'] } })

  const trail = await app.db.$client`select action, subject_id, payload from audit_entries where subject_type = 'delegation' order by id`
  t.same(trail.map((row) => [row.action, row.subject_id]), [
    ['delegation.recorded', recorded.json().id], ['delegation.ended', recorded.json().id], ['delegation.recorded', next.id]
  ])
  t.same(trail[2]!.payload.supersedes, [recorded.json().id])
})

t.test('a delegation names a chief representative of the department, the department\'s items and a sound period', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const health = await createDepartment(app, admin.id, '县卫生健康局')
  await publishedItem(app, { departmentId: market.id, code: 'SCJG-001' })
  await publishedItem(app, { departmentId: health.id, code: 'WJ-001' })
  const rep = await chiefRep(app, market.id)
  const healthRep = await chiefRep(app, health.id)
  const clerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: market.id }] })
  const healthAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: health.id }] })
  const url = `/api/departments/${market.id}/delegations`
  const valid = { chiefRepId: rep.id, itemCodes: ['SCJG-001'], decisions: ['approve', 'deny'], reference: '授〔2026〕2号' }
  const post = (payload: object, headers = admin.headers) => app.inject({ method: 'POST', url, headers, payload })

  const rows = await countRows(app, 'delegations')
  const audit = await countRows(app, 'audit_entries')
  const refusals: Array<[object, number, string]> = [
    [{ ...valid, chiefRepId: clerk.id }, 422, 'CHIEF_REP_NOT_GRANTED'],
    [{ ...valid, chiefRepId: healthRep.id }, 422, 'CHIEF_REP_NOT_GRANTED'],
    [{ ...valid, chiefRepId: '00000000-0000-4000-8000-000000000000' }, 422, 'CHIEF_REP_NOT_GRANTED'],
    [{ ...valid, itemCodes: ['WJ-001'] }, 422, 'DELEGATION_ITEM_UNKNOWN'],
    [{ ...valid, itemCodes: ['NOPE-1'] }, 422, 'DELEGATION_ITEM_UNKNOWN'],
    [{ ...valid, validFrom: new Date(Date.now() + HOUR).toISOString(), validUntil: new Date().toISOString() }, 422, 'DELEGATION_PERIOD_INVALID'],
    [{ ...valid, validFrom: new Date(Date.now() - 24 * HOUR).toISOString() }, 422, 'DELEGATION_BACKDATED'],
    [{ ...valid, decisions: ['approve', 'approve'] }, 400, 'VALIDATION_FAILED'],
    [{ ...valid, decisions: ['revoke'] }, 400, 'VALIDATION_FAILED'],
    [{ ...valid, itemCodes: [] }, 400, 'VALIDATION_FAILED'],
    [{ ...valid, reference: '' }, 400, 'VALIDATION_FAILED']
  ]
  for (const [payload, status, code] of refusals) {
    const response = await post(payload)
    t.equal(response.statusCode, status, `${code}: ${response.body}`)
    t.equal(response.json().code, code)
  }
  t.equal((await post(valid, healthAdmin.headers)).json().code, 'DEPARTMENT_NOT_FOUND', 'another department\'s administrator: 404')
  t.equal((await app.inject({ method: 'GET', url, headers: healthAdmin.headers })).statusCode, 404)
  t.equal((await post(valid, rep.headers)).statusCode, 403, 'a chief representative does not delegate to themself')
  t.equal((await app.inject({ method: 'POST', url: '/api/departments/00000000-0000-4000-8000-000000000000/delegations', headers: admin.headers, payload: valid })).json().code, 'DEPARTMENT_NOT_FOUND')
  t.equal(await countRows(app, 'delegations'), rows, 'nothing written')
  t.equal(await countRows(app, 'audit_entries'), audit)

  const later = new Date(Date.now() + 48 * HOUR)
  t.equal((await post({ ...valid, validFrom: later.toISOString() })).statusCode, 201)
  const earlier = await post({ ...valid, validFrom: new Date(Date.now() + HOUR).toISOString() })
  t.equal(earlier.statusCode, 409)
  t.equal(earlier.json().code, 'DELEGATION_OUT_OF_ORDER', 'a delegation cannot slide in before the latest one')

  // a revoked grant: the account is no longer chief representative
  const account = await app.services.accounts.getAccount(rep.id)
  const factoryActor = { principal: { accountId: admin.id, username: 'a', displayName: 'a', kind: 'person' as const, grants: [{ role: 'hall_admin' as const, scopeType: 'hall' as const, scopeId: null }], sessionId: '00000000-0000-0000-0000-000000000000', authMethod: 'password' as const, mustChangePassword: false }, requestId: 'test' }
  await app.services.accounts.revokeGrant(factoryActor, rep.id, account.grants[0]!.id)
  t.equal((await post({ ...valid, validFrom: new Date(later.getTime() + HOUR).toISOString() })).json().code, 'CHIEF_REP_NOT_GRANTED')
})
