/**
 * The unified-fees pages through app.inject, as a browser without JavaScript uses them: the
 * public standards and quotes, the administrators' four-eyes approval, the cashier's window,
 * the payer's notices and receipts (verified offline with OpenSSL), the finance desk and the
 * simulated bank.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { createDepartment } from '../factories/departments.ts'
import { approvedFee, bankPayment, cashier, feeDesk, financeDesk, issueNotice, registerBank, signedBankRequest } from '../factories/fees.ts'
import { multipart, otherValidCode, pageHeaders, payAtWindow, sha256Hex } from '../factories/fees-pages.ts'
import { addCalendarDays } from '../../src/lib/working-days.ts'

const uuidIn = (location: string | undefined) => /([0-9a-f-]{36})/.exec(location ?? '')?.[1] ?? ''

t.test('every UI string exists in both catalogues', async (t) => {
  const { catalogueKeys } = await import('../../src/web/i18n.ts')
  const zh = new Set(catalogueKeys('zh-CN'))
  const en = new Set(catalogueKeys('en'))
  t.same([...zh].filter((key) => !en.has(key)), [], 'no key only in Chinese')
  t.same([...en].filter((key) => !zh.has(key)), [], 'no key only in English')
})

t.test('the public fee standards: amounts, bases, another day, and a quote without JavaScript', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fixed = await approvedFee(app, desk, { code: 'BDC-01', version: { name: '不动产登记费（住宅）', amountFen: 8000 } })
  await approvedFee(app, desk, { code: 'CH-02', version: { name: '房产测绘费', basis: 'per_unit', amountFen: undefined, unitPriceFen: 250, unitName: '平方米', quantityScale: 2 } })
  await approvedFee(app, desk, {
    code: 'JY-03',
    version: {
      name: '土地交易服务费',
      basis: 'formula',
      amountFen: undefined,
      formula: 'max(progressive(price, 1000000, 0.01, 0.005), 500)',
      parameters: [{ name: 'price', label: '成交价', unit: '元', scale: 2 }]
    }
  })
  await approvedFee(app, desk, { code: 'BZJ-04', category: 'deposit', version: { name: '投标保证金', amountFen: 500000, refundWorkingDays: 5 } })
  await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: 'DRAFT-05', category: 'non_tax', version: { name: '未批准的收费', basis: 'fixed', amountFen: 100, legalBasis: 'x', standardDocument: 'y', receivingAccount: 'z', validFrom: app.calendar.today() } } })

  const page = await app.inject({ method: 'GET', url: '/fees' })
  t.equal(page.statusCode, 200)
  t.match(page.body, /收费标准公示/)
  t.match(page.body, /今日执行的收费标准（4 项）/)
  t.match(page.body, /不动产登记费（住宅）[\s\S]*¥80\.00/)
  t.match(page.body, /¥2\.50 \/ 平方米<\/span>\s*<br><small data-quantity-scale="2">数量最多 2 位小数</, 'a per-unit fee says how many decimals its quantity may have')
  t.match(page.body, /<p class="fee-words">按成交价差额定率累进计收：/, 'a formula standard reads as a sentence')
  t.match(page.body, /<td>100万元以下（含）的部分<\/td><td class="number">1%<\/td>/, 'and a table of its brackets')
  t.match(page.body, /<td>超过100万元的部分<\/td><td class="number">0\.5%<\/td>/)
  t.match(page.body, /计得不足500元的，按500元收取。 计算结果四舍五入到分。/)
  t.match(page.body, /<details><summary>计算公式<\/summary><code>max\(progressive\(price, 1000000, 0\.01, 0\.005\), 500\)<\/code>/, 'the formula itself stays one click away')
  t.match(page.body, /5 个工作日内退还/)
  t.match(page.body, /《不动产登记暂行条例》[\s\S]*发改价格规〔2016〕2559号/, 'legal basis and standard document are public')
  t.notMatch(page.body, /未批准的收费/, 'a version awaiting approval is not public')
  t.match(page.body, /href="\/fees"[^>]*aria-current="page"/, 'the navigation marks the page')

  const english = await app.inject({ method: 'GET', url: '/fees', headers: { 'accept-language': 'en' } })
  t.match(english.body, /Standards in force today \(4\)/)
  t.match(english.body, /¥2\.50 per 平方米/)
  t.match(english.body, /quantity: at most 2 decimal place\(s\)/)
  t.match(english.body, /<td>up to 1,000,000 yuan<\/td><td class="number">1%<\/td>/)
  t.match(english.body, /A result below 500 yuan is charged 500 yuan\./)

  const past = await app.inject({ method: 'GET', url: '/fees?on=2020-01-01' })
  t.match(past.body, /2020-01-01 执行的收费标准（0 项）/)
  t.match(past.body, /该日没有执行中的收费标准/)
  const nonsense = await app.inject({ method: 'GET', url: '/fees?on=yesterday' })
  t.match(nonsense.body, /日期格式不正确/)

  // a new version approved today for a later day shows only from that day
  const later = addCalendarDays(app.calendar.today(), 10)
  const proposed = await app.inject({ method: 'POST', url: `/api/fee-items/${fixed.id}/versions`, headers: desk.proposer.headers, payload: { name: '不动产登记费（住宅）', basis: 'fixed', amountFen: 9000, legalBasis: '《不动产登记暂行条例》', standardDocument: '新文件', receivingAccount: '账户', validFrom: later } })
  const versionId = proposed.json().versions.find((version: { version: number }) => version.version === 2).id
  await app.inject({ method: 'POST', url: `/api/fee-versions/${versionId}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })
  t.match((await app.inject({ method: 'GET', url: '/fees' })).body, /¥80\.00/)
  const future = await app.inject({ method: 'GET', url: `/fees?on=${later}` })
  t.match(future.body, /¥90\.00/, 'the date picker shows the standard in force on that day')
  t.notMatch(future.body, /¥80\.00/)

  const chosen = await app.inject({ method: 'GET', url: '/fees?code=CH-02' })
  t.match(chosen.body, /name="quantity"[^>]*aria-describedby="quote-quantity-hint"/, 'choosing a per-unit fee asks for the quantity')
  t.match(chosen.body, /<small id="quote-quantity-hint">数量最多 2 位小数<\/small>/, 'the quote form says how precise the quantity may be')
  const quoted = await app.inject({ method: 'GET', url: '/fees?code=CH-02&quantity=120.5&calculate=1' })
  t.equal(quoted.statusCode, 200)
  t.match(quoted.body, /data-quote-total>¥301\.25</)
  const formula = await app.inject({ method: 'GET', url: '/fees?code=JY-03&param_price=2000000&calculate=1' })
  t.match(formula.body, /data-quote-total>¥15,000\.00</, '1% of the first million and 0.5% above it')
  const fixedQuote = await app.inject({ method: 'GET', url: '/fees?code=BDC-01&calculate=1' })
  t.match(fixedQuote.body, /data-quote-total>¥80\.00</)
  const refused = await app.inject({ method: 'GET', url: '/fees?code=CH-02&quantity=1.234&calculate=1' })
  t.equal(refused.statusCode, 422)
  t.match(refused.body, /数量须为正数，最多 2 位小数/)
  t.match(refused.body, /value="1\.234"/, 'what was typed is kept')
  const unknown = await app.inject({ method: 'GET', url: '/fees?code=NOPE&calculate=1' })
  t.equal(unknown.statusCode, 422)
  t.match(unknown.body, /NOPE 在 .* 没有执行中的标准/)
})

t.test('fee items: created through the form, the proposer cannot approve, another administrator can', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const proposer = pageHeaders(app, desk.proposer)
  const approver = pageHeaders(app, desk.approver)
  const today = app.calendar.today()
  const form = {
    code: 'jy-01',
    category: 'non_tax',
    departmentId: '',
    name: '土地交易服务费',
    basis: 'formula',
    amount: '999',
    unitPrice: '',
    unitName: '',
    quantityScale: '0',
    formula: 'max(price * 0.01, 500)',
    parameters: 'price | 成交价 | 元 | 2\nbad line without bars',
    legalBasis: '《县公共资源交易服务收费管理办法》',
    standardDocument: '县发改〔2026〕1号',
    receivingAccount: '示范县财政局非税收入汇缴结算户',
    refundWorkingDays: '',
    validFrom: today,
    validTo: ''
  }
  const badLine = await app.inject({ method: 'POST', url: '/admin/fees', headers: proposer, payload: form })
  t.equal(badLine.statusCode, 400)
  t.match(badLine.body, /第 2 行参数格式不正确/)
  t.match(badLine.body, /<details open>/, 'the form stays open with what was typed')
  t.match(badLine.body, /bad line without bars/)

  const created = await app.inject({ method: 'POST', url: '/admin/fees', headers: proposer, payload: { ...form, parameters: 'price | 成交价 | 元 | 2' } })
  t.equal(created.statusCode, 302, created.body)
  const itemUrl = created.headers.location!.split('?')[0]!
  const itemPage = await app.inject({ method: 'GET', url: created.headers.location!, headers: proposer })
  t.match(itemPage.body, /已提交，等待另一名管理员审批/)
  t.match(itemPage.body, /<code>JY-01<\/code>/, 'the code is upper-cased')
  t.match(itemPage.body, /data-status="proposed"/)
  t.match(itemPage.body, /data-self-proposal>您是此版本的提议人，不能审批自己提议的版本/, 'the proposer is told why there is no approve button')
  t.notMatch(itemPage.body, /value="approve"/)
  t.notMatch(itemPage.body, /name="amount"[^>]*value="999"/, 'the unused fixed amount was not kept as the standard')

  const versionId = /action="\/admin\/fee-versions\/([0-9a-f-]{36})\/decision"/.exec((await app.inject({ method: 'GET', url: itemUrl, headers: approver })).body)?.[1]
  t.ok(versionId, 'the other administrator gets the decision form')
  const self = await app.inject({ method: 'POST', url: `/admin/fee-versions/${versionId}/decision`, headers: proposer, payload: { decision: 'approve', note: '', feeItemId: uuidIn(itemUrl) } })
  t.equal(self.statusCode, 409)
  t.match(self.body, /不能审批自己提议的版本，须由另一名管理员审批/)

  const list = await app.inject({ method: 'GET', url: '/admin/fees', headers: approver })
  t.match(list.body, /待审批的版本（1）/)
  t.match(list.body, /value="approve"/)
  const approved = await app.inject({ method: 'POST', url: `/admin/fee-versions/${versionId}/decision`, headers: approver, payload: { decision: 'approve', note: '同意', confirm: '1' } })
  t.equal(approved.statusCode, 302)
  const after = await app.inject({ method: 'GET', url: approved.headers.location!, headers: approver })
  t.match(after.body, /已批准，将按生效日期执行/)
  t.match(after.body, /data-status="approved"/)
  t.match(after.body, /现行/)
  t.match((await app.inject({ method: 'GET', url: '/fees' })).body, /土地交易服务费/, 'the approved standard is public at once')

  // the next version: the form holds the current one; a bad amount is refused with a message
  t.match(after.body, /name="formula"[^>]*>max\(price \* 0\.01, 500\)</)
  const next = { ...form, basis: 'fixed', amount: '12.345', parameters: '' }
  delete (next as Partial<typeof next>).code
  delete (next as Partial<typeof next>).category
  delete (next as Partial<typeof next>).departmentId
  const badAmount = await app.inject({ method: 'POST', url: `${itemUrl}/versions`, headers: proposer, payload: next })
  t.equal(badAmount.statusCode, 400)
  t.match(badAmount.body, /金额须为以元为单位、最多两位小数的正数/)
  const proposedNext = await app.inject({ method: 'POST', url: `${itemUrl}/versions`, headers: proposer, payload: { ...next, amount: '600' } })
  t.equal(proposedNext.statusCode, 302)
  const pending = await app.inject({ method: 'GET', url: itemUrl, headers: proposer })
  t.match(pending.body, /已有待审批的版本，审批后才能再提议新版本/)
  const rejected = await app.inject({ method: 'POST', url: `/admin/fee-versions/${/action="\/admin\/fee-versions\/([0-9a-f-]{36})\/decision"/.exec((await app.inject({ method: 'GET', url: itemUrl, headers: approver })).body)![1]}/decision`, headers: approver, payload: { decision: 'reject', note: '依据不足', confirm: '1' } })
  t.match((await app.inject({ method: 'GET', url: rejected.headers.location!, headers: approver })).body, /已驳回[\s\S]*依据不足/)

  const department = await createDepartment(app, desk.proposer.id, '县自然资源局')
  const deptAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: department.id }] })
  const deptPage = await app.inject({ method: 'GET', url: '/admin/fees', headers: pageHeaders(app, deptAdmin) })
  t.equal(deptPage.statusCode, 200)
  t.notMatch(deptPage.body, /JY-01/, 'a department administrator sees only the items of the department')
  t.match(deptPage.body, /<option value="[0-9a-f-]{36}">县自然资源局<\/option>/)
  t.notMatch(deptPage.body, /大厅（不属于部门）<\/option>/)
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: '/admin/fees', headers: pageHeaders(app, applicant) })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/admin/fees' })).headers.location, '/login?next=%2Fadmin%2Ffees')
})

t.test('the cashier looks a code up, must re-enter the exact amount, and records the payment', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk, { version: { basis: 'per_unit', amountFen: undefined, unitPriceFen: 250, unitName: '平方米', quantityScale: 2 } })
  const bank = await registerBank(app, desk.proposer, 'icbc-hall')
  const teller = await cashier(app)
  const headers = pageHeaders(app, teller)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code, quantity: '120.5' }], payer: { name: '李四', idNumber: '110101199003070011' } })
  const spaced = notice.code.replace(/(\d{4})(?=\d)/g, '$1 ')

  const found = await app.inject({ method: 'GET', url: `/cashier?code=${encodeURIComponent(spaced)}`, headers })
  t.equal(found.statusCode, 200)
  t.match(found.body, /data-payer>李四</)
  t.match(found.body, /data-total>¥301\.25</, 'the total is shown large')
  t.match(found.body, new RegExp(spaced))
  t.match(found.body, /待缴款/)
  t.match(found.body, /缴款期限<\/dt><dd><time[^>]*>\d{4}年\d{1,2}月\d{1,2}日 24:00</, 'a deadline at the end of a day reads 24:00 of that day')
  t.match(found.body, /<option value="icbc-hall">/)

  const mistyped = await app.inject({ method: 'GET', url: `/cashier?code=${notice.code.slice(0, 19)}${(Number(notice.code[19]) + 1) % 10}`, headers })
  t.equal(mistyped.statusCode, 400)
  t.match(mistyped.body, /这不是有效的缴款码/)

  const payment = { code: spaced, amount: '301.00', bankCode: 'icbc-hall', bankTxnId: 'ICBC2026001', payerAccountNo: '6222 0202 0011 2233 445', payerAccountName: '李四' }
  const wrong = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: payment })
  t.equal(wrong.statusCode, 422)
  t.match(wrong.body, /实收金额与应缴金额不一致/)
  t.match(wrong.body, /value="301\.00"/, 'the form keeps what was typed')
  t.match(wrong.body, /data-total>¥301\.25</, 'the notice stays on screen')
  const notYuan = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: { ...payment, amount: '三百' } })
  t.equal(notYuan.statusCode, 400)
  t.match(notYuan.body, /金额须为以元为单位/)

  const paid = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: { ...payment, amount: '301.25' } })
  t.equal(paid.statusCode, 200, paid.body)
  const receiptNumber = /data-receipt-number>(\d+)</.exec(paid.body)?.[1]
  t.ok(receiptNumber, 'the receipt number is shown')
  t.match(paid.body, new RegExp(`href="/api/receipts/${receiptNumber}/pdf"`), 'with a link to the receipt PDF')
  t.match(paid.body, /今日窗口收款：1 笔，合计 ¥301\.25/)
  t.match(paid.body, new RegExp(`<td class="nowrap"><code>${spaced}</code></td><td>李四</td><td class="num">¥301\\.25</td>[\\s\\S]*?<a href="/receipts/${receiptNumber}">`), 'today\'s list shows the window payment')

  // the same form sent twice (same bank transaction) takes nothing more
  const resent = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: { ...payment, amount: '301.25' } })
  t.equal(resent.statusCode, 200, resent.body)
  t.match(resent.body, /data-payment-replay>这笔银行交易此前已经记录过/)
  t.match(resent.body, new RegExp(`data-receipt-number>${receiptNumber}<`), 'the same receipt')
  t.match(resent.body, /今日窗口收款：1 笔，合计 ¥301\.25/)

  // only the window's payments of today: not one paid online, not one taken at the window yesterday
  const online = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code, quantity: '2' }] })
  t.equal((await app.inject(signedBankRequest(bank, 'POST', `/api/bank/${bank.code}/payments`, bankPayment(online)))).statusCode, 201)
  const yesterday = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code, quantity: '4' }] })
  // issued two days ago, so that a payment yesterday is one the notice could take
  await app.db.$client`update payment_notices set issued_at = now() - interval '2 days' where id = ${yesterday.id}`
  const clockNow = app.clock.now
  app.clock.now = () => new Date(Date.now() - 86_400_000)
  try {
    await payAtWindow(app, teller, bank, yesterday)
  } finally {
    app.clock.now = clockNow
  }
  const listed = await app.inject({ method: 'GET', url: '/cashier', headers })
  t.match(listed.body, /今日窗口收款：1 笔，合计 ¥301\.25/)
  t.match(listed.body, new RegExp(`href="/receipts/${receiptNumber}"`))
  t.notMatch(listed.body, new RegExp(online.code.replace(/(\d{4})(?=\d)/g, '$1 ')), 'a payment through online banking is not the window\'s')
  t.notMatch(listed.body, new RegExp(yesterday.code.replace(/(\d{4})(?=\d)/g, '$1 ')), 'nor one taken yesterday')
  const pdf = await app.inject({ method: 'GET', url: `/api/receipts/${receiptNumber}/pdf`, headers })
  t.equal(pdf.headers['content-type'], 'application/pdf')

  const again = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: { ...payment, amount: '301.25', bankTxnId: 'ICBC2026002' } })
  t.equal(again.statusCode, 409)
  t.match(again.body, /该缴款通知书已经缴过款，请勿重复收款/)
  t.match(again.body, /已缴款/)

  const late = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code, quantity: '1' }], dueAt: new Date(Date.now() + 60_000).toISOString() })
  const realNow = app.clock.now
  app.clock.now = () => new Date(Date.now() + 10 * 60_000)
  t.teardown(() => { app.clock.now = realNow })
  const expiredLookup = await app.inject({ method: 'GET', url: `/cashier?code=${late.code}`, headers })
  t.match(expiredLookup.body, /已过缴款期限/)
  t.notMatch(expiredLookup.body, /action="\/cashier\/payments"/, 'no payment form for a notice past its due time')
  const expired = await app.inject({ method: 'POST', url: '/cashier/payments', headers, payload: { ...payment, code: late.code, amount: '2.50', bankTxnId: 'ICBC2026003' } })
  t.equal(expired.statusCode, 409)
  t.match(expired.body, /已超过缴款期限，不能再缴款/)

  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: '/cashier', headers: pageHeaders(app, applicant) })).statusCode, 403)
})

t.test('the payer sees notices and receipts; the signed receipt verifies offline with OpenSSL and online by its QR code', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, bank, teller } = await financeDesk(app)
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const payer = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const headers = pageHeaders(app, payer)
  const open = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], payer: { accountId: payer.id, name: '王五', idNumber: '110101199003070011' } })
  const toPay = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], payer: { accountId: payer.id, name: '王五' } })
  const paid = await payAtWindow(app, teller, bank, toPay)
  const number = paid.payment!.receiptNumber

  const mine = await app.inject({ method: 'GET', url: '/account/payments', headers })
  t.equal(mine.statusCode, 200)
  t.match(mine.body, new RegExp(`href="/payments/${open.id}"`))
  t.match(mine.body, new RegExp(`href="/api/payment-notices/${open.id}/pdf"`), 'each notice links its PDF')
  t.match(mine.body, new RegExp(`href="/receipts/${number}"`), 'a paid notice links its receipt')
  t.match(mine.body, new RegExp(`href="/pay/${open.code}"`), 'an open notice links how to pay')

  const detail = await app.inject({ method: 'GET', url: `/payments/${paid.id}`, headers })
  t.match(detail.body, /data-status="paid"/)
  t.match(detail.body, /银行窗口/)
  t.match(detail.body, /¥80\.00/)
  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: `/payments/${paid.id}`, headers: pageHeaders(app, stranger) })).statusCode, 404, 'another payer\'s notice does not exist for them')
  t.equal((await app.inject({ method: 'GET', url: `/receipts/${number}`, headers: pageHeaders(app, stranger) })).statusCode, 404)

  const receipt = await app.inject({ method: 'GET', url: `/receipts/${number}`, headers })
  t.equal(receipt.statusCode, 200)
  t.match(receipt.body, /电子缴款收据/)
  t.match(receipt.body, /data-receipt-total>¥80\.00</)
  const command = /<pre data-openssl><code>([\s\S]*?)<\/code><\/pre>/.exec(receipt.body)?.[1] ?? ''
  const rootUrl = /^curl -o openhall-root\.pem (http\S+)$/m.exec(command)?.[1] ?? ''
  t.match(rootUrl, /^http:\/\/[^/]+\/api\/pki\/ca\/root\.pem$/, 'the command fetches the root from the PKI API, under the hall\'s public address')
  t.match(command, new RegExp(`^openssl cms -verify -binary -inform DER -in receipt-${number}\\.p7s -content receipt-${number}\\.json -CAfile openhall-root\\.pem -purpose any$`, 'm'))
  t.match(receipt.body, /<a href="\/api\/pki\/ca\/root\.pem" download="openhall-root\.pem" data-download="root">平台根证书 openhall-root\.pem<\/a>/)

  const json = await app.inject({ method: 'GET', url: `/receipts/${number}/json`, headers })
  t.match(json.headers['content-disposition'], new RegExp(`receipt-${number}\\.json`))
  const p7s = await app.inject({ method: 'GET', url: `/receipts/${number}/p7s`, headers })
  t.match(p7s.headers['content-disposition'], new RegExp(`receipt-${number}\\.p7s`))
  t.equal(p7s.rawPayload[0], 0x30, 'the signature is DER')
  const root = await app.inject({ method: 'GET', url: new URL(rootUrl).pathname })
  t.equal(root.statusCode, 200)
  t.match(root.headers['content-type'], /^application\/x-pem-file/)
  t.match(root.body, /^-----BEGIN CERTIFICATE-----/, 'the URL in the command answers a PEM')
  t.not((await app.inject({ method: 'GET', url: '/receipts/platform-root.pem' })).statusCode, 200, 'the page layer no longer serves a copy of its own')
  const certificates = await app.inject({ method: 'GET', url: '/account/certificates', headers })
  t.match(certificates.body, /<a href="\/api\/pki\/ca\/root\.pem" download="openhall-root\.pem"/, 'the certificates page downloads the root as PEM, not the JSON of /api/pki/ca')

  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-receipt-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(path.join(dir, `receipt-${number}.json`), json.rawPayload)
  await writeFile(path.join(dir, `receipt-${number}.p7s`), p7s.rawPayload)
  await writeFile(path.join(dir, 'openhall-root.pem'), root.body)
  const verify = (file: string) => spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', `receipt-${number}.p7s`, '-content', file, '-CAfile', 'openhall-root.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: dir })
  const verified = verify(`receipt-${number}.json`)
  t.equal(verified.status, 0, verified.stderr.toString())
  t.match(verified.stderr.toString(), /Verification successful/, 'the command on the page works')
  await writeFile(path.join(dir, 'tampered.json'), json.body.replace('8000', '800'))
  t.not(verify('tampered.json').status, 0, 'a changed receipt fails')

  const upload = (document: string) => multipart({}, {
    document: { name: `receipt-${number}.json`, type: 'application/json', content: document },
    signature: { name: `receipt-${number}.p7s`, type: 'application/pkcs7-signature', content: p7s.rawPayload }
  })
  const checked = await app.inject({ method: 'POST', url: '/receipts/verify', ...upload(json.body) })
  t.equal(checked.statusCode, 200)
  t.match(checked.body, /data-verify-result="valid"/, 'anyone can check a receipt online, without signing in')
  const forged = await app.inject({ method: 'POST', url: '/receipts/verify', ...upload(json.body.replace('8000', '800')) })
  t.match(forged.body, /data-verify-result="invalid"/)

  // the printed receipt: its QR code opens /receipts/verify?number=…&sha256=… for anyone
  const sha256 = sha256Hex(json.rawPayload)
  t.match(receipt.body, new RegExp(`data-receipt-sha256>${sha256}<`), 'the receipt page shows the digest printed on the PDF')
  t.match(receipt.body, new RegExp(`href="/receipts/verify\\?number=${number}&amp;sha256=${sha256}"`))
  const genuine = await app.inject({ method: 'GET', url: `/receipts/verify?number=${number}&sha256=${sha256}` })
  t.equal(genuine.statusCode, 200)
  t.match(genuine.body, /<div role="status" class="notice ok verify-check" data-check-result="genuine">/, 'a green status box')
  t.match(genuine.body, /真实收据：这张收据由本大厅开具，内容未被改动/)
  t.match(genuine.body, new RegExp(`data-check-number>${number}<`))
  t.match(genuine.body, /data-check-total>¥80\.00</)
  t.match(genuine.body, new RegExp(toPay.code.replace(/(\d{4})(?=\d)/g, '$1 ')), 'with the notice\'s code')
  t.notMatch(genuine.body, /王五/, 'but not who paid')
  t.match(genuine.body, new RegExp(`name="sha256"[^>]*value="${sha256}"`), 'the form shows what was checked')
  t.match(genuine.body, /action="\/receipts\/verify" enctype="multipart\/form-data"/, 'the upload form is still there')
  const upper = await app.inject({ method: 'GET', url: `/receipts/verify?number=${number}&sha256=${sha256.toUpperCase()}` })
  t.match(upper.body, /data-check-result="genuine"/, 'a digest typed in capitals is the same digest')

  const altered = await app.inject({ method: 'GET', url: `/receipts/verify?number=${number}&sha256=${sha256Hex(json.body.replace('8000', '800'))}` })
  t.equal(altered.statusCode, 200)
  t.match(altered.body, /<div role="alert" class="error verify-check" data-check-result="not-genuine">/, 'a red alert box')
  t.match(altered.body, /不是本大厅开具的收据，或收据内容已被改动/)
  t.notMatch(altered.body, /data-check-total|¥80\.00/, 'an altered receipt learns nothing of the real one')
  const unknown = await app.inject({ method: 'GET', url: `/receipts/verify?number=${'9'.repeat(18)}&sha256=${sha256}` })
  t.match(unknown.body, /data-check-result="not-genuine"/)
  const typo = await app.inject({ method: 'GET', url: `/receipts/verify?number=${number}&sha256=${sha256.slice(1)}` })
  t.equal(typo.statusCode, 400)
  t.match(typo.body, /<p id="verify-sha256-error" class="error field-error">请输入收据上印的 64 位 SHA-256 内容摘要/, 'beside the digest typed wrong (test/web/form-errors-fees.test.ts)')
  t.notMatch(typo.body, /data-check-result/)
  const english = await app.inject({ method: 'GET', url: `/receipts/verify?number=${number}&sha256=${sha256}`, headers: { 'accept-language': 'en' } })
  t.match(english.body, /Genuine: this hall issued this receipt and it is unchanged/)
})

t.test('the QR code page: what is due, to anyone, as a bank shows it; never who owes it', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const payer = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const dueAt = new Date(Date.UTC(2099, 5, 30, 16)).toISOString() // 1 July 2099 00:00 in Shanghai: the end of 30 June
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], dueAt, payer: { accountId: payer.id, name: '赵六', idNumber: '110101199003070011' } })
  const spaced = notice.code.replace(/(\d{4})(?=\d)/g, '$1 ')

  const anonymous = await app.inject({ method: 'GET', url: `/pay/${notice.code}` })
  t.equal(anonymous.statusCode, 200)
  t.match(anonymous.body, new RegExp(`data-payment-code>${spaced}<`))
  t.match(anonymous.body, /data-total>¥80\.00</, 'the amount, for anyone holding the code')
  t.match(anonymous.body, /<time datetime="2099-06-30T16:00:00\.000Z" data-due>2099年6月30日 24:00</, 'the due time')
  t.match(anonymous.body, /data-status="issued">待缴款</)
  t.match(anonymous.body, /行政事业性收费/, 'what it is for')
  t.match(anonymous.body, /大厅银行窗口/)
  t.match(anonymous.body, new RegExp(`href="/simulated-bank\\?code=${notice.code}"`), 'the simulated bank is offered, prefilled')
  t.notMatch(anonymous.body, /赵六|110101199003070011/, 'no payer name or id number')
  t.notMatch(anonymous.body, /href="\/payments\//, 'no link to the notice itself')
  const spacedUrl = await app.inject({ method: 'GET', url: `/pay/${encodeURIComponent(spaced)}` })
  t.match(spacedUrl.body, /data-total>¥80\.00</, 'a code typed with spaces is the same code')

  const signedIn = await app.inject({ method: 'GET', url: `/pay/${notice.code}`, headers: pageHeaders(app, payer) })
  t.match(signedIn.body, /data-total>¥80\.00</)
  t.match(signedIn.body, new RegExp(`href="/payments/${notice.id}"`), 'the payer may open the notice')
  t.notMatch(signedIn.body, /赵六|110101199003070011/)
  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const other = await app.inject({ method: 'GET', url: `/pay/${notice.code}`, headers: pageHeaders(app, stranger) })
  t.match(other.body, /data-total>¥80\.00</)
  t.notMatch(other.body, /href="\/payments\//, 'someone else sees what is due but gets no link to the notice')

  const english = await app.inject({ method: 'GET', url: `/pay/${notice.code}`, headers: { 'accept-language': 'en' } })
  t.match(english.body, /data-due>30 Jun 2099 24:00</)
  t.match(english.body, /does not show the payer/)

  const wrong = await app.inject({ method: 'GET', url: `/pay/${notice.code.slice(0, 19)}${(Number(notice.code[19]) + 1) % 10}` })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /<div role="alert" class="error" data-error>\s*<p>这不是有效的缴款码/)
  t.notMatch(wrong.body, /data-total|simulated-bank\?code/)
  const unknown = await app.inject({ method: 'GET', url: `/pay/${otherValidCode(notice.code)}` })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.body, /没有使用该缴款码的缴款通知书/)
  t.notMatch(unknown.body, /data-total|simulated-bank\?code/)

  // once paid, nothing more is due: no ways to pay
  const paid = await app.inject({ method: 'POST', url: '/simulated-bank/payments', payload: { paymentCode: notice.code, payerAccountNo: '6222 0000 1111', payerAccountName: '赵六', delivery: 'normal' } })
  t.equal(paid.statusCode, 200, paid.body)
  const after = await app.inject({ method: 'GET', url: `/pay/${notice.code}` })
  t.match(after.body, /data-status="paid">已缴款</)
  t.match(after.body, /data-pay-state="paid"><strong>该缴款通知书已缴款，无需再缴/)
  t.notMatch(after.body, /simulated-bank\?code|大厅银行窗口/)

  // past its due time, it says so
  const late = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }], dueAt: new Date(Date.now() + 60_000).toISOString() })
  const realNow = app.clock.now
  app.clock.now = () => new Date(Date.now() + 10 * 60_000)
  t.teardown(() => { app.clock.now = realNow })
  const overdue = await app.inject({ method: 'GET', url: `/pay/${late.code}` })
  t.match(overdue.body, /已过缴款期限/)
  t.match(overdue.body, /data-pay-state="past-due">已超过缴款期限，不能再缴款/)
  t.notMatch(overdue.body, /simulated-bank\?code/)
  app.clock.now = realNow

  const cancelled = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  t.equal((await app.inject({ method: 'POST', url: `/api/payment-notices/${cancelled.id}/cancel`, headers: desk.proposer.headers, payload: { reason: '重复开具' } })).statusCode, 200)
  t.match((await app.inject({ method: 'GET', url: `/pay/${cancelled.code}` })).body, /data-pay-state="closed">该缴款通知书已撤销，不能缴款/)
})

t.test('the simulated bank page exists only when enabled; a repeated notification is recorded once', async (t) => {
  const disabled = await buildTestApp(t)
  t.equal((await disabled.app.inject({ method: 'GET', url: '/simulated-bank' })).statusCode, 404)
  t.notMatch((await disabled.app.inject({ method: 'GET', url: '/pay/00000026123456789012' })).body, /simulated-bank/)

  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const page = await app.inject({ method: 'GET', url: `/simulated-bank?code=${notice.code}` })
  t.equal(page.statusCode, 200)
  t.match(page.body, new RegExp(`name="paymentCode"[^>]*value="${notice.code}"`))
  t.notMatch(page.body, /id="transfer"/, 'transfers are for the finance desk only')

  const paid = await app.inject({ method: 'POST', url: '/simulated-bank/payments', payload: { paymentCode: notice.code, payerAccountNo: '6222 0000 1111', payerAccountName: '张三', delivery: 'repeated' } })
  t.equal(paid.statusCode, 200, paid.body)
  t.match(paid.body, /缴款成功，扣款 ¥80\.00/)
  t.equal((paid.body.match(/已记录，收据已开具/g) ?? []).length, 1)
  t.equal((paid.body.match(/已记录过（重复通知）/g) ?? []).length, 2)
  const twice = await app.inject({ method: 'POST', url: '/simulated-bank/payments', payload: { paymentCode: notice.code, payerAccountNo: '6222 0000 1111', payerAccountName: '张三', delivery: 'normal' } })
  t.equal(twice.statusCode, 409)
  t.match(twice.body, /银行拒绝了这笔缴款/)

  const teller = await cashier(app)
  const finance = await app.inject({ method: 'GET', url: '/simulated-bank', headers: pageHeaders(app, teller) })
  t.match(finance.body, /id="transfer"/)
  const sent = await app.inject({ method: 'POST', url: '/simulated-bank/transfers', headers: pageHeaders(app, teller), payload: { toAccountNo: '6222 0000 1111', toAccountName: '张三', amount: '80', memo: '退款' } })
  t.match(sent.body, /已向 张三 转账 ¥80\.00，银行流水号：[\s\S]*<code>SIM\d{8}[0-9A-F]{10}<\/code>/)
  const statement = await app.inject({ method: 'GET', url: `/simulated-bank/statement?date=${app.calendar.today()}`, headers: pageHeaders(app, teller) })
  t.equal(statement.headers.location, `/api/simulated-bank/statements/${app.calendar.today()}`)
})

t.test('the finance desk: statement import and differences, chart and books, remittances, refunds by deadline', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const deposit = await approvedFee(app, desk, { code: 'BZJ-01', category: 'deposit', version: { name: '投标保证金', amountFen: 500000, refundWorkingDays: 5 } })
  const teller = await cashier(app)
  const headers = pageHeaders(app, teller)
  const today = app.calendar.today()
  const simbank = { code: 'simbank' }

  const atWindow = await payAtWindow(app, teller, simbank, await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] }))
  const lost = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  const normal = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  for (const [notice, delivery] of [[lost, 'lost'], [normal, 'normal']] as const) {
    const response = await app.inject({ method: 'POST', url: '/simulated-bank/payments', payload: { paymentCode: notice.code, payerAccountNo: '6222 0000 2222', payerAccountName: '钱七', delivery } })
    t.equal(response.statusCode, 200, response.body)
  }
  const csv = (await app.inject({ method: 'GET', url: `/api/simulated-bank/statements/${today}`, headers: teller.headers })).body
  t.equal(csv.trim().split('\n').length, 3, 'the bank lists the two online payments (the window payment was recorded under another transaction id)')

  const page = await app.inject({ method: 'GET', url: '/finance/statements', headers })
  t.match(page.body, /enctype="multipart\/form-data"/, 'the upload form works without JavaScript')
  t.match(page.body, /<progress id="statement-progress"/)
  const bad = multipart({ bankCode: 'simbank', date: today }, { statement: { name: 'bad.csv', type: 'text/csv', content: csv.replace(/,C,80\.00,/, ',C,eighty,') } })
  const malformed = await app.inject({ method: 'POST', url: '/finance/statements', headers: { ...headers, ...bad.headers }, payload: bad.payload })
  t.equal(malformed.statusCode, 422)
  t.match(malformed.body, /对账单有格式错误的行，未导入任何内容/)
  t.match(malformed.body, /<strong>第 2 行<\/strong>：金额应为以元为单位的正数，最多两位小数。/, 'the refused line is named, in words')
  t.match((await app.inject({ method: 'GET', url: '/finance/statements', headers })).body, /尚未导入对账单/, 'nothing was kept')

  const upload = multipart({ bankCode: 'simbank', date: today }, { statement: { name: `simbank-${today}.csv`, type: 'text/csv', content: csv } })
  const imported = await app.inject({ method: 'POST', url: '/finance/statements', headers: { ...headers, ...upload.headers }, payload: upload.payload })
  t.equal(imported.statusCode, 302, imported.body)
  t.match(imported.headers.location, /^\/finance\/statements\/[0-9a-f-]{36}\?done=imported$/)
  const statementUrl = imported.headers.location!.split('?')[0]!
  const statement = await app.inject({ method: 'GET', url: imported.headers.location!, headers })
  t.match(statement.body, /对账单已导入并完成比对/)
  t.match(statement.body, /data-open-differences="2"/)
  t.match(statement.body, /本大厅无记录 · 收入/)
  t.match(statement.body, /银行未记录 · 收入/)
  t.match(statement.body, new RegExp(atWindow.payment!.bankTxnId))
  const again = await app.inject({ method: 'POST', url: '/finance/statements', headers: { ...headers, ...upload.headers }, payload: upload.payload })
  t.equal(again.statusCode, 409)
  t.match(again.body, /这一天的对账单已经导入过/)

  const rows = [...statement.body.matchAll(/<tr data-difference="([0-9a-f-]{36})" data-status="open">([\s\S]*?)<\/tr>/g)]
  const unexpected = rows.find((row) => row[2]!.includes('本大厅无记录'))!
  const missing = rows.find((row) => row[2]!.includes('银行未记录'))!
  t.match(unexpected[2], /value="record_payment"[\s\S]*value="suspense"[\s\S]*value="acknowledge"/, 'only the allowed resolutions are offered')
  t.notMatch(missing[2], /value="record_payment"/)
  const notAllowed = await app.inject({ method: 'POST', url: `/finance/differences/${missing[1]}/resolution`, headers, payload: { statementId: uuidIn(statementUrl), resolution: 'record_payment', note: '试一下' } })
  t.equal(notAllowed.statusCode, 422)
  t.match(notAllowed.body, /这类差异不能用所选方式处理/)
  const recorded = await app.inject({ method: 'POST', url: `/finance/differences/${unexpected[1]}/resolution`, headers, payload: { statementId: uuidIn(statementUrl), resolution: 'record_payment', note: '银行通知丢失，按对账单补记' } })
  t.equal(recorded.statusCode, 302)
  const resolved = await app.inject({ method: 'GET', url: recorded.headers.location!, headers })
  t.match(resolved.body, /差异已处理/)
  t.match(resolved.body, /补记缴款<\/span>\s*<br><small>银行通知丢失，按对账单补记/)
  t.match(resolved.body, /data-open-differences="1"/)
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${lost.id}`, headers: desk.proposer.headers })).json().status, 'paid', 'the lost payment is recorded')
  await app.inject({ method: 'POST', url: `/finance/differences/${missing[1]}/resolution`, headers, payload: { statementId: uuidIn(statementUrl), resolution: 'acknowledge', note: '窗口收款另行入账' } })
  t.match((await app.inject({ method: 'GET', url: '/finance/statements', headers })).body, /2 处均已处理/)

  const overview = await app.inject({ method: 'GET', url: '/finance', headers })
  t.equal(overview.statusCode, 200)
  t.equal((overview.body.match(/<rect /g) ?? []).length, 120, 'two charts of 30 days with two series each')
  t.match(overview.body, /<svg[^>]*role="img"[^>]*aria-labelledby="revenue-title revenue-desc"/)
  t.match(overview.body, new RegExp(`<title>${today} 收缴 ¥240\\.00</title>`), 'each bar tells its value')
  t.match(overview.body, new RegExp(`<th scope="row">${today}</th><td class="num">¥240\\.00</td>`), 'the same figures in a table')
  t.match(overview.body, /data-books="balanced"/)
  t.match(overview.body, /<tr data-account="bank_clearing">/)

  const remitted = await app.inject({ method: 'POST', url: '/finance/remittances', headers, payload: { throughDate: today } })
  t.match(remitted.body, /已生成 1 个汇缴批次/)
  t.match(remitted.body, /data-remittance-check="matches"/)
  const batch = /data-remittance="([0-9a-f-]{36})" data-status="created"/.exec(remitted.body)![1]
  const nothing = await app.inject({ method: 'POST', url: '/finance/remittances', headers, payload: { throughDate: today } })
  t.equal(nothing.statusCode, 409)
  t.match(nothing.body, /没有需要汇缴的款项/)
  const confirmed = await app.inject({ method: 'POST', url: `/finance/remittances/${batch}/confirmation`, headers, payload: { bankCode: 'simbank', bankTxnId: 'REMIT-001', confirm: '1' } })
  t.match(confirmed.body, /汇缴已确认/)
  t.match(confirmed.body, /data-status="confirmed"/)

  const payer = '6222 0202 0011 2233 445'
  const bond = await payAtWindow(app, teller, simbank, await issueNotice(app, desk.proposer, { purpose: 'bid_bond', lines: [{ code: deposit.code }] }), payer)
  const requested = await app.inject({ method: 'POST', url: '/api/refunds', headers: desk.proposer.headers, payload: { noticeId: bond.id, trigger: 'award_notice', triggeredAt: new Date().toISOString(), reason: '未中标，退还投标保证金' } })
  t.equal(requested.statusCode, 201, requested.body)
  const refunds = await app.inject({ method: 'GET', url: '/finance/refunds', headers })
  t.match(refunds.body, /data-alarm="green"/)
  t.match(refunds.body, /正常/)
  t.match(refunds.body, new RegExp(`name="toAccountNo"[^>]*value="${payer}"`), 'the original account is prefilled')
  t.match(refunds.body, /只能退回原缴款账户/)
  const realNow = app.clock.now
  app.clock.now = () => new Date(Date.parse(requested.json().dueAt) + 60_000)
  t.teardown(() => { app.clock.now = realNow })
  const overdue = await app.inject({ method: 'GET', url: '/finance/refunds', headers })
  t.match(overdue.body, /data-alarm="red"[\s\S]*已逾期（红牌）/, 'an overdue refund says so in words, not only in red')
  app.clock.now = realNow
  const refundId = requested.json().id
  const elsewhere = await app.inject({ method: 'POST', url: `/finance/refunds/${refundId}/payment`, headers, payload: { bankCode: 'simbank', bankTxnId: 'RF-001', toAccountNo: '6222 9999 0000' } })
  t.equal(elsewhere.statusCode, 422)
  t.match(elsewhere.body, /保证金只能退回原缴款账户，请核对退回账号/)
  t.match(elsewhere.body, /value="6222 9999 0000"/)
  const refunded = await app.inject({ method: 'POST', url: `/finance/refunds/${refundId}/payment`, headers, payload: { bankCode: 'simbank', bankTxnId: 'RF-001', toAccountNo: payer, confirm: '1' } })
  t.equal(refunded.statusCode, 200)
  t.match(refunded.body, /退款已登记/)
  t.match(refunded.body, /没有待退还的保证金/)
  t.match(refunded.body, /<code>RF-001<\/code>/)

  const watcher = await createUser(app, { grants: [{ role: 'supervisor', scopeType: 'hall' }] })
  const read = await app.inject({ method: 'GET', url: '/finance/statements', headers: pageHeaders(app, watcher) })
  t.equal(read.statusCode, 200)
  t.notMatch(read.body, /action="\/finance\/statements"/, 'a supervisor reads but does not import')
  t.equal((await app.inject({ method: 'POST', url: `/finance/refunds/${refundId}/payment`, headers: pageHeaders(app, watcher), payload: { bankCode: 'simbank', bankTxnId: 'X', toAccountNo: payer } })).statusCode, 403)
})
