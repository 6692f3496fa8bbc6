/**
 * Binding actions of trading, notices and finance ask once more, without JavaScript: publishing
 * a tender announcement, issuing tender documents (the file kept aside until confirmed, its
 * SHA-256 shown), accepting a project into a room slot, withdrawing a public notice and
 * confirming a remittance. The first post answers with a page naming what is acted upon and
 * what will happen, carrying the same fields with confirm=1; nothing changes until that page is
 * posted. The JSON API keeps acting at once.
 */
import { createHash } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { multipart, pageHeaders, payAtWindow } from '../factories/fees-pages.ts'
import { approvedFee, cashier, feeDesk, issueNotice } from '../factories/fees.ts'
import { acceptedProject, lawfulTiming, publishedTender, tenderInput, tradingDesk, uploadDocument, worksProject } from '../factories/trading.ts'
import { leaksIn } from './plain-words.ts'

const form = (headers: Record<string, string>, fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
})
/** `datetime-local` in the hall's time zone, as a person types it. */
const local = (instant: string | number) => new Date(new Date(instant).getTime() + 8 * 3_600_000).toISOString().slice(0, 16)
const words = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')

/** The confirmation page: its heading, what it says will happen, the fields it posts again, where it goes back to. */
function confirmation (response: LightMyRequestResponse) {
  const body = response.body
  const hidden = Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1]!, match[2]!]))
  return {
    title: /<h1 id="confirm-title">([^<]+)<\/h1>/.exec(body)?.[1] ?? '',
    consequences: words(/data-confirm-consequences>([\s\S]*?)<\/div>/.exec(body)?.[1] ?? ''),
    facts: words(/data-confirm-facts>([\s\S]*?)<\/dl>/.exec(body)?.[1] ?? ''),
    action: /data-confirm>[\s\S]*?<form method="post" action="([^"]+)"/.exec(body)?.[1] ?? '',
    multipart: /<form method="post" action="[^"]+" enctype="multipart\/form-data">/.test(body),
    hidden,
    back: /<a href="([^"]+)" role="button" class="secondary outline" data-confirm-cancel>/.exec(body)?.[1] ?? ''
  }
}

t.test('publishing a tender: the timetable and what becomes public, any timing published as a warning, then confirm', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const agency = pageHeaders(app, desk.agency)
  const status = async (tenderId: string) => (await app.inject({ method: 'GET', url: `/api/tenders/${tenderId}`, headers: desk.agency.headers })).json().status

  // a tender that is not mandatory, with a deadline short of the statutory 20 days
  const timing = lawfulTiming(app)
  const short = new Date(Date.parse(timing.bidDeadline) - 3 * 86_400_000).toISOString()
  const project = await acceptedProject(app, desk, { project: worksProject({ mandatoryTendering: false }), openingAt: short })
  const tenderId = (await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: tenderInput(app, project.id, { bidDeadline: short }) })).json().id as string
  t.equal((await uploadDocument(app, desk.agency, tenderId, { kind: 'tender_documents', title: '招标文件' }, { name: '招标文件.pdf', content: Buffer.from('%PDF-1.4 正文') })).statusCode, 201)

  const url = `/agency/tenders/${tenderId}/publish`
  const asked = await app.inject({ method: 'POST', url, ...form(agency, {}) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认发布招标公告')
  t.match(page.facts, /示范县第一中学教学楼建设工程施工招标/)
  t.match(page.facts, /「招标文件」（第 1 版）/, 'which documents go out')
  t.match(page.consequences, /招标公告和招标文件将向社会公开，任何人都可以查看/)
  t.match(page.consequences, /时间安排即具约束力：.+ 起发出招标文件，发售至 .+，.+ 投标截止并开标/)
  t.match(page.consequences, /草稿不能再修改/)
  t.match(page.consequences, new RegExp(`以下时限不符合法定要求，将作为时限提示记录并公开显示：自招标文件发出之日起至投标截止之日止不得少于20日：投标截止时间最早为 ${timing.deadlineDate}`), 'the shortfall it publishes with')
  t.same(page.hidden, { confirm: '1' })
  t.equal(page.action, url)
  t.equal(page.back, `/agency/tenders/${tenderId}`)
  t.match(asked.body, /<button type="submit" data-confirm-button>确认发布<\/button>/)
  t.same(leaksIn(asked.body), [], 'in plain Chinese')
  t.equal(await status(tenderId), 'draft', 'nothing is published yet')
  t.equal((await app.inject({ method: 'GET', url: `/tenders/${tenderId}` })).statusCode, 404)

  const published = await app.inject({ method: 'POST', url, ...form(agency, page.hidden) })
  t.equal(published.headers.location, `/agency/tenders/${tenderId}?done=published`)
  t.not(await status(tenderId), 'draft')
  const announcement = await app.inject({ method: 'GET', url: `/tenders/${tenderId}` })
  t.equal(announcement.statusCode, 200, 'the announcement is public')
  t.match(announcement.body, new RegExp(`data-timing-warnings><li>自招标文件发出之日起至投标截止之日止不得少于20日：投标截止时间最早为 ${timing.deadlineDate}。</li>`), 'with the warning, in words')
  t.same(leaksIn(announcement.body), [])
  const again = await app.inject({ method: 'POST', url, ...form(agency, {}) })
  t.equal(again.statusCode, 409, 'a published tender is not offered for confirmation')
  t.notMatch(again.body, /data-confirm/)
  t.match(again.body, /data-error-summary[\s\S]*招标当前所处阶段不能进行这一步/)
})

