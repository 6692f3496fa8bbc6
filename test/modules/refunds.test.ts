import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { approvedFee, bankPayment, feeDesk, financeDesk, issueNotice, registerBank, signedBankRequest } from '../factories/fees.ts'
import { connectLive } from '../support/live-client.ts'
import { addWorkingDays, endOfShanghaiDay, shanghaiDate } from '../../src/lib/working-days.ts'

t.test('a bid bond is refunded to the account it came from, within the working days its standard allows', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const { desk, bank, teller } = await financeDesk(app)
  const bond = await approvedFee(app, desk, { category: 'deposit', version: { name: '投标保证金', amountFen: 200000, refundWorkingDays: 5 } })
  const watcher = await createUser(app, { grants: [{ role: 'supervisor', scopeType: 'hall' }] })
  const socket = await connectLive(baseUrl(app), watcher.token)
  t.teardown(() => socket.close())
  socket.send({ type: 'subscribe', room: 'refunds:deadlines', since: 0 })
  await socket.next((message) => message.type === 'subscribed')

  const notice = await issueNotice(app, desk.proposer, { purpose: 'bid_bond', reference: 'tender:T-2026-007', lines: [{ code: bond.code }] })
  const payment = bankPayment(notice, { payerAccountNo: '6222 0202 0011 2233 445', payerAccountName: '示范建设有限公司' })
  t.equal((await app.inject(signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, payment))).statusCode, 201)

  const awardedAt = new Date(Date.now() - 3_600_000)
  const elsewhere = await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: notice.id, trigger: 'award_notice', triggeredAt: awardedAt.toISOString(), reason: '未中标', toAccountNo: '6222000000000000' } })
  t.equal(elsewhere.json().code, 'REFUND_ACCOUNT_MISMATCH', 'a refund to another account is refused')
  const requested = await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: notice.id, trigger: 'award_notice', triggeredAt: awardedAt.toISOString(), reason: '未中标，中标结果公示后退还' } })
  t.equal(requested.statusCode, 201, requested.body)
  const refund = requested.json()
  const lastDay = addWorkingDays(app.calendar.current(), shanghaiDate(awardedAt), 5)
  t.match(refund, { status: 'pending', alarm: 'green', amountFen: 200000, toAccountNo: payment.payerAccountNo, dueAt: endOfShanghaiDay(lastDay).toISOString() })
  t.equal((await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: notice.id, trigger: 'award_notice', triggeredAt: awardedAt.toISOString(), reason: 'again' } })).json().code, 'REFUND_EXISTS')
  await socket.next((message) => message.event === 'refund.requested')

  // the yellow and red alarms are pushed when their time comes
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key like ${`refunds.alarm:${refund.id}:yellow`}`
  await app.timers.fireDue()
  t.match((await socket.next((message) => message.event === 'refund.yellow')).data, { id: refund.id })
  const realNow = app.clock.now
  app.clock.now = () => new Date(new Date(refund.dueAt).getTime() + 1000)
  t.equal((await app.inject({ method: 'GET', url: `/api/refunds/${refund.id}`, headers: teller.headers })).json().alarm, 'red', 'overdue refunds turn red')
  app.clock.now = realNow

  const refusedAccount = await app.inject({ method: 'POST', url: `/api/refunds/${refund.id}/payment`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: 'RF-1', toAccountNo: '6217000000000001' } })
  t.equal(refusedAccount.json().code, 'REFUND_ACCOUNT_MISMATCH')
  const paid = await app.inject({ method: 'POST', url: `/api/refunds/${refund.id}/payment`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: 'RF-1', toAccountNo: '6222020200112233445' } })
  t.equal(paid.statusCode, 200, paid.body)
  t.match(paid.json(), { status: 'paid', alarm: 'green', bankTxnId: 'RF-1' })
  await socket.next((message) => message.event === 'refund.paid')
  t.equal((await app.inject({ method: 'POST', url: `/api/refunds/${refund.id}/payment`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: 'RF-2', toAccountNo: '6222020200112233445' } })).json().code, 'REFUND_ALREADY_PAID')
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}`, headers: desk.proposer.headers })).json().status, 'refunded')

  const balances = Object.fromEntries((await app.inject({ method: 'GET', url: '/api/ledger/balances', headers: teller.headers })).json().map((a: { code: string, balanceFen: number }) => [a.code, a.balanceFen]))
  t.match(balances, { bond_custody: 0, refunds_payable: 0, bank_clearing: 0 }, 'the deposit went back out')
  t.equal((await app.inject({ method: 'GET', url: '/api/ledger/check', headers: teller.headers })).json().balanced, true)
})

t.test('only paid deposits can be refunded', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bond = await approvedFee(app, desk, { category: 'deposit', version: { name: '竞买保证金', amountFen: 50000 } })
  const bank = await registerBank(app, desk.proposer)
  const feeNotice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  await app.inject(signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, bankPayment(feeNotice)))
  const unpaid = await issueNotice(app, desk.proposer, { purpose: 'auction_deposit', reference: 'auction:A-1', lines: [{ code: bond.code }] })
  const request = (noticeId: string, triggeredAt = new Date().toISOString()) => app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId, trigger: 'auction_closed', triggeredAt, reason: '竞买未成交' } })
  t.equal((await request(feeNotice.id)).json().code, 'NOTICE_NOT_REFUNDABLE', 'fees are not refunded')
  t.equal((await request(unpaid.id)).json().code, 'NOTICE_NOT_REFUNDABLE', 'nothing was paid')
  t.equal((await request('00000000-0000-4000-8000-000000000000')).statusCode, 404)
  t.equal((await request(unpaid.id, new Date(Date.now() + 86_400_000).toISOString())).json().code, 'REFUND_TRIGGER_IN_FUTURE')
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: '/api/refunds', headers: applicant.headers })).statusCode, 403)
})
