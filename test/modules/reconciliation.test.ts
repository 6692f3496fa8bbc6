import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { baseUrl, buildTestApp, countRows } from '../helper.ts'
import { approvedFee, bankPayment, financeDesk, issueNotice, signedBankRequest, type TestBank } from '../factories/fees.ts'
import type { TestUser } from '../factories/accounts.ts'
import { formatYuan } from '../../src/lib/money.ts'
import { shanghaiDate } from '../../src/lib/working-days.ts'

const HEADER = 'txn_id,booked_at,direction,amount,payment_code,counterparty_account,counterparty_name,memo\n'

function row (txnId: string, amountFen: number, options: { code?: string, direction?: 'C' | 'D', at?: Date, name?: string, account?: string } = {}): string {
  const at = options.at ?? new Date()
  return [txnId, at.toISOString(), options.direction ?? 'C', formatYuan(BigInt(amountFen), { grouping: false }), options.code ?? '', options.account ?? '6222020200112233445', options.name ?? '"张三, 个人"', '缴款'].join(',') + '\n'
}

async function importStatement (app: FastifyInstance, user: TestUser, bank: TestBank, csv: string, date = shanghaiDate(new Date())) {
  return app.inject({ method: 'POST', url: `/api/bank-statements?bankCode=${bank.code}&date=${date}`, headers: { ...user.headers, 'content-type': 'text/csv' }, payload: csv })
}

async function ledgerBalances (app: FastifyInstance, user: TestUser): Promise<Record<string, number>> {
  const accounts = (await app.inject({ method: 'GET', url: '/api/ledger/balances', headers: user.headers })).json() as Array<{ code: string, balanceFen: number }>
  return Object.fromEntries(accounts.map((account) => [account.code, account.balanceFen]))
}

async function resolveDifference (app: FastifyInstance, user: TestUser, differenceId: string, payload: { resolution: string, note: string }) {
  return app.inject({ method: 'POST', url: `/api/reconciliation-differences/${differenceId}/resolution`, headers: user.headers, payload })
}

/** The statement files in the test app's fs object store. */
async function statementFiles (dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'blobs', 'objects', 'bank-statements')
  const entries = await readdir(root, { recursive: true }).catch(() => [])
  return entries.filter((entry) => entry.endsWith('.csv'))
}

async function paidByCallback (app: FastifyInstance, bank: TestBank, notice: { code: string, totalFen: number }, overrides: Record<string, unknown> = {}) {
  const body = bankPayment(notice, overrides)
  const response = await app.inject(signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, body))
  if (response.statusCode !== 201) throw new Error(response.body)
  return body
}

