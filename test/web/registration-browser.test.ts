/**
 * Self-registration in a real Chromium: from the sign-in page to the person's form, refused with
 * an error summary whose links move to the fields, then registered; the code texted to the
 * simulated gateway is entered on the verification page; the new account signs in and finds the
 * welcome message counted in the navigation.
 * Screenshots: test/screenshots/registration-*.png.
 */
import t from 'tap'
import { TEST_PASSWORD } from '../factories/accounts.ts'
import { lastCode, mobile } from '../factories/registration.ts'
import { baseUrl, buildTestApp } from '../helper.ts'
import { launchChromium, screenshot } from '../support/browser.ts'

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
