/**
 * Binding actions ask once more, without JavaScript: the form's first post answers with a page
 * that names what is acted upon and says what will happen, carries the same fields with
 * confirm=1 and links back; nothing changes until that page is posted. Withdrawing an
 * application, the chief representative's decision, withdrawing a bid, cancelling a tender and
 * recording a refund. The JSON API keeps acting at once.
 */
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { approvalsDesk, delegatedItem, filed, ok, step } from '../factories/cases.ts'
import { pageHeaders, payAtWindow } from '../factories/fees-pages.ts'
import { approvedFee, cashier, feeDesk, issueNotice } from '../factories/fees.ts'
import { tenderWithBids } from '../factories/openings.ts'
import { leaksIn } from './plain-words.ts'

/** A urlencoded form post's payload and headers (with the session cookie of `headers`). */
const form = (headers: Record<string, string>, fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
})

/** The confirmation page: its heading, what it says will happen, the fields it posts again, where it goes back to. */
function confirmation (response: LightMyRequestResponse) {
  const body = response.body
  const hidden = Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], match[2]]))
  return {
    title: /<h1 id="confirm-title">([^<]+)<\/h1>/.exec(body)?.[1] ?? '',
    consequences: /data-confirm-consequences>([\s\S]*?)<\/div>/.exec(body)?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') ?? '',
    facts: /data-confirm-facts>([\s\S]*?)<\/dl>/.exec(body)?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') ?? '',
    action: /<form method="post" action="([^"]+)">/.exec(body)?.[1] ?? '',
    hidden,
    back: /<a href="([^"]+)" role="button" class="secondary outline" data-confirm-cancel>/.exec(body)?.[1] ?? ''
  }
}

