/**
 * Unified fees in a real Chromium: an administrator proposes a fee and another approves it, the
 * public sees and quotes it, a notice is issued (API), the cashier takes the payment at the
 * window, the payer opens the receipt and checks it online, a second payer pays at the simulated bank whose
 * notification is lost, and the finance desk downloads the bank's statement, uploads it with the
 * progress bar, resolves the difference, and refunds a deposit. Screenshots of each main page go
 * to test/screenshots/fees-*.png.
 */
import type { Page } from 'playwright-core'
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { approvedFee, issueNotice } from '../factories/fees.ts'
import { payAtWindow, signInPage } from '../factories/fees-pages.ts'
import { launchChromium, screenshot } from '../support/browser.ts'

t.test('unified fees in a real browser', async (t) => {
  const { app } = await buildTestApp(t, { listen: true, env: { SIMULATED_BANK: 'true' } })
  const url = baseUrl(app)
  const alice = await createUser(app, { username: 'fee.alice', grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const bob = await createUser(app, { username: 'fee.bob', grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const teller = await createUser(app, { username: 'zhou.cashier', grants: [{ role: 'cashier', scopeType: 'hall' }] })
  const payer = await createUser(app, { username: 'wang.payer', grants: [{ role: 'applicant', scopeType: 'hall' }] })

  const browser = await launchChromium(t)
  const failures: string[] = []
  async function pageFor (username: string | null): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true })
    const page = await context.newPage()
    page.on('pageerror', (error) => failures.push(`${username}: ${error.message}`))
    page.on('requestfailed', (request) => {
      // a link that turns into a download ends its navigation on purpose
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') failures.push(`${request.url()} ${request.failure()?.errorText ?? ''}`)
    })
    if (username) await signInPage(page, url, username)
    return page
  }
  const shoot = screenshot

  // 1. an administrator proposes a fee item; the page says she cannot approve it herself
  const proposer = await pageFor('fee.alice')
  await proposer.goto(`${url}/admin/fees`)
  await proposer.getByRole('button', { name: '新建收费项目' }).click()
  await proposer.getByLabel('代码').fill('BDC-01')
  await proposer.getByLabel('项目名称').fill('不动产登记费（住宅）')
  t.ok(await proposer.locator('#new-unitPrice').isHidden(), 'only the fields of the chosen basis show')
  await proposer.getByLabel('金额（元）').fill('80')
  await proposer.getByLabel('收费依据').fill('《不动产登记暂行条例》')
  await proposer.getByLabel('标准文件').fill('发改价格规〔2016〕2559号')
  await proposer.getByLabel('收款账户').fill('示范县财政局非税收入汇缴结算户 6217000012345678')
  await proposer.getByRole('button', { name: '提交审批' }).click()
  await proposer.waitForURL(/\/admin\/fees\/[0-9a-f-]{36}\?done=proposed$/)
  t.match(await proposer.locator('[data-self-proposal]').innerText(), /不能审批自己提议的版本/)
  t.equal(await proposer.getByRole('button', { name: '批准' }).count(), 0, 'no approve button for the proposer')
  await shoot(proposer, 'fees-admin-proposed')

  // 2. another administrator approves it
  const approver = await pageFor('fee.bob')
  await approver.goto(`${url}/admin/fees`)
  t.match(await approver.getByRole('heading', { level: 2 }).first().innerText(), /待审批的版本（1）/)
  await approver.getByLabel('审批意见（驳回时请说明理由）').fill('标准与文件一致，同意')
  await shoot(approver, 'fees-admin-items')
  await approver.getByRole('button', { name: '批准' }).click()
  await approver.getByRole('button', { name: '确认批准' }).click()
  await approver.waitForURL(/done=approved$/)
  t.ok(await approver.locator('tr[data-status="approved"]').isVisible())
  await shoot(approver, 'fees-admin-approved')

  // 3. the public sees the standard and quotes it
  const visitor = await pageFor(null)
  await visitor.goto(`${url}/fees`)
  t.ok(await visitor.getByRole('cell', { name: '¥80.00' }).isVisible(), 'the approved standard is public')
  await visitor.getByLabel('收费项目', { exact: true }).selectOption('BDC-01')
  await visitor.getByRole('button', { name: '选择', exact: true }).click()
  await visitor.getByRole('button', { name: '计算金额' }).click()
  t.equal(await visitor.locator('[data-quote-total]').innerText(), '¥80.00')
  await shoot(visitor, 'fees-standards')

  // 4. a notice is issued (through the API, as a case would) and paid at the cashier's window
  const notice = await issueNotice(app, alice, { lines: [{ code: 'BDC-01' }, { code: 'BDC-01' }], payer: { accountId: payer.id, name: '王先生' } })
  const window = await pageFor('zhou.cashier')
  await window.goto(`${url}/cashier`)
  await window.getByLabel('缴款码').fill(notice.code.replace(/(\d{4})(?=\d)/g, '$1 '))
  await window.getByRole('button', { name: '查询' }).click()
  t.equal(await window.locator('[data-total]').innerText(), '¥160.00', 'the total is shown large')
  await shoot(window, 'fees-cashier-lookup')
  await window.getByLabel(/实收金额/).fill('80')
  await window.getByLabel('银行流水号').fill('SIMWIN0001')
  await window.getByLabel('付款账号').fill('6222 0202 0011 2233 445')
  await window.getByRole('button', { name: '确认收款并开具收据' }).click()
  t.match(await window.getByRole('alert').innerText(), /实收金额与应缴金额不一致/, 'a wrong amount is refused')
  await window.getByLabel(/实收金额/).fill('160.00')
  await window.getByRole('button', { name: '确认收款并开具收据' }).click()
  const receiptNumber = await window.locator('[data-receipt-number]').innerText()
  t.match(receiptNumber, /^\d{18}$/)
  await shoot(window, 'fees-cashier')

  // 5. the payer finds the receipt
  const payerPage = await pageFor('wang.payer')
  await payerPage.goto(`${url}/account/payments`)
  t.ok(await payerPage.getByRole('cell', { name: '¥160.00' }).isVisible())
  await shoot(payerPage, 'fees-my-payments')
  await payerPage.getByRole('link', { name: '电子缴款收据' }).click()
  await payerPage.waitForURL(`${url}/receipts/${receiptNumber}`)
  t.equal(await payerPage.locator('[data-receipt-total]').innerText(), '¥160.00')
  t.match(await payerPage.locator('[data-openssl]').innerText(), new RegExp(`openssl cms -verify .*receipt-${receiptNumber}\\.p7s`))
  const download = payerPage.waitForEvent('download')
  await payerPage.locator('[data-download="json"]').click()
  t.equal((await download).suggestedFilename(), `receipt-${receiptNumber}.json`)
  t.match(await payerPage.locator('[data-openssl]').innerText(), /^curl -o openhall-root\.pem http:\/\/\S+\/api\/pki\/ca\/root\.pem$/m)
  const rootDownload = payerPage.waitForEvent('download')
  await payerPage.locator('[data-download="root"]').click()
  t.equal((await rootDownload).suggestedFilename(), 'openhall-root.pem', 'the root downloads as the file the command names')
  await shoot(payerPage, 'fees-receipt')

  // ... and checks it online, as its QR code would
  await payerPage.locator('[data-check-online]').click()
  await payerPage.waitForURL(/\/receipts\/verify\?number=\d+&sha256=[0-9a-f]{64}$/)
  t.match(await payerPage.locator('[data-check-result="genuine"]').innerText(), /真实收据[\s\S]*¥160\.00/)
  await shoot(payerPage, 'fees-verify')

  // 6. another notice is paid online at the simulated bank, whose notification to the hall is lost
  const second = await issueNotice(app, alice, { lines: [{ code: 'BDC-01' }], payer: { name: '李女士' } })
  await visitor.goto(`${url}/pay/${second.code}`)
  t.equal(await visitor.locator('[data-total]').innerText(), '¥80.00', 'the QR page shows anyone what is due')
  t.equal(await visitor.getByText('李女士').count(), 0, 'but not who owes it')
  await shoot(visitor, 'fees-pay')
  await visitor.getByRole('button', { name: '用模拟银行缴款（演示）' }).click()
  t.equal(await visitor.getByLabel('缴款码').inputValue(), second.code, 'the code is prefilled from the QR page')
  await visitor.getByLabel('付款账号').fill('6217 0000 8888')
  await visitor.getByLabel('户名').fill('李女士')
  await visitor.getByLabel(/通知丢失/).check()
  await visitor.getByRole('button', { name: '确认缴款' }).click()
  t.match(await visitor.locator('[data-simbank-result="lost"]').innerText(), /银行没有通知大厅/)
  await shoot(visitor, 'fees-simulated-bank')

  // 7. the finance desk downloads the bank's statement and uploads it with a progress bar
  const finance = await pageFor('zhou.cashier')
  await finance.goto(`${url}/finance/statements`)
  const statementDownload = finance.waitForEvent('download')
  await finance.getByRole('button', { name: '下载' }).click()
  const statementFile = await (await statementDownload).path()
  t.ok(statementFile, 'the simulated bank statement downloads')
  if (!statementFile) return
  await finance.getByRole('combobox', { name: /^银行/ }).selectOption('simbank')
  await finance.getByLabel('对账单文件（CSV）').setInputFiles(statementFile)
  await finance.getByRole('button', { name: '上传并对账' }).click()
  await finance.locator('form[data-upload-state="done"]').waitFor({ timeout: 10_000 })
  t.equal(await finance.locator('#statement-progress').evaluate((bar) => (bar as HTMLProgressElement).value), 100, 'the progress bar reached 100%')
  t.match(await finance.locator('[data-upload-result]').innerText(), /导入完成：1 行，2 处差异（2 处待处理）/)
  await shoot(finance, 'fees-finance-upload')

  // 8. and resolves the difference: the lost payment is recorded from the statement line
  await finance.locator('[data-statement-link]').click()
  await finance.waitForURL(/\/finance\/statements\/[0-9a-f-]{36}$/)
  const unexpected = finance.locator('tr[data-status="open"]', { hasText: '本大厅无记录' })
  await unexpected.getByLabel('补记缴款').check()
  await unexpected.getByLabel('处理说明（必填）').fill('银行通知丢失，按对账单补记')
  await shoot(finance, 'fees-finance-statement')
  await unexpected.getByRole('button', { name: '处理' }).click()
  await finance.waitForURL(/done=resolved$/)
  t.equal(await finance.locator('[data-open-differences]').getAttribute('data-open-differences'), '1')
  t.equal((await app.inject({ method: 'GET', url: `/api/payment-notices/${second.id}`, headers: alice.headers })).json().status, 'paid', 'the payment is recorded')
  await shoot(finance, 'fees-finance-statement-resolved')

  // 9. the overview: a chart of money per day, the trial balance, the books check
  await finance.goto(`${url}/finance`)
  t.ok(await finance.getByRole('img', { name: '非税收入：收缴与汇缴' }).isVisible(), 'the chart is an image with a name')
  t.ok(await finance.locator('[data-books="balanced"]').isVisible())
  await finance.getByText('图表数据（表格）').click()
  t.ok(await finance.locator('#finance-daily-table').isVisible(), 'the figures are also a table')
  await shoot(finance, 'fees-finance')

  // 10. a deposit is refunded to the account it came from
  const deposit = await approvedFee(app, { proposer: alice, approver: bob }, { code: 'BZJ-01', category: 'deposit', version: { name: '投标保证金', amountFen: 500000, refundWorkingDays: 5 } })
  const bond = await payAtWindow(app, teller, { code: 'simbank' }, await issueNotice(app, alice, { purpose: 'bid_bond', lines: [{ code: deposit.code }] }), '6222 0000 5555')
  const requested = await app.inject({ method: 'POST', url: '/api/refunds', headers: alice.headers, payload: { noticeId: bond.id, trigger: 'award_notice', triggeredAt: new Date().toISOString(), reason: '未中标，退还投标保证金' } })
  t.equal(requested.statusCode, 201, requested.body)
  await finance.goto(`${url}/finance/refunds`)
  const row = finance.locator(`tr[data-refund="${requested.json().id}"]`)
  t.match(await row.locator('.alarm').innerText(), /正常/, 'the deadline state is written, not only coloured')
  t.equal(await row.getByLabel('退回账户').inputValue(), '6222 0000 5555', 'the original account is prefilled')
  await row.getByRole('combobox', { name: /^银行/ }).selectOption('simbank')
  await row.getByLabel('银行流水号').fill('SIMRF0001')
  await shoot(finance, 'fees-finance-refunds')
  await row.getByRole('button', { name: '登记退款' }).click()
  // recording binds the ledger: the amount in figures and capitals, then confirm
  t.match(await finance.locator('[data-confirm-facts]').innerText(), /伍仟元整/)
  await shoot(finance, 'fees-finance-refund-confirm')
  await finance.getByRole('button', { name: '确认登记退款' }).click()
  t.ok(await finance.locator('[data-refund-paid]').isVisible())

  await finance.goto(`${url}/finance/remittances`)
  await finance.getByRole('button', { name: '生成汇缴批次' }).click()
  t.match(await finance.locator('[data-remittances-created]').innerText(), /已生成 1 个汇缴批次/)
  await shoot(finance, 'fees-finance-remittances')

  await finance.keyboard.press('Tab')
  t.equal(await finance.evaluate(() => document.activeElement?.textContent), '跳到正文', 'the skip link comes first, in the page\'s language')
  t.same(failures, [], 'no script errors and no failed requests (everything is served locally)')
})
