import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions } from 'fastify'
import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { createDepartment, createWindow } from '../factories/departments.ts'
import { approvedFee, bankPayment, feeDesk, financeDesk, issueNotice, registerBank, signedBankRequest, type TestBank } from '../factories/fees.ts'
import { opensslSign, workDirectory, writePem } from '../support/pki.ts'
import { bankSigningString, BANK_HEADERS } from '../../src/lib/bank-signature.ts'
import { isValidPaymentCode } from '../../src/lib/payment-code.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { spkiOf } from '../../src/lib/pki/issuance.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'

async function ledgerState (app: FastifyInstance) {
  return { payments: await countRows(app, 'payments'), entries: await countRows(app, 'ledger_entries'), receipts: await countRows(app, 'receipts'), nonces: await countRows(app, 'bank_request_nonces') }
}

async function balances (app: FastifyInstance, headers: { authorization: string }): Promise<Record<string, number>> {
  const response = await app.inject({ method: 'GET', url: '/api/ledger/balances', headers })
  return Object.fromEntries(response.json().map((account: { code: string, balanceFen: number }) => [account.code, account.balanceFen]))
}

const callback = (bank: TestBank, body: unknown, options?: { now?: Date, nonce?: string }) => signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, body, options)

t.test('a notice is paid once by a signed bank callback; retries answer the same receipt', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  const payer = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], payer: { accountId: payer.id, name: '张三' } })
  t.ok(isValidPaymentCode(notice.code))
  t.equal(notice.totalFen, 8000)
  t.equal(notice.status, 'issued')
  t.same(await balances(app, desk.proposer.headers), { receivable: 8000, billed: -8000, bank_clearing: 0, non_tax_revenue: 0, bond_custody: 0, refunds_payable: 0, suspense: 0 }, 'issuing bills the payer')

  const described = await app.inject(signedBankRequest(bank, 'GET', `/api/bank/${bank.code}/notices/${notice.code}`))
  t.same(described.json(), { paymentCode: notice.code, payerName: '张三', amountFen: 8000, dueAt: notice.dueAt, payable: true, status: 'issued' }, 'the bank learns what to collect')

  const body = bankPayment(notice)
  const first = await app.inject(callback(bank, body))
  t.equal(first.statusCode, 201, first.body)
  t.equal(first.json().status, 'recorded')
  const retry = await app.inject(callback(bank, body))
  t.equal(retry.statusCode, 200)
  t.same(retry.json(), { ...first.json(), status: 'already_recorded' }, 'a retried callback is answered, not recorded again')

  const mine = await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}`, headers: payer.headers })
  t.equal(mine.json().status, 'paid')
  t.equal(mine.json().payment.receiptNumber, first.json().receiptNumber)
  t.equal(await countRows(app, 'payments'), 1)
  const listed = await app.inject({ method: 'GET', url: '/api/payment-notices/mine', headers: payer.headers })
  t.same(listed.json().map((n: { id: string }) => n.id), [notice.id])

  const receipt = await app.inject({ method: 'GET', url: `/api/receipts/${first.json().receiptNumber}`, headers: payer.headers })
  t.equal(receipt.statusCode, 200)
  t.match(receipt.json().document, { type: 'openhall.receipt.v1', noticeCode: notice.code, totalFen: 8000, channel: 'bank_callback', bank: bank.code, bankTxnId: body.bankTxnId })
  const verified = await app.inject({ method: 'POST', url: '/api/receipts/verify', payload: { documentText: receipt.json().documentText, signature: receipt.json().signature } })
  t.match(verified.json(), { valid: true, issuedByThisHall: true, number: first.json().receiptNumber })
  const forged = await app.inject({ method: 'POST', url: '/api/receipts/verify', payload: { documentText: receipt.json().documentText.replace('"totalFen":8000', '"totalFen":800'), signature: receipt.json().signature } })
  t.same(forged.json().valid, false, 'an altered receipt fails verification')

  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: `/api/receipts/${first.json().receiptNumber}`, headers: stranger.headers })).statusCode, 404, 'another payer cannot see it')
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}`, headers: stranger.headers })).statusCode, 404)

  const books = await app.inject({ method: 'GET', url: '/api/ledger/check', headers: desk.proposer.headers })
  t.equal(books.json().balanced, true)
  t.same(await balances(app, desk.proposer.headers), { receivable: 0, billed: 0, bank_clearing: 8000, non_tax_revenue: -8000, bond_custody: 0, refunds_payable: 0, suspense: 0 })
})

