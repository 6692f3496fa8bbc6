/**
 * The catalogue's and the fee standards' binding actions ask once more, without JavaScript:
 * deciding a change request (which publishes a version, amends or retires an item), requesting an
 * item's retirement, and approving or rejecting a fee version — saying from which day what is
 * charged and that it cannot be withdrawn. Nothing changes until the confirmation page is posted;
 * what would be refused anyway is refused before anything is asked.
 */
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { catalogueDesk, itemContent, publishedItem } from '../factories/catalogue.ts'
import { createDepartment } from '../factories/departments.ts'
import { approvedFee, feeDesk, feeVersion } from '../factories/fees.ts'
import { pageHeaders } from '../factories/fees-pages.ts'
import { addCalendarDays } from '../../src/lib/working-days.ts'
import { leaksIn } from './plain-words.ts'

/** A urlencoded form post's payload and headers (with the session cookie of `headers`). */
const form = (headers: Record<string, string>, fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
})

/** The confirmation page: its heading, what it says will happen, the fields it posts again, where it goes back to. */
function confirmation (response: LightMyRequestResponse) {
  const body = response.body
  const text = (html: string | undefined) => html?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') ?? ''
  return {
    title: /<h1 id="confirm-title">([^<]+)<\/h1>/.exec(body)?.[1] ?? '',
    consequences: text(/data-confirm-consequences>([\s\S]*?)<\/div>/.exec(body)?.[1]),
    facts: text(/data-confirm-facts>([\s\S]*?)<\/dl>/.exec(body)?.[1]),
    action: /<form method="post" action="([^"]+)">/.exec(body)?.[1] ?? '',
    hidden: Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1]!, match[2]!])),
    button: /<button type="submit"([^>]*) data-confirm-button>([^<]+)<\/button>/.exec(body)?.slice(1) ?? [],
    back: /<a href="([^"]+)" role="button" class="secondary outline" data-confirm-cancel>/.exec(body)?.[1] ?? ''
  }
}

t.test('the hall decides a change request: what is published, amended or retired, for good; then confirms', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const desk = await catalogueDesk(app, market.id)
  const hall = pageHeaders(app, desk.approver)
  const change = async (id: string) => (await app.inject({ method: 'GET', url: `/api/item-changes/${id}`, headers: desk.approver.headers })).json()

  // a publication
  const created = await app.inject({ method: 'POST', url: '/api/service-items', headers: desk.drafter.headers, payload: { code: 'SCJG-001', departmentId: market.id, content: itemContent() } })
  const publication = (await app.inject({ method: 'POST', url: `/api/service-items/${created.json().id as string}/changes`, headers: desk.drafter.headers, payload: { kind: 'publish', reason: '新设事项' } })).json()
  const url = `/admin/catalogue/changes/${publication.id as string}/decision`
  const asked = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'approve', note: '同意发布' }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认批准发布申请')
  t.match(page.facts, /SCJG-001[\s\S]*食品经营许可（新办）[\s\S]*发布[\s\S]*新设事项[\s\S]*同意发布/)
  t.match(page.consequences, /事项 SCJG-001「食品经营许可（新办）」即作为第 1 版发布：办事指南立即公开/)
  t.match(page.consequences, /已发布的版本不能撤回或修改/)
  t.same(page.hidden, { decision: 'approve', note: '同意发布', confirm: '1' })
  t.equal(page.action, url)
  t.equal(page.back, `/admin/catalogue/changes#change-${publication.id as string}`)
  t.same(page.button, ['', '确认批准'])
  t.same(leaksIn(asked.body), [], 'in plain Chinese')
  t.equal((await change(publication.id)).status, 'pending', 'nothing is decided yet')
  t.equal((await app.inject({ method: 'GET', url: '/guide/SCJG-001' })).statusCode, 404, 'nor published')
  const done = await app.inject({ method: 'POST', url, ...form(hall, page.hidden) })
  t.equal(done.headers.location, '/admin/catalogue/changes?done=approved')
  t.match(await change(publication.id), { status: 'approved', resultVersion: 1, decisionNote: '同意发布' })

  // an amendment rejected: the request ends, the item stays; the button looks so
  const item = await publishedItem(app, { departmentId: market.id, desk })
  const amendment = (await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: desk.drafter.headers, payload: { kind: 'amend', reason: '压缩时限', content: itemContent({ promisedWorkingDays: 3 }) } })).json()
  const rejecting = confirmation(await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${amendment.id as string}/decision`, ...form(hall, { decision: 'reject', note: '时限依据不足' }) }))
  t.equal(rejecting.title, '确认驳回变更申请')
  t.match(rejecting.consequences, /这项变更申请即结束，事项保持现状/)
  t.same(rejecting.button, [' class="contrast"', '确认驳回'])
  t.equal((await change(amendment.id)).status, 'pending')
  const approving = confirmation(await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${amendment.id as string}/decision`, ...form(hall, { decision: 'approve', note: '' }) }))
  t.match(approving.consequences, new RegExp(`申请的内容即作为事项 ${item.code}「食品经营许可（新办）」的第 2 版生效[\\s\\S]*已受理的办件仍按原版本办理`), 'the next version is named')
  t.match(approving.facts, /审批意见 未填写/)
  await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${amendment.id as string}/decision`, ...form(hall, rejecting.hidden) })
  t.match(await change(amendment.id), { status: 'rejected', decisionNote: '时限依据不足' })

  // a retirement approved ends the item for good
  const retirement = (await app.inject({ method: 'POST', url: `/api/service-items/${item.id}/changes`, headers: desk.drafter.headers, payload: { kind: 'retire', reason: '职能调整' } })).json()
  const retiring = confirmation(await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${retirement.id as string}/decision`, ...form(hall, { decision: 'approve' }) }))
  t.equal(retiring.title, '确认批准取消申请')
  t.match(retiring.consequences, new RegExp(`事项 ${item.code}「食品经营许可（新办）」即取消：不再受理新的申请[\\s\\S]*取消后不能恢复`))
  t.same(retiring.button, [' class="contrast"', '确认批准'])

  // decided already: refused before anything is asked
  const again = await app.inject({ method: 'POST', url, ...form(hall, { decision: 'approve' }) })
  t.equal(again.statusCode, 409)
  t.notMatch(again.body, /data-confirm/)
  t.match(again.body, /data-error-summary[\s\S]*该申请已经审批过。/)
})

