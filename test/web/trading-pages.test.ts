/**
 * The trading pages without JavaScript: forms post to the same services as the API, refusals
 * show the page again with the reason in the page's language, and what is secret stays off
 * every page.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { organisation } from '../factories/accounts.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { bidderWithCertificate, lawfulTiming, tradingDesk } from '../factories/trading.ts'
import { multipart } from '../support/multipart.ts'

const form = (fields: Record<string, string>) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
/** `datetime-local` in the hall's time zone, as a person types it. */
const local = (instant: string) => new Date(Date.parse(instant) + 8 * 3_600_000).toISOString().slice(0, 16)

t.test('agency, hall and bidder pages carry a tender from entry to questions', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const post = async (url: string, headers: Record<string, string>, fields: Record<string, string>) => {
    const body = form(fields)
    return app.inject({ method: 'POST', url, headers: { ...headers, ...body.headers }, payload: body.payload })
  }
  const projectForm = {
    tradeType: 'construction_works',
    name: '城东污水处理厂提标改造工程',
    tendererName: '示范县住房和城乡建设局',
    tendererCreditCode: demoCreditCode('330100', '87654321'),
    estimateYuan: '8,600,000',
    fundingSource: '专项债',
    mandatoryTendering: 'true',
    detail_site: '城东',
    detail_scale: '日处理 2 万吨',
    detail_qualification: '市政公用工程施工总承包二级',
    detail_plannedDays: '240'
  }
  const wrongCode = await post('/agency/projects', desk.agency.headers, { ...projectForm, tendererCreditCode: '913301000000000000' })
  t.equal(wrongCode.statusCode, 422)
  t.match(wrongCode.body, /统一社会信用代码校验不通过/, 'the refusal shows in Chinese (test/web/form-errors-trading.test.ts has the details)')
  t.match(wrongCode.body, /城东污水处理厂提标改造工程/, 'and the form keeps what was typed')
  const registered = await post('/agency/projects', desk.agency.headers, projectForm)
  t.equal(registered.statusCode, 302)
  const [project] = (await app.inject({ method: 'GET', url: '/api/projects', headers: desk.agency.headers })).json()
  t.equal(project.estimateFen, 860_000_000, 'yuan typed with grouping becomes exact fen')
  t.same(project.details, { site: '城东', scale: '日处理 2 万吨', qualification: '市政公用工程施工总承包二级', plannedDays: 240 })

  const timing = lawfulTiming(app)
  const hallPage = await app.inject({ method: 'GET', url: '/hall/projects', headers: desk.hall.headers })
  t.match(hallPage.body, /城东污水处理厂提标改造工程/)
  const accepted = await post(`/hall/projects/${project.id}/decision`, desk.hall.headers, { decision: 'accept', venueId: desk.venueId, startsAt: local(timing.bidDeadline), minutes: '120', confirm: '1' })
  t.equal(accepted.statusCode, 302, 'accepted once confirmed (test/web/confirmations-trading.test.ts)')
  const other = await post('/agency/projects', desk.agency.headers, { ...projectForm, name: '第二个项目' })
  t.equal(other.statusCode, 302)
  const second = (await app.inject({ method: 'GET', url: '/api/projects?status=registered', headers: desk.agency.headers })).json()[0]
  const clash = await post(`/hall/projects/${second.id}/decision`, desk.hall.headers, { decision: 'accept', venueId: desk.venueId, startsAt: local(new Date(Date.parse(timing.bidDeadline) + 3_600_000).toISOString()), minutes: '60' })
  t.equal(clash.statusCode, 409)
  t.match(clash.body, /该开标室在此时段已有安排/)

  const agencyHome = await app.inject({ method: 'GET', url: '/agency', headers: desk.agency.headers })
  t.match(agencyHome.body, `name="bidDeadline" type="datetime-local" value="${local(timing.bidDeadline)}"`, 'the draft form proposes the earliest lawful deadline')
  const tenderForm = {
    projectId: project.id,
    title: '城东污水处理厂提标改造工程施工招标',
    announcement: '招标公告正文',
    documentsFrom: local(timing.documentsFrom),
    saleUntil: local(timing.saleUntil),
    bidDeadline: local(new Date(Date.now() + 10 * 86_400_000).toISOString()),
    evaluationMethod: 'reasonable_lowest_price',
    maxBidMegabytes: '100'
  }
  const drafted = await post('/agency/tenders', desk.agency.headers, tenderForm)
  t.equal(drafted.statusCode, 302)
  const tenderUrl = drafted.headers.location as string
  const tenderId = tenderUrl.split('/').pop()!
  const upload = multipart({ kind: 'tender_documents', title: '招标文件（第一版）', confirm: '1' }, { file: { name: '招标文件.pdf', content: '%PDF-1.4 招标文件' } })
  const uploaded = await app.inject({ method: 'POST', url: `${tenderUrl}/documents`, headers: { ...desk.agency.headers, ...upload.headers }, payload: upload.payload })
  t.equal(uploaded.statusCode, 302)
  const tooSoon = await post(`${tenderUrl}/publish`, desk.agency.headers, {})
  t.equal(tooSoon.statusCode, 422)
  t.match(tooSoon.body, /不得少于20日/, 'the statutory rule in words')
  t.match(tooSoon.body, new RegExp(timing.deadlineDate), 'and the earliest lawful date')
  t.equal((await app.inject({ method: 'GET', url: `/tenders/${tenderId}` })).statusCode, 404, 'nothing was published')

  // the agency edits the draft to the lawful deadline and publishes it
  const editPage = await app.inject({ method: 'GET', url: tenderUrl, headers: desk.agency.headers })
  t.match(editPage.body, `action="/agency/tenders/${tenderId}/draft"`, 'a draft can be edited on its page')
  const { projectId: _project, ...draftFields } = tenderForm
  const edited = await post(`${tenderUrl}/draft`, desk.agency.headers, { ...draftFields, bidDeadline: local(timing.bidDeadline) })
  t.equal(edited.statusCode, 302)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tenderId}`, headers: desk.agency.headers })).json().bidDeadline, timing.bidDeadline)
  const published = await post(`${tenderUrl}/publish`, desk.agency.headers, { confirm: '1' })
  t.equal(published.statusCode, 302)
  const lawfulUrl = tenderUrl
  const lawfulId = tenderId
  t.match((await app.inject({ method: 'GET', url: '/tenders' })).body, /城东污水处理厂提标改造工程施工招标/)
  t.match((await app.inject({ method: 'GET', url: '/schedule' })).body, /城东污水处理厂提标改造工程/)

  const second2 = await post('/agency/tenders', desk.agency.headers, { ...tenderForm, title: '第二标段（将终止）', bidDeadline: local(timing.bidDeadline) })
  t.match((await post(`${second2.headers.location as string}/cancel`, desk.agency.headers, { reason: '合并到第一标段' })).body, /data-confirm/, 'cancelling asks once more (test/web/confirmations.test.ts)')
  t.equal((await post(`${second2.headers.location as string}/cancel`, desk.agency.headers, { reason: '合并到第一标段', confirm: '1' })).statusCode, 302, 'a draft is cancelled from its page')

  const bidder = await bidderWithCertificate(app)
  t.equal((await post(`/tenders/${lawfulId}/register`, bidder.user.headers, {})).statusCode, 302)
  const asked = await post(`/bidder/tenders/${lawfulId}/questions`, bidder.user.headers, { question: '是否接受联合体投标？' })
  t.equal(asked.statusCode, 302)
  const agencyView = await app.inject({ method: 'GET', url: lawfulUrl, headers: desk.agency.headers })
  t.match(agencyView.body, /是否接受联合体投标？/)
  t.notMatch(agencyView.body, bidder.user.username, 'the agency page never names the asker')
  const questionId = /data-question="([0-9a-f-]{36})"/.exec(agencyView.body)![1]!
  t.equal((await post(`/agency/questions/${questionId}/answer`, desk.agency.headers, { tenderId: lawfulId, answer: '不接受联合体投标。' })).statusCode, 302)
  const workspace = await app.inject({ method: 'GET', url: `/bidder/tenders/${lawfulId}`, headers: bidder.user.headers })
  t.match(workspace.body, /不接受联合体投标。/, 'the answer reaches the bidder')
  t.match(workspace.body, /id="bid-form"/, 'and the sealing form is offered')

  const objected = await post(`/bidder/tenders/${lawfulId}/objections`, bidder.user.headers, { text: '工期设置不合理。' })
  t.equal(objected.statusCode, 302)
  t.match((await app.inject({ method: 'GET', url: `/tenders/${lawfulId}` })).body, /因异议暂停/, 'the public page shows the pause')
  const rival = await organisation(app, 'bidder')
  t.equal((await app.inject({ method: 'GET', url: `/bidder/tenders/${lawfulId}`, headers: rival.headers })).statusCode, 409, 'a workspace needs the documents first')
})
