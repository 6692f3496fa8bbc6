/**
 * The expert pool's pages in plain Chinese: the hall's list and an expert's page with its forms
 * (errors beside the field, values kept, confirmations before binding actions), the import with
 * its per-row report beside "nothing imported", and the expert's own page.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser, hallAdmin, supervisor, TEST_PASSWORD } from '../factories/accounts.ts'
import { createExpert, randomCreditCode } from '../factories/experts.ts'
import { multipart, pageHeaders } from '../factories/fees-pages.ts'
import { leaksIn } from './plain-words.ts'

/** 10:00 in Beijing on 2026-06-15. */
const NOW = new Date('2026-06-15T02:00:00.000Z')
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function post (app: FastifyInstance, url: string, headers: Record<string, string>, fields: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } })
}

function fieldError (t: Test, response: LightMyRequestResponse, id: string, message: string) {
  t.match(response.body, new RegExp(`data-error-summary[\\s\\S]*<a href="#${escape(id)}">${escape(message)}</a>`), `${id}: the summary links to the field`)
  t.match(response.body, new RegExp(`<p id="${escape(id)}-error" class="error field-error">${escape(message)}</p>`), `${id}: the message beside the field`)
  const element = new RegExp(`<(?:input|textarea|select)[^>]*\\bid="${escape(id)}"[^>]*>`).exec(response.body)?.[0] ?? ''
  t.match(element, /aria-invalid="true"/, `${id}: marked invalid`)
}

async function expertUser (app: FastifyInstance, username: string, options: Parameters<typeof createExpert>[1] = {}) {
  const expert = await createExpert(app, { username, ...options })
  const session = await app.services.sessions.signIn({ username, password: TEST_PASSWORD, ip: '127.0.0.1', userAgent: 'test', requestId: 't' })
  return { ...expert, cookie: { cookie: `${app.auth.cookieName}=${session.token}` } }
}

t.test('the pool: filters, the list in words, the expert\'s page, and who sees what', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = pageHeaders(app, await hallAdmin(app))
  const watcher = pageHeaders(app, await supervisor(app))
  const zhang = await createExpert(app, { username: 'zhang.gong', fullName: '张工', specialties: ['A010101'], regionCode: '330102' })
  await createExpert(app, { username: 'liu.yi', fullName: '刘医', specialties: ['B030101'], regionCode: '320102' })

  const home = await app.inject({ method: 'GET', url: '/', headers: admin })
  t.match(home.body, /href="\/hall\/experts"[^>]*>专家库</)
  const pool = await app.inject({ method: 'GET', url: '/hall/experts?specialty=A01', headers: admin })
  t.equal(pool.statusCode, 200)
  t.match(pool.body, /评标专家库/)
  t.match(pool.body, /共 1 位专家/)
  t.match(pool.body, /张工[\s\S]*正高级[\s\S]*18/)
  t.notMatch(pool.body, /刘医/)
  t.match(pool.body, /批量导入专家/)
  t.same(leaksIn(pool.body), [])
  const badRegion = await app.inject({ method: 'GET', url: '/hall/experts?region=abc', headers: admin })
  t.equal(badRegion.statusCode, 400)
  fieldError(t, badRegion, 'filter-region', '地区代码为 2 到 6 位数字')

  const page = await app.inject({ method: 'GET', url: `/hall/experts/${zhang.expertId}`, headers: watcher })
  t.equal(page.statusCode, 200)
  t.match(page.body, /张工/)
  t.match(page.body, /A010101 建筑工程施工/)
  t.match(page.body, /至今/)
  t.notMatch(page.body, /data-form="facts"/, 'a supervisor reads, the hall manages')
  t.same(leaksIn(page.body), [])

  const expert = await expertUser(app, 'chen.gong')
  const forbidden = await app.inject({ method: 'GET', url: '/hall/experts', headers: expert.cookie })
  t.equal(forbidden.statusCode, 403)
  const home2 = await app.inject({ method: 'GET', url: '/', headers: expert.cookie })
  t.match(home2.body, /href="\/my\/expert"[^>]*>我的专家信息</)
  t.notMatch(home2.body, /href="\/hall\/experts"/)
})