t.test('a statement is matched line by line and every difference is listed', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const fee = await approvedFee(app, desk)
  const notices = await Promise.all([1, 2, 3, 4, 5].map(() => issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })))
  const matched = await paidByCallback(app, bank, notices[0]!)
  const mismatched = await paidByCallback(app, bank, notices[1]!)
  const missing = await paidByCallback(app, bank, notices[2]!)
  const lost = notices[3]! // paid at the bank, its callback never arrived
  const csv = HEADER +
    row(matched.bankTxnId, 8000, { code: notices[0]!.code }) +
    row(mismatched.bankTxnId, 8100, { code: notices[1]!.code }) +
    row('LOST-1', 8000, { code: lost.code }) +
    row('MYSTERY-1', 1234, {}) +
    row('OUT-1', 500, { direction: 'D' })
  const imported = await importStatement(app, teller, bank, csv)
  t.equal(imported.statusCode, 201, imported.body)
  t.match(imported.json(), { lineCount: 5, creditsFen: 8000 + 8100 + 8000 + 1234, debitsFen: 500, matchedCount: 1, differences: 5, openDifferences: 5 })
  t.match(imported.json().sha256, /^[0-9a-f]{64}$/)

  const detail = (await app.inject({ method: 'GET', url: `/api/bank-statements/${imported.json().id}`, headers: teller.headers })).json()
  const byTxn = Object.fromEntries(detail.differences.map((item: { txnId: string }) => [item.txnId, item]))
  t.match(byTxn[mismatched.bankTxnId], { kind: 'amount_mismatch', expectedFen: 8000, actualFen: 8100, allowedResolutions: ['suspense', 'acknowledge'] })
  t.match(byTxn['LOST-1'], { kind: 'unexpected', direction: 'C', paymentCode: lost.code, allowedResolutions: ['record_payment', 'suspense', 'acknowledge'] })
  t.match(byTxn['MYSTERY-1'], { kind: 'unexpected', paymentCode: null, allowedResolutions: ['suspense', 'acknowledge'] })
  t.match(byTxn['OUT-1'], { kind: 'unexpected', direction: 'D', allowedResolutions: ['acknowledge'] })
  t.match(byTxn[missing.bankTxnId], { kind: 'missing', direction: 'C', lineNo: null, expectedFen: 8000, paymentCode: notices[2]!.code })

  const parked = await resolveDifference(app, teller, byTxn['LOST-1'].id, { resolution: 'suspense', note: '先挂账' })
  t.equal(parked.json().code, 'SUSPENSE_NOTICE_PAYABLE', 'money that can still pay its notice is not parked in suspense')

  // the lost callback: the payment is recorded from the statement line, with its receipt
  const recorded = await resolveDifference(app, teller, byTxn['LOST-1'].id, { resolution: 'record_payment', note: '银行回调丢失，按对账单补录' })
  t.equal(recorded.statusCode, 200, recorded.body)
  t.match(recorded.json(), { status: 'resolved', resolution: 'record_payment' })
  const lostNotice = (await app.inject({ method: 'GET', url: `/api/payment-notices/${lost.id}`, headers: desk.proposer.headers })).json()
  t.match(lostNotice, { status: 'paid', payment: { channel: 'statement', bankTxnId: 'LOST-1' } })
  t.ok(lostNotice.payment.receiptNumber)

  const excess = await resolveDifference(app, teller, byTxn[mismatched.bankTxnId].id, { resolution: 'suspense', note: '银行多收 1 元，待查' })
  t.equal(excess.statusCode, 200)
  const unexplained = await resolveDifference(app, teller, byTxn['MYSTERY-1'].id, { resolution: 'suspense', note: '来源不明，挂账待查' })
  t.equal(unexplained.statusCode, 200)
  const wrongWay = await resolveDifference(app, teller, byTxn['OUT-1'].id, { resolution: 'record_payment', note: 'x?' })
  t.equal(wrongWay.json().code, 'RESOLUTION_NOT_ALLOWED')
  const twice = await resolveDifference(app, teller, byTxn['MYSTERY-1'].id, { resolution: 'acknowledge', note: '再次处理' })
  t.equal(twice.json().code, 'RECONCILIATION_ITEM_RESOLVED')

  const balances = await ledgerBalances(app, teller)
  t.equal(balances.suspense, -(100 + 1234), 'the unexplained money sits in suspense')
  t.equal(balances.bank_clearing, 8000 * 4 + 100 + 1234, 'the books hold what the bank holds for these credits')
  t.equal((await app.inject({ method: 'GET', url: '/api/ledger/check', headers: teller.headers })).json().balanced, true)
  const after = (await app.inject({ method: 'GET', url: `/api/bank-statements/${imported.json().id}`, headers: teller.headers })).json()
  t.equal(after.statement.openDifferences, 2, 'the missing payment and the unexplained debit remain open')
})

t.test('a callback that arrives after the import is not counted again through suspense', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const fee = await approvedFee(app, desk)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const imported = await importStatement(app, teller, bank, HEADER + row('LATE-1', 8000, { code: notice.code }))
  const [difference] = (await app.inject({ method: 'GET', url: `/api/bank-statements/${imported.json().id}`, headers: teller.headers })).json().differences
  await paidByCallback(app, bank, notice, { bankTxnId: 'LATE-1' })

  const parked = await resolveDifference(app, teller, difference.id, { resolution: 'suspense', note: '挂账' })
  t.equal(parked.statusCode, 409)
  t.equal(parked.json().code, 'SUSPENSE_PAYMENT_RECORDED')
  const explained = await resolveDifference(app, teller, difference.id, { resolution: 'acknowledge', note: '回调晚于对账单导入' })
  t.equal(explained.statusCode, 200)
  const balances = await ledgerBalances(app, teller)
  t.equal(balances.bank_clearing, 8000, 'the credit is in the books once')
  t.equal(balances.suspense, 0)
})

