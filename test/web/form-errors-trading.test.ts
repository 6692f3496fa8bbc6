/**
 * Errors where they happen on the trading, notices and statement forms: each form posted with
 * bad input comes back with the error summary at the top linking to the field, the message
 * beside the field, the field marked (aria-invalid, aria-describedby naming the message), what
 * was typed kept, nothing written, and everything in plain Chinese (no code, no schema message,
 * no English detail, no status number). The server checks what the browser checks.
 */
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helper.ts'
import { hallAdmin, organisation } from '../factories/accounts.ts'
import { multipart, pageHeaders } from '../factories/fees-pages.ts'
import { approvedFee, cashier, feeDesk, issueNotice } from '../factories/fees.ts'
import { acceptedProject, addVenue, bidderWithCertificate, lawfulTiming, publishedTender, registerFor, tenderInput, tradingDesk, worksProject } from '../factories/trading.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { checkHeader, parseStatementLine } from '../../src/modules/reconciliation/reconciliation.rules.ts'
import { readCsv } from '../../src/lib/csv.ts'
import { translator } from '../../src/web/i18n.ts'
import { lineProblemWords } from '../../src/web/statement-lines.ts'
import { leaksIn } from './plain-words.ts'

/** A urlencoded form post's payload and headers (with the session cookie of `headers`). */
const form = (headers: Record<string, string>, fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) params.append(name, one)
  return { payload: params.toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } }
}
/** `datetime-local` in the hall's time zone, as a person types it. */
const local = (instant: string | number) => new Date(new Date(instant).getTime() + 8 * 3_600_000).toISOString().slice(0, 16)
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The refusal of one field, as the page must show it: in the summary, beside the field, on the field. */
function fieldError (t: Test, response: LightMyRequestResponse, id: string, message: string | RegExp) {
  const words = typeof message === 'string' ? escape(message) : message.source
  const body = response.body
  t.match(body, new RegExp(`data-error-summary[\\s\\S]*<a href="#${escape(id)}">${words}</a>`), `${id}: the summary links to the field`)
  t.match(body, new RegExp(`<p id="${escape(id)}-error" class="error field-error">${words}</p>`), `${id}: the message beside the field`)
  const element = new RegExp(`<(?:input|textarea|select|fieldset)[^>]*\\bid="${escape(id)}"[^>]*>`).exec(body)?.[0] ?? ''
  t.match(element, /aria-invalid="true"/, `${id}: marked invalid`)
  t.match(element, new RegExp(`aria-describedby="[^"]*\\b${escape(id)}-error\\b`), `${id}: described by its message`)
}

function plain (t: Test, response: LightMyRequestResponse) {
  t.same(leaksIn(response.body), [], 'in plain Chinese')
}

const count = async (app: Awaited<ReturnType<typeof buildTestApp>>['app'], table: string) =>
  Number((await app.db.$client.unsafe(`select count(*)::int as n from ${table}`))[0]!.n)

