import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { catalogueDesk, itemContent, publishedItem, randomItemCode } from '../factories/catalogue.ts'
import { createDepartment } from '../factories/departments.ts'
import { approvedFee, feeDesk } from '../factories/fees.ts'

const trailOf = async (app: import('fastify').FastifyInstance, itemId: string) =>
  (await app.db.$client`select action from audit_entries where subject_type = 'service_item' and subject_id = ${itemId} order by id`).map((row) => row.action)

t.test('an item is drafted, published on approval, amended into version 2 and retired; old versions stay readable', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const desk = await catalogueDesk(app, market.id)
  const { drafter, approver } = desk

  const created = await app.inject({ method: 'POST', url: '/api/service-items', headers: drafter.headers, payload: { code: 'SCJG-001', departmentId: market.id, content: itemContent() } })
  t.equal(created.statusCode, 201, created.body)
  const item = created.json()
  t.match(item, { code: 'SCJG-001', status: 'draft', currentVersion: null, name: '食品经营许可（新办）', draft: { mode: 'promised' }, current: null, versions: [], pendingChange: null })
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })).json().code, 'ITEM_NOT_FOUND', 'a draft is not public')
  t.same((await app.inject({ method: 'GET', url: '/api/service-items' })).json(), { items: [], total: 0 })
  await t.rejects(app.services.catalogue.itemForFiling(item.id), { code: 'ITEM_NOT_FOUND' }, 'no case is filed under a draft')

  const edited = await app.inject({ method: 'PUT', url: `/api/service-items/${item.id}/draft`, headers: drafter.headers, payload: { content: itemContent({ name: '食品经营许可' }) } })
  t.equal(edited.statusCode, 200, edited.body)
  t.equal(edited.json().draft.name, '食品经营许可')

  const publish = await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: drafter.headers, payload: { kind: 'publish', reason: '新设事项' } })
  t.equal(publish.statusCode, 201, publish.body)
  t.match(publish.json(), { kind: 'publish', status: 'pending', content: { name: '食品经营许可' }, itemCode: 'SCJG-001', departmentId: market.id, requestedBy: drafter.id })
  t.equal((await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: drafter.headers, payload: { kind: 'publish', reason: '再次' } })).json().code, 'CHANGE_PENDING')
  const editWhilePending = await app.inject({ method: 'PUT', url: `/api/service-items/${item.id}/draft`, headers: drafter.headers, payload: { content: itemContent({ name: '改名' }) } })
  t.equal(editWhilePending.statusCode, 409)
  t.equal(editWhilePending.json().code, 'CHANGE_PENDING', 'the draft under review does not move')
  t.equal((await app.inject({ method: 'GET', url: `/api/managed-service-items/${item.id}`, headers: drafter.headers })).json().pendingChange.id, publish.json().id)

  const approved = await app.inject({ method: 'POST', url: `/api/item-changes/${publish.json().id}/decision`, headers: approver.headers, payload: { approve: true, note: '同意发布' } })
  t.equal(approved.statusCode, 200, approved.body)
  t.match(approved.json(), { status: 'approved', resultVersion: 1, decidedBy: approver.id, decisionNote: '同意发布' })
  t.equal((await app.inject({ method: 'POST', url: `/api/item-changes/${publish.json().id}/decision`, headers: approver.headers, payload: { approve: false, note: 'x' } })).json().code, 'CHANGE_DECIDED')

  const guide = await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })
  t.equal(guide.statusCode, 200)
  t.match(guide.json(), { code: 'SCJG-001', status: 'published', version: 1, latestVersion: 1, content: { name: '食品经营许可', legalBasis: '《中华人民共和国食品安全法》第三十五条', materials: [{ code: 'M1' }, { code: 'M2' }] } })
  t.match(await app.services.catalogue.itemForFiling(item.id), { id: item.id, code: 'SCJG-001', departmentId: market.id, version: 1, content: { promisedWorkingDays: 5 } })
  t.match(await app.services.catalogue.findByCode('SCJG-001'), { id: item.id, status: 'published', currentVersion: 1 })
  t.equal(await app.services.catalogue.findByCode('NOPE-1'), null)
  t.equal((await app.inject({ method: 'GET', url: `/api/managed-service-items/${item.id}`, headers: drafter.headers })).json().draft, null, 'the draft became version 1')

  // a published item changes only through an approved change request
  const before = await countRows(app, 'audit_entries')
  const direct = await app.inject({ method: 'PUT', url: `/api/service-items/${item.id}/draft`, headers: drafter.headers, payload: { content: itemContent({ name: '偷改' }) } })
  t.equal(direct.statusCode, 409)
  t.equal(direct.json().code, 'ITEM_CHANGE_REQUIRED')
  t.equal(await countRows(app, 'audit_entries'), before, 'nothing written')
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })).json().content.name, '食品经营许可')

  const amend = await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: drafter.headers, payload: { kind: 'amend', reason: '压缩承诺时限', content: itemContent({ name: '食品经营许可', promisedWorkingDays: 3 }) } })
  t.equal(amend.statusCode, 201, amend.body)
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })).json().content.promisedWorkingDays, 5, 'a pending amendment is not in force')
  t.equal((await app.inject({ method: 'POST', url: `/api/item-changes/${amend.json().id}/decision`, headers: approver.headers, payload: { approve: true } })).json().resultVersion, 2)
  t.match((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })).json(), { version: 2, latestVersion: 2, content: { promisedWorkingDays: 3 } })
  t.match((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}/versions/1` })).json(), { version: 1, latestVersion: 2, content: { promisedWorkingDays: 5 } }, 'version 1 stays readable')
  t.match(await app.services.catalogue.itemVersion(item.id, 1), { version: 1, content: { promisedWorkingDays: 5 } })
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}/versions/3` })).json().code, 'ITEM_VERSION_NOT_FOUND')

  // a second amendment, rejected: it needs a reason, and nothing changes
  const rejectedAmend = await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: drafter.headers, payload: { kind: 'amend', reason: '改名', content: itemContent({ name: '另一个名字', promisedWorkingDays: 3 }) } })
  t.equal((await app.inject({ method: 'POST', url: `/api/item-changes/${rejectedAmend.json().id}/decision`, headers: approver.headers, payload: { approve: false } })).json().code, 'CHANGE_NOTE_REQUIRED')
  const rejected = await app.inject({ method: 'POST', url: `/api/item-changes/${rejectedAmend.json().id}/decision`, headers: approver.headers, payload: { approve: false, note: '名称须与权责清单一致' } })
  t.match(rejected.json(), { status: 'rejected', resultVersion: null, decisionNote: '名称须与权责清单一致' })
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })).json().version, 2)

  const retire = await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: drafter.headers, payload: { kind: 'retire', reason: '事项取消' } })
  t.equal(retire.statusCode, 201, retire.body)
  t.equal((await app.inject({ method: 'POST', url: `/api/item-changes/${retire.json().id}/decision`, headers: approver.headers, payload: { approve: true } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}` })).statusCode, 404, 'a retired item has no version in force')
  t.same((await app.inject({ method: 'GET', url: '/api/service-items' })).json().total, 0)
  t.match((await app.inject({ method: 'GET', url: `/api/service-items/${item.id}/versions/2` })).json(), { status: 'retired', version: 2 }, 'old cases still read their version')
  await t.rejects(app.services.catalogue.itemForFiling(item.id), { code: 'ITEM_NOT_FOUND' }, 'no new case is filed under a retired item')
  t.match(await app.services.catalogue.itemVersion(item.id, 2), { version: 2 })
  t.equal((await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: drafter.headers, payload: { kind: 'amend', reason: 'x', content: itemContent() } })).json().code, 'ITEM_RETIRED')
  t.equal((await app.inject({ method: 'PUT', url: `/api/service-items/${item.id}/draft`, headers: drafter.headers, payload: { content: itemContent() } })).json().code, 'ITEM_RETIRED')

  const changes = (await app.inject({ method: 'GET', url: `/api/item-changes?itemId=${item.id}`, headers: drafter.headers })).json()
  t.same(changes.map((change: { kind: string, status: string, resultVersion: number | null }) => [change.kind, change.status, change.resultVersion]), [
    ['retire', 'approved', null], ['amend', 'rejected', null], ['amend', 'approved', 2], ['publish', 'approved', 1]
  ], 'the history, newest first')
  t.same(await trailOf(app, item.id), [
    'service_item.created', 'service_item.draft_updated',
    'service_item.change_requested', 'service_item.change_approved',
    'service_item.change_requested', 'service_item.change_approved',
    'service_item.change_requested', 'service_item.change_rejected',
    'service_item.change_requested', 'service_item.change_approved'
  ])
})

t.test('the requester never approves their own change, and only the hall approves', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id)
  const deptAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: department.id }] })
  const created = await app.inject({ method: 'POST', url: '/api/service-items', headers: admin.headers, payload: { code: 'HALL-1', departmentId: department.id, content: itemContent() } })
  t.equal(created.statusCode, 201, 'the hall drafts for any department')
  const change = await app.inject({ method: 'POST', url: `/api/service-items/${created.json().id}/changes`, headers: admin.headers, payload: { kind: 'publish', reason: '发布' } })
  const self = await app.inject({ method: 'POST', url: `/api/item-changes/${change.json().id}/decision`, headers: admin.headers, payload: { approve: true } })
  t.equal(self.statusCode, 409)
  t.equal(self.json().code, 'CHANGE_SELF_APPROVAL')
  t.equal((await app.inject({ method: 'POST', url: `/api/item-changes/${change.json().id}/decision`, headers: deptAdmin.headers, payload: { approve: true } })).statusCode, 403, 'a department administrator does not approve')
  t.equal((await app.inject({ method: 'GET', url: `/api/item-changes/${change.json().id}`, headers: deptAdmin.headers })).json().status, 'pending', 'but sees its department\'s requests')
  const other = await hallAdmin(app)
  t.equal((await app.inject({ method: 'POST', url: `/api/item-changes/${change.json().id}/decision`, headers: other.headers, payload: { approve: true } })).json().resultVersion, 1)
  t.equal((await app.inject({ method: 'POST', url: '/api/item-changes/00000000-0000-4000-8000-000000000000/decision', headers: other.headers, payload: { approve: true } })).json().code, 'CHANGE_NOT_FOUND')
})

t.test('bad input is refused with its own code and nothing is written', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id)
  const partner = await createDepartment(app, admin.id, '县卫生健康局')
  const { drafter, approver } = await catalogueDesk(app, department.id)
  const fee = await approvedFee(app, await feeDesk(app), { code: 'SPJY-FEE' })

  const create = (content: object, code = randomItemCode()) => app.inject({ method: 'POST', url: '/api/service-items', headers: drafter.headers, payload: { code, departmentId: department.id, content } })
  const items = await countRows(app, 'service_items')
  const audit = await countRows(app, 'audit_entries')
  const cases: Array<[object, number, string]> = [
    [itemContent({ mode: 'instant' }), 422, 'ITEM_CONTENT_INVALID'],
    [itemContent({ promisedWorkingDays: 30 }), 422, 'ITEM_CONTENT_INVALID'],
    [itemContent({ materials: [{ code: 'M1', name: 'a', form: 'copy', copies: 1, required: true }, { code: 'M1', name: 'b', form: 'copy', copies: 1, required: true }] }), 422, 'ITEM_CONTENT_INVALID'],
    [itemContent({ jointDepartments: [department.id] }), 422, 'ITEM_CONTENT_INVALID'],
    [itemContent({ fees: [{ feeCode: 'NO-SUCH-FEE' }], feeStandard: '按标准' }), 422, 'ITEM_FEE_UNKNOWN'],
    [itemContent({ jointDepartments: ['00000000-0000-4000-8000-000000000000'] }), 422, 'ITEM_JOINT_DEPARTMENT_UNKNOWN'],
    [{ ...itemContent(), extra: true }, 400, 'VALIDATION_FAILED'],
    [itemContent({ procedure: [] }), 400, 'VALIDATION_FAILED']
  ]
  for (const [content, status, code] of cases) {
    const response = await create(content)
    t.equal(response.statusCode, status, `${code}: ${response.body}`)
    t.equal(response.json().code, code)
    t.match(response.headers['content-type'], /application\/problem\+json/)
  }
  t.equal((await create(itemContent(), 'lower-case')).json().code, 'VALIDATION_FAILED', 'codes are upper case')
  t.equal(await countRows(app, 'service_items'), items, 'no item written')
  t.equal(await countRows(app, 'audit_entries'), audit, 'no audit entry written')

  const good = await create(itemContent({ fees: [{ feeCode: fee.code }], feeStandard: '按 SPJY-FEE 标准', jointDepartments: [partner.id] }), 'GOOD-1')
  t.equal(good.statusCode, 201, good.body)
  t.equal((await create(itemContent(), 'GOOD-1')).json().code, 'ITEM_CODE_TAKEN')
  const id = good.json().id as string
  const change = (payload: object) => app.inject({ method: 'POST', url: `/api/service-items/${id}/changes`, headers: drafter.headers, payload })
  t.equal((await app.inject({ method: 'PUT', url: `/api/service-items/${id}/draft`, headers: drafter.headers, payload: { content: itemContent({ mode: 'instant' }) } })).json().code, 'ITEM_CONTENT_INVALID')
  t.equal((await change({ kind: 'amend', reason: 'x', content: itemContent() })).json().code, 'CHANGE_KIND_NOT_ALLOWED', 'a draft is published, not amended')
  t.equal((await change({ kind: 'retire', reason: 'x' })).json().code, 'CHANGE_KIND_NOT_ALLOWED')
  t.equal((await change({ kind: 'publish', reason: 'x', content: itemContent({ mode: 'instant' }) })).json().code, 'ITEM_CONTENT_INVALID')
  t.equal((await change({ kind: 'publish', reason: '' })).json().code, 'VALIDATION_FAILED', 'a change states its reason')
  const publication = await change({ kind: 'publish', reason: '发布', content: itemContent({ name: '给定内容发布' }) })
  t.equal(publication.json().content.name, '给定内容发布', 'the given content, not the draft')
  await app.inject({ method: 'POST', url: `/api/item-changes/${publication.json().id}/decision`, headers: approver.headers, payload: { approve: true } })
  t.equal((await change({ kind: 'publish', reason: 'x' })).json().code, 'CHANGE_KIND_NOT_ALLOWED')
  t.equal((await change({ kind: 'amend', reason: 'x' })).json().code, 'CHANGE_CONTENT_REQUIRED')
  t.equal((await change({ kind: 'retire', reason: 'x', content: itemContent() })).json().code, 'CHANGE_CONTENT_UNEXPECTED')
  t.equal((await change({ kind: 'amend', reason: 'x', content: itemContent({ name: '给定内容发布' }) })).json().code, 'CHANGE_NO_DIFFERENCE')
  t.equal(await countRows(app, 'item_change_requests'), 1, 'only the publication was recorded')
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${id}/versions/0` })).json().code, 'VALIDATION_FAILED')
})

