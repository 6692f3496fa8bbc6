/**
 * Errors where they happen on the money pages: the cashier's look-up and payment, the public
 * receipt check, remittances and the handling of a statement's differences. Bad input comes back
 * with the error summary linking to the field, the message beside it, the field marked
 * (aria-invalid, aria-describedby), what was typed kept, in plain Chinese.
 */
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helper.ts'
import { multipart, pageHeaders, payAtWindow } from '../factories/fees-pages.ts'
import { approvedFee, cashier, feeDesk, issueNotice, registerBank } from '../factories/fees.ts'
import { leaksIn } from './plain-words.ts'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The refusal of one field: in the summary, beside the field, on the field (or its fieldset). */
function fieldError (t: Test, response: LightMyRequestResponse, id: string, message: string) {
  const body = response.body
  t.match(body, new RegExp(`data-error-summary[\\s\\S]*<a href="#${escape(id)}">${escape(message)}</a>`), `${id}: the summary links to the field`)
  t.match(body, new RegExp(`<p id="${escape(id)}-error" class="error field-error">${escape(message)}</p>`), `${id}: the message beside the field`)
  const element = new RegExp(`<fieldset[^>]*aria-describedby="${escape(id)}-error"[^>]*>|<(?:input|textarea|select)[^>]*\\bid="${escape(id)}"[^>]*>`).exec(body)?.[0] ?? ''
  t.match(element, /aria-invalid="true"/, `${id}: marked invalid`)
  t.match(element, new RegExp(`aria-describedby="[^"]*\\b${escape(id)}-error\\b`), `${id}: described by its message`)
  t.same(leaksIn(body), [], 'in plain Chinese')
}