t.test('registering a project: every field beside itself, then the figures that do not hold together', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const agency = pageHeaders(app, desk.agency)
  const post = (fields: Record<string, string>) => app.inject({ method: 'POST', url: '/agency/projects', ...form(agency, fields) })
  const valid = {
    tradeType: 'construction_works',
    name: '城西排水管网改造工程',
    tendererName: '示范县住房和城乡建设局',
    tendererCreditCode: demoCreditCode('330100', '87654321'),
    estimateYuan: '3,200,000',
    fundingSource: '财政资金',
    detail_site: '城西',
    detail_scale: '管网 12 公里',
    detail_qualification: '市政公用工程施工总承包三级',
    detail_plannedDays: '180'
  }

  const bad = await post({ ...valid, name: ' ', tendererCreditCode: '91330100ABC', estimateYuan: '三百万', priceCeilingYuan: '-5', detail_site: '', detail_plannedDays: '0' })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, 'project-name', '请填写项目名称（不超过 200 字）。')
  fieldError(t, bad, 'project-credit-code', '请填写招标人的 18 位统一社会信用代码（数字和大写字母）。')
  fieldError(t, bad, 'project-estimate', /请填写估算价或预算：以元为单位的正数[^<]*/)
  fieldError(t, bad, 'project-ceiling', /最高投标限价应为以元为单位的正数[^<]*/)
  fieldError(t, bad, 'project-construction_works-site', '请填写建设地点（不超过 200 字）。')
  fieldError(t, bad, 'project-construction_works-plannedDays', '计划工期（天）应为 1 至 3650 之间的整数。')
  t.notMatch(bad.body, /id="project-tenderer-error"/, 'the tenderer filled in is not at fault')
  t.match(bad.body, /id="project-estimate"[^>]*value="三百万"/, 'what was typed is kept')
  t.match(bad.body, /id="project-construction_works-scale"[^>]*value="管网 12 公里"/)
  t.match(bad.body, /<option value="construction_works" selected>/)
  plain(t, bad)

  // the procurement method is chosen, not typed; a credit code mistyped is named in the same post; a budget below the ceiling is the rules' refusal
  const procurement = { ...valid, tradeType: 'procurement_goods', detail_method: 'by lottery', detail_budgetReference: 'YS-2026-18', detail_deliveryPlace: '县政务中心' }
  const mistyped = `${valid.tendererCreditCode.slice(0, 17)}${valid.tendererCreditCode.endsWith('0') ? '1' : '0'}`
  const method = await post({ ...procurement, tendererCreditCode: mistyped })
  t.equal(method.statusCode, 400)
  fieldError(t, method, 'project-procurement-method', '请选择采购方式。')
  fieldError(t, method, 'project-credit-code', '统一社会信用代码校验不通过，请核对是否输错。')
  t.match(method.body, /<option value="competitive_consultation">竞争性磋商<\/option>/, 'the methods are offered in words')
  const rules = await post({ ...procurement, detail_method: 'inquiry', priceCeilingYuan: '3,300,000', tendererCreditCode: mistyped })
  t.equal(rules.statusCode, 422)
  fieldError(t, rules, 'project-credit-code', '统一社会信用代码校验不通过，请核对是否输错。')
  fieldError(t, rules, 'project-ceiling', '政府采购项目的最高投标限价不得超过预算。')
  plain(t, rules)
  t.equal(await count(app, 'projects'), 0, 'nothing was registered')

  t.equal((await post({ ...procurement, detail_method: 'inquiry', priceCeilingYuan: '3,100,000' })).headers.location, '/agency?done=registered')
  t.match((await app.inject({ method: 'GET', url: '/agency?done=registered', headers: agency })).body, /项目已登记，等待交易中心受理。/)
})