t.test('money parked in suspense is taken out of it when its payment arrives after all', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const fee = await approvedFee(app, desk)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const dearer = await approvedFee(app, desk, { version: { amountFen: 12000 } })
  const other = await issueNotice(app, desk.proposer, { lines: [{ code: dearer.code }] })
  // the statement line carries no payment code, so nothing tells it belongs to the notice yet
  const imported = await importStatement(app, teller, bank, HEADER + row('NOCODE-1', 8000) + row('NOCODE-2', 8000))
  const differences = (await app.inject({ method: 'GET', url: `/api/bank-statements/${imported.json().id}`, headers: teller.headers })).json().differences
  for (const difference of differences) {
    const parked = await resolveDifference(app, teller, difference.id, { resolution: 'suspense', note: '来源不明，挂账' })
    t.equal(parked.statusCode, 200, parked.body)
  }
  t.match(await ledgerBalances(app, teller), { bank_clearing: 16000, suspense: -16000 })

  await paidByCallback(app, bank, notice, { bankTxnId: 'NOCODE-1' })
  t.match(await ledgerBalances(app, teller), { bank_clearing: 16000, suspense: -8000, non_tax_revenue: -8000 }, 'the credit is counted once: it leaves suspense')
  const mismatch = await app.inject(signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, bankPayment(other, { bankTxnId: 'NOCODE-2' })))
  t.equal(mismatch.statusCode, 409, 'a payment of another amount cannot claim the parked credit')
  t.equal(mismatch.json().code, 'DUPLICATE_BANK_TRANSACTION')
  t.match(await ledgerBalances(app, teller), { bank_clearing: 16000, suspense: -8000 })
  t.equal((await app.inject({ method: 'GET', url: '/api/ledger/check', headers: teller.headers })).json().balanced, true)
})

t.test('a refund the bank paid to another account than the payer\'s is listed', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const bond = await approvedFee(app, desk, { category: 'deposit', version: { name: '投标保证金', amountFen: 50000 } })
  const notices = await Promise.all([1, 2].map(() => issueNotice(app, desk.proposer, { purpose: 'bid_bond', reference: 'tender:T-1', lines: [{ code: bond.code }] })))
  const payments = await Promise.all(notices.map((notice) => paidByCallback(app, bank, notice, { payerAccountNo: '6222-0202-0011-2233-445' })))
  for (const [index, notice] of notices.entries()) {
    const refund = (await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: notice.id, trigger: 'award_notice', triggeredAt: new Date().toISOString(), reason: '未中标' } })).json()
    const paid = await app.inject({ method: 'POST', url: `/api/refunds/${refund.id}/payment`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: `RF-${index}`, toAccountNo: '6222020200112233445' } })
    t.equal(paid.statusCode, 200, paid.body)
  }
  const csv = HEADER + payments.map((payment, index) => row(payment.bankTxnId, 50000, { code: notices[index]!.code })).join('') +
    row('RF-0', 50000, { direction: 'D', account: '6222 0202 0011 2233 445' }) +
    row('RF-1', 50000, { direction: 'D', account: '6217000000000001' })
  const imported = await importStatement(app, teller, bank, csv)
  t.equal(imported.statusCode, 201, imported.body)
  t.match(imported.json(), { matchedCount: 3, differences: 1 }, 'the same account written with spaces still matches')
  const [difference] = (await app.inject({ method: 'GET', url: `/api/bank-statements/${imported.json().id}`, headers: teller.headers })).json().differences
  t.match(difference, { kind: 'account_mismatch', direction: 'D', txnId: 'RF-1', expectedFen: 50000, actualFen: 50000, allowedResolutions: ['acknowledge'] })
})

