/**
 * The pages in a real Chromium (Debian's, driven by playwright-core): sign in, the main pages
 * of the shell, a live notice arriving without a reload, the server clock, the language switch.
 * A screenshot of each main page is kept in test/screenshots/ for reviewers.
 */
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { TEST_PASSWORD, createUser } from '../factories/accounts.ts'
import { createDepartment, createWindow } from '../factories/departments.ts'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { rsaKey } from '../support/pki.ts'
import { launchChromium, screenshot, watchedPage } from '../support/browser.ts'

t.test('the shell in a real browser', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const admin = await createUser(app, { username: 'hall.admin', grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const department = await createDepartment(app, admin.id, '县市场监督管理局')
  await createWindow(app, admin.id, department.id)

  const browser = await launchChromium(t)
  const { page, failures } = await watchedPage(browser)
  const shoot = screenshot

  await page.goto(`${url}/`)
  t.equal(await page.locator('h1').innerText(), 'OpenHall 县政务服务大厅')
  await page.waitForFunction(() => document.querySelector('[data-server-clock]')?.textContent !== '—')
  t.match(await page.locator('[data-server-clock]').innerText(), /2\d{3}/, 'the footer shows server time')
  await shoot(page, 'home-public')

  await page.getByRole('button', { name: '登录' }).first().click()
  await page.getByRole('main').getByLabel('用户名').fill('hall.admin')
  await page.getByRole('main').getByLabel('密码').fill(TEST_PASSWORD)
  await page.getByRole('main').getByRole('button', { name: '登录' }).click()
  await page.waitForURL(`${url}/`)
  t.match(await page.locator('h1').innerText(), /您好/)
  t.ok(await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: '账户与角色' }).isVisible(), 'the administrator sees the administration links')
  await shoot(page, 'home-hall-admin')

  await page.goto(`${url}/admin/accounts`)
  t.ok(await page.getByRole('cell', { name: 'hall.admin', exact: true }).isVisible())
  await page.getByRole('button', { name: '新建账户' }).click()
  await page.getByLabel('用户名', { exact: true }).fill('zhou.cashier')
  await page.getByLabel('姓名 / 单位名称').fill('周收费')
  await page.locator('#role').selectOption('cashier')
  await page.getByRole('button', { name: '新建', exact: true }).click()
  t.match(await page.locator('[data-one-time-password]').innerText(), /\S{12,}/, 'the one-time password is shown once')
  await shoot(page, 'admin-accounts')

  await page.goto(`${url}/admin/departments`)
  t.ok(await page.getByRole('cell', { name: '县市场监督管理局' }).first().isVisible())
  await shoot(page, 'admin-departments')

  await page.goto(`${url}/admin/calendar?year=2026`)
  t.match(await page.locator('main').innerText(), /全年工作日 248 天/)
  t.equal(await page.locator('td.day.holiday').count(), 33, 'every 2026 holiday is marked in the year grid')
  await shoot(page, 'admin-calendar')

  await page.goto(`${url}/audit`)
  await page.getByRole('button', { name: '校验完整性' }).click()
  t.ok(await page.locator('[data-audit-result="intact"]').isVisible(), 'the audit log verifies from the page')
  await shoot(page, 'audit')

  await page.goto(`${url}/account/certificates`)
  await page.getByRole('button', { name: '申请证书' }).first().click()
  await page.getByLabel('证书请求（CSR，PEM 格式）').fill(derToPem(createCsr(rsaKey(), encodeName([['CN', 'browser']])), 'CERTIFICATE REQUEST'))
  await page.getByRole('main').locator('form button[type=submit]').last().click()
  t.match(await page.locator('[data-issued-certificate]').innerText(), /BEGIN CERTIFICATE/, 'a certificate is issued from a pasted CSR')
  await shoot(page, 'certificates')

  await page.goto(`${url}/notices`)
  await page.waitForFunction(() => document.querySelector('[data-live-status]')?.textContent?.includes('●'))
  const before = await page.locator('#notice-list li[data-notice-id]').count()
  const publisher = await createUser(app, { grants: [{ role: 'supervisor', scopeType: 'hall' }] })
  const published = await app.inject({
    method: 'POST', url: '/api/notices', headers: publisher.headers, payload: { title: '实时通知', body: '无需刷新即可看到', audience: { public: true } }
  })
  t.equal(published.statusCode, 201)
  await page.locator('#notice-list li[data-notice-id]', { hasText: '实时通知' }).waitFor({ timeout: 5000 })
  t.equal(await page.locator('#notice-list li[data-notice-id]').count(), before + 1, 'the notice arrived live, without a reload')
  await shoot(page, 'notices-live')

  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'English' }).click()
  t.match(await page.locator('h1').innerText(), /Notices/)
  await shoot(page, 'notices-english')

  await page.keyboard.press('Tab')
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content', 'the first Tab reaches the skip link')
  t.same(failures, [], 'no script errors and no failed requests (everything is served locally)')
})