t.test('the hall\'s forms: errors beside the field, confirmations before withdrawing and before deciding a change', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = pageHeaders(app, await hallAdmin(app))
  const expert = await expertUser(app, 'wang.gong', { fullName: '王工' })
  const url = `/hall/experts/${expert.expertId}`

  const bad = await post(app, `${url}/facts`, admin, { title: 'senior', practiceSince: '2001', regionCode: '990000', specialties: 'A010101; A0101' })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, 'edit-region', '不是有效的 6 位行政区划代码')
  fieldError(t, bad, 'edit-specialties', '请填写至少一个三级专业代码，例如 A010101')
  t.match(bad.body, /value="A010101; A0101"/, 'what was typed is kept')
  t.same(leaksIn(bad.body), [])
  const unknown = await post(app, `${url}/facts`, admin, { title: 'senior', practiceSince: '2001', regionCode: '330102', specialties: 'A010199' })
  t.equal(unknown.statusCode, 422)
  fieldError(t, unknown, 'edit-specialties', '专业分类中没有这个专业代码，请填写三级专业代码')
  const saved = await post(app, `${url}/facts`, admin, { title: 'intermediate', practiceSince: '2005', regionCode: '330106', specialties: 'C020101；C020102' })
  t.equal(saved.statusCode, 302)
  t.match((await app.inject({ method: 'GET', url: saved.headers.location as string, headers: admin })).body, /已保存。[\s\S]*C020102 信息系统集成/)

  const early = await post(app, `${url}/employment`, admin, { organisationName: '某公司', creditCode: randomCreditCode(), fromDate: '2010-01-01' })
  fieldError(t, early, 'employment-from', '新单位的入职日期须晚于当前单位的入职日期，且不超过一年以后')
  t.match(early.body, /<details open>[\s\S]*data-form="employment"/, 'the failed form stays open')

  const ask = await post(app, `${url}/status`, admin, { action: 'withdraw' })
  t.equal(ask.statusCode, 200)
  t.match(ask.body, /确认将该专家出库[\s\S]*出库后，该专家不再参加随机抽取。/)
  t.same(leaksIn(ask.body), [])
  t.equal(await countRows(app, "experts where status = 'withdrawn'"), 0, 'nothing done before confirming')
  const done = await post(app, `${url}/status`, admin, { action: 'withdraw', confirm: '1' })
  t.equal(done.statusCode, 302)
  t.equal(await countRows(app, "experts where status = 'withdrawn'"), 1)

  // a proposal of the expert's, reviewed from the expert's page
  const proposed = await post(app, '/my/expert/changes', expert.cookie, { kind: 'relation_added', relationKind: 'shareholding', organisationName: '某某投资有限公司', creditCode: randomCreditCode(), note: '持股' })
  t.equal(proposed.statusCode, 302)
  const review = await app.inject({ method: 'GET', url, headers: admin })
  t.match(review.body, /待审核的变更申请[\s\S]*新增利害关系：持有股份，某某投资有限公司/)
  const changeId = /changes\/([0-9a-f-]{36})"/.exec(review.body)![1]!
  const noReason = await post(app, `${url}/changes/${changeId}`, admin, { decision: 'refuse', reason: '' })
  fieldError(t, noReason, 'refusal-reason', '请写明不予通过的理由。')
  const confirmApprove = await post(app, `${url}/changes/${changeId}`, admin, { decision: 'approve' })
  t.match(confirmApprove.body, /确认通过专家的变更申请[\s\S]*该利害关系记入专家档案/)
  t.equal(await countRows(app, 'expert_relations'), 0)
  const approved = await post(app, `${url}/changes/${changeId}`, admin, { decision: 'approve', confirm: '1' })
  t.equal(approved.statusCode, 302)
  t.equal(await countRows(app, 'expert_relations'), 1)
})

t.test('the import page: a broken file gives its rows in a table beside "nothing imported"; a good one the list', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = pageHeaders(app, await hallAdmin(app))
  const form = await app.inject({ method: 'GET', url: '/hall/experts/import', headers: admin })
  t.match(form.body, /文件格式[\s\S]*统一社会信用代码/)
  t.same(leaksIn(form.body), [])

  const header = '姓名,手机号,登录名,职称,执业起始年份,地区代码,专业代码,工作单位,统一社会信用代码,入职日期'
  const broken = `\uFEFF${header}\r\n王建国,1390000,wang.jg,正高级,2001,330102,A010101,,,\r\n李丽,13900002222,li.li,教授,2005,330102,A019999,,,\r\n`
  const upload = (content: string) => {
    const body = multipart({}, { file: { name: '专家.csv', type: 'text/csv', content } })
    return app.inject({ method: 'POST', url: '/hall/experts/import', payload: body.payload, headers: { ...admin, ...body.headers } })
  }
  const refused = await upload(broken)
  t.equal(refused.statusCode, 422)
  t.match(refused.body, /没有导入任何专家/)
  t.match(refused.body, /<td class="number">2<\/td><td>手机号<\/td><td>不是 11 位的手机号<\/td>/)
  t.match(refused.body, /<td class="number">3<\/td><td>职称<\/td><td>职称只能填/)
  t.match(refused.body, /<td class="number">3<\/td><td>专业代码<\/td><td>专业分类中没有这个专业代码<\/td>/)
  fieldError(t, refused, 'import-file', '文件中有错误，没有导入任何专家')
  t.same(leaksIn(refused.body), [])
  t.equal(await countRows(app, 'experts'), 0)

  const empty = await app.inject({ method: 'POST', url: '/hall/experts/import', ...(() => { const b = multipart({}, {}); return { payload: b.payload, headers: { ...admin, ...b.headers } } })() })
  fieldError(t, empty, 'import-file', '请选择要导入的文件')

  const good = await upload(`${header}\n王建国,13900001111,wang.jg,正高级,2001,330102,A010101;A050101,某设计院有限公司,${randomCreditCode()},2010-04-01\n`)
  t.equal(good.statusCode, 200)
  t.match(good.body, /已导入 1 位专家[\s\S]*忘记密码[\s\S]*ZJ-000001[\s\S]*王建国/)
  t.same(leaksIn(good.body), [])
  t.equal(await countRows(app, 'experts'), 1)
})

