/**
 * Each role finds its work on its home page: counts in the user's own scope, each linking to the
 * list behind it, and the first items linking to where the work is done. The supervision
 * dashboard's counts open the cases behind them, in the supervisor's scope only.
 */
import t from 'tap'
import { createUser, organisation, supervisor } from '../factories/accounts.ts'
import { approvalsDesk, approve, delegatedItem, filed, ok, step } from '../factories/cases.ts'
import { financeDesk, approvedFee, issueNotice } from '../factories/fees.ts'
import { pageHeaders } from '../factories/fees-pages.ts'
import { tenderWithBids } from '../factories/openings.ts'
import { acceptedProject, addVenue, tenderInput } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'

/** The count a home page shows for one kind of work, and where it links. */
function countOf (html: string, key: string): { count: number, href: string } | null {
  const match = new RegExp(`<a href="([^"]*)" class="work-count[^"]*" data-work-count="${key}"><strong data-count>(\\d+)</strong>`).exec(html)
  return match ? { href: match[1]!.replaceAll('&amp;', '&'), count: Number(match[2]) } : null
}

t.test('window officials, the supervisor and the cashier: their queues counted in their scope, linked to the lists', async (t) => {
  const { app } = await buildTestApp(t)
  const market = await approvalsDesk(app)
  const land = await approvalsDesk(app, '县自然资源局')
  const item = await delegatedItem(app, market)
  const landItem = await delegatedItem(app, land)
  const waiting = await filed(app, market.applicant, item.id)
  const inReview = await filed(app, market.applicant, item.id)
  await ok(await step(app, market.clerk, inReview.case.id, 'acceptance'))
  await ok(await step(app, market.clerk, inReview.case.id, 'review'))
  const elsewhere = await filed(app, land.applicant, landItem.id)
  const home = async (user: { token: string }) => (await app.inject({ method: 'GET', url: '/', headers: { cookie: `${app.auth.cookieName}=${user.token}` } })).body

  const clerk = await home(market.clerk)
  t.match(clerk, /<h2 id="work-title">待您处理<\/h2>/)
  t.same(countOf(clerk, 'state-submitted'), { count: 1, href: '/workbench?state=submitted' }, 'the clerk: one application to accept, in its own department')
  t.same(countOf(clerk, 'state-review'), { count: 1, href: '/workbench?state=review' })
  t.match(clerk, /data-count>1<\/strong> <span>审查中/)
  const chief = await home(market.chief)
  t.match(chief, /data-work-count="state-review"><strong data-count>1<\/strong> <span>待决定/, 'the chief representative: one decision waiting')
  t.same(countOf(chief, 'cases-awaiting'), { count: 1, href: '/supervision/cases?column=awaiting' }, 'its department\'s supervision too')
  const watcher = await supervisor(app)
  const supervising = await home(watcher)
  t.same(countOf(supervising, 'cases-awaiting'), { count: 2, href: '/supervision/cases?column=awaiting' }, 'the supervisor: the whole hall')
  t.same(countOf(supervising, 'cases-red'), { count: 0, href: '/supervision/cases?column=red' })
  t.equal(countOf(supervising, 'state-submitted'), null, 'a supervisor handles no case')
  t.match(supervising, /data-work-section="supervised"[\s\S]*今日及近期没有开标。/, 'and watches openings (none soon)')

  // the dashboard's counts open the cases behind them, in the reader's scope
  const board = await app.inject({ method: 'GET', url: '/supervision', headers: pageHeaders(app, watcher) })
  t.match(board.body, new RegExp(`<a href="/supervision/cases\\?column=awaiting&amp;departmentId=${market.department.id}" data-count="awaiting">1</a>`))
  const behind = (user: { token: string }, query: string) => app.inject({ method: 'GET', url: `/supervision/cases?${query}`, headers: { cookie: `${app.auth.cookieName}=${user.token}` } })
  const all = await behind(watcher, 'column=awaiting')
  t.equal(all.statusCode, 200)
  t.match(all.body, /<h1>待受理的办件<\/h1>/)
  t.ok(all.body.includes(`data-case="${waiting.case.id}"`) && all.body.includes(`data-case="${elsewhere.case.id}"`), 'every department for a hall supervisor')
  t.notOk(all.body.includes(`data-case="${inReview.case.id}"`), 'a case in review is not awaiting acceptance')
  const oneDepartment = await behind(watcher, `column=awaiting&departmentId=${market.department.id}`)
  t.match(oneDepartment.body, new RegExp(`<h1>待受理的办件 · ${market.department.name}</h1>`))
  t.match(oneDepartment.body, new RegExp(`<a href="/workbench/cases/${waiting.case.id}"><code>${waiting.case.number}</code></a>`))
  t.notOk(oneDepartment.body.includes(elsewhere.case.id))
  const chiefsOwn = await behind(market.chief, 'column=awaiting')
  t.ok(chiefsOwn.body.includes(waiting.case.id) && !chiefsOwn.body.includes(elsewhere.case.id), 'a chief representative sees its own department\'s cases only')
  t.notOk((await behind(market.chief, `column=awaiting&departmentId=${land.department.id}`)).body.includes(elsewhere.case.id), 'naming another department shows nothing of it')
  t.match((await behind(watcher, 'column=paused')).body, /没有符合条件的办件。/)
  t.match(board.body, /<a href="\/supervision\/cases" data-all-cases>/, 'the board lists every open case too')
  const open = await behind(watcher, '')
  t.match(open.body, /<h1>在办的办件<\/h1>/)
  t.ok([waiting, inReview, elsewhere].every((filedCase) => open.body.includes(`data-case="${filedCase.case.id}"`)), 'every open case of the scope')
  t.equal((await behind(watcher, 'column=purple')).statusCode, 400)
  t.equal((await behind(market.clerk, 'column=red')).statusCode, 403, 'a clerk does not supervise')

  // the cashier: unpaid notices to collect, each opening the window's lookup; refunds waiting
  const { desk: fees, teller } = await financeDesk(app)
  const fee = await approvedFee(app, fees)
  const notice = await issueNotice(app, fees.proposer, { lines: [{ code: fee.code }], payer: { name: '李四' } })
  const cashier = await home(teller)
  t.same(countOf(cashier, 'unpaid'), { count: 1, href: '/cashier' })
  t.same(countOf(cashier, 'refunds'), { count: 0, href: '/finance/refunds' })
  t.match(cashier, new RegExp(`<a href="/cashier\\?code=${notice.code}"><code>[0-9 ]+</code> 李四</a>`), 'the notice links to the window\'s lookup')
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal(countOf(await home(applicant), 'unpaid'), null, 'nobody else sees the cashier\'s work')
})