t.test('issuing documents: the file kept aside with its fingerprint, issued only when confirmed', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const agency = pageHeaders(app, desk.agency)
  const project = await acceptedProject(app, desk)
  const tenderId = (await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: tenderInput(app, project.id) })).json().id as string
  const url = `/agency/tenders/${tenderId}/documents`
  const post = (fields: Record<string, string>, file?: { name: string, content: string }) => {
    const body = multipart(fields, file ? { file } : {})
    return app.inject({ method: 'POST', url, headers: { ...agency, ...body.headers }, payload: body.payload })
  }
  const documents = async () => (await app.db.$client`select title, sha256, file_name from tender_documents where tender_id = ${tenderId} order by version`)
  const content = '%PDF-1.4 示范县第一中学教学楼 招标文件 第一版'
  const sha256 = createHash('sha256').update(content).digest('hex')

  const asked = await post({ kind: 'tender_documents', title: '招标文件（第一版）', body: '' }, { name: '招标文件.pdf', content })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认发出招标文件')
  t.match(page.facts, /招标文件（第一版）/)
  t.match(page.facts, /招标文件\.pdf · 1 KB/)
  t.match(page.facts, new RegExp(`SHA-256 ${sha256}`), 'the file\'s fingerprint, as it will be recorded')
  t.match(page.consequences, /「招标文件（第一版）」将作为第 1 版保存，文件的 SHA-256 指纹一并记录/)
  t.match(page.consequences, /发出后不能撤回或删除/)
  t.ok(page.multipart, 'the confirmation posts to the same multipart route')
  t.match(page.hidden, { kind: 'tender_documents', title: '招标文件（第一版）', fileName: '招标文件.pdf', confirm: '1' })
  t.match(page.hidden.pending, /^[0-9a-f-]{36}$/, 'the file kept aside is named by an id')
  t.equal(page.back, `/agency/tenders/${tenderId}`)
  t.same(leaksIn(asked.body), [])
  t.same(await documents(), [], 'nothing is issued yet')
  t.ok(await app.store.stat(`pending/tender-documents/${tenderId}/${page.hidden.pending}`), 'the file waits aside')

  const issued = await post(page.hidden)
  t.equal(issued.headers.location, `/agency/tenders/${tenderId}?done=issued`)
  t.same(await documents(), [{ title: '招标文件（第一版）', sha256, file_name: '招标文件.pdf' }], 'the same bytes are issued')
  t.equal(await app.store.stat(`pending/tender-documents/${tenderId}/${page.hidden.pending}`), null, 'and no longer kept aside')
  const twice = await post(page.hidden)
  t.equal(twice.statusCode, 409, 'a confirmation posted twice issues nothing more')
  t.match(twice.body, /<a href="#document-file">所选文件已失效，请重新选择文件后再发出。<\/a>/)
  t.equal((await documents()).length, 1)
})