t.test('the cashier: a code that is none, and a payment form with every field wrong', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  await registerBank(app, desk.proposer, 'icbc-hall')
  const headers = pageHeaders(app, await cashier(app))
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })

  const lookup = await app.inject({ method: 'GET', url: '/cashier?code=1234', headers })
  t.equal(lookup.statusCode, 400)
  fieldError(t, lookup, 'cashier-code', '这不是有效的缴款码：应为 20 位数字且校验位正确，请核对是否输错。')
  t.match(lookup.body, /id="cashier-code"[^>]*value="1234"/, 'the code typed is kept')

  const payment = { code: notice.code, amount: '八十', bankCode: 'no-bank', bankTxnId: '流水', payerAccountNo: '12', payerAccountName: '  ' }
  const bad = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: payment })
  t.equal(bad.statusCode, 400)
  fieldError(t, bad, 'cashier-amount', '金额须为以元为单位、最多两位小数的正数，例如 80 或 80.50。')
  fieldError(t, bad, 'cashier-bank', '请选择收款银行。')
  fieldError(t, bad, 'cashier-txn', '请填写银行流水号（字母、数字及 _ . : -，不超过 64 位）。')
  fieldError(t, bad, 'cashier-account-no', '请填写付款账号（4–40 位数字或字母）。')
  fieldError(t, bad, 'cashier-account-name', '请填写付款户名（不超过 200 字）。')
  t.match(bad.body, /id="cashier-amount"[^>]*value="八十"[^>]*aria-invalid="true" aria-describedby="cashier-amount-hint cashier-amount-error"/, 'kept, marked and described by its hint and its message')
  t.match(bad.body, /id="cashier-txn"[^>]*value="流水"/)
  t.match(bad.body, /data-total>/, 'the notice stays on screen')

  const mismatch = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: { ...payment, amount: '1.00', bankCode: 'icbc-hall', bankTxnId: 'ICBC-1', payerAccountNo: '6222 0000 1111', payerAccountName: '张三' } })
  t.equal(mismatch.statusCode, 422)
  fieldError(t, mismatch, 'cashier-amount', '实收金额与应缴金额不一致，不接受部分或多缴；请核对后重新输入。')
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${notice.id}`, headers: desk.proposer.headers })).json().status, 'issued', 'nothing was taken')
})

t.test('the public receipt check: each printed value and each file beside its field', async (t) => {
  const { app } = await buildTestApp(t)
  const typo = await app.inject({ method: 'GET', url: `/receipts/verify?number=12&sha256=${'a'.repeat(63)}` })
  t.equal(typo.statusCode, 400)
  fieldError(t, typo, 'verify-number', '请输入收据上印的 18–20 位收据号码。')
  fieldError(t, typo, 'verify-sha256', '请输入收据上印的 64 位 SHA-256 内容摘要（数字 0–9 和字母 a–f）。')
  t.match(typo.body, /id="verify-number"[^>]*value="12"/)
  const empty = multipart({}, {})
  const files = await app.inject({ method: 'POST', url: '/receipts/verify', headers: empty.headers, payload: empty.payload })
  t.equal(files.statusCode, 400)
  fieldError(t, files, 'verify-document', '请选择收据文件（JSON）。')
  fieldError(t, files, 'verify-signature', '请选择收据的签名文件（.p7s）。')
})

t.test('remittances and differences: the date, the bank transaction and the note beside their fields', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const teller = await cashier(app)
  const headers = pageHeaders(app, teller)
  const today = app.calendar.today()

  const noDate = await app.inject({ method: 'POST', url: '/finance/remittances', headers, payload: { throughDate: '12/07' } })
  t.equal(noDate.statusCode, 400)
  fieldError(t, noDate, 'remit-through', '请选择汇缴截止日期。')
  const nothing = await app.inject({ method: 'POST', url: '/finance/remittances', headers, payload: { throughDate: today } })
  t.equal(nothing.statusCode, 409)
  fieldError(t, nothing, 'remit-through', '截至该日的收入均已汇缴，没有需要汇缴的款项。')

  await payAtWindow(app, teller, { code: 'simbank' }, await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] }))
  const created = await app.inject({ method: 'POST', url: '/finance/remittances', headers, payload: { throughDate: today } })
  const batch = /data-remittance="([0-9a-f-]{36})" data-status="created"/.exec(created.body)![1]!
  const confirm = await app.inject({ method: 'POST', url: `/finance/remittances/${batch}/confirmation`, headers, payload: { bankCode: 'simbank', bankTxnId: '汇缴 1' } })
  t.equal(confirm.statusCode, 400)
  fieldError(t, confirm, `remit-txn-${batch}`, '请填写银行流水号（字母、数字及 _ . : -，不超过 64 位）。')
  t.match(confirm.body, new RegExp(`id="remit-txn-${batch}"[^>]*value="汇缴 1"`), 'what was typed is kept')

  // a statement with one payment the hall has no record of: its difference to resolve
  const lost = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  t.equal((await app.inject({ method: 'POST', url: '/simulated-bank/payments', payload: { paymentCode: lost.code, payerAccountNo: '6222 0000 2222', payerAccountName: '钱七', delivery: 'lost' } })).statusCode, 200)
  const csv = (await app.inject({ method: 'GET', url: `/api/simulated-bank/statements/${today}`, headers: teller.headers })).body
  const upload = multipart({ bankCode: 'simbank', date: today }, { statement: { name: 'simbank.csv', type: 'text/csv', content: csv } })
  const imported = await app.inject({ method: 'POST', url: '/finance/statements', headers: { ...headers, ...upload.headers }, payload: upload.payload })
  const statementId = /\/finance\/statements\/([0-9a-f-]{36})/.exec(imported.headers.location ?? '')![1]!
  const statement = await app.inject({ method: 'GET', url: `/finance/statements/${statementId}`, headers })
  const differenceId = /<tr data-difference="([0-9a-f-]{36})" data-status="open">/.exec(statement.body)![1]!
  const short = await app.inject({ method: 'POST', url: `/finance/differences/${differenceId}/resolution`, headers, payload: { statementId, resolution: 'acknowledge', note: '补' } })
  t.equal(short.statusCode, 400)
  fieldError(t, short, `note-${differenceId}`, '请写明处理理由（至少 2 个字）。')
  t.match(short.body, new RegExp(`<textarea id="note-${differenceId}"[^>]*>补</textarea>`), 'the note is kept')
  t.match(short.body, /value="acknowledge" required[^>]* checked/, 'and the way chosen')
  const unchosen = await app.inject({ method: 'POST', url: `/finance/differences/${differenceId}/resolution`, headers, payload: { statementId, resolution: '', note: '银行通知丢失' } })
  fieldError(t, unchosen, `resolution-${differenceId}`, '请选择处理方式。')
})