t.test('trading: the supervisor\'s openings today and soon, the bidder\'s bids, the agency\'s drafts and questions', async (t) => {
  const { app } = await buildTestApp(t)
  const setup = await tenderWithBids(app, ['128880000', '130250000', '127600000'])
  const { desk, tender, bidders } = setup
  const asked = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/questions`, headers: bidders[0]!.user.headers, payload: { question: '工程量清单第三章是否含税？' } })
  t.equal(asked.statusCode, 201, asked.body)
  const project = await acceptedProject(app, desk, { venueId: await addVenue(app, desk.hall) })
  const draft = await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: { ...tenderInput(app, project.id), title: '县第二中学操场改造工程施工招标' } })
  t.equal(draft.statusCode, 201, draft.body)
  const home = async (user: { token: string }) => (await app.inject({ method: 'GET', url: '/', headers: { cookie: `${app.auth.cookieName}=${user.token}` } })).body

  // weeks before the deadline: an opening to come, none today
  const soon = await home(setup.supervisor)
  t.same(countOf(soon, 'openings-today'), { count: 0, href: '/schedule' })
  t.same(countOf(soon, 'openings-coming'), { count: 1, href: '/schedule' })
  t.match(soon, new RegExp(`<a href="/supervise/openings/${tender.id}"><code>${tender.code}</code> 示范县第一中学教学楼建设工程施工招标</a>`), 'linked to its live view')
  t.notMatch(soon, /县第二中学操场改造工程/, 'a draft is no opening')

  const bidder = await home(bidders[0]!.user)
  t.same(countOf(bidder, 'open-bids'), { count: 1, href: '/bidder' })
  t.same(countOf(bidder, 'openings'), { count: 1, href: '/bidder' })
  t.match(bidder, new RegExp(`<a href="/bidder/tenders/${tender.id}">[\\s\\S]*?</a>\\s*<span class="badge open">已递交</span>`))
  const outsider = await organisation(app, 'bidder')
  t.match(await home(outsider), /还没有报名参加的招标项目。/)

  const agency = await home(desk.agency)
  t.same(countOf(agency, 'drafts'), { count: 1, href: '/agency' })
  t.same(countOf(agency, 'questions'), { count: 1, href: `/agency/tenders/${tender.id}` }, 'the question waits for the agency\'s answer')
  t.same(countOf(agency, 'objections'), { count: 0, href: '/agency' })
  t.same(countOf(agency, 'openings'), { count: 1, href: '/agency' })
  t.match(agency, new RegExp(`<a href="/agency/openings/${tender.id}">`), 'the opening it hosts, linked to the host\'s console')
  t.match(agency, /县第二中学操场改造工程施工招标<\/a>\s*<span class="badge open">未发布<\/span>/)

  // the morning of the opening: today's
  const deadline = Date.parse(tender.bidDeadline)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(deadline - 2 * 3_600_000)
  const today = await home(setup.supervisor)
  t.same(countOf(today, 'openings-today'), { count: 1, href: '/schedule' })
  t.same(countOf(today, 'openings-coming'), { count: 0, href: '/schedule' })
  t.match(today, /<span class="badge open">今日<\/span>/)
})

t.test('an applicant: the cases that need its materials, its fees or its rating', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const correction = await filed(app, desk.applicant, item.id)
  await ok(await step(app, desk.clerk, correction.case.id, 'acceptance'))
  await ok(await step(app, desk.clerk, correction.case.id, 'review'))
  await ok(await step(app, desk.clerk, correction.case.id, 'correction-notice', { materials: ['M2'], note: '请补交加盖公章的营业执照复印件' }))
  const done = await filed(app, desk.applicant, item.id)
  await approve(app, desk, done.case.id)
  await filed(app, desk.applicant, item.id)
  const home = (await app.inject({ method: 'GET', url: '/', headers: pageHeaders(app, desk.applicant) })).body
  t.same(countOf(home, 'correction'), { count: 1, href: '/my/cases' })
  t.same(countOf(home, 'rating'), { count: 1, href: '/my/cases' })
  t.same(countOf(home, 'payment'), { count: 0, href: '/my/cases' })
  t.same(countOf(home, 'open'), { count: 2, href: '/my/cases' }, 'two cases in handling')
  t.match(home, new RegExp(`<a href="/my/cases/${correction.case.id}"><code>${correction.case.number}</code> 食品经营许可（新办）</a>\\s*<span class="badge open">待补正材料</span>`))
  t.match(home, new RegExp(`<a href="/my/cases/${done.case.id}#rating"><code>${done.case.number}</code>[^<]*</a>\\s*<span class="badge open">待评价</span>`))
  const newcomer = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.match((await app.inject({ method: 'GET', url: '/', headers: pageHeaders(app, newcomer) })).body, /您的办件目前不需要您做什么。/)
  t.notMatch((await app.inject({ method: 'GET', url: '/' })).body, /data-work/, 'the public home has no work list')
})