t.test('the receipt verifies offline with the OpenSSL command the README gives', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const paid = await app.inject(callback(bank, bankPayment(notice)))
  const receipt = (await app.inject({ method: 'GET', url: `/api/receipts/${paid.json().receiptNumber}`, headers: desk.proposer.headers })).json()
  const ca = (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json()
  const directory = workDirectory(t)
  writeFileSync(path.join(directory, 'receipt.json'), receipt.documentText)
  writeFileSync(path.join(directory, 'receipt.p7s'), Buffer.from(receipt.signature, 'base64'))
  writeFileSync(path.join(directory, 'root.pem'), ca.root)
  const out = execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'receipt.p7s', '-content', 'receipt.json', '-CAfile', 'root.pem', '-purpose', 'any'], { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] })
  t.equal(out.toString(), receipt.documentText, 'openssl verifies and prints the signed receipt')
  writeFileSync(path.join(directory, 'receipt.json'), receipt.documentText.replace(notice.code, '0'.repeat(20)))
  t.throws(() => execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'receipt.p7s', '-content', 'receipt.json', '-CAfile', 'root.pem', '-purpose', 'any'], { cwd: directory, stdio: 'ignore' }), 'openssl refuses an edited receipt')
})

t.test('the cashier takes a payment at the window after confirming the amount', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const fee = await approvedFee(app, desk, { version: { basis: 'per_unit', amountFen: undefined, unitPriceFen: 250, unitName: '平方米', quantityScale: 2 } })
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code, quantity: '120.5' }] })
  t.equal(notice.totalFen, 30125)
  t.equal(notice.items[0]!.detail, '120.5 平方米 × ¥2.50')
  const spaced = notice.code.replace(/(\d{4})(?=\d)/g, '$1 ')
  const lookup = await app.inject({ method: 'GET', url: `/api/payment-codes/${encodeURIComponent(spaced)}`, headers: teller.headers })
  t.equal(lookup.json().id, notice.id, 'a code typed with spaces is found')
  const mistyped = notice.code.slice(0, 10) + String((Number(notice.code[10]) + 1) % 10) + notice.code.slice(11)
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-codes/${mistyped}`, headers: teller.headers })).json().code, 'PAYMENT_CODE_INVALID', 'the check digit catches a mistyped digit')

  const payment = { code: notice.code, amountFen: 30125, bankCode: bank.code, bankTxnId: 'W1', payerAccountNo: '6222020200112233445', payerAccountName: '张三' }
  const wrong = await app.inject({ method: 'POST', url: '/api/window-payments', headers: teller.headers, payload: { ...payment, amountFen: 30000 } })
  t.equal(wrong.statusCode, 422)
  t.equal(wrong.json().code, 'AMOUNT_MISMATCH', 'no partial payment')
  const paid = await app.inject({ method: 'POST', url: '/api/window-payments', headers: teller.headers, payload: payment })
  t.equal(paid.statusCode, 201, paid.body)
  t.equal(paid.json().status, 'paid')
  t.equal(paid.json().payment.channel, 'window')
  const again = await app.inject({ method: 'POST', url: '/api/window-payments', headers: teller.headers, payload: payment })
  t.equal(again.statusCode, 200, 'pressing the button twice records one payment')
  t.equal(await countRows(app, 'payments'), 1)

  const receiptPdf = await app.inject({ method: 'GET', url: `/api/receipts/${paid.json().payment.receiptNumber}/pdf`, headers: teller.headers })
  t.equal(receiptPdf.headers['content-type'], 'application/pdf')
  t.ok(receiptPdf.rawPayload.subarray(0, 5).equals(Buffer.from('%PDF-')))
  const noticePdf = await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}/pdf`, headers: desk.proposer.headers })
  t.equal(noticePdf.headers['content-type'], 'application/pdf')
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'POST', url: '/api/window-payments', headers: applicant.headers, payload: payment })).statusCode, 403, 'only cashiers take payments')
})