t.test('drafting and editing a tender, and what stands in the way of publishing it', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const agency = pageHeaders(app, desk.agency)
  const project = await acceptedProject(app, desk)
  const input = tenderInput(app, project.id)
  const draft = {
    projectId: project.id,
    title: '城东道路工程施工招标',
    announcement: '招标公告正文',
    documentsFrom: local(input.documentsFrom),
    saleUntil: local(input.saleUntil),
    bidDeadline: local(input.bidDeadline),
    evaluationMethod: 'comprehensive',
    maxBidMegabytes: '100'
  }
  const id = (name: string) => `draft-${project.id}-${name}`

  const bad = await app.inject({ method: 'POST', url: '/agency/tenders', ...form(agency, { ...draft, title: '', bidDeadline: '下周一', bondYuan: '2万', maxBidMegabytes: '5000', evaluationMethod: 'coin toss' }) })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, id('title'), '请填写招标名称（不超过 200 字）。')
  fieldError(t, bad, id('bidDeadline'), '请填写投标截止的日期和时间。')
  fieldError(t, bad, id('bond'), /投标保证金应为以元为单位的正数[^<]*/)
  fieldError(t, bad, id('maxBid'), '投标文件上限应为 1 至 1024 之间的整数（MB）。')
  fieldError(t, bad, id('evaluation'), '请选择评标办法。')
  t.match(bad.body, /<details open>\s*<summary>起草招标<\/summary>/, 'the draft form is open at its fields')
  t.match(bad.body, new RegExp(`id="${id('bond')}"[^>]*value="2万"`), 'what was typed is kept')
  t.match(bad.body, new RegExp(`<textarea id="${id('announcement')}"[^>]*>招标公告正文</textarea>`))
  plain(t, bad)

  const noItem = await app.inject({ method: 'POST', url: '/agency/tenders', ...form(agency, { ...draft, bondYuan: '20000' }) })
  t.equal(noItem.statusCode, 400)
  fieldError(t, noItem, id('bondFeeCode'), '收取投标保证金时，请填写保证金收费项目代码（不超过 32 位）。')
  const unknownItem = await app.inject({ method: 'POST', url: '/agency/tenders', ...form(agency, { ...draft, bondYuan: '20000', bondFeeCode: 'BZJ-NONE', documentFeeCode: 'WJF-NONE' }) })
  t.equal(unknownItem.statusCode, 422)
  fieldError(t, unknownItem, id('bondFeeCode'), /没有该代码的收费项目.*请核对保证金收费项目代码。/)
  plain(t, unknownItem)
  const unknownDocumentFee = await app.inject({ method: 'POST', url: '/agency/tenders', ...form(agency, { ...draft, documentFeeCode: 'WJF-NONE' }) })
  fieldError(t, unknownDocumentFee, id('documentFeeCode'), /没有该代码的收费项目.*请核对文件费收费项目代码。/)
  t.equal(await count(app, 'tenders'), 0, 'nothing was drafted')

  // a draft too short for the statutory periods: publishing is refused beside the draft's deadline
  const drafted = await app.inject({ method: 'POST', url: '/agency/tenders', ...form(agency, { ...draft, bidDeadline: local(Date.parse(input.bidDeadline) - 5 * 86_400_000) }) })
  const tenderUrl = drafted.headers.location as string
  const { projectId: _project, ...draftFields } = draft
  const edit = await app.inject({ method: 'POST', url: `${tenderUrl}/draft`, ...form(agency, { ...draftFields, announcement: ' ', saleUntil: '2026-02-30T10:00' }) })
  t.equal(edit.statusCode, 400)
  fieldError(t, edit, 'draft-announcement', '请填写招标公告正文（不超过 20000 字）。')
  fieldError(t, edit, 'draft-saleUntil', '请填写文件发售截止的日期和时间。')
  t.match(edit.body, /<details open>\s*<summary>修改草稿<\/summary>/)
  t.match(edit.body, /id="draft-saleUntil"[^>]*value="2026-02-30T10:00"/)
  plain(t, edit)

  const early = await app.inject({ method: 'POST', url: `${tenderUrl}/publish`, ...form(agency, {}) })
  t.equal(early.statusCode, 422)
  t.notMatch(early.body, /data-confirm/, 'nothing is offered for confirmation')
  fieldError(t, early, 'draft-bidDeadline', `自招标文件发出之日起至投标截止之日止不得少于20日：投标截止时间最早为 ${lawfulTiming(app).deadlineDate}。`)
  fieldError(t, early, 'document-file', '请先上传招标文件。')
  t.match(early.body, /<details open>\s*<summary>修改草稿<\/summary>/, 'the draft opens where the deadline is')
  t.match(early.body, new RegExp(`id="draft-bidDeadline"[^>]*value="${local(Date.parse(input.bidDeadline) - 5 * 86_400_000)}"`), 'the draft shows its saved values')
  plain(t, early)
  t.match(await app.inject({ method: 'GET', url: `/api/tenders/${tenderUrl.split('/').pop()}`, headers: desk.agency.headers }).then((response) => response.json()), { status: 'draft' })
})