t.test('a clarification after publication: what goes out to bidders and where the deadline moves', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const agency = pageHeaders(app, desk.agency)
  const tender = await publishedTender(app, desk)
  const later = new Date(Date.parse(tender.bidDeadline) + 7 * 86_400_000).toISOString()
  const body = multipart({ kind: 'amendment', title: '修改一', body: '工期由 365 天调整为 330 天', affectsBids: 'true', newBidDeadline: local(later) })
  const asked = await app.inject({ method: 'POST', url: `/agency/tenders/${tender.id}/documents`, headers: { ...agency, ...body.headers }, payload: body.payload })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认发出修改')
  t.match(page.consequences, /修改「修改一」将立即公开发出，已获取招标文件的投标人随即收到/)
  t.match(page.consequences, /本修改影响投标文件编制/)
  t.match(page.consequences, /投标截止和开标时间由 .+ 顺延至 .+，开标室预约随之调整/)
  t.match(page.hidden, { kind: 'amendment', title: '修改一', body: '工期由 365 天调整为 330 天', affectsBids: 'true', newBidDeadline: local(later), confirm: '1' })
  t.notOk('pending' in page.hidden, 'no file, nothing kept aside')
  t.same(leaksIn(asked.body), [])
  const deadline = async () => (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}`, headers: desk.agency.headers })).json().bidDeadline
  t.equal(await deadline(), tender.bidDeadline, 'the deadline has not moved yet')

  const confirmed = multipart(page.hidden)
  const issued = await app.inject({ method: 'POST', url: `/agency/tenders/${tender.id}/documents`, headers: { ...agency, ...confirmed.headers }, payload: confirmed.payload })
  t.equal(issued.headers.location, `/agency/tenders/${tender.id}?done=issued`)
  t.equal(await deadline(), later, 'the deadline moved once confirmed')
})

t.test('accepting a project into a room slot: the room, the time and what it binds, then confirm', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const hall = pageHeaders(app, desk.hall)
  const projectId = (await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject() })).json().id as string
  const venue = (await app.inject({ method: 'GET', url: '/api/venues', headers: desk.hall.headers })).json().find((candidate: { id: string }) => candidate.id === desk.venueId)
  const startsAt = local(lawfulTiming(app).bidDeadline)
  const url = `/hall/projects/${projectId}/decision`
  const project = async () => (await app.inject({ method: 'GET', url: `/api/projects/${projectId}`, headers: desk.hall.headers })).json()

  const asked = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'accept', venueId: desk.venueId, startsAt, minutes: '150' }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认受理进场并安排开标室')
  t.match(page.facts, /示范县第一中学教学楼建设工程/)
  t.match(page.facts, new RegExp(`开标室 ${venue.name}`))
  t.match(page.facts, /（150 分钟）/)
  t.match(page.consequences, /项目「示范县第一中学教学楼建设工程」受理进场，列入交易日程/)
  t.match(page.consequences, new RegExp(`${venue.name} 在 .+ 至 .+ 预留给本项目，其他项目不能再预约这一时段`))
  t.match(page.consequences, /受理后不能再改为不予受理/)
  t.same(page.hidden, { decision: 'accept', venueId: desk.venueId, startsAt, minutes: '150', confirm: '1' })
  t.equal(page.back, `/hall/projects#project-${projectId}`)
  t.same(leaksIn(asked.body), [])
  t.match(await project(), { status: 'registered', bookings: [] }, 'nothing is decided yet')

  const accepted = await app.inject({ method: 'POST', url, ...form(hall, page.hidden) })
  t.equal(accepted.headers.location, '/hall/projects?done=accepted')
  const decided = await project()
  t.equal(decided.status, 'accepted')
  t.equal(decided.bookings.length, 1)
  t.equal(Date.parse(decided.bookings[0].endsAt) - Date.parse(decided.bookings[0].startsAt), 150 * 60_000, 'booked for the time confirmed')
  t.match((await app.inject({ method: 'GET', url: '/hall/projects?done=accepted', headers: hall })).body, /项目已受理，开标室已预留。/)
  const rejectedProject = (await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject({ name: '另一个项目' }) })).json().id as string
  t.equal((await app.inject({ method: 'POST', url: `/hall/projects/${rejectedProject}/decision`, ...form(hall, { decision: 'reject', reason: '资料不全' }) })).headers.location, '/hall/projects?done=rejected', 'a rejection needs only its reason')
})