t.test('every refused payment leaves the ledger, payments and receipts unchanged', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  const otherBank = await registerBank(app, desk.proposer)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const other = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const cancelled = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  await app.inject({ method: 'POST', url: `/api/payment-notices/${cancelled.id}/cancel`, headers: desk.proposer.headers, payload: { reason: '申请人撤回申请' } })
  const paid = bankPayment(notice)
  t.equal((await app.inject(callback(bank, paid))).statusCode, 201)
  const before = await ledgerState(app)

  const sent = signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, bankPayment(other))
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['a tampered body', { ...sent, payload: Buffer.from(JSON.stringify({ ...bankPayment(other), amountFen: 1 })) }, 401, 'BANK_SIGNATURE_INVALID'],
    ['another bank\'s key', { ...signedBankRequest({ ...otherBank, code: bank.code }, 'POST', `/api/bank/${bank.code}/payments`, bankPayment(other)) }, 401, 'BANK_SIGNATURE_INVALID'],
    ['no signature', { method: 'POST', url: `/api/bank/${bank.code}/payments`, payload: bankPayment(other) }, 401, 'BANK_SIGNATURE_INVALID'],
    ['an unknown bank', signedBankRequest({ ...bank, code: 'nobank' }, 'POST', '/api/bank/nobank/payments', bankPayment(other)), 401, 'BANK_SIGNATURE_INVALID'],
    ['a stale timestamp', callback(bank, bankPayment(other), { now: new Date(Date.now() - 10 * 60_000) }), 401, 'BANK_REQUEST_STALE'],
    ['a mistyped code', callback(bank, bankPayment({ ...other, code: other.code.slice(0, 19) + String((Number(other.code[19]) + 1) % 10) })), 400, 'PAYMENT_CODE_INVALID'],
    ['an unknown code', callback(bank, bankPayment({ code: validUnknownCode(other.code), totalFen: 8000 })), 404, 'PAYMENT_CODE_UNKNOWN'],
    ['a partial amount', callback(bank, bankPayment(other, { amountFen: 7999 })), 422, 'AMOUNT_MISMATCH'],
    ['a bank transaction already used', callback(bank, bankPayment(other, { bankTxnId: paid.bankTxnId })), 409, 'DUPLICATE_BANK_TRANSACTION'],
    ['a second payment of a paid notice', callback(bank, bankPayment(notice)), 409, 'NOTICE_ALREADY_PAID'],
    ['a cancelled notice', callback(bank, bankPayment(cancelled)), 409, 'NOTICE_NOT_PAYABLE'],
    ['a payment dated after the due time', callback(bank, bankPayment(other, { paidAt: new Date(new Date(other.dueAt).getTime() + 1000).toISOString() })), 422, 'PAYMENT_TIME_INVALID'],
    ['a payment dated in the future', callback(bank, bankPayment(other, { paidAt: new Date(Date.now() + 3_600_000).toISOString() })), 422, 'PAYMENT_TIME_INVALID'],
    ['a payment dated before the notice was issued', callback(bank, bankPayment(other, { paidAt: new Date(Date.now() - 86_400_000).toISOString() })), 422, 'PAYMENT_TIME_INVALID'],
    ['an unknown field', callback(bank, { ...bankPayment(other), tip: 1 }), 400, 'VALIDATION_FAILED'],
    ['malformed JSON', { ...signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, 'x'), payload: '{"paymentCode":' }, 400, 'BANK_BODY_INVALID']
  ]
  for (const [name, request, status, code] of cases) {
    const response = await app.inject(request)
    t.equal(response.statusCode, status, `${name}: ${response.body}`)
    t.equal(response.json().code, code, name)
    t.match(response.headers['content-type'], /application\/problem\+json/)
  }
  const replayed = await app.inject(sent)
  t.equal(replayed.statusCode, 201, 'the genuine request still goes through')
  const replay = await app.inject(sent)
  t.equal(replay.json().code, 'BANK_REQUEST_REPLAYED', 'the same signed request cannot be used twice')
  const after = await ledgerState(app)
  t.equal(after.payments, before.payments + 1, 'only the genuine request was recorded')
  t.equal(after.receipts, before.receipts + 1)
  const books = await app.inject({ method: 'GET', url: '/api/ledger/check', headers: desk.proposer.headers })
  t.equal(books.json().balanced, true)
})

