/**
 * The expert drawing's pages (issue 13) as each role reads them, without JavaScript: the agency's
 * request form refuses in place (the committee rules in words beside their fields, values kept)
 * and confirms before sending; the hall reviews (refuse with a reason, approve) after a
 * confirmation; the supervisor gives the nonce after a confirmation and alone sees names and why
 * each excluded expert was left out; the hall and the agency see counts only; an expert sees the
 * time and place, never the tender or its bidders, and confirms or declines after a confirmation;
 * the public record is 404 until publication, then shows the committee and how to re-run the
 * draw. Every page is plain Chinese.
 */
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { pageHeaders } from '../factories/fees-pages.ts'
import { clockAt, drawingApi, drawingDesk, HOUR } from '../factories/drawings.ts'
import { approvedDrawing, drawingPool, expertCookie, form } from '../factories/drawing-pages.ts'
import { buildTestApp, countRows } from '../helper.ts'
import { leaksIn } from './plain-words.ts'

/** `datetime-local` in the hall's time zone, as a person types it. */
const local = (instant: string | number | Date) => new Date(new Date(instant).getTime() + 8 * 3_600_000).toISOString().slice(0, 16)
const words = (html: string) => html.replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
const hidden = (response: LightMyRequestResponse) => Object.fromEntries([...response.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1]!, match[2]!]))