t.test('withdrawing an application: the applicant reads that the case ends, then confirms', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  const applicant = pageHeaders(app, desk.applicant)
  const state = async () => (await ok(await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: desk.applicant.headers }))).state

  const asked = await app.inject({ method: 'POST', url: `/my/cases/${submitted.id}/withdrawal`, ...form(applicant, { reason: '不再开店' }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认撤回申请')
  t.match(page.facts, submitted.number)
  t.match(page.facts, /不再开店/)
  t.match(page.consequences, new RegExp(`撤回后，办件 ${submitted.number} 即终止办理，不能恢复`))
  t.match(page.consequences, /须重新提出申请/)
  t.same(page.hidden, { reason: '不再开店', confirm: '1' }, 'the reason goes along with confirm=1')
  t.equal(page.action, `/my/cases/${submitted.id}/withdrawal`)
  t.equal(page.back, `/my/cases/${submitted.id}`, 'and a way back that changes nothing')
  t.same(leaksIn(asked.body), [], 'in plain Chinese')
  t.equal(await state(), 'submitted', 'nothing is withdrawn yet')

  const done = await app.inject({ method: 'POST', url: `/my/cases/${submitted.id}/withdrawal`, ...form(applicant, page.hidden) })
  t.equal(done.headers.location, `/my/cases/${submitted.id}?done=withdrawn`)
  t.equal(await state(), 'withdrawn')
  const again = await app.inject({ method: 'POST', url: `/my/cases/${submitted.id}/withdrawal`, ...form(applicant, { reason: '' }) })
  t.equal(again.statusCode, 409, 'a closed case is not offered for confirmation')
  t.notMatch(again.body, /data-confirm/)
  t.match(again.body, /data-error-summary[\s\S]*办件当前状态不能进行这一步/)

  // the API acts at once: a program asks its own user
  const { case: other } = await filed(app, desk.applicant, item.id)
  t.equal((await ok(await step(app, desk.applicant, other.id, 'withdrawal', { reason: '不办了' }))).state, 'withdrawn')
})

t.test('the chief representative\'s decision: what is decided for whom, that it is sealed and issued, then confirm', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const chief = pageHeaders(app, desk.chief)
  const inReview = async () => {
    const { case: submitted } = await filed(app, desk.applicant, item.id)
    await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
    await ok(await step(app, desk.clerk, submitted.id, 'review'))
    return submitted
  }
  const approving = await inReview()
  const url = `/workbench/cases/${approving.id}/decision`
  const asked = await app.inject({ method: 'POST', url, ...form(chief, { decision: 'approve', reasons: '经营场所符合要求' }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认作出准予许可决定')
  t.match(page.facts, approving.number)
  t.match(page.facts, /食品经营许可（新办）/)
  t.match(page.consequences, new RegExp(`对办件 ${approving.number} 作出准予许可决定`))
  t.match(page.consequences, /加盖电子印章签发准予许可的结果文书，在线送达申请人/, 'what follows the decision: sealed, issued, delivered')
  t.match(page.consequences, /申请人不能再撤回申请/)
  t.same(page.hidden, { decision: 'approve', reasons: '经营场所符合要求', confirm: '1' })
  t.equal(page.back, `/workbench/cases/${approving.id}`)
  t.match(asked.body, /<button type="submit" data-confirm-button>确认准予许可<\/button>/)
  t.same(leaksIn(asked.body), [])
  t.equal((await ok(await app.inject({ method: 'GET', url: `/api/cases/${approving.id}`, headers: desk.clerk.headers }))).state, 'review', 'nothing is decided yet')
  const decided = await app.inject({ method: 'POST', url, ...form(chief, page.hidden) })
  t.equal(decided.headers.location, `/workbench/cases/${approving.id}?done=decided`)
  t.match(await ok(await app.inject({ method: 'GET', url: `/api/cases/${approving.id}`, headers: desk.clerk.headers })), { state: 'decided', decision: 'approve', decisionReasons: ['经营场所符合要求'] })

  // a denial without reasons is refused beside the field before anything is asked
  const denying = await inReview()
  const denyUrl = `/workbench/cases/${denying.id}/decision`
  const without = await app.inject({ method: 'POST', url: denyUrl, ...form(chief, { decision: 'deny', reasons: '  ' }) })
  t.equal(without.statusCode, 422)
  t.notMatch(without.body, /data-confirm/)
  t.match(without.body, /<a href="#decision-reasons">不予许可必须说明理由。<\/a>/)
  t.match(without.body, /id="decision-reasons"[^>]* aria-invalid="true" aria-describedby="decision-hint decision-reasons-error"/)
  const deny = confirmation(await app.inject({ method: 'POST', url: denyUrl, ...form(chief, { decision: 'deny', reasons: '经营场所不符合要求\n未取得消防验收' }) }))
  t.equal(deny.title, '确认作出不予许可决定')
  t.match(deny.facts, /经营场所不符合要求；未取得消防验收/, 'each reason, as the denial will state it')
  t.match(deny.consequences, /不予许可决定书，载明上述理由，并告知申请人依法申请行政复议或者提起行政诉讼的权利/)
  t.equal((await app.inject({ method: 'POST', url: denyUrl, ...form(chief, deny.hidden) })).headers.location, `/workbench/cases/${denying.id}?done=decided`)
  t.match(await ok(await app.inject({ method: 'GET', url: `/api/cases/${denying.id}`, headers: desk.clerk.headers })), { decision: 'deny', decisionReasons: ['经营场所不符合要求', '未取得消防验收'] })
})

t.test('withdrawing a bid and cancelling a tender say what they end, and act only when confirmed', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, tender, bidders } = await tenderWithBids(app, ['1288800000'])
  const bidder = pageHeaders(app, bidders[0]!.user)
  const submissions = async () => (await app.db.$client<Array<{ kind: string }>>`select kind from bid_submissions where tender_id = ${tender.id} order by version`).map((row) => row.kind)

  const workspace = await app.inject({ method: 'GET', url: `/bidder/tenders/${tender.id}`, headers: bidder })
  const key = /name="idempotencyKey" value="([^"]+)"/.exec(workspace.body)?.[1] ?? ''
  t.ok(key, 'the workspace offers the withdrawal')
  const asked = await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/withdraw`, ...form(bidder, { idempotencyKey: key }) })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认撤回投标文件')
  t.match(page.facts, tender.code)
  t.match(page.consequences, /撤回后，本投标文件将不再参加「示范县第一中学教学楼建设工程施工招标」的开标/)
  t.match(page.consequences, /投标截止时间（[^）]+）前可以重新递交投标文件/)
  t.same(page.hidden, { idempotencyKey: key, confirm: '1' })
  t.equal(page.back, `/bidder/tenders/${tender.id}#submissions`)
  t.same(leaksIn(asked.body), [])
  t.same(await submissions(), ['bid'], 'the bid still counts')
  const withdrawn = await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/withdraw`, ...form(bidder, page.hidden) })
  t.equal(withdrawn.headers.location, `/bidder/tenders/${tender.id}?done=withdrawn`)
  t.same(await submissions(), ['bid', 'withdrawal'])
  const nothing = await app.inject({ method: 'POST', url: `/bidder/tenders/${tender.id}/withdraw`, ...form(bidder, { idempotencyKey: 'another-key-123' }) })
  t.equal(nothing.statusCode, 409, 'nothing left to withdraw: no confirmation offered')
  t.notMatch(nothing.body, /data-confirm/)

  const agency = pageHeaders(app, desk.agency)
  const cancelUrl = `/agency/tenders/${tender.id}/cancel`
  const noReason = await app.inject({ method: 'POST', url: cancelUrl, ...form(agency, { reason: ' ' }) })
  t.equal(noReason.statusCode, 400)
  t.match(noReason.body, /<a href="#cancel-reason">请填写终止招标的原因。<\/a>/)
  t.match(noReason.body, /<details open>\s*<summary>/, 'the cancel form is open at its field')
  const cancel = confirmation(await app.inject({ method: 'POST', url: cancelUrl, ...form(agency, { reason: '项目资金未落实' }) }))
  t.equal(cancel.title, '确认终止招标')
  t.match(cancel.facts, /项目资金未落实/)
  t.match(cancel.consequences, /投标人不能再获取招标文件、递交或撤回投标文件，本项目不再开标/)
  t.match(cancel.consequences, /投标保证金应及时退还/)
  t.match(cancel.consequences, /终止后不能恢复/)
  const status = async () => (await app.db.$client<Array<{ status: string }>>`select status from tenders where id = ${tender.id}`)[0]!.status
  t.equal(await status(), 'bidding', 'nothing is cancelled yet')
  t.equal((await app.inject({ method: 'POST', url: cancelUrl, ...form(agency, cancel.hidden) })).headers.location, `/agency/tenders/${tender.id}?done=cancelled`)
  t.equal(await status(), 'cancelled')
})

t.test('recording a refund shows the amount in figures and in capitals, to whom and from which transfer', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const deposit = await approvedFee(app, desk, { code: 'BZJ-01', category: 'deposit', version: { name: '投标保证金', amountFen: 500050, refundWorkingDays: 5 } })
  const teller = await cashier(app)
  const headers = pageHeaders(app, teller)
  const payer = '6222 0202 0011 2233 445'
  const bond = await payAtWindow(app, teller, { code: 'simbank' }, await issueNotice(app, desk.proposer, { purpose: 'bid_bond', lines: [{ code: deposit.code }], payer: { name: '某某建设有限公司' } }), payer)
  const requested = await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: bond.id, trigger: 'award_notice', triggeredAt: new Date().toISOString(), reason: '未中标，退还投标保证金' } })
  t.equal(requested.statusCode, 201, requested.body)
  const refundId = requested.json().id
  const url = `/finance/refunds/${refundId}/payment`

  const asked = await app.inject({ method: 'POST', url, headers, payload: { bankCode: 'simbank', bankTxnId: 'RF-009', toAccountNo: payer } })
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认登记退款')
  t.match(page.facts, /¥5,000\.50/)
  t.match(page.facts, /伍仟元伍角整/, 'the binding amount in capitals')
  t.match(page.facts, /RF-009/)
  t.match(page.consequences, /向 \S+ 的账户 6222 0202 0011 2233 445 退还 ¥5,000\.50（伍仟元伍角整）/)
  t.match(page.consequences, /不能撤销/)
  t.same(page.hidden, { bankCode: 'simbank', bankTxnId: 'RF-009', toAccountNo: payer, confirm: '1' })
  t.equal(page.back, `/finance/refunds#refund-${refundId}`)
  t.same(leaksIn(asked.body), [])
  const status = async () => (await app.inject({ method: 'GET', url: `/api/refunds/${refundId}`, headers: teller.headers })).json().status
  t.equal(await status(), 'pending', 'nothing is recorded yet')
  const done = await app.inject({ method: 'POST', url, headers, payload: page.hidden })
  t.equal(done.statusCode, 200)
  t.match(done.body, /data-refund-paid/)
  t.equal(await status(), 'paid')
})