t.test('a malformed statement is refused whole, with the lines that are wrong', async (t) => {
  const { app, config } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const good = row('G-1', 100)
  // Lines written by hand are booked on the statement day, whatever day the test runs
  const bookedToday = `${shanghaiDate(new Date())} 10:00:00`
  const cases: Array<[string, string, RegExp]> = [
    ['a wrong header', 'id,amount\n' + good, /header/],
    ['an amount with three decimals', HEADER + good + `B-1,${bookedToday},C,1.234,,6222,张三,\n`, /amount/],
    ['a negative amount', HEADER + good + row('B-2', 100).replace(',1.00,', ',-1.00,'), /amount/],
    ['a bad direction', HEADER + row('B-3', 100).replace(',C,', ',X,'), /direction/],
    ['a bad payment code', HEADER + row('B-4', 100, { code: '12345678901234567890' }), /payment_code/],
    ['another day', HEADER + row('B-5', 100, { at: new Date(Date.now() - 3 * 86_400_000) }), /statement day/],
    ['a missing field', HEADER + `B-6,${bookedToday},C,1.00\n`, /fields/],
    ['an unterminated quote', HEADER + good + `B-7,${bookedToday},C,1.00,,"6222,张三,\n`, /quote/i],
    ['a transaction listed twice', HEADER + good + good, /more than once/],
    ['no header at all', '', /empty/]
  ]
  for (const [name, csv, message] of cases) {
    const response = await importStatement(app, teller, bank, csv)
    t.equal(response.statusCode, 422, `${name}: ${response.body}`)
    t.equal(response.json().code, 'STATEMENT_MALFORMED', name)
    t.match(response.json().errors?.[0]?.message ?? '', message, name)
  }
  t.equal(await countRows(app, 'bank_statements'), 0, 'nothing was kept')
  t.equal(await countRows(app, 'bank_statement_lines'), 0)
  t.same(await statementFiles(config.dataDir), [], 'not even the files')
  const many = HEADER + Array.from({ length: 50 }, (_, index) => row(`M-${index}`, 100).replace(',C,', ',Z,')).join('')
  const report = (await importStatement(app, teller, bank, many)).json()
  t.equal(report.errors.length, 20, 'the first twenty problems are listed')
  t.match(report.detail, /50 malformed/)

  const corrected = await importStatement(app, teller, bank, HEADER + good)
  t.equal(corrected.statusCode, 201, 'the corrected statement goes in')
  t.equal((await statementFiles(config.dataDir)).length, 1, 'its file is kept')
  const [stored] = await app.db.$client<Array<{ file_key: string }>>`select file_key from bank_statements where id = ${corrected.json().id}`
  t.equal((await app.store.stat(stored!.file_key))?.retained, true, 'and retained: the store refuses to delete it')
  const original = await app.inject({ method: 'GET', url: `/api/bank-statements/${corrected.json().id}/file`, headers: teller.headers })
  t.equal(original.body, HEADER + good, 'the bank\'s file comes back exactly as imported')
  t.equal(createHash('sha256').update(original.rawPayload).digest('hex'), corrected.json().sha256)
  t.match(original.headers['content-disposition'], new RegExp(`statement-${bank.code}-\\d{4}-\\d{2}-\\d{2}\\.csv`))
  t.equal((await importStatement(app, teller, bank, HEADER + good)).json().code, 'STATEMENT_ALREADY_IMPORTED')
  const tomorrow = shanghaiDate(new Date(Date.now() + 86_400_000))
  t.equal((await importStatement(app, teller, bank, HEADER, tomorrow)).json().code, 'STATEMENT_DATE_INVALID')
  const json = await app.inject({ method: 'POST', url: `/api/bank-statements?bankCode=${bank.code}&date=${shanghaiDate(new Date())}`, headers: teller.headers, payload: { lines: [] } })
  t.equal(json.statusCode, 415)
  t.equal((await importStatement(app, desk.proposer, { ...bank, code: 'nobank' }, HEADER)).json().code, 'BANK_UNKNOWN')
})