t.test('the agency asks through the form, refused in place and confirmed; the hall refuses, then approves', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, tender } = await drawingDesk(app)
  await drawingPool(app)
  const agency = pageHeaders(app, desk.agency)
  const hall = pageHeaders(app, desk.hall)
  const plain = (response: LightMyRequestResponse, what: string) => t.same(leaksIn(response.body), [], `${what}: plain Chinese`)

  const tenderPage = await app.inject({ method: 'GET', url: `/agency/tenders/${tender.id}`, headers: agency })
  t.match(tenderPage.body, `href="/agency/tenders/${tender.id}/drawings" data-drawings-link>申请抽取评标专家</a>`, 'the tender\'s page links to the request form')
  const url = `/agency/tenders/${tender.id}/drawings`
  const blank = await app.inject({ method: 'GET', url, headers: agency })
  t.equal(blank.statusCode, 200)
  plain(blank, 'the request form')
  t.match(blank.body, /<optgroup label="[^"]+ · [^"]+">/, 'specialties grouped by the classification')
  t.match(blank.body, /<option value="A010101">[^<]+（A010101）<\/option>/)
  t.equal((blank.body.match(/data-line-row=/g) ?? []).length, 5, 'five line rows, usable without JavaScript')

  const evaluationAt = new Date(Date.parse(tender.bidDeadline) + 24 * HOUR)
  const good = {
    committeeSize: '5',
    tendererRepresentatives: '0',
    line1Specialty: 'A010101',
    line1Side: 'technical',
    line1Count: '4',
    line1Reserves: '2',
    line2Specialty: 'A020101',
    line2Side: 'economic',
    line2Count: '1',
    line2Reserves: '1',
    line3Specialty: '',
    line3Side: 'technical',
    line3Count: '',
    line3Reserves: '',
    evaluationAt: local(evaluationAt),
    mode: 'place',
    evaluationPlace: '示范县公共资源交易中心第三评标室',
    regionsInclude: '',
    regionsExclude: '3399'
  }

  await t.test('fields not filled in as asked: each beside its field, values kept, nothing written', async (t) => {
    const response = await app.inject({ method: 'POST', url, ...form(agency, { ...good, committeeSize: 'five', line1Count: '0', line3Count: '2', evaluationAt: '明天', regionsExclude: '3,33' }) })
    t.equal(response.statusCode, 400)
    plain(response, 'the refused form')
    t.match(response.body, /<a href="#request-committeeSize">请填写评标委员会人数/)
    t.match(response.body, /id="request-line1-count-error" class="error field-error">请填写抽取人数/)
    t.match(response.body, /id="request-line3-specialty-error" class="error field-error">这一组已填写人数，请选择专业/, 'a row with a count and no specialty is a mistake; blank rows are not')
    t.match(response.body, /id="request-evaluationAt-error"/)
    t.match(response.body, /id="request-regionsExclude-error" class="error field-error">地区代码为 2 至 6 位数字/)
    t.match(response.body, /id="request-committeeSize"[^>]*value="five" aria-invalid="true" aria-describedby="request-committeeSize-hint request-committeeSize-error"/, 'marked, described and kept')
    t.match(response.body, /<option value="A020101" selected>/, 'the chosen specialty kept')
    t.match(response.body, /value="示范县公共资源交易中心第三评标室"/)
    t.equal(await countRows(app, 'drawings'), 0)
  })

  await t.test('the committee rules in words beside the fields they concern, before any confirmation', async (t) => {
    const response = await app.inject({ method: 'POST', url, ...form(agency, { ...good, committeeSize: '4', line2Specialty: '', line2Count: '', line2Reserves: '' }) })
    t.equal(response.statusCode, 422)
    plain(response, 'the rules refused')
    t.match(response.body, /id="request-committeeSize-error" class="error field-error">工程建设项目的评标委员会应为 5 人以上的单数（现填 4 人）/)
    const twice = await app.inject({ method: 'POST', url, ...form(agency, { ...good, committeeSize: '7', line2Specialty: 'A010101', line2Side: 'technical', line2Count: '3' }) })
    t.equal(twice.statusCode, 422)
    t.match(twice.body, /id="request-line2-specialty-error" class="error field-error">同一专业的同一类别/, 'the duplicated line is marked, on its own row')
    const thirds = await app.inject({ method: 'POST', url, ...form(agency, { ...good, committeeSize: '7', tendererRepresentatives: '3', line2Count: '', line2Specialty: '', line2Reserves: '' }) })
    t.match(thirds.body, /id="request-tendererRepresentatives-error" class="error field-error">专家应不少于评标委员会成员的三分之二/)
    const early = await app.inject({ method: 'POST', url, ...form(agency, { ...good, evaluationAt: local(Date.parse(tender.bidDeadline) - HOUR) }) })
    t.equal(early.statusCode, 422)
    t.match(early.body, /id="request-evaluationAt-error" class="error field-error">评标时间应在将来，并且不早于开标时间/)
    t.equal(await countRows(app, 'drawings'), 0)
  })

  const asked = await app.inject({ method: 'POST', url, ...form(agency, good) })
  t.equal(asked.statusCode, 200)
  plain(asked, 'the request\'s confirmation')
  t.match(words(asked.body), /确认提交抽取申请/)
  t.match(words(asked.body), /第 1 组 [^ ]+（技术）抽取 4 名，备选 2 名/)
  t.match(words(asked.body), /名单在评标开始前保密/)
  t.equal(hidden(asked).line1Specialty, 'A010101')
  t.equal(await countRows(app, 'drawings'), 0, 'nothing is sent before the confirmation')
  const sent = await app.inject({ method: 'POST', url, ...form(agency, hidden(asked)) })
  t.equal(sent.statusCode, 302)
  const statusUrl = sent.headers.location as string
  t.match(statusUrl, /^\/agency\/drawings\/[0-9a-f-]{36}\?done=requested$/)
  const id = statusUrl.slice('/agency/drawings/'.length, -'?done=requested'.length)
  const status = await app.inject({ method: 'GET', url: statusUrl, headers: agency })
  plain(status, 'the request\'s status')
  t.match(words(status.body), /抽取申请已提交，等待大厅审核/)
  t.match(status.body, /data-state="requested">待审核/)

  const list = await app.inject({ method: 'GET', url: '/hall/drawings?state=requested', headers: hall })
  plain(list, 'the hall\'s list')
  t.match(list.body, `href="/hall/drawings/${id}"`)
  const console = await app.inject({ method: 'GET', url: `/hall/drawings/${id}`, headers: hall })
  plain(console, 'the hall\'s console before approval')
  t.match(words(console.body), /在本项目当事单位任职：1/, 'the excluded counted by rule, in words')
  t.match(words(console.body), /处于处罚或暂停期：1/)
  t.match(console.body, /<td data-eligible>8<\/td>/, 'eight eligible technical experts')

  await t.test('refusing needs a reason beside its field, then a confirmation', async (t) => {
    const missing = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/refuse`, ...form(hall, { reason: ' ' }) })
    t.equal(missing.statusCode, 400)
    t.match(missing.body, /id="refuse-reason-error" class="error field-error">请写明理由/)
    const asking = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/refuse`, ...form(hall, { reason: '评标地点需改为远程' }) })
    t.match(words(asking.body), /确认不予同意这次抽取申请/)
    plain(asking, 'the refusal\'s confirmation')
    t.equal((await drawingApi(app).get(desk.hall.headers, id)).json().state, 'requested', 'nothing before the confirmation')
    const done = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/refuse`, ...form(hall, hidden(asking)) })
    t.equal(done.headers.location, `/hall/drawings/${id}?done=refused`)
    const seen = await app.inject({ method: 'GET', url: `/agency/drawings/${id}`, headers: agency })
    t.match(seen.body, /data-refusal>评标地点需改为远程/, 'the agency reads why')
  })

  const again = await app.inject({ method: 'POST', url, ...form(agency, { ...good, mode: 'remote', evaluationPlace: '', confirm: '1' }) })
  t.equal(again.statusCode, 302)
  const second = (again.headers.location as string).split('/')[3]!.split('?')[0]!
  const approving = await app.inject({ method: 'POST', url: `/hall/drawings/${second}/approve`, ...form(hall, {}) })
  t.match(words(approving.body), /确认同意这次抽取申请 .*远程评标/)
  t.match(words(approving.body), /公布它的承诺值/)
  const approved = await app.inject({ method: 'POST', url: `/hall/drawings/${second}/approve`, ...form(hall, { confirm: '1' }) })
  t.equal(approved.headers.location, `/hall/drawings/${second}?done=approved`)
  const after = await app.inject({ method: 'GET', url: `/hall/drawings/${second}`, headers: hall })
  t.match(after.body, /<code class="digest" data-commitment>[0-9a-f]{64}<\/code>/, 'the commitment is shown once approved')
  t.match(after.body, /data-draw-countdown>\d{2,}:\d{2}:\d{2}<\/time>/, 'with the time left before the draw may run')
  const cancelling = await app.inject({ method: 'POST', url: `/hall/drawings/${second}/cancel`, ...form(hall, { reason: '项目暂停' }) })
  t.match(words(cancelling.body), /确认取消这次抽取/)
  t.equal((await drawingApi(app).get(desk.hall.headers, second)).json().state, 'approved', 'a cancellation waits for its confirmation')
})

t.test('the draw, sealed on every page but the supervisor\'s; an expert answers; the record after publication', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const { api, desk, supervisor, pool, id, evaluationAt } = await approvedDrawing(app)
  const hall = pageHeaders(app, desk.hall)
  const agency = pageHeaders(app, desk.agency)
  const watcher = pageHeaders(app, supervisor)
  const plain = (response: LightMyRequestResponse, what: string) => t.same(leaksIn(response.body), [], `${what}: plain Chinese`)

  t.equal((await app.inject({ method: 'GET', url: `/drawings/${id}/record` })).statusCode, 404, 'no public record before publication')
  t.equal((await app.inject({ method: 'GET', url: `/drawings/${id}`, headers: watcher })).headers.location, `/supervise/drawings/${id}`, 'a message\'s link lands on the reader\'s own page')
  t.equal((await app.inject({ method: 'GET', url: `/supervise/drawings/${id}`, headers: hall })).statusCode, 403, 'the hall has no supervisor\'s page')

  const before = await app.inject({ method: 'GET', url: `/supervise/drawings/${id}`, headers: watcher })
  plain(before, 'the supervisor\'s console before the draw')
  t.match(before.body, /<label for="draw-nonce">监督人随机数（如现场掷骰结果）<\/label>/)
  const short = await app.inject({ method: 'POST', url: `/supervise/drawings/${id}/draw`, ...form(watcher, { nonce: '123' }) })
  t.equal(short.statusCode, 400)
  t.match(short.body, /id="draw-nonce-error" class="error field-error">请填写 8 至 128 个字符的随机数/)
  const asking = await app.inject({ method: 'POST', url: `/supervise/drawings/${id}/draw`, ...form(watcher, { nonce: '骰子 3-6-1-4-2' }) })
  plain(asking, 'the draw\'s confirmation')
  t.match(words(asking.body), /确认用这个随机数抽取专家 .*骰子 3-6-1-4-2/)
  t.match(words(asking.body), /提交后不能更改/)
  t.equal((await api.get(desk.hall.headers, id)).json().state, 'approved', 'nothing drawn before the confirmation')
  const drawn = await app.inject({ method: 'POST', url: `/supervise/drawings/${id}/draw`, ...form(watcher, hidden(asking)) })
  t.equal(drawn.headers.location, `/supervise/drawings/${id}?done=drawn`)
  const again = await app.inject({ method: 'POST', url: `/supervise/drawings/${id}/draw`, ...form(watcher, { nonce: 'another-nonce', confirm: '1' }) })
  t.equal(again.statusCode, 409)
  t.match(again.body, /data-error-summary>[\s\S]*<li>这次申请已经抽取过，不能重抽。<\/li>/, 'said in the summary: the nonce form is gone')

  const list = (await api.get(supervisor.headers, id, '/list')).json() as { lines: Array<{ experts: Array<{ name: string, pseudonym: string, role: string, expertId: string }> }> }
  const drawnExperts = list.lines.flatMap((line) => line.experts)
  const names = pool.everyone.map((expert) => `专家${expert.username.slice(-4)}`).concat(['回避甲', '暂停乙'])

  const supervising = await app.inject({ method: 'GET', url: `/supervise/drawings/${id}`, headers: watcher })
  plain(supervising, 'the supervisor\'s console after the draw')
  for (const expert of drawnExperts) t.match(supervising.body, expert.name, 'the supervisor sees each drawn name')
  t.match(words(supervising.body), /回避甲 .*在本项目当事单位任职 ?：现任职于招标人“示范县教育局”/, 'why the tenderer\'s staff was left out, in words')
  t.match(words(supervising.body), /暂停乙 .*处于处罚或暂停期 ?：暂停评标资格，自 2020-01-01 起至解除为止：评标中违反纪律/)

  const operating = await app.inject({ method: 'GET', url: `/hall/drawings/${id}`, headers: hall })
  plain(operating, 'the hall\'s console after the draw')
  const statusPage = await app.inject({ method: 'GET', url: `/agency/drawings/${id}`, headers: agency })
  plain(statusPage, 'the agency\'s status after the draw')
  for (const [who, page] of [['hall', operating], ['agency', statusPage]] as const) {
    t.same(names.filter((name) => page.body.includes(name)), [], `${who}: no expert's name`)
    t.same(drawnExperts.filter((expert) => page.body.includes(expert.pseudonym)), [], `${who}: no pseudonym`)
    t.match(page.body, /<td data-count="invited">4<\/td>/, `${who}: counts per line`)
  }
  t.equal((await app.inject({ method: 'GET', url: `/supervise/drawings/${id}`, headers: agency })).statusCode, 403, 'the agency has no supervisor\'s page')

  // the members answer in their pages
  const members = drawnExperts.filter((expert) => expert.role === 'member').map((listed) => pool.everyone.find((expert) => expert.expertId === listed.expertId)!)
  const first = await expertCookie(app, members[0]!)
  const inbox = await app.inject({ method: 'GET', url: '/my/invitations', headers: first })
  plain(inbox, 'the expert\'s invitations')
  t.match(words(inbox.body), /示范县公共资源交易中心第三评标室/, 'the place')
  t.match(inbox.body, /data-answer-countdown>\d{2,}:\d{2}:\d{2}<\/time>/, 'the time left to answer')
  const tenderView = (await api.get(desk.hall.headers, id)).json()
  t.notOk(inbox.body.includes(tenderView.tenderTitle) || inbox.body.includes(tenderView.tenderCode), 'not the tender')
  const confirming = await app.inject({ method: 'POST', url: `/my/invitations/${id}/confirm`, ...form(first, {}) })
  plain(confirming, 'the answer\'s confirmation')
  t.match(words(confirming.body), /确认参加这次评标/)
  t.equal((await app.inject({ method: 'POST', url: `/my/invitations/${id}/confirm`, ...form(first, { confirm: '1' }) })).headers.location, '/my/invitations?done=confirmed')
  t.match((await app.inject({ method: 'GET', url: '/my/invitations', headers: first })).body, /data-invitation-state="confirmed"/)

  const second = await expertCookie(app, members[1]!)
  const noReason = await app.inject({ method: 'POST', url: `/my/invitations/${id}/decline`, ...form(second, { reason: '' }) })
  t.equal(noReason.statusCode, 400)
  t.match(noReason.body, new RegExp(`id="decline-reason-${id}-error" class="error field-error">请写明不能参加的原因`))
  const declining = await app.inject({ method: 'POST', url: `/my/invitations/${id}/decline`, ...form(second, { reason: '当天另有安排' }) })
  t.match(words(declining.body), /大厅会立即通知下一名备选专家/)
  t.equal((await app.inject({ method: 'POST', url: `/my/invitations/${id}/decline`, ...form(second, hidden(declining)) })).headers.location, '/my/invitations?done=declined')
  const outsider = pool.economic.find((expert) => !drawnExperts.some((listed) => listed.expertId === expert.expertId)) ?? pool.tendererStaff
  t.equal((await app.inject({ method: 'POST', url: `/my/invitations/${id}/confirm`, ...form(await expertCookie(app, outsider), {}) })).statusCode, 404, 'another expert\'s invitation does not exist for them')

  const replaced = await app.inject({ method: 'GET', url: `/hall/drawings/${id}`, headers: hall })
  t.match(words(replaced.body), /第 1 组：因专家谢绝，已通知下一名备选专家替补/, 'the replacement, as it happened, without a name')
  t.match(replaced.body, /<td data-count="confirmed">1<\/td>/)
  const watched = await app.inject({ method: 'GET', url: `/supervise/drawings/${id}`, headers: watcher })
  t.match(words(watched.body), /谢绝：当天另有安排；由 [^ ]+ 替补/, 'the supervisor reads who replaced whom')

  // the evaluation starts: the hall publishes; the record is public
  await clockAt(app, new Date(evaluationAt.getTime() + 60_000))
  const publishing = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/publish`, ...form(hall, {}) })
  t.match(words(publishing.body), /确认公布抽取名单/)
  t.equal((await app.inject({ method: 'POST', url: `/hall/drawings/${id}/publish`, ...form(hall, { confirm: '1' }) })).headers.location, `/hall/drawings/${id}?done=published`)
  const record = await app.inject({ method: 'GET', url: `/drawings/${id}/record` })
  t.equal(record.statusCode, 200)
  plain(record, 'the public record')
  const published = (await app.inject({ method: 'GET', url: `/api/drawings/${id}/record` })).json()
  t.match(record.body, `data-secret>${published.secret}</code>`)
  t.match(record.body, 'data-nonce>骰子 3-6-1-4-2</code>')
  t.match(record.body, `data-pool-sha256>${published.snapshotSha256}</code>`)
  t.match(record.body, members[0]!.username.slice(-4), 'the confirmed member by name')
  t.match(record.body, /npm run verify-draw -- --record drawing-record-[^<]+\.json/)
  const file = await app.inject({ method: 'GET', url: `/drawings/${id}/record.json` })
  t.match(file.headers['content-disposition'], /^attachment; filename="drawing-record-/)
  t.same(file.json(), published, 'the download is the published record')
})

t.test('the hall calls a drawn drawing off after a confirmation that says the experts will be told; the expert\'s page says so', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const { api, desk, supervisor, pool, id } = await approvedDrawing(app)
  const hall = pageHeaders(app, desk.hall)
  t.equal((await api.post(supervisor.headers, id, 'draw', { nonce: 'called-off-by-the-hall' })).statusCode, 200)

  const hallPage = await app.inject({ method: 'GET', url: `/hall/drawings/${id}`, headers: hall })
  t.match(hallPage.body, `action="/hall/drawings/${id}/cancel"`, 'a drawn drawing can be cancelled from the hall\'s console')
  const empty = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/cancel`, ...form(hall, { reason: ' ' }) })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /id="cancel-reason-error" class="error field-error">/, 'the reason is asked for beside its field')
  const asking = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/cancel`, ...form(hall, { reason: '评标场地检修，评标延期' }) })
  t.same(leaksIn(asking.body), [], 'the confirmation: plain Chinese')
  t.match(words(asking.body), /已受邀和已确认参加的专家会收到评标取消的通知/, 'the confirmation says who will be told')
  t.equal((await api.get(desk.hall.headers, id)).json().state, 'drawn', 'nothing cancelled before the confirmation')
  const done = await app.inject({ method: 'POST', url: `/hall/drawings/${id}/cancel`, ...form(hall, hidden(asking)) })
  t.equal(done.headers.location, `/hall/drawings/${id}?done=cancelled`)
  t.equal((await api.get(desk.hall.headers, id)).json().state, 'cancelled')

  const invited = (await app.db.$client<Array<{ account_id: string }>>`
    select e.account_id from drawn_experts d join experts e on e.id = d.expert_id where d.drawing_id = ${id} and d.state = 'invited' limit 1`)[0]!
  const expert = pool.everyone.find((one) => one.accountId === invited.account_id)!
  const page = await app.inject({ method: 'GET', url: '/my/invitations', headers: await expertCookie(app, expert) })
  t.same(leaksIn(page.body), [], 'the expert\'s invitations: plain Chinese')
  t.match(words(page.body), /评标已取消/, 'the invitation says the evaluation was called off')
  t.notMatch(page.body, `action="/my/invitations/${id}/confirm"`, 'and offers no answer')
})