t.test('issuing documents and answering questions and objections', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const agency = pageHeaders(app, desk.agency)
  const project = await acceptedProject(app, desk)
  const draftId = (await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: tenderInput(app, project.id) })).json().id as string
  const upload = (tenderId: string, fields: Record<string, string>, file?: string) => {
    const body = multipart(fields, file ? { file: { name: '招标文件.pdf', content: file } } : {})
    return app.inject({ method: 'POST', url: `/agency/tenders/${tenderId}/documents`, headers: { ...agency, ...body.headers }, payload: body.payload })
  }

  const noFile = await upload(draftId, { kind: 'tender_documents', title: '' })
  t.equal(noFile.statusCode, 400)
  fieldError(t, noFile, 'document-title', '请填写标题（不超过 200 字）。')
  fieldError(t, noFile, 'document-file', '请选择招标文件。')
  t.match(noFile.body, /<details open>\s*<summary>上传招标文件<\/summary>/)
  plain(t, noFile)
  const untitled = await upload(draftId, { kind: 'tender_documents', title: ' ' }, '%PDF-1.4 招标文件')
  t.equal(untitled.statusCode, 400)
  fieldError(t, untitled, 'document-title', '请填写标题（不超过 200 字）。')
  t.match(untitled.body, /为了安全，浏览器不会保留已选择的文件：请重新选择文件。/, 'the page says the file must be chosen again')
  t.match(untitled.body, /id="document-file"[^>]*aria-describedby="document-file-hint"/)
  t.equal(await count(app, 'tender_documents'), 0, 'nothing was issued')

  // after publication: a clarification moves the deadline only later, and one that affects bids leaves 15 days
  const tender = await publishedTender(app, desk, {}, { venueId: await addVenue(app, desk.hall) })
  const tooEarly = await upload(tender.id, { kind: 'clarification', title: '澄清一', body: '工期调整', affectsBids: 'true', newBidDeadline: local(Date.parse(tender.bidDeadline) - 86_400_000) })
  t.equal(tooEarly.statusCode, 422)
  fieldError(t, tooEarly, 'document-deadline', '新的投标截止时间必须晚于现在的投标截止时间。')
  t.match(tooEarly.body, /<textarea id="document-body"[^>]*>工期调整<\/textarea>/, 'what was typed is kept')
  t.match(tooEarly.body, /name="affectsBids" value="true" checked/)
  const empty = await upload(tender.id, { kind: 'clarification', title: '澄清二', newBidDeadline: '明天' })
  fieldError(t, empty, 'document-file', '澄清或修改须附文件或填写说明。')
  fieldError(t, empty, 'document-deadline', /新的投标截止时间应为日期和时间[^<]*/)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(Date.parse(tender.bidDeadline) - 12 * 86_400_000)
  const late = await upload(tender.id, { kind: 'amendment', title: '修改一', body: '增加一项资格条件', affectsBids: 'true' })
  t.equal(late.statusCode, 422)
  fieldError(t, late, 'document-deadline', /影响投标文件编制的澄清或修改应在投标截止时间至少15日前发出：请把投标截止时间顺延至 \d{4}-\d{2}-\d{2} 或以后。/)
  plain(t, late)
  app.clock.now = realNow

  // a bidder's question, answered with an impossible deadline, then an objection answered blank
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const bidderPages = pageHeaders(app, bidder.user)
  t.equal((await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/questions`, ...form(bidderPages, { question: '可否延长工期？' }) })).statusCode, 302)
  const agencyPage = await app.inject({ method: 'GET', url: `/agency/tenders/${tender.id}`, headers: agency })
  const questionId = /data-question="([0-9a-f-]{36})"/.exec(agencyPage.body)![1]!
  const answered = await app.inject({ method: 'POST', url: `/agency/questions/${questionId}/answer`, ...form(agency, { tenderId: tender.id, answer: '', newBidDeadline: local(Date.parse(tender.bidDeadline) - 3_600_000) }) })
  t.equal(answered.statusCode, 400)
  fieldError(t, answered, `answer-${questionId}`, '请填写答复（不超过 8000 字）。')
  const earlier = await app.inject({ method: 'POST', url: `/agency/questions/${questionId}/answer`, ...form(agency, { tenderId: tender.id, answer: '不可以。', newBidDeadline: local(Date.parse(tender.bidDeadline) - 3_600_000) }) })
  t.equal(earlier.statusCode, 422)
  fieldError(t, earlier, `answer-deadline-${questionId}`, '新的投标截止时间必须晚于现在的投标截止时间。')
  t.match(earlier.body, new RegExp(`<textarea id="answer-${questionId}"[^>]*>不可以。</textarea>`))
  plain(t, earlier)

  t.equal((await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/objections`, ...form(bidderPages, { text: '资格条件过高。' }) })).statusCode, 302)
  const objectionId = /data-objection="([0-9a-f-]{36})"/.exec((await app.inject({ method: 'GET', url: `/agency/tenders/${tender.id}`, headers: agency })).body)![1]!
  const blank = await app.inject({ method: 'POST', url: `/agency/objections/${objectionId}/answer`, ...form(agency, { tenderId: tender.id, answer: '  ' }) })
  t.equal(blank.statusCode, 400)
  fieldError(t, blank, `objection-answer-${objectionId}`, '请填写答复（不超过 8000 字）。')
  plain(t, blank)
  t.same((await app.db.$client`select answer from tender_objections where id = ${objectionId}`)[0], { answer: null }, 'nothing was answered')
})

