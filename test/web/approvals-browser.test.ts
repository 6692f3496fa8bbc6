/**
 * An approval case in a real Chromium: the applicant applies online with material uploads and
 * notes the query code; the clerk accepts and starts the review; the chief representative
 * approves; the clerk issues the result by signing it in the page with the department's seal
 * (certificate and PKCS#8 key files picked from disk, the key never uploaded); the applicant sees
 * the case closed and downloads the result; anyone with the receipt rates it. The supervisor's
 * dashboard shows the counts and follows a new case live as it is accepted.
 * Screenshots: test/screenshots/approvals-*.png.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { supervisor } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, filed, ok, step } from '../factories/cases.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { launchChromium, screenshot } from '../support/browser.ts'
import { workDirectory } from '../support/pki.ts'

t.test('apply, accept, approve, seal the result in the page; the dashboard follows live', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const dir = workDirectory(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const watcher = await supervisor(app)

  // what the applicant and the department keep on their own machines
  const files = {
    form: path.join(dir, '申请书.pdf'),
    licence: path.join(dir, 'licence.pdf'),
    sealCertificate: path.join(dir, 'seal.pem'),
    sealKey: path.join(dir, 'seal.key')
  }
  await writeFile(files.form, '%PDF-1.4 application form')
  await writeFile(files.licence, '%PDF-1.4 business licence')
  await writeFile(files.sealCertificate, desk.seal.certificatePem)
  await writeFile(files.sealKey, desk.seal.key.export({ type: 'pkcs8', format: 'pem' }))

  const browser = await launchChromium(t)
  const failures: string[] = []
  async function pageFor (username: string | null): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true })
    const page = await context.newPage()
    page.on('pageerror', (error) => failures.push(`${username ?? 'public'}: ${error.message}`))
    if (username) await signInPage(page, url, username)
    return page
  }
  const departmentRow = (page: Page) => page.locator(`[data-board="departments"] tr[data-row="${desk.department.id}"]`)
  const count = (page: Page, column: string) => departmentRow(page).locator(`[data-count="${column}"]`)

  // 1. the applicant finds the item in the guide and applies with the two materials
  const applicant = await pageFor(desk.applicant.username)
  await applicant.goto(`${url}/guide/${item.code}`)
  await applicant.getByRole('button', { name: '在线申请' }).click()
  await applicant.waitForURL(`${url}/apply/${item.code}`)
  await applicant.getByLabel('申请内容').fill('申请新办食品经营许可证，经营场所：城关镇人民路 8 号')
  // past the browser's own check, the server refuses a missing material, and the page says so beside its field
  await applicant.locator('input[type=file]').evaluateAll((inputs) => { for (const input of inputs) input.removeAttribute('required') })
  await applicant.getByLabel('食品经营许可申请书').setInputFiles(files.form)
  await applicant.getByRole('button', { name: '提交申请' }).click()
  const licenceInput = applicant.getByLabel('营业执照复印件')
  await applicant.locator('[data-upload-field-error]').waitFor()
  t.equal(await licenceInput.getAttribute('aria-invalid'), 'true', 'the missing material is marked')
  const describedBy = await licenceInput.getAttribute('aria-describedby')
  t.match(await applicant.locator(`[id="${describedBy}"]`).innerText(), /[\u4e00-\u9fff]/, 'its message is beside it, in words')
  t.notMatch(await applicant.locator('[data-upload-result]').innerText(), /[A-Za-z]{4,} [A-Za-z]{4,}/, 'no English detail')
  await applicant.getByLabel('食品经营许可申请书').setInputFiles(files.form)
  await applicant.getByLabel('营业执照复印件').setInputFiles(files.licence)
  await screenshot(applicant, 'approvals-apply')
  await applicant.getByRole('button', { name: '提交申请' }).click()
  await applicant.locator('[data-filed]').waitFor({ state: 'visible' })
  const number = (await applicant.locator('[data-filed-number]').innerText()).trim()
  const queryCode = (await applicant.locator('[data-query-code]').innerText()).trim()
  t.match(number, /^[A-Z0-9-]+$/, `the case number is shown: ${number}`)
  t.ok(queryCode.length >= 8, 'the query code is shown once')
  t.match(await applicant.locator('[data-keep-note]').innerText(), /查询码只显示这一次/)
  await screenshot(applicant, 'approvals-filed')
  await applicant.locator('[data-filed-link]').click()
  await applicant.waitForURL(/\/my\/cases\/[0-9a-f-]{36}$/)
  const caseId = /([0-9a-f-]{36})$/.exec(applicant.url())![1]!
  t.equal(await applicant.locator('[data-material-file]').count(), 2, 'both materials were uploaded')

  // 2. the supervisor's dashboard: one case awaiting acceptance, and the live connection
  const board = await pageFor(watcher.username)
  await board.goto(`${url}/supervision`)
  await board.locator('[data-live-status]', { hasText: '实时' }).waitFor()
  t.equal(await count(board, 'awaiting').innerText(), '1', 'the dashboard counts the application awaiting acceptance')

  // 3. the clerk accepts from the queue and starts the review
  const clerk = await pageFor(desk.clerk.username)
  await clerk.goto(`${url}/workbench`)
  t.equal(await clerk.locator(`tr[data-number="${number}"] [data-state]`).innerText(), '待受理')
  await screenshot(clerk, 'approvals-workbench')
  await clerk.getByRole('link', { name: number }).click()
  await clerk.getByRole('button', { name: '受理', exact: true }).click()
  await clerk.waitForURL(/done=accepted$/)
  t.equal(await clerk.locator('[data-clock]').getAttribute('data-clock'), 'green', 'the accepted case runs green')
  await count(board, 'green').filter({ hasText: /^1$/ }).waitFor()
  t.equal(await count(board, 'awaiting').innerText(), '0', 'the dashboard moved the case from awaiting to green, live')
  await clerk.getByRole('button', { name: '开始审查' }).click()
  await clerk.waitForURL(/done=review$/)

  // 4. the chief representative approves within the delegation
  const chief = await pageFor(desk.chief.username)
  await chief.goto(`${url}/workbench/cases/${caseId}`)
  await chief.getByLabel('决定理由（每行一条；不予许可必须说明理由）').fill('经营场所符合要求')
  await chief.getByRole('button', { name: '准予许可' }).click()
  // the decision binds: the page says what follows and asks once more
  await chief.getByRole('heading', { name: '确认作出准予许可决定' }).waitFor()
  await screenshot(chief, 'approvals-decision-confirm')
  await chief.getByRole('button', { name: '确认准予许可' }).click()
  await chief.waitForURL(/done=decided$/)
  t.equal(await chief.locator('[data-decision]').getAttribute('data-decision'), 'approve')

  // 5. the clerk seals the result in the page with the department's certificate and key files
  await clerk.goto(`${url}/workbench/cases/${caseId}`)
  await clerk.getByLabel('电子印章证书（PEM）').setInputFiles(files.sealCertificate)
  await clerk.getByLabel('印章私钥（PKCS#8 PEM，仅在本页使用）').setInputFiles(files.sealKey)
  await screenshot(clerk, 'approvals-seal')
  await clerk.getByRole('button', { name: '签章并出具结果' }).click()
  await clerk.waitForURL(/done=issued$/, { timeout: 20_000 })
  t.equal(await clerk.locator('[data-state]').first().getAttribute('data-state'), 'closed', 'an online case is delivered at once and closed')
  t.match(await clerk.locator('[data-result]').innerText(), /县市场监督管理局 电子印章/, 'the result names the seal that signed it')
  const signed = await app.inject({ method: 'GET', url: `/api/cases/${caseId}/result`, headers: desk.clerk.headers })
  t.match(JSON.parse(signed.json().json), { decision: 'approve', caseNumber: number, reasons: ['经营场所符合要求'] }, 'the signed JSON is the decision')
  await screenshot(clerk, 'approvals-case-issued')

  // 6. the applicant sees the case closed and downloads the result
  await applicant.goto(`${url}/my/cases/${caseId}`)
  t.equal(await applicant.locator('[data-state]').first().innerText(), '已办结')
  t.ok(await applicant.locator('[data-timeline] [data-event="result_issued"]').isVisible(), 'the timeline shows the result')
  const [download] = await Promise.all([applicant.waitForEvent('download'), applicant.locator('[data-result-download]').click()])
  const pdf = await readFile((await download.path())!)
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the result downloads as a PDF')
  await screenshot(applicant, 'approvals-my-case-closed')

  // 7. anyone with the receipt: progress and the rating, no sign-in
  const visitor = await pageFor(null)
  await visitor.goto(`${url}/progress?number=${encodeURIComponent(number)}`)
  await visitor.getByLabel('查询码').fill(queryCode)
  await visitor.getByRole('button', { name: '查询' }).click()
  await visitor.locator('[data-progress]').waitFor()
  t.equal(await visitor.locator('[data-progress] [data-state]').innerText(), '已办结')
  await visitor.getByLabel('非常满意').check()
  await screenshot(visitor, 'approvals-progress')
  await visitor.getByRole('button', { name: '提交评价' }).click()
  await visitor.locator('[data-done="rated"]').waitFor()

  // 8. a new case arrives and is accepted: the dashboard follows without a reload
  await count(board, 'green').filter({ hasText: /^0$/ }).waitFor()
  const second = await filed(app, desk.applicant, item.id)
  await count(board, 'awaiting').filter({ hasText: /^1$/ }).waitFor()
  await ok(await step(app, desk.clerk, second.case.id, 'acceptance'))
  await count(board, 'green').filter({ hasText: /^1$/ }).waitFor()
  t.equal(await count(board, 'awaiting').innerText(), '0', 'the accepted case left the awaiting column, live')
  t.ok(await board.locator('[data-live-log] li').count() >= 2, 'the live log lists the events')
  await screenshot(board, 'approvals-supervision')

  t.same(failures, [], 'no script errors in any page')
})
