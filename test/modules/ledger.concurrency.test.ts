/**
 * The ledger's books check under ordinary load: transactions are posted (and, to be found,
 * tampered ones slipped in with raw SQL) while the check runs over and over. Its two sums, read
 * in separate statements, must describe one moment of the books (issue 19).
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { checkRepeatedly, ledgerHistory, whileWriting } from '../support/under-load.ts'

t.test('the books check reports one moment while transactions are posted and tampered ones appear', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  await ledgerHistory(app)
  const ledger = app.services.ledger
  const today = app.calendar.today()
  const post = () => app.db.transaction((tx) => ledger.post(tx, {
    kind: 'test.posted',
    reference: 'load',
    businessDate: today,
    occurredAt: new Date(),
    entries: [{ accountCode: 'bank_clearing', amountFen: 100n }, { accountCode: 'suspense', amountFen: -100n }]
  }))
  // a one-legged transaction of 1 fen, as someone bypassing the guards with raw SQL would leave it
  const TAMPERED = 20 // the check lists at most 20 unbalanced transactions
  const tamper = () => app.db.$client.begin(async (sql) => {
    await sql`set local session_replication_role = replica`
    const [row] = await sql`insert into ledger_transactions (kind, reference, business_date, occurred_at) values ('test.tampered', 'load', ${today}, now()) returning id`
    await sql`insert into ledger_entries (transaction_id, account_code, amount_fen) values (${row!.id}, 'suspense', 1)`
  })

  const reports = await whileWriting(3, post, async () => {
    let tampered = 0
    const tampering = (async () => {
      for (; tampered < TAMPERED; tampered++) {
        await tamper()
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    const checks = await checkRepeatedly(3, 15, async () => {
      const response = await app.inject({ method: 'GET', url: '/api/ledger/check', headers: admin.headers })
      t.equal(response.statusCode, 200)
      return response.json() as { balanced: boolean, transactions: number, entries: number, totalFen: number, unbalancedTransactions: string[] }
    })
    await tampering
    return checks
  })

  t.ok(reports.some((report) => report.unbalancedTransactions.length > 0 && report.unbalancedTransactions.length < TAMPERED), 'checks ran while the tampering went on')
  // of one moment: every fen of imbalance and every missing leg is one of the listed transactions
  const inconsistent = reports.filter((report) =>
    report.totalFen !== report.unbalancedTransactions.length ||
    report.entries !== 2 * report.transactions - report.unbalancedTransactions.length ||
    report.balanced !== (report.unbalancedTransactions.length === 0))
  t.same(inconsistent, [], 'no report mixes two moments')
  const quiet = (await app.inject({ method: 'GET', url: '/api/ledger/check', headers: admin.headers })).json()
  t.match(quiet, { balanced: false, totalFen: TAMPERED })
  t.equal(quiet.unbalancedTransactions.length, TAMPERED, 'every tampered transaction is found')
})
