/**
 * The calendar administration page in a real Chromium: in December, with no data for next year,
 * the administrator follows the warning from the home page, pastes the State Council's notice,
 * corrects a line, reviews what will be entered and confirms. Screenshots of the calendar page
 * only: test/screenshots/admin-calendar-import-*.png.
 */
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { launchChromium, screenshot, watchedPage } from '../support/browser.ts'

t.test('entering next year from the notice in a real browser', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date('2026-12-20T02:00:00Z')
  const url = baseUrl(app)
  await createUser(app, { username: 'calendar.admin', grants: [{ role: 'hall_admin', scopeType: 'hall' }] })

  const browser = await launchChromium(t)
  const { page, failures } = await watchedPage(browser)

  await signInPage(page, url, 'calendar.admin')
  const warning = page.locator('[data-calendar-warning="2027"]')
  t.match(await warning.innerText(), /2027 年的节假日安排尚未录入/, 'the home page warns')
  await warning.getByRole('link', { name: '录入 2027 年节假日安排' }).click()
  await page.waitForURL(`${url}/admin/calendar?year=2027#calendar-import`)
  t.match(await page.locator('[data-calendar-warning="2027"]').innerText(), /标记为“暂定”/)

  const field = page.getByLabel('通知内容（每行一条）')
  await field.fill('元旦 2027-01-01 至 2027-01-03\n春节放假八天\n调休上班 2027-02-07 2027-02-20')
  await page.getByRole('button', { name: '检查' }).click()
  const summary = page.locator('[data-error-summary]')
  t.match(await summary.innerText(), /第 2 行无法识别/)
  t.equal(await field.getAttribute('aria-invalid'), 'true')
  t.match(await page.locator('#calendar-notice-error').innerText(), /第 2 行无法识别/, 'the message is beside the field too')
  t.match(await field.inputValue(), /春节放假八天/, 'what was typed is kept')
  await screenshot(page, 'admin-calendar-import-error')
  await summary.getByRole('link').first().click()
  t.equal(await page.evaluate(() => document.activeElement?.id), 'calendar-notice', 'the summary leads to the field')

  await field.fill('元旦 2027-01-01 至 2027-01-03\n春节 2027-02-10 至 2027-02-17\n调休上班 2027-02-07 2027-02-20')
  await page.getByRole('button', { name: '检查' }).click()
  const review = page.locator('[data-import-review]')
  t.match(await review.innerText(), /节假日 11 天，调休上班 2 天/)
  await screenshot(page, 'admin-calendar-import-review')

  await page.getByRole('button', { name: '返回修改' }).click()
  t.equal(await field.inputValue(), '元旦 2027-01-01 至 2027-01-03\n春节 2027-02-10 至 2027-02-17\n调休上班 2027-02-07 2027-02-20', 'every line survives the round trip')
  await page.getByRole('button', { name: '检查' }).click()
  await page.getByRole('button', { name: '确认录入' }).click()
  await page.waitForURL(`${url}/admin/calendar?year=2027&done=imported`)
  t.match(await page.locator('[data-imported]').innerText(), /2027 年节假日安排已录入/)
  t.equal(await page.locator('td.day.holiday').count(), 11, 'the year grid shows the entered holidays')
  t.equal(await page.locator('[data-calendar-warning]').count(), 0, 'and the warning is gone')
  await screenshot(page, 'admin-calendar-import-done')
  t.same(failures, [], 'no script errors and no failed requests')
})