/** A code with a valid check digit that no notice has. */
function validUnknownCode (like: string): string {
  for (let digit = 0; digit < 10; digit++) {
    const candidate = like.slice(0, 18) + String(digit)
    for (let check = 0; check < 10; check++) {
      const code = candidate + String(check)
      if (code !== like && isValidPaymentCode(code)) return code
    }
  }
  throw new Error('no code')
}

t.test('a payment made before the due time is accepted even when its callback comes later', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  const dueAt = new Date(Date.now() + 60_000)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], dueAt: dueAt.toISOString() })
  const late = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], dueAt: dueAt.toISOString() })
  const realNow = app.clock.now
  app.clock.now = () => new Date(dueAt.getTime() + 30 * 60_000)
  const accepted = await app.inject(callback(bank, bankPayment(notice, { paidAt: new Date(dueAt.getTime() - 1000).toISOString() }), { now: app.clock.now() }))
  t.equal(accepted.statusCode, 201, 'paid a second before the due time, reported half an hour later')
  const refused = await app.inject(callback(bank, bankPayment(late, { paidAt: new Date(dueAt.getTime() + 1000).toISOString() }), { now: app.clock.now() }))
  t.equal(refused.json().code, 'NOTICE_EXPIRED')

  // the expiry closes the unpaid notice once the grace period is over, and reverses its billing
  app.clock.now = () => new Date(dueAt.getTime() + 3 * 3_600_000)
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key like 'payments.expire:%'`
  await app.timers.fireDue()
  app.clock.now = realNow
  const expired = await app.inject({ method: 'GET', url: `/api/payment-notices/${late.id}`, headers: desk.proposer.headers })
  t.equal(expired.json().status, 'expired')
  const stillPaid = await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}`, headers: desk.proposer.headers })
  t.equal(stillPaid.json().status, 'paid')
  t.same((await balances(app, desk.proposer.headers)).receivable, 0, 'nothing is left receivable')
  const history = await app.inject({ method: 'GET', url: `/api/ledger/transactions?reference=payment_notice:${late.id}`, headers: desk.proposer.headers })
  t.same(history.json().map((entry: { kind: string }) => entry.kind), ['notice.issued', 'notice.expired'])
  t.equal(history.json()[1].reversesId, history.json()[0].id, 'the expiry is a reversal, not an edit')
})