t.test('the bidder\'s question and objection, and the documents obtained too late', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  const headers = pageHeaders(app, bidder.user)
  t.equal((await app.inject({ method: 'POST', url: `/tenders/${tender.id}/register`, headers })).statusCode, 302)

  const blank = await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/questions`, ...form(headers, { question: ' ' }) })
  t.equal(blank.statusCode, 400)
  fieldError(t, blank, 'question-text', '请填写问题（不超过 4000 字）。')
  t.match(blank.body, /id="question-text"[^>]*aria-describedby="question-text-hint question-text-error"/, 'the hint and the message both describe the field')
  plain(t, blank)

  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(Date.parse(tender.bidDeadline) - 5 * 86_400_000)
  const late = await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/objections`, ...form(headers, { text: '评标办法不合理。' }) })
  t.equal(late.statusCode, 422)
  const cutoff = new Date(Date.parse(tender.bidDeadline) + 8 * 3_600_000 - 10 * 86_400_000).toISOString().slice(0, 10)
  fieldError(t, late, 'objection-text', `对招标文件的异议应在投标截止时间10日前提出，最迟 ${cutoff}，现在已不能提出。`)
  t.match(late.body, /<textarea id="objection-text"[^>]*>评标办法不合理。<\/textarea>/, 'what was typed is kept')
  plain(t, late)
  app.clock.now = () => new Date(Date.parse(tender.bidDeadline) + 60_000)
  const closed = await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/questions`, ...form(headers, { question: '还能提问吗？' }) })
  t.equal(closed.statusCode, 409)
  t.match(closed.body, /data-error-summary[\s\S]*投标截止前才能提问，现在不能再提出问题。/)
  plain(t, closed)
  const rival = await organisation(app, 'bidder')
  const tooLate = await app.inject({ method: 'POST', url: `/tenders/${tender.id}/register`, headers: pageHeaders(app, rival) })
  t.equal(tooLate.statusCode, 409)
  t.match(tooLate.body, /data-error-summary[\s\S]*不在招标文件发售期内。/, 'a button\'s refusal is in the summary')
  plain(t, tooLate)
})

t.test('the hall\'s desk: accepting into a room slot, rejecting, adding a room', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const hall = pageHeaders(app, desk.hall)
  const registered = await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject() })
  const projectId = registered.json().id as string
  const url = `/hall/projects/${projectId}/decision`
  const id = (name: string) => `accept-${name}-${projectId}`

  const bad = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'accept', venueId: '', startsAt: '', minutes: '10' }) })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, id('venue'), '请选择开标室。')
  fieldError(t, bad, id('starts'), '请填写开标的日期和时间。')
  fieldError(t, bad, id('minutes'), '时长应为 30 至 1440 之间的整数（分钟）。')
  t.match(bad.body, new RegExp(`id="${id('minutes')}"[^>]*aria-describedby="${id('minutes')}-hint ${id('minutes')}-error"`))
  plain(t, bad)
  const past = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'accept', venueId: desk.venueId, startsAt: local(app.clock.now().getTime() - 3_600_000), minutes: '90' }) })
  fieldError(t, past, id('starts'), '开标时间须在现在之后。')
  t.match(past.body, new RegExp(`<option value="${desk.venueId}" selected>`), 'the room chosen is kept')
  t.match(past.body, new RegExp(`id="${id('minutes')}"[^>]*value="90"`))

  // the room is taken at that time by another project
  const other = await acceptedProject(app, desk, { openingAt: new Date(app.clock.now().getTime() + 30 * 86_400_000).toISOString() })
  t.ok(other.id)
  const clash = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'accept', venueId: desk.venueId, startsAt: local(app.clock.now().getTime() + 30 * 86_400_000 + 3_600_000), minutes: '60' }) })
  t.equal(clash.statusCode, 409)
  t.notMatch(clash.body, /data-confirm/)
  fieldError(t, clash, id('starts'), '该开标室在此时段已有安排。')
  plain(t, clash)

  const reject = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'reject', reason: '' }) })
  t.equal(reject.statusCode, 400)
  fieldError(t, reject, `reject-reason-${projectId}`, '请填写不予受理的理由（不超过 1000 字）。')
  t.equal((await app.inject({ method: 'GET', url: `/api/projects/${projectId}`, headers: desk.hall.headers })).json().status, 'registered', 'nothing was decided')

  const admin = pageHeaders(app, await hallAdmin(app))
  const room = await app.inject({ method: 'POST', url: '/hall/venues', ...form(admin, { code: '第一开标室', name: '', seats: '0' }) })
  t.equal(room.statusCode, 400)
  fieldError(t, room, 'venue-code', '编码为 1 至 16 位字母、数字或连字符，以字母或数字开头。')
  fieldError(t, room, 'venue-name', '请填写开标室名称（不超过 100 字）。')
  fieldError(t, room, 'venue-seats', '座位数应为 1 至 2000 之间的整数。')
  t.match(room.body, /id="venue-code"[^>]*value="第一开标室"/)
  plain(t, room)
  const code = (await app.inject({ method: 'GET', url: '/api/venues', headers: desk.hall.headers })).json()[0].code as string
  const taken = await app.inject({ method: 'POST', url: '/hall/venues', ...form(admin, { code: code.toLowerCase(), name: '第二开标室', seats: '20' }) })
  t.equal(taken.statusCode, 409)
  fieldError(t, taken, 'venue-code', '该编码已有开标室使用。')
})

t.test('publishing a notice: the title, the text and the audience beside themselves', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = pageHeaders(app, await hallAdmin(app))
  const bad = await app.inject({ method: 'POST', url: '/notices', ...form(admin, { title: ' ', body: '明日系统维护。' }) })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, 'notice-title', '请填写标题（不超过 120 字）。')
  fieldError(t, bad, 'notice-audience', '请选择发送对象。')
  t.match(bad.body, /<details open>/, 'the form is open at its fields')
  t.match(bad.body, /<textarea id="notice-body"[^>]*>明日系统维护。<\/textarea>/, 'what was typed is kept')
  plain(t, bad)
  const noBody = await app.inject({ method: 'POST', url: '/notices', ...form(admin, { title: '维护通知', body: '', roles: ['cashier', 'clerk'] }) })
  fieldError(t, noBody, 'notice-body', '请填写正文（不超过 4000 字）。')
  t.match(noBody.body, /id="notice-title"[^>]*value="维护通知"/)
  t.match(noBody.body, /name="roles" value="cashier" checked/, 'the ticked roles are kept')
  t.match(noBody.body, /name="roles" value="clerk" checked/)
  t.notMatch(noBody.body, /name="roles" value="bidder" checked/)
  t.same((await app.inject({ method: 'GET', url: '/api/notices' })).json(), [], 'nothing was published')
})

t.test('a statement upload: its bad lines in words beside the file field, the bank and the day beside theirs', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const teller = await cashier(app)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  t.equal((await app.inject({ method: 'POST', url: '/simulated-bank/payments', payload: { paymentCode: notice.code, payerAccountNo: '6222 0000 2222', payerAccountName: '钱七', delivery: 'normal' } })).statusCode, 200)
  const headers = pageHeaders(app, teller)
  const today = app.calendar.today()
  const csv = (await app.inject({ method: 'GET', url: `/api/simulated-bank/statements/${today}`, headers: teller.headers })).body
  const post = (fields: Record<string, string>, content?: string) => {
    const body = multipart(fields, content === undefined ? {} : { statement: { name: 'statement.csv', type: 'text/csv', content } })
    return app.inject({ method: 'POST', url: '/finance/statements', headers: { ...headers, ...body.headers }, payload: body.payload })
  }

  const malformed = await post({ bankCode: 'simbank', date: today }, `${csv.replace(/,C,80\.00,/, ',C,eighty,')}X-1,${today} 10:00:00,Z,5.00,,6222,某公司,\n`)
  t.equal(malformed.statusCode, 422)
  fieldError(t, malformed, 'statement-file', '对账单有格式错误的行，未导入任何内容；请更正后重新上传。')
  t.match(malformed.body, /<ul id="statement-file-lines"[^>]*>\s*<li><strong>第 2 行<\/strong>：金额应为以元为单位的正数，最多两位小数。<\/li><li><strong>第 3 行<\/strong>：收支方向应为 C（收入）或 D（支出）。<\/li>/, 'each bad line, by number, in words')
  t.match(malformed.body, /id="statement-file"[^>]*aria-describedby="statement-file-hint statement-file-error statement-file-lines"/)
  t.notMatch(malformed.body.replace(/data-messages="[^"]*"/, ''), /amount must be|<span lang="en">/, 'no English detail (the upload script\'s table of sentences aside)')
  plain(t, malformed)

  const fields = await post({ bankCode: 'nobank', date: '2999-01-01' })
  t.equal(fields.statusCode, 400)
  fieldError(t, fields, 'statement-bank', '请选择对账单所属的银行。')
  fieldError(t, fields, 'statement-date', '请选择对账日期，不能晚于今天。')
  fieldError(t, fields, 'statement-file', '请选择对账单文件（CSV）。')
  t.match(fields.body, /id="statement-date"[^>]*value="2999-01-01"/, 'the day typed is kept')
  plain(t, fields)
  t.equal(await count(app, 'bank_statements'), 0, 'nothing was imported')
})

t.test('every sentence the statement rules refuse a line with has its words', async (t) => {
  const zh = translator('zh-CN')
  const other = zh('statements.lineError.other')
  const day = '2026-03-02'
  const good = ['T1', `${day} 10:00:00`, 'C', '80.00', '', '6222', '某公司', '']
  const lines = [
    ['T1'], ['bad id!', ...good.slice(1)], ['T1', 'noon', ...good.slice(2)], ['T1', '2026-03-03 10:00:00', ...good.slice(2)], ['T1', good[1]!, 'X', ...good.slice(3)],
    ['T1', good[1]!, 'C', '0', ...good.slice(4)], ['T1', good[1]!, 'C', '1.00', '123', ...good.slice(5)], ['T1', good[1]!, 'C', '1.00', '', '', '', ''],
    ['T1', good[1]!, 'C', '1.00', '', '6222', 'x'.repeat(201), '']
  ]
  const messages = [
    ...lines.map((fields) => parseStatementLine(fields, day)).filter((result): result is string => typeof result === 'string'),
    checkHeader(['a', 'b'])!,
    'the statement is empty (a header row is required)',
    'txn_id T1 appears more than once'
  ]
  t.equal(messages.length, lines.length + 3, 'every crafted line is refused')
  async function * text (content: string) { yield Buffer.from(content) }
  for await (const record of readCsv(text('a,"b"c\n' + 'a,b"c\n' + 'x'.repeat(50) + '\n' + '"open\n'), { maxLineBytes: 40 })) {
    if ('error' in record) messages.push(record.error)
  }
  for (const message of messages) {
    const words = lineProblemWords(zh, message)
    t.not(words, other, `“${message}” has words of its own: ${words}`)
    t.same(leaksIn(`<p>${words}</p>`), [], `${words}: plain Chinese`)
  }
  t.equal(lineProblemWords(zh, 'expected 8 fields, found 3'), '应有 8 列，实际为 3 列。', 'with the figures of the sentence')
})