t.test('an upload cut off midway keeps nothing', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const { bank, teller } = await financeDesk(app)
  const controller = new AbortController()
  let sent = 0
  const body = Readable.from((async function * () {
    yield HEADER
    for (let index = 0; index < 200; index++) {
      yield row(`A-${index}`, 100)
      sent++
      if (sent === 150) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        controller.abort()
        return
      }
    }
  })())
  await fetch(`${baseUrl(app)}/api/bank-statements?bankCode=${bank.code}&date=${shanghaiDate(new Date())}`, {
    method: 'POST', headers: { ...teller.headers, 'content-type': 'text/csv' }, body, duplex: 'half', signal: controller.signal
  } as unknown as RequestInit).catch(() => {})
  for (let attempt = 0; attempt < 40; attempt++) {
    const [row] = await app.db.$client`select count(*)::int as active from pg_stat_activity where datname = current_database() and query ilike 'copy bank_statement_lines%' and state <> 'idle'`
    if (row!.active === 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(await countRows(app, 'bank_statements'), 0)
  t.equal(await countRows(app, 'bank_statement_lines'), 0)
  t.equal((await importStatement(app, teller, bank, HEADER + row('A-1', 100))).statusCode, 201, 'the statement can be sent again')
})

t.test('remittances move the collected non-tax revenue per fiscal account and agree with the ledger', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const registration = await approvedFee(app, desk)
  const licence = await approvedFee(app, desk, { version: { amountFen: 5000, receivingAccount: '示范县财政局 政府性基金专户 6217000099998888' } })
  const bond = await approvedFee(app, desk, { category: 'deposit', version: { amountFen: 100000, name: '投标保证金' } })
  const both = await issueNotice(app, desk.proposer, { lines: [{ code: registration.code }, { code: licence.code }] })
  const single = await issueNotice(app, desk.proposer, { lines: [{ code: registration.code }] })
  const deposit = await issueNotice(app, desk.proposer, { purpose: 'bid_bond', reference: 'tender:T-1', lines: [{ code: bond.code }] })
  for (const notice of [both, single, deposit]) await paidByCallback(app, bank, notice)

  const check = (await app.inject({ method: 'GET', url: '/api/remittances/check', headers: teller.headers })).json()
  t.same(check, { ledgerUnremittedFen: 21000, recordsUnremittedFen: 21000, matches: true }, 'deposits are never remitted')
  const created = await app.inject({ method: 'POST', url: '/api/remittances', headers: teller.headers, payload: { throughDate: shanghaiDate(new Date()) } })
  t.equal(created.statusCode, 201, created.body)
  const batches = created.json().sort((a: { totalFen: number }, b: { totalFen: number }) => a.totalFen - b.totalFen)
  t.match(batches, [{ totalFen: 5000, paymentCount: 1, status: 'created' }, { totalFen: 16000, paymentCount: 2, status: 'created' }])
  t.same((await app.inject({ method: 'GET', url: '/api/remittances/check', headers: teller.headers })).json(), { ledgerUnremittedFen: 0, recordsUnremittedFen: 0, matches: true })
  t.equal((await app.inject({ method: 'POST', url: '/api/remittances', headers: teller.headers, payload: { throughDate: shanghaiDate(new Date()) } })).json().code, 'NOTHING_TO_REMIT', 'nothing is remitted twice')

  const confirmed = await app.inject({ method: 'POST', url: `/api/remittances/${batches[1].id}/confirmation`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: 'REMIT-1' } })
  t.match(confirmed.json(), { status: 'confirmed', bankTxnId: 'REMIT-1' })
  t.equal((await app.inject({ method: 'POST', url: `/api/remittances/${batches[1].id}/confirmation`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: 'REMIT-2' } })).json().code, 'REMITTANCE_CONFIRMED')
  t.equal((await app.inject({ method: 'POST', url: `/api/remittances/${batches[0].id}/confirmation`, headers: teller.headers, payload: { bankCode: bank.code, bankTxnId: 'REMIT-1' } })).json().code, 'DUPLICATE_BANK_TRANSACTION')

  const today = shanghaiDate(new Date())
  const daily = (await app.inject({ method: 'GET', url: `/api/finance/daily?from=${today}&to=${today}`, headers: teller.headers })).json()
  t.same(daily, [{ date: today, collectedFen: 21000, remittedFen: 21000, depositsFen: 100000, refundedFen: 0 }])
  const balances = await ledgerBalances(app, teller)
  t.match(balances, { non_tax_revenue: 0, bond_custody: -100000, bank_clearing: 100000 })
})
