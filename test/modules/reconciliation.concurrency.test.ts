/**
 * The reconciliation checks under ordinary load: payments arrive, remittances are made and
 * differences resolved while the checks and views run over and over. Each reads in several
 * statements; read apart, a commit between them shows figures apart although the books agree
 * (a false alarm), so each must read one moment (issue 19).
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { approvedFee, bankPayment, financeDesk, issueNotice, signedBankRequest } from '../factories/fees.ts'
import { checkRepeatedly, ledgerHistory, whileWriting } from '../support/under-load.ts'
import type { NoticeView } from '../../src/modules/payments/payments.schemas.ts'

t.test('the remittance check agrees with the ledger while payments arrive and remittances are made', async (t) => {
  // a pool smaller than the writers, as under load: reads queue behind the payments' transactions
  const { app } = await buildTestApp(t, { env: { DATABASE_POOL_MAX: '2' } })
  const { desk, bank, teller } = await financeDesk(app)
  const registration = await approvedFee(app, desk)
  const licence = await approvedFee(app, desk, { version: { amountFen: 5000, receivingAccount: '示范县财政局 政府性基金专户 6217000099998888' } })
  const bond = await approvedFee(app, desk, { category: 'deposit', version: { amountFen: 100000, name: '投标保证金' } })
  await ledgerHistory(app)
  const notices: NoticeView[] = []
  for (let i = 0; i < 60; i++) {
    const lines = i % 3 === 0 ? [{ code: registration.code }, { code: licence.code }] : i % 3 === 1 ? [{ code: registration.code }] : [{ code: bond.code }]
    notices.push(await issueNotice(app, desk.proposer, { lines, ...(i % 3 === 2 ? { purpose: 'bid_bond', reference: `tender:T-${i}` } : {}) }))
  }
  let next = 0
  const pay = async () => {
    const notice = notices[next++]
    if (!notice) return new Promise((resolve) => setTimeout(resolve, 5))
    const response = await app.inject(signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, bankPayment(notice)))
    if (response.statusCode !== 201) throw new Error(response.body)
  }
  const remit = async () => {
    const response = await app.inject({ method: 'POST', url: '/api/remittances', headers: teller.headers, payload: { throughDate: app.calendar.today() } })
    if (response.statusCode !== 201 && response.json().code !== 'NOTHING_TO_REMIT') throw new Error(response.body)
  }

  const today = app.calendar.today()
  const { checks, overviews, remittances } = await whileWriting(4, pay, async () => {
    let remittances = 0
    const overviews: Array<Awaited<ReturnType<typeof app.services.reconciliation.financeOverview>>> = []
    const checks = await checkRepeatedly(2, 20, async () => {
      const response = await app.inject({ method: 'GET', url: '/api/remittances/check', headers: teller.headers })
      t.equal(response.statusCode, 200)
      // the finance desk's overview page shows the trial balance beside both checks
      overviews.push(await app.services.reconciliation.financeOverview(today, today))
      // now and then a remittance run moves what is still to remit, in the ledger and in the records
      if (Math.random() < 0.1) {
        await remit()
        remittances++
      }
      return response.json() as { ledgerUnremittedFen: number, recordsUnremittedFen: number, matches: boolean }
    })
    return { checks, overviews, remittances }
  })
  t.ok(next >= 20, `payments arrived during the checks (${Math.min(next, notices.length)})`)
  t.ok(checks.some((check) => check.ledgerUnremittedFen > 0), 'there was something to remit')
  t.same(checks.filter((check) => !check.matches), [], 'no check reported the ledger and the records apart')
  t.comment(`${checks.length} checks, ${remittances} remittance runs`)
  const overviewsApart = overviews.filter(({ balances, books, remittances }) =>
    !remittances.matches || !books.balanced ||
    balances.find((account) => account.code === 'non_tax_revenue')!.balanceFen !== -remittances.ledgerUnremittedFen ||
    balances.reduce((total, account) => total + account.balanceFen, 0) !== books.totalFen)
  t.same(overviewsApart, [], 'the overview\'s figures are of one moment')
  const quiet = (await app.inject({ method: 'GET', url: '/api/remittances/check', headers: teller.headers })).json()
  t.equal(quiet.matches, true)
})

t.test('a statement\'s open count agrees with its listed differences while they are being resolved', async (t) => {
  const { app } = await buildTestApp(t, { env: { DATABASE_POOL_MAX: '2' } })
  const { bank, teller } = await financeDesk(app)
  const today = app.calendar.today()
  // outgoing lines no record explains: each a difference to acknowledge (noon in Beijing, on the statement day)
  let csv = 'txn_id,booked_at,direction,amount,payment_code,counterparty_account,counterparty_name,memo\n'
  for (let line = 1; line <= 60; line++) csv += `OUT-${line},${today}T04:00:00Z,D,1.00,,6222020200112233445,张三,手续费\n`
  const imported = await app.inject({ method: 'POST', url: `/api/bank-statements?bankCode=${bank.code}&date=${today}`, headers: { ...teller.headers, 'content-type': 'text/csv' }, payload: csv })
  t.equal(imported.statusCode, 201, imported.body)
  const statementId = imported.json().id as string
  const open = (await app.inject({ method: 'GET', url: `/api/bank-statements/${statementId}`, headers: teller.headers })).json().differences.map((item: { id: string }) => item.id) as string[]
  t.equal(open.length, 60)

  const views = await whileWriting(3, async () => {
    const id = open.pop()
    if (!id) return new Promise((resolve) => setTimeout(resolve, 5))
    const response = await app.inject({ method: 'POST', url: `/api/reconciliation-differences/${id}/resolution`, headers: teller.headers, payload: { resolution: 'acknowledge', note: '银行手续费' } })
    if (response.statusCode !== 200) throw new Error(response.body)
  }, () => checkRepeatedly(2, 25, async () => {
    const response = await app.inject({ method: 'GET', url: `/api/bank-statements/${statementId}`, headers: teller.headers })
    t.equal(response.statusCode, 200)
    return response.json() as { statement: { openDifferences: number, differences: number }, differences: Array<{ status: string }> }
  }))
  t.ok(views.some((view) => view.statement.openDifferences > 0 && view.statement.openDifferences < 60), 'views were read while differences were resolved')
  const apart = views.filter((view) =>
    view.statement.differences !== view.differences.length ||
    view.statement.openDifferences !== view.differences.filter((item) => item.status !== 'resolved').length)
  t.same(apart.map((view) => view.statement), [], 'the count and the list always describe the same moment')
})