t.test('the expert\'s own page: dates unavailable, a proposal that waits, and withdrawing it', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const expert = await expertUser(app, 'zhao.min', { fullName: '赵敏' })
  const page = await app.inject({ method: 'GET', url: '/my/expert', headers: expert.cookie })
  t.equal(page.statusCode, 200)
  t.match(page.body, /我的专家信息[\s\S]*赵敏/)
  t.same(leaksIn(page.body), [])

  const past = await post(app, '/my/expert/unavailability', expert.cookie, { fromDate: '2026-06-01', toDate: '2026-06-20', reason: '出差' })
  t.equal(past.statusCode, 422)
  fieldError(t, past, 'unavailable-from', '不能申报今天以前的日期')
  t.match(past.body, /value="出差"/)
  const declared = await post(app, '/my/expert/unavailability', expert.cookie, { fromDate: '2026-07-01', toDate: '2026-07-03', reason: '出差' })
  t.equal(declared.statusCode, 302)
  const after = await app.inject({ method: 'GET', url: declared.headers.location as string, headers: expert.cookie })
  t.match(after.body, /已申报，立即生效。[\s\S]*2026-07-01 至 2026-07-03：出差/)
  t.match(after.body, /撤销 2026-07-01 至 2026-07-03/)

  const noKind = await post(app, '/my/expert/changes', expert.cookie, { organisationName: '某单位' })
  t.equal(noKind.statusCode, 400)
  t.match(noKind.body, /请选择要申请的变更/)
  const badCode = await post(app, '/my/expert/changes', expert.cookie, { kind: 'employment', organisationName: '某单位', creditCode: '911111111111111111', fromDate: '2026-07-01' })
  fieldError(t, badCode, 'change-credit', '统一社会信用代码校验不通过。')
  t.match(badCode.body, /value="某单位"/)
  const proposed = await post(app, '/my/expert/changes', expert.cookie, { kind: 'employment', organisationName: '省建筑科学研究院', creditCode: randomCreditCode(), fromDate: '2026-07-01' })
  t.equal(proposed.statusCode, 302)
  const waiting = await app.inject({ method: 'GET', url: '/my/expert', headers: expert.cookie })
  t.match(waiting.body, /待大厅审核：[\s\S]*工作单位变更为 省建筑科学研究院/)
  t.notMatch(waiting.body, /data-form="change"/, 'one proposal at a time')
  t.same(leaksIn(waiting.body), [])
  const changeId = /changes\/([0-9a-f-]{36})\/withdraw/.exec(waiting.body)![1]!
  const ask = await post(app, `/my/expert/changes/${changeId}/withdraw`, expert.cookie)
  t.match(ask.body, /确认撤回变更申请/)
  t.equal(await countRows(app, 'expert_profile_changes'), 1)
  const withdrawn = await post(app, `/my/expert/changes/${changeId}/withdraw`, expert.cookie, { confirm: '1' })
  t.equal(withdrawn.statusCode, 302)
  t.equal(await countRows(app, 'expert_profile_changes'), 0)

  const bare = await createUser(app, { grants: [{ role: 'expert', scopeType: 'hall' }] })
  const none = await app.inject({ method: 'GET', url: '/my/expert', headers: pageHeaders(app, bare) })
  t.equal(none.statusCode, 200, 'an expert whose profile the hall has not made yet is told so on their own page')
  t.match(none.body, /您的账户还没有专家档案/)
})