t.test('notices are issued and cancelled within the issuer\'s scope; others answer 404', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const land = await createDepartment(app, desk.proposer.id, '县自然资源局')
  const market = await createDepartment(app, desk.proposer.id, '县市场监管局')
  const landClerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: land.id }] })
  const marketClerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: market.id }] })
  const refused = await app.inject({ method: 'POST', url: '/api/payment-notices', headers: landClerk.headers, payload: { purpose: 'case', reference: 'case:1', departmentId: market.id, payer: { name: '李四' }, lines: [{ code: fee.code }] } })
  t.equal(refused.statusCode, 404, 'a clerk cannot issue for another department')
  const notice = await issueNotice(app, landClerk, { departmentId: land.id, lines: [{ code: fee.code }] })
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}`, headers: marketClerk.headers })).statusCode, 404)
  t.same((await app.inject({ method: 'GET', url: '/api/payment-notices', headers: marketClerk.headers })).json(), [])
  t.equal((await app.inject({ method: 'GET', url: '/api/payment-notices', headers: landClerk.headers })).json().length, 1)
  t.equal((await app.inject({ method: 'POST', url: `/api/payment-notices/${notice.id}/cancel`, headers: marketClerk.headers, payload: { reason: 'x' } })).statusCode, 404)
  const cancelled = await app.inject({ method: 'POST', url: `/api/payment-notices/${notice.id}/cancel`, headers: landClerk.headers, payload: { reason: '重复开具' } })
  t.equal(cancelled.json().status, 'cancelled')
  t.equal((await app.inject({ method: 'POST', url: `/api/payment-notices/${notice.id}/cancel`, headers: landClerk.headers, payload: { reason: '重复开具' } })).json().code, 'NOTICE_NOT_CANCELLABLE')
  const unknownFee = await app.inject({ method: 'POST', url: '/api/payment-notices', headers: landClerk.headers, payload: { purpose: 'case', reference: 'case:2', departmentId: land.id, payer: { name: '李四' }, lines: [{ code: 'NO-SUCH-FEE' }] } })
  t.equal(unknownFee.json().code, 'FEE_NOT_IN_FORCE')
  const unknownPayer = await app.inject({ method: 'POST', url: '/api/payment-notices', headers: landClerk.headers, payload: { purpose: 'case', reference: 'case:3', departmentId: land.id, payer: { name: '李四', accountId: '00000000-0000-4000-8000-000000000000' }, lines: [{ code: fee.code }] } })
  t.equal(unknownPayer.json().code, 'PAYER_NOT_FOUND')
  const unknownDepartment = await app.inject({ method: 'POST', url: '/api/payment-notices', headers: desk.proposer.headers, payload: { purpose: 'case', reference: 'case:4', departmentId: '00000000-0000-4000-8000-000000000000', payer: { name: '李四' }, lines: [{ code: fee.code }] } })
  t.equal(unknownDepartment.json().code, 'DEPARTMENT_NOT_FOUND')

  // a window clerk issues in the window's department, and in no other
  const landWindow = await createWindow(app, desk.proposer.id, land.id)
  const windowClerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'window', scopeId: landWindow.id }] })
  const elsewhere = await app.inject({ method: 'POST', url: '/api/payment-notices', headers: windowClerk.headers, payload: { purpose: 'case', reference: 'case:5', windowId: landWindow.id, departmentId: market.id, payer: { name: '李四' }, lines: [{ code: fee.code }] } })
  t.equal(elsewhere.statusCode, 422)
  t.equal(elsewhere.json().code, 'NOTICE_SCOPE_MISMATCH')
  const atWindow = await issueNotice(app, windowClerk, { windowId: landWindow.id, lines: [{ code: fee.code }] })
  t.match(atWindow, { windowId: landWindow.id, departmentId: land.id }, 'the notice belongs to the window\'s department')
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${atWindow.id}`, headers: landClerk.headers })).statusCode, 200)
  await app.inject({ method: 'POST', url: `/api/payment-notices/${atWindow.id}/cancel`, headers: windowClerk.headers, payload: { reason: '测试' } })
  t.same((await balances(app, desk.proposer.headers)).receivable, 0)
})

