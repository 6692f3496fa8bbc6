/**
 * Self-registration in a real Chromium: from the sign-in page to the person's form, refused with
 * an error summary whose links move to the fields, then registered; the code texted to the
 * simulated gateway is entered on the verification page; the new account signs in and finds the
 * welcome message counted in the navigation. An organisation registers in the form, and on its
 * registration's page activates the account with its certificate: the key signs the challenge in
 * the page (the browser's certificate client), another company's certificate is refused in words.
 * Screenshots: test/screenshots/registration-*.png.
 */
import t from 'tap'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { TEST_PASSWORD, hallAdmin } from '../factories/accounts.ts'
import { lastCode, mobile } from '../factories/registration.ts'
import { baseUrl, buildTestApp } from '../helper.ts'
import { launchChromium, screenshot, watchedPage } from '../support/browser.ts'
import { createAuthority, issueLeaf, rsaKey, workDirectory, writePem } from '../support/pki.ts'

t.test('register with a mobile number, confirm it with the texted code, sign in', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const browser = await launchChromium(t)
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
  const page = await context.newPage()
  const failures: string[] = []
  page.on('pageerror', (error) => failures.push(error.message))
  const main = page.getByRole('main')

  await page.goto(`${url}/login`)
  await main.getByRole('link', { name: '注册新账户' }).click()
  await page.waitForURL(`${url}/register`)
  await main.getByRole('button', { name: '个人注册' }).click()
  await page.waitForURL(`${url}/register?kind=person`)

  // a first try with mistakes: the summary lists them and its links lead to the fields
  await main.getByLabel('用户名').fill('Chen Qi')
  await main.getByLabel('手机号码').fill('0571888')
  await main.getByRole('button', { name: '发送验证码' }).click()
  const summary = page.locator('[data-error-summary]')
  await summary.waitFor()
  t.equal(await summary.locator('li').count(), 4, 'four problems listed')
  t.equal(await main.getByLabel('用户名').inputValue(), 'Chen Qi', 'what was typed is kept')
  t.equal(await main.getByLabel('用户名').getAttribute('aria-invalid'), 'true')
  await screenshot(page, 'registration-errors')
  await summary.getByRole('link', { name: /手机号码/ }).click()
  t.equal(await page.evaluate(() => document.activeElement?.id), 'phone', 'the summary\'s link moves to the field')

  const phone = mobile()
  await main.getByLabel('用户名').fill('chen.qi')
  await main.getByLabel('姓名').fill('陈七')
  await main.getByLabel('手机号码').fill(phone)
  await main.getByLabel('密码').fill(TEST_PASSWORD)
  await main.getByRole('button', { name: '发送验证码' }).click()
  await page.waitForURL(/\/register\/verify\?id=/)

  const code = await lastCode(app, phone)
  t.match(code, /^\d{6}$/, 'the simulated gateway received the code')
  await main.getByLabel('验证码').fill(code!)
  await screenshot(page, 'registration-verify')
  await main.getByRole('button', { name: '确认' }).click()
  await page.waitForURL(`${url}/login?done=registered`)
  t.match(await page.locator('[data-login-done]').innerText(), /注册完成/)

  await main.getByLabel('用户名').fill('chen.qi')
  await main.getByLabel('密码').fill(TEST_PASSWORD)
  await main.getByRole('button', { name: '登录' }).click()
  await page.waitForURL(`${url}/`)
  const inboxLink = page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: /消息（1 条未读）/ })
  await inboxLink.click()
  await page.waitForURL(`${url}/messages`)
  t.match(await main.innerText(), /注册成功/)
  await screenshot(page, 'registration-messages')
  t.same(failures, [], 'no script errors')
})

t.test('an organisation registers, then activates its account with its certificate in the page', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  // a commercial CA the hall trusts, root and issuing certificate
  const admin = await hallAdmin(app)
  const authority = createAuthority('天威诚信 Test CA')
  for (const [certificate, role] of [[authority.root, 'root'], [authority.intermediate, 'intermediate']] as const) {
    const added = await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(certificate), role } })
    t.equal(added.statusCode, 201, added.body)
  }
  const dir = workDirectory(t)
  const code = demoCreditCode('330100', 'MA8D9E0F')
  const holding = (name: string, creditCode: string) => {
    const key = rsaKey()
    const leaf = issueLeaf(authority, { key, subject: [['C', 'CN'], ['O', '远航建设有限公司'], ['serialNumber', creditCode], ['CN', '远航建设']] })
    return { certificate: writePem(dir, `${name}.pem`, leaf), key: writePem(dir, `${name}.key`, key) }
  }
  const own = holding('yuanhang', code)
  const another = holding('another', demoCreditCode('330100', '87654321'))

  const browser = await launchChromium(t)
  const { page, failures } = await watchedPage(browser)
  const main = page.getByRole('main')
  await page.goto(`${url}/register?kind=organisation`)
  await main.getByLabel('单位名称').fill('远航建设有限公司')
  await main.getByLabel('统一社会信用代码').fill(code)
  await main.getByLabel('投标人').check()
  await main.getByLabel('用户名').fill('yuanhang')
  await main.getByLabel('密码').fill(TEST_PASSWORD)
  await main.getByRole('button', { name: '提交注册' }).click()
  await page.locator('[data-registration-received]').waitFor()
  t.match(await main.innerText(), /正在等待大厅审核/)
  await screenshot(page, 'registration-organisation')

  // another company's certificate: refused, in the page's words
  const activate = async (files: { certificate: string, key: string }) => {
    await main.getByLabel('证书文件（PEM）').setInputFiles(files.certificate)
    await main.getByLabel('私钥文件（PEM，仅在本页使用）').setInputFiles(files.key)
    await main.getByRole('button', { name: '用单位数字证书激活' }).click()
  }
  await activate(another)
  const status = page.locator('[data-sign-in-status]')
  await status.filter({ hasText: '该证书载明的不是本单位的统一社会信用代码' }).waitFor()
  await screenshot(page, 'registration-activation-refused')
  t.equal((await app.services.accounts.listAccounts({ q: 'yuanhang', limit: 1, offset: 0 })).items[0]?.status, 'pending', 'the account is still pending')

  await activate(own)
  await page.waitForURL(`${url}/login?done=activated`)
  t.match(await page.locator('[data-login-done]').innerText(), /单位账户已通过数字证书启用/)
  await main.getByLabel('用户名').fill('yuanhang')
  await main.getByLabel('密码').fill(TEST_PASSWORD)
  await main.getByRole('button', { name: '登录' }).click()
  await page.waitForURL(`${url}/`)
  t.match(await main.innerText(), /远航建设有限公司/, 'the organisation is signed in')
  t.same(failures, [], 'no script errors, nothing failed to load')
})
