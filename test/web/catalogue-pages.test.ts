/**
 * The catalogue pages through app.inject, as a browser without JavaScript uses them: the public
 * guide (search, one item with its ten publics and materials, old versions), a department
 * drafting and requesting changes, and the hall administrator's queue.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { catalogueDesk, itemContent, publishedItem } from '../factories/catalogue.ts'
import { createDepartment } from '../factories/departments.ts'
import { pageHeaders } from '../factories/fees-pages.ts'

const uuidIn = (location: string | undefined) => /([0-9a-f-]{36})/.exec(location ?? '')?.[1] ?? ''

t.test('the public guide: search, filters, one item with the ten publics and a link to apply', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const health = await createDepartment(app, admin.id, '县卫生健康局')
  const food = await publishedItem(app, { departmentId: market.id, code: 'SCJG-001' })
  await publishedItem(app, { departmentId: health.id, code: 'WJ-001', content: { name: '医疗机构执业登记', legalBasis: '《医疗机构管理条例》', type: 'other_power', mode: 'instant', promisedWorkingDays: 0 } })
  const desk = await catalogueDesk(app, market.id)
  await app.inject({ method: 'POST', url: '/api/service-items', headers: desk.drafter.headers, payload: { code: 'SCJG-DRAFT', departmentId: market.id, content: itemContent({ name: '尚未发布的事项' }) } })

  const list = await app.inject({ method: 'GET', url: '/guide' })
  t.equal(list.statusCode, 200)
  t.match(list.body, /办事指南/)
  t.match(list.body, /共 2 个事项/)
  t.match(list.body, /食品经营许可（新办）[\s\S]*县市场监督管理局[\s\S]*5 个工作日/)
  t.match(list.body, /即办件/)
  t.notMatch(list.body, /尚未发布的事项/, 'drafts are not public')
  t.match(list.body, /href="\/guide"[^>]*aria-current="page"/, 'the navigation marks the page')
  t.match((await app.inject({ method: 'GET', url: `/guide?q=${encodeURIComponent('医疗')}` })).body, /共 1 个事项[\s\S]*WJ-001/)
  t.match((await app.inject({ method: 'GET', url: `/guide?departmentId=${market.id}` })).body, /共 1 个事项[\s\S]*SCJG-001/)
  t.match((await app.inject({ method: 'GET', url: '/guide?type=other_power' })).body, /共 1 个事项[\s\S]*WJ-001/)
  t.match((await app.inject({ method: 'GET', url: '/guide?type=nonsense&departmentId=xyz' })).body, /共 2 个事项/, 'unknown filters are ignored')
  t.match((await app.inject({ method: 'GET', url: '/guide', headers: { 'accept-language': 'en' } })).body, /2 item\(s\)[\s\S]*5 working day\(s\)/)

  const page = await app.inject({ method: 'GET', url: '/guide/SCJG-001' })
  t.equal(page.statusCode, 200)
  for (const text of ['设定依据', '《中华人民共和国食品安全法》第三十五条', '办理流程', '申请条件', '申请材料', '承诺 5 个工作日', '法定 20 个工作日', '办理进程查询', '收费标准', '收费依据', '不收费']) t.match(page.body, text)
  t.match(page.body, /data-material="M1"[\s\S]*食品经营许可申请书[\s\S]*原件[\s\S]*必需/)
  t.match(page.body, /<a href="\/apply\/SCJG-001" role="button" data-apply>在线申请<\/a>/)
  t.match((await app.inject({ method: 'GET', url: '/guide/scjg-001' })).body, /data-apply/, 'the code in any case')
  t.equal((await app.inject({ method: 'GET', url: '/guide/SCJG-DRAFT' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/guide/NO-SUCH' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/guide/SCJG-001?version=7' })).statusCode, 404)

  // an amendment: the guide shows version 2; version 1 stays readable and says it is old
  const amend = await app.inject({ method: 'POST', url: `/api/service-items/${food.id}/changes`, headers: food.desk.drafter.headers, payload: { kind: 'amend', reason: '压缩时限', content: itemContent({ promisedWorkingDays: 3 }) } })
  await app.inject({ method: 'POST', url: `/api/item-changes/${amend.json().id}/decision`, headers: food.desk.approver.headers, payload: { approve: true } })
  t.match((await app.inject({ method: 'GET', url: '/guide/SCJG-001' })).body, /第 2 版[\s\S]*承诺 3 个工作日/)
  const old = await app.inject({ method: 'GET', url: '/guide/SCJG-001?version=1' })
  t.match(old.body, /这是历史版本，现行为第 2 版/)
  t.match(old.body, /承诺 5 个工作日/)
  t.notMatch(old.body, /data-apply/, 'nobody applies under an old version')
})

t.test('a department drafts and requests; the hall approves in its queue, never its own request', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const other = await createDepartment(app, admin.id, '县卫生健康局')
  const deptAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: market.id }] })
  const otherAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: other.id }] })
  const approver = await hallAdmin(app)
  const dept = pageHeaders(app, deptAdmin)

  const empty = await app.inject({ method: 'GET', url: '/admin/catalogue', headers: dept })
  t.equal(empty.statusCode, 200)
  t.match(empty.body, /事项目录管理/)
  t.match(empty.body, /还没有事项/)
  t.match(empty.body, /&quot;name&quot;: &quot;事项名称&quot;/, 'the form starts from a valid example')
  t.notMatch(empty.body, /href="\/admin\/catalogue\/changes"/, 'the queue is the hall\'s')
  t.match(empty.body, new RegExp(`<option value="${market.id}"`))
  t.notMatch(empty.body, new RegExp(`<option value="${other.id}"`), 'only its own department')

  const badJson = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'SCJG-001', departmentId: market.id, content: '{ not json' } })
  t.equal(badJson.statusCode, 400)
  t.match(badJson.body, /事项内容不是有效的 JSON/)
  t.match(badJson.body, /\{ not json/, 'what was typed is kept')
  const badShape = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'SCJG-001', departmentId: market.id, content: JSON.stringify({ ...itemContent(), visitsNeeded: 'one' }) } })
  t.equal(badShape.statusCode, 400)
  t.match(badShape.body, /“到现场次数”（visitsNeeded）须填整数/, 'the field at fault is named')
  const badRule = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'SCJG-001', departmentId: market.id, content: JSON.stringify(itemContent({ mode: 'instant' })) } })
  t.equal(badRule.statusCode, 422)
  t.match(badRule.body, /即办件（instant）时，承诺时限（promisedWorkingDays）须填 0/)

  const created = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'scjg-001', departmentId: market.id, content: JSON.stringify(itemContent()) } })
  t.equal(created.statusCode, 302, created.body)
  const itemId = uuidIn(created.headers.location)
  t.equal(created.headers.location, `/admin/catalogue/${itemId}?done=created`)
  const detail = await app.inject({ method: 'GET', url: created.headers.location!, headers: dept })
  t.match(detail.body, /草稿已保存/)
  t.match(detail.body, /SCJG-001/)
  t.match(detail.body, /data-status="draft"/)
  t.equal((await app.inject({ method: 'GET', url: `/admin/catalogue/${itemId}`, headers: pageHeaders(app, otherAdmin) })).statusCode, 404, 'another department: 404')

  const saved = await app.inject({ method: 'POST', url: `/admin/catalogue/${itemId}/draft`, headers: dept, payload: { draft: JSON.stringify(itemContent({ name: '食品经营许可' })) } })
  t.equal(saved.headers.location, `/admin/catalogue/${itemId}?done=saved`)
  const requested = await app.inject({ method: 'POST', url: `/admin/catalogue/${itemId}/changes`, headers: dept, payload: { kind: 'publish', reason: '新设事项' } })
  t.equal(requested.headers.location, `/admin/catalogue/${itemId}?done=requested`)
  t.match((await app.inject({ method: 'GET', url: `/admin/catalogue/${itemId}`, headers: dept })).body, /待审批：发布/)
  const again = await app.inject({ method: 'POST', url: `/admin/catalogue/${itemId}/changes`, headers: dept, payload: { kind: 'publish', reason: '再次' } })
  t.equal(again.statusCode, 409)
  t.match(again.body, /已有待审批的申请/)

  t.equal((await app.inject({ method: 'GET', url: '/admin/catalogue/changes', headers: dept })).statusCode, 403, 'a department does not approve')
  const queue = await app.inject({ method: 'GET', url: '/admin/catalogue/changes', headers: pageHeaders(app, approver) })
  t.equal(queue.statusCode, 200)
  t.match(queue.body, /发布[\s\S]*SCJG-001[\s\S]*食品经营许可[\s\S]*新设事项/)
  const changeId = /data-change="([0-9a-f-]{36})"/.exec(queue.body)?.[1]
  t.ok(changeId)
  const noNote = await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${changeId}/decision`, headers: pageHeaders(app, approver), payload: { decision: 'reject' } })
  t.equal(noNote.statusCode, 422)
  t.match(noNote.body, /驳回时必须填写理由/)
  const approved = await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${changeId}/decision`, headers: pageHeaders(app, approver), payload: { decision: 'approve', note: '', confirm: '1' } })
  t.equal(approved.headers.location, '/admin/catalogue/changes?done=approved')
  t.match((await app.inject({ method: 'GET', url: approved.headers.location!, headers: pageHeaders(app, approver) })).body, /已批准[\s\S]*没有待审批的申请/)
  t.match((await app.inject({ method: 'GET', url: '/guide/SCJG-001' })).body, /食品经营许可/)

  // published: an amendment through the page; the hall's own request cannot be approved by itself
  const page = await app.inject({ method: 'GET', url: `/admin/catalogue/${itemId}`, headers: pageHeaders(app, admin) })
  t.match(page.body, /申请变更/)
  t.notMatch(page.body, /编辑草稿/, 'no draft editing once published')
  const amend = await app.inject({ method: 'POST', url: `/admin/catalogue/${itemId}/changes`, headers: pageHeaders(app, admin), payload: { kind: 'amend', reason: '压缩时限', content: JSON.stringify(itemContent({ name: '食品经营许可', promisedWorkingDays: 3 })) } })
  t.equal(amend.statusCode, 302, amend.body)
  const own = await app.inject({ method: 'GET', url: '/admin/catalogue/changes', headers: pageHeaders(app, admin) })
  t.match(own.body, /这是您提交的申请/)
  t.notMatch(own.body, /value="approve"/, 'no approve button on one\'s own request')
  const amendId = /data-change="([0-9a-f-]{36})"/.exec(own.body)?.[1]
  const self = await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${amendId}/decision`, headers: pageHeaders(app, admin), payload: { decision: 'approve' } })
  t.equal(self.statusCode, 409)
  t.match(self.body, /不能批准自己提交的申请/)
  await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${amendId}/decision`, headers: pageHeaders(app, approver), payload: { decision: 'approve', confirm: '1' } })
  const versions = await app.inject({ method: 'GET', url: `/admin/catalogue/${itemId}`, headers: dept })
  t.match(versions.body, /href="\/guide\/SCJG-001\?version=1"[\s\S]*href="\/guide\/SCJG-001\?version=2"/)
  t.match(versions.body, /变更 → 第 2 版/)

  t.equal((await app.inject({ method: 'GET', url: '/admin/catalogue' })).headers.location, '/login?next=%2Fadmin%2Fcatalogue')
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: '/admin/catalogue', headers: pageHeaders(app, applicant) })).statusCode, 403)
  t.notMatch((await app.inject({ method: 'GET', url: '/', headers: pageHeaders(app, applicant) })).body, /href="\/admin\/catalogue"/)
  t.match((await app.inject({ method: 'GET', url: '/', headers: pageHeaders(app, approver) })).body, /href="\/admin\/catalogue\/changes"/)
})