t.test('modules learn of payments after commit, durably, through onPaid', async (t) => {
  const seen: string[] = []
  let failOnce = true
  const { app } = await buildTestApp(t, {
    setup: (app) => {
      app.services.payments.onPaid('tender_document', async (tx, event) => {
        if (failOnce) {
          failOnce = false
          throw new Error('the tender module is restarting')
        }
        seen.push(`${event.reference}:${event.totalFen}`)
      })
    }
  })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  const notice = await issueNotice(app, desk.proposer, { purpose: 'tender_document', reference: 'tender:T-2026-001', lines: [{ code: fee.code }] })
  t.equal((await app.inject(callback(bank, bankPayment(notice)))).statusCode, 201)
  for (let attempt = 0; attempt < 50 && seen.length === 0; attempt++) {
    await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key like 'payments.paid:%' and fired_at is null`
    await app.timers.fireDue()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.same(seen, ['tender:T-2026-001:8000'], 'delivered once, after a failed first attempt')
  t.equal(failOnce, false)
})

t.test('a bank may sign with its certificate instead of an HMAC key (openssl cms -sign)', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const directory = workDirectory(t)
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const certificate = app.pki.issue({
    subjectDer: encodeName([['C', 'CN'], ['O', '示范农商银行'], ['CN', '示范农商银行 缴费平台']]),
    spkiDer: spkiOf(privateKey),
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keyUsage: ['digitalSignature']
  })
  const registered = await app.inject({ method: 'POST', url: '/api/banks', headers: desk.proposer.headers, payload: { code: 'rcb', name: '示范农商银行', authMethod: 'certificate', certificate: derToPem(certificate) } })
  t.equal(registered.statusCode, 201, registered.body)
  t.equal(registered.json().hmacKey, null)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const body = Buffer.from(JSON.stringify(bankPayment(notice)))
  const url = '/api/bank/rcb/payments'
  const headers = { [BANK_HEADERS.timestamp]: String(Math.floor(Date.now() / 1000)), [BANK_HEADERS.nonce]: 'cms-nonce-0000000001' }
  const signingString = bankSigningString({ method: 'POST', path: url, timestamp: headers[BANK_HEADERS.timestamp]!, nonce: headers[BANK_HEADERS.nonce]!, body })
  const cms = opensslSign(directory, { content: Buffer.from(signingString), certificate: writePem(directory, 'bank.pem', certificate), key: writePem(directory, 'bank.key', privateKey), detached: true })
  const paid = await app.inject({ method: 'POST', url, payload: body, headers: { ...headers, [BANK_HEADERS.signature]: `cms=${Buffer.from(cms).toString('base64')}`, 'content-type': 'application/json' } })
  t.equal(paid.statusCode, 201, paid.body)
  const hmacAttempt = await app.inject(callback({ id: '', code: 'rcb', key: Buffer.alloc(32) }, bankPayment(notice)))
  t.equal(hmacAttempt.json().code, 'BANK_SIGNATURE_INVALID', 'a certificate bank cannot be impersonated with an HMAC')
})

t.test('property: any interleaving of duplicate and concurrent callbacks pays each notice exactly once and the ledger balances', async (t) => {
  const { app } = await buildTestApp(t, { env: { DATABASE_POOL_MAX: '12' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  let expectedClearing = 0
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({
      copies: fc.integer({ min: 1, max: 4 }),
      rivals: fc.integer({ min: 0, max: 2 })
    }), { minLength: 1, maxLength: 4 }),
    fc.infiniteStream(fc.nat()),
    async (plan, order) => {
      const notices = await Promise.all(plan.map(() => issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })))
      const requests = plan.flatMap((step, index) => {
        const notice = notices[index]!
        const genuine = bankPayment(notice)
        return [
          ...Array.from({ length: step.copies }, () => ({ notice: notice.id, txn: genuine.bankTxnId, body: genuine })),
          ...Array.from({ length: step.rivals }, () => { const rival = bankPayment(notice); return { notice: notice.id, txn: rival.bankTxnId, body: rival } })
        ]
      })
      const shuffled = requests.map((request) => ({ request, key: order.next().value as number })).sort((a, b) => a.key - b.key).map((item) => item.request)
      const responses = await Promise.all(shuffled.map(async (request) => ({ request, response: await app.inject(callback(bank, request.body)) })))
      for (const notice of notices) {
        const mine = responses.filter((item) => item.request.notice === notice.id)
        const winners = mine.filter((item) => item.response.statusCode === 201)
        if (winners.length !== 1) return false
        const winningTxn = winners[0]!.request.txn
        for (const item of mine) {
          const expected = item.request.txn === winningTxn ? [200, 201] : [409]
          if (!expected.includes(item.response.statusCode)) return false
          if (item.response.statusCode < 300 && item.response.json().paymentId !== winners[0]!.response.json().paymentId) return false
        }
      }
      expectedClearing += notices.length * 8000
      const books = (await app.inject({ method: 'GET', url: '/api/ledger/check', headers: desk.proposer.headers })).json()
      const clearing = (await balances(app, desk.proposer.headers)).bank_clearing
      return books.balanced && clearing === expectedClearing
    }
  ), { numRuns: 12 })
  const [row] = await app.db.$client`select count(*)::int as notices, count(distinct p.id)::int as payments, count(distinct r.id)::int as receipts
    from payment_notices n left join payments p on p.notice_id = n.id left join receipts r on r.payment_id = p.id`
  t.equal(row!.notices, row!.payments, 'every notice has exactly one payment')
  t.equal(row!.payments, row!.receipts, 'and one receipt')
})

t.test('anyone holding a code learns what is due, and anyone holding a printed receipt can check it', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], payer: { name: '张三', idNumber: '330102199001011234' } })
  const summary = await app.inject({ method: 'GET', url: `/api/payment-codes/${notice.code}/summary` })
  t.same(summary.json(), { code: notice.code, purpose: 'case', totalFen: 8000, dueAt: notice.dueAt, status: 'issued', payable: true })
  t.notOk(summary.body.includes('张三') || summary.body.includes('330102'), 'not who owes it')
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-codes/${validUnknownCode(notice.code)}/summary` })).statusCode, 404)

  const paid = (await app.inject(callback(bank, bankPayment(notice)))).json()
  const receipt = (await app.inject({ method: 'GET', url: `/api/receipts/${paid.receiptNumber}`, headers: desk.proposer.headers })).json()
  const { createHash } = await import('node:crypto')
  const sha256 = createHash('sha256').update(receipt.documentText).digest('hex')
  const genuine = await app.inject({ method: 'GET', url: `/api/receipts/${paid.receiptNumber}/check?sha256=${sha256}` })
  t.match(genuine.json(), { genuine: true, number: paid.receiptNumber, noticeCode: notice.code, totalFen: 8000 })
  const altered = await app.inject({ method: 'GET', url: `/api/receipts/${paid.receiptNumber}/check?sha256=${'0'.repeat(64)}` })
  t.same(altered.json(), { genuine: false, number: paid.receiptNumber, noticeCode: null, totalFen: null, paidAt: null, issuedAt: null }, 'a wrong hash learns nothing')

  const today = app.calendar.today()
  const byChannel = await app.inject({ method: 'GET', url: `/api/payment-notices?channel=bank_callback&paidOn=${today}`, headers: desk.proposer.headers })
  t.same(byChannel.json().map((n: { id: string }) => n.id), [notice.id])
  t.same((await app.inject({ method: 'GET', url: `/api/payment-notices?channel=window&paidOn=${today}`, headers: desk.proposer.headers })).json(), [])
  const pem = await app.inject({ method: 'GET', url: '/api/pki/ca/root.pem' })
  t.match(pem.body, /^-----BEGIN CERTIFICATE-----/)
})

t.test('the README\'s curl and openssl example of a signed callback is accepted as written', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const { baseUrl } = await import('../helper.ts')
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  const example = /```sh\n(body='\{"paymentCode"[\s\S]*?)```/.exec(readme)?.[1]
  t.ok(example, 'the README has the example')
  const { app } = await buildTestApp(t, { listen: true })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk, { version: { amountFen: 55000 } })
  const bank = await registerBank(app, desk.proposer, 'icbc')
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const script = example!
    .replace(/"paymentCode":"\d{20}"/, `"paymentCode":"${notice.code}"`)
    .replace(/"paidAt":"[^"]+"/, `"paidAt":"${new Date().toISOString()}"`)
    .replace('http://localhost:3000', baseUrl(app))
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: { ...process.env, KEY_BASE64: bank.key.toString('base64') } })
  t.match(JSON.parse(stdout), { status: 'recorded', noticeCode: notice.code })
})