t.test('withdrawing a public notice: what readers lose, then confirm', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const headers = pageHeaders(app, admin)
  const notice = (await app.inject({ method: 'POST', url: '/api/notices', headers: admin.headers, payload: { title: '春节期间暂停办理', body: '2月15日至2月23日暂停窗口办理。', audience: { public: true } } })).json()
  const url = `/notices/${notice.id}/withdraw`
  const visible = async () => (await app.inject({ method: 'GET', url: '/api/notices' })).json().length

  const asked = await app.inject({ method: 'POST', url, ...form(headers, {}) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认撤回通知')
  t.match(page.facts, /春节期间暂停办理/)
  t.match(page.facts, /社会公众（公开）/)
  t.match(page.consequences, /通知「春节期间暂停办理」将从通知公告中撤下，所有读者都不再看到/)
  t.match(page.consequences, /这是一条公开通知，社会公众此前可能已经看到/)
  t.match(page.consequences, /撤回后不能恢复/)
  t.same(page.hidden, { confirm: '1' })
  t.equal(page.back, '/notices')
  t.match(asked.body, /<button type="submit" class="contrast" data-confirm-button>确认撤回<\/button>/, 'it looks like what it is: a withdrawal')
  t.same(leaksIn(asked.body), [])
  t.equal(await visible(), 1, 'the notice is still up')

  t.equal((await app.inject({ method: 'POST', url, ...form(headers, page.hidden) })).headers.location, '/notices')
  t.equal(await visible(), 0)
  const gone = await app.inject({ method: 'POST', url, ...form(headers, {}) })
  t.equal(gone.statusCode, 404, 'a notice withdrawn is not offered again')
  t.notMatch(gone.body, /data-confirm/)
  t.match(gone.body, /data-error-summary[\s\S]*找不到该通知，它可能已被撤回。/)
  t.same(leaksIn(gone.body), [])
})

t.test('confirming a remittance: the batch in figures and capitals against the bank\'s slip, then confirm', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const teller = await cashier(app)
  const headers = pageHeaders(app, teller)
  await payAtWindow(app, teller, { code: 'simbank' }, await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] }))
  const created = await app.inject({ method: 'POST', url: '/finance/remittances', headers, payload: { throughDate: app.calendar.today() } })
  const batch = /data-remittance="([0-9a-f-]{36})" data-status="created"/.exec(created.body)![1]!
  const url = `/finance/remittances/${batch}/confirmation`

  const asked = await app.inject({ method: 'POST', url, headers, payload: { bankCode: 'simbank', bankTxnId: 'REMIT-001' } })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认登记汇缴')
  t.match(page.facts, /¥80\.00/)
  t.match(page.facts, /捌拾元整/, 'the amount in capitals')
  t.match(page.facts, /REMIT-001/)
  t.match(page.consequences, /这批 1 笔、共 ¥80\.00（捌拾元整）的非税收入已通过.+（流水号 REMIT-001）汇缴到/)
  t.match(page.consequences, /不能撤销/)
  t.same(page.hidden, { bankCode: 'simbank', bankTxnId: 'REMIT-001', confirm: '1' })
  t.equal(page.back, `/finance/remittances#remittance-${batch}`)
  t.same(leaksIn(asked.body), [])
  t.match((await app.inject({ method: 'GET', url: '/finance/remittances', headers })).body, new RegExp(`data-remittance="${batch}" data-status="created"`), 'nothing is confirmed yet')

  const confirmed = await app.inject({ method: 'POST', url, headers, payload: page.hidden })
  t.match(confirmed.body, /汇缴已确认/)
  t.match(confirmed.body, new RegExp(`data-remittance="${batch}" data-status="confirmed"`))
  const again = await app.inject({ method: 'POST', url, headers, payload: { bankCode: 'simbank', bankTxnId: 'REMIT-002' } })
  t.equal(again.statusCode, 409, 'a confirmed batch is not offered again')
  t.notMatch(again.body, /data-confirm/)
  t.match(again.body, /该汇缴批次已经确认过。/)
})