t.test('a department administrator works only in the department; outside it every item is 404', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const health = await createDepartment(app, admin.id, '县卫生健康局')
  const marketDesk = await catalogueDesk(app, market.id)
  const healthAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: health.id }] })
  const clerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: market.id }] })

  const draft = (await app.inject({ method: 'POST', url: '/api/service-items', headers: marketDesk.drafter.headers, payload: { code: 'MKT-DRAFT', departmentId: market.id, content: itemContent() } })).json()
  const outside = await app.inject({ method: 'POST', url: '/api/service-items', headers: healthAdmin.headers, payload: { code: 'MKT-2', departmentId: market.id, content: itemContent() } })
  t.equal(outside.statusCode, 404)
  t.equal(outside.json().code, 'DEPARTMENT_NOT_FOUND')
  t.equal((await app.inject({ method: 'POST', url: '/api/service-items', headers: admin.headers, payload: { code: 'NOWHERE', departmentId: '00000000-0000-4000-8000-000000000000', content: itemContent() } })).json().code, 'DEPARTMENT_NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: `/api/managed-service-items/${draft.id}`, headers: healthAdmin.headers })).json().code, 'ITEM_NOT_FOUND')
  t.equal((await app.inject({ method: 'PUT', url: `/api/service-items/${draft.id}/draft`, headers: healthAdmin.headers, payload: { content: itemContent() } })).json().code, 'ITEM_NOT_FOUND')
  t.equal((await app.inject({ method: 'POST', url: `/api/service-items/${draft.id}/changes`, headers: healthAdmin.headers, payload: { kind: 'publish', reason: 'x' } })).json().code, 'ITEM_NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: '/api/managed-service-items', headers: clerk.headers })).statusCode, 403, 'a clerk does not draft')
  t.equal((await app.inject({ method: 'POST', url: '/api/service-items', payload: { code: 'ANON', departmentId: market.id, content: itemContent() } })).statusCode, 401)

  const published = await publishedItem(app, { departmentId: market.id, code: 'MKT-PUB', desk: marketDesk, content: { name: '营业执照变更登记', type: 'other_power' } })
  const healthItem = await publishedItem(app, { departmentId: health.id, code: 'HEALTH-1', content: { name: '医疗机构执业登记', legalBasis: '《医疗机构管理条例》第十五条' } })
  await app.inject({ method: 'POST', url: `/api/service-items/${draft.id}/changes`, headers: marketDesk.drafter.headers, payload: { kind: 'publish', reason: '待审' } })

  t.same((await app.inject({ method: 'GET', url: '/api/managed-service-items', headers: healthAdmin.headers })).json().map((item: { code: string }) => item.code), ['HEALTH-1'])
  t.match((await app.inject({ method: 'GET', url: '/api/managed-service-items', headers: marketDesk.drafter.headers })).json(), [
    { code: 'MKT-DRAFT', status: 'draft', pendingChange: { kind: 'publish' } }, { code: 'MKT-PUB', status: 'published', currentVersion: 1, name: '营业执照变更登记', pendingChange: null }
  ])
  t.equal((await app.inject({ method: 'GET', url: '/api/managed-service-items?status=draft', headers: admin.headers })).json().length, 1)
  t.same((await app.inject({ method: 'GET', url: '/api/item-changes?status=pending', headers: healthAdmin.headers })).json(), [], 'another department\'s requests are invisible')
  t.equal((await app.inject({ method: 'GET', url: '/api/item-changes?status=pending', headers: admin.headers })).json().length, 1, 'the hall sees every pending request')
  const pendingId = (await app.inject({ method: 'GET', url: '/api/item-changes?status=pending', headers: admin.headers })).json()[0].id
  t.equal((await app.inject({ method: 'GET', url: `/api/item-changes/${pendingId}`, headers: healthAdmin.headers })).json().code, 'CHANGE_NOT_FOUND')

  // the public catalogue: search, filters, pages
  const list = async (query: string) => (await app.inject({ method: 'GET', url: `/api/service-items${query}` })).json()
  t.match(await list(''), { total: 2, items: [{ code: 'HEALTH-1', version: 1, name: '医疗机构执业登记', type: 'licence', mode: 'promised', promisedWorkingDays: 5 }, { code: 'MKT-PUB' }] })
  t.same((await list(`?q=${encodeURIComponent('执业')}`)).items.map((item: { code: string }) => item.code), ['HEALTH-1'], 'by name')
  t.same((await list(`?q=${encodeURIComponent('医疗机构管理条例')}`)).items.map((item: { code: string }) => item.code), ['HEALTH-1'], 'by legal basis')
  t.same((await list('?q=mkt-pub')).items.map((item: { code: string }) => item.code), ['MKT-PUB'], 'by code, any case')
  t.equal((await list('?q=%25')).total, 0, 'a % is a character, not a wildcard')
  t.same((await list(`?departmentId=${market.id}`)).items.map((item: { code: string }) => item.code), ['MKT-PUB'])
  t.same((await list('?type=other_power')).items.map((item: { code: string }) => item.code), ['MKT-PUB'])
  t.match(await list('?limit=1&offset=1'), { total: 2, items: [{ code: 'MKT-PUB' }] })
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${healthItem.id}` })).json().code, 'HEALTH-1')
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${draft.id}` })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: `/api/service-items/${published.id}/versions/1` })).statusCode, 200)
})