t.test('a department requests an item\'s retirement: it reads that it cannot be undone, then confirms', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const item = await publishedItem(app, { departmentId: market.id, code: 'SCJG-009' })
  const dept = pageHeaders(app, item.desk.drafter)
  const url = `/admin/catalogue/${item.id}/changes`
  const pendingOf = async () => (await app.inject({ method: 'GET', url: `/api/managed-service-items/${item.id}`, headers: item.desk.drafter.headers })).json().pendingChange

  const asked = await app.inject({ method: 'POST', url, ...form(dept, { kind: 'retire', reason: '职能划转' }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认申请取消事项')
  t.match(page.facts, /SCJG-009[\s\S]*食品经营许可（新办）[\s\S]*职能划转/)
  t.match(page.consequences, /一经批准，事项 SCJG-009「食品经营许可（新办）」即取消，不再受理新的申请，且不能恢复/)
  t.match(page.consequences, /审批前，不能再为该事项提交其他变更/)
  t.same(page.hidden, { kind: 'retire', reason: '职能划转', confirm: '1' })
  t.equal(page.back, `/admin/catalogue/${item.id}#retire-reason`)
  t.same(leaksIn(asked.body), [])
  t.equal(await pendingOf(), null, 'nothing is requested yet')
  t.equal((await app.inject({ method: 'POST', url, ...form(dept, page.hidden) })).headers.location, `/admin/catalogue/${item.id}?done=requested`)
  t.match(await pendingOf(), { kind: 'retire', reason: '职能划转' })
  const twice = await app.inject({ method: 'POST', url, ...form(dept, { kind: 'retire', reason: '再次' }) })
  t.equal(twice.statusCode, 409, 'a pending request is refused before anything is asked')
  t.notMatch(twice.body, /data-confirm/)
  // the other requests are not binding: they go straight to the hall
  t.equal((await app.inject({ method: 'POST', url: `/admin/catalogue/${item.id}/changes`, ...form(dept, { kind: 'amend', reason: '改', content: JSON.stringify(itemContent({ promisedWorkingDays: 2 })) }) })).statusCode, 409)
})

t.test('a fee version: from which day what is charged, instead of what, and that it stays; then confirm', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const approver = pageHeaders(app, desk.approver)
  const today = app.calendar.today()
  const later = addCalendarDays(today, 10)
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const proposed = await app.inject({ method: 'POST', url: `/api/fee-items/${fee.id}/versions`, headers: desk.proposer.headers, payload: feeVersion({ amountFen: 9000, validFrom: later }) })
  const versionId = proposed.json().versions.find((version: { version: number }) => version.version === 2).id as string
  const url = `/admin/fee-versions/${versionId}/decision`
  const statusOf = async () => (await app.inject({ method: 'GET', url: `/api/fee-items/${fee.id}`, headers: desk.approver.headers })).json().versions[1].status

  const asked = await app.inject({ method: 'POST', url, ...form(approver, { decision: 'approve', note: '同意', feeItemId: fee.id }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认批准收费标准 BDC-01 第 2 版')
  t.match(page.facts, /¥90\.00（大写：玖拾元整）/, 'the amount in figures and in capitals')
  t.match(page.facts, new RegExp(`生效日期 ${later} 失效日期 长期`))
  t.match(page.facts, /示范县财政局非税收入汇缴结算户/)
  t.match(page.consequences, new RegExp(`第 2 版自 ${later} 起执行：从这一天起开具的 BDC-01「不动产登记费（住宅）」缴款通知书一律按 ¥90\\.00（大写：玖拾元整） 计收`))
  t.match(page.consequences, new RegExp(`${later} 之前仍按现行第 1 版（¥80\\.00（大写：捌拾元整））计收`), 'and what applies until then')
  t.match(page.consequences, /批准后不能撤回：生效后标准不能修改，也不能溯及既往/)
  t.same(page.hidden, { decision: 'approve', note: '同意', feeItemId: fee.id, confirm: '1' })
  t.equal(page.back, `/admin/fees/${fee.id}`)
  t.same(leaksIn(asked.body), [])
  t.equal(await statusOf(), 'proposed', 'nothing is approved yet')
  const done = await app.inject({ method: 'POST', url, ...form(approver, page.hidden) })
  t.equal(done.headers.location, `/admin/fees/${fee.id}?done=approved`)
  t.equal(await statusOf(), 'approved')

  // a first version from today, rejected from the list of pending versions
  const created = await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: 'BZJ-02', category: 'deposit', version: feeVersion({ name: '投标保证金', amountFen: 500000, validFrom: today, refundWorkingDays: 5 }) } })
  const firstId = created.json().versions[0].id as string
  const approving = confirmation(await app.inject({ method: 'POST', url: `/admin/fee-versions/${firstId}/decision`, ...form(approver, { decision: 'approve', note: '' }) }))
  t.match(approving.consequences, new RegExp(`第 1 版自今天（${today}）起执行`))
  t.notMatch(approving.consequences, /现行第/, 'no version in force to replace')
  t.match(approving.facts, /保证金退还时限 5 个工作日内退还/)
  t.equal(approving.back, '/admin/fees')
  const rejecting = confirmation(await app.inject({ method: 'POST', url: `/admin/fee-versions/${firstId}/decision`, ...form(approver, { decision: 'reject', note: '账户有误' }) }))
  t.equal(rejecting.title, '确认驳回收费标准 BZJ-02 第 1 版')
  t.match(rejecting.consequences, /第 1 版作废，不会执行；现行标准不变/)
  t.same(rejecting.button, [' class="contrast"', '确认驳回'])
  t.equal((await app.inject({ method: 'POST', url: `/admin/fee-versions/${firstId}/decision`, ...form(approver, rejecting.hidden) })).headers.location, `/admin/fees/${created.json().id as string}?done=rejected`)

  // one's own version is refused before anything is asked
  const own = await app.inject({ method: 'POST', url: `/api/fee-items/${fee.id}/versions`, headers: desk.approver.headers, payload: feeVersion({ amountFen: 9500, validFrom: addCalendarDays(today, 20) }) })
  const ownId = own.json().versions.find((version: { version: number }) => version.version === 3).id as string
  const self = await app.inject({ method: 'POST', url: `/admin/fee-versions/${ownId}/decision`, ...form(approver, { decision: 'approve', feeItemId: fee.id }) })
  t.equal(self.statusCode, 409)
  t.notMatch(self.body, /data-confirm/)
  t.match(self.body, /data-error-summary[\s\S]*不能审批自己提议的版本，须由另一名管理员审批。/)
})
