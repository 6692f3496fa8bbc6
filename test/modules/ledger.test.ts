import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { assertBalanced, postings, reversalOf } from '../../src/modules/ledger/ledger.rules.ts'

t.test('every posting rule balances, and drops empty legs', async (t) => {
  const all = [
    postings.noticeIssued(8000n),
    postings.paymentReceived({ nonTaxFen: 8000n, depositFen: 0n }),
    postings.paymentReceived({ nonTaxFen: 1n, depositFen: 200000n }),
    postings.refundApproved(200000n),
    postings.refundPaid(200000n),
    postings.remittance(8001n),
    postings.unexplainedReceipt(1234n)
  ]
  for (const entries of all) t.equal(entries.reduce((sum, entry) => sum + entry.amountFen, 0n), 0n)
  t.same(postings.paymentReceived({ nonTaxFen: 8000n, depositFen: 0n }).map((entry) => entry.accountCode), ['bank_clearing', 'receivable', 'billed', 'non_tax_revenue'])
  t.throws(() => assertBalanced([{ accountCode: 'bank_clearing', amountFen: 1n }, { accountCode: 'suspense', amountFen: -2n }]), { code: 'LEDGER_UNBALANCED' })
  t.throws(() => assertBalanced([{ accountCode: 'bank_clearing', amountFen: 0n }, { accountCode: 'suspense', amountFen: 0n }]), { code: 'LEDGER_UNBALANCED' })
  t.throws(() => postings.remittance(0n), { code: 'LEDGER_UNBALANCED' })
  t.same(reversalOf(postings.refundPaid(5n)), [{ accountCode: 'refunds_payable', amountFen: -5n }, { accountCode: 'bank_clearing', amountFen: 5n }])
})

t.test('the database refuses an unbalanced transaction and any edit, whatever the code does', async (t) => {
  const { app } = await buildTestApp(t)
  const sql = app.db.$client
  await t.rejects(sql.begin(async (tx) => {
    const [row] = await tx`insert into ledger_transactions (kind, reference, business_date, occurred_at) values ('test', 'x', current_date, now()) returning id`
    await tx`insert into ledger_entries (transaction_id, account_code, amount_fen) values (${row!.id}, 'bank_clearing', 100), (${row!.id}, 'suspense', -99)`
  }), /unbalanced/, 'entries that do not sum to zero cannot commit')
  await t.rejects(sql.begin(async (tx) => {
    await tx`insert into ledger_transactions (kind, reference, business_date, occurred_at) values ('test', 'x', current_date, now())`
  }), /unbalanced: 0 entries/, 'a transaction needs entries')
  const [posted] = await sql.begin(async (tx) => {
    const [row] = await tx`insert into ledger_transactions (kind, reference, business_date, occurred_at) values ('test', 'x', current_date, now()) returning id`
    await tx`insert into ledger_entries (transaction_id, account_code, amount_fen) values (${row!.id}, 'bank_clearing', 100), (${row!.id}, 'suspense', -100)`
    return [row!]
  })
  await t.rejects(sql`insert into ledger_entries (transaction_id, account_code, amount_fen) values (${posted!.id}, 'bank_clearing', 1)`, /unbalanced/, 'nothing can be added to a committed transaction')
  await t.rejects(sql`update ledger_entries set amount_fen = 200 where transaction_id = ${posted!.id}`, /append-only/)
  await t.rejects(sql`delete from ledger_transactions where id = ${posted!.id}`, /append-only/)

  const service = app.services.ledger
  const reversal = await app.db.transaction((tx) => service.reverse(tx, { transactionId: posted!.id, kind: 'test.reversed', reference: 'x', businessDate: app.calendar.today(), occurredAt: new Date() }))
  t.ok(reversal.id)
  await t.rejects(app.db.transaction((tx) => service.reverse(tx, { transactionId: posted!.id, kind: 'test.reversed', reference: 'x', businessDate: app.calendar.today(), occurredAt: new Date() })), { code: 'LEDGER_ALREADY_REVERSED' })
  const admin = await hallAdmin(app)
  const check = (await app.inject({ method: 'GET', url: '/api/ledger/check', headers: admin.headers })).json()
  t.match(check, { balanced: true, transactions: 2, entries: 4, totalFen: 0, unbalancedTransactions: [] })
  const history = (await app.inject({ method: 'GET', url: '/api/ledger/transactions?reference=x', headers: admin.headers })).json()
  t.same(history.map((transaction: { reversesId: string | null }) => transaction.reversesId), [null, posted!.id])
})
