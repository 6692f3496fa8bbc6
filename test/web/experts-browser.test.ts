/**
 * The expert pool in a real Chromium, checked by axe-core (WCAG 2.1 A/AA, no serious or critical
 * violation) and for width at 390 px: the hall's pool with its filters, an expert's page, an
 * import refused with its per-row report (the summary's link moves to the file field), and the
 * expert's own page with dates declared and a change proposed.
 * Screenshots: test/screenshots/experts-*.png.
 */
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import t from 'tap'
import { addCalendarDays, shanghaiDate } from '../../src/lib/working-days.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { createExpert, randomCreditCode } from '../factories/experts.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { baseUrl, buildTestApp } from '../helper.ts'
import { launchChromium, screenshot, watchedPage } from '../support/browser.ts'

async function accessible (page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)
}

async function fitsWidth (page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
}

t.test('the hall: pool, an expert, an import with mistakes; the expert: their own page', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const admin = await hallAdmin(app)
  const zhang = await createExpert(app, { username: 'zhang.gong', fullName: '张建国', specialties: ['A010101', 'A050101'] })
  await createExpert(app, { username: 'li.li', fullName: '李丽', specialties: ['B030101'], regionCode: '330106' })
  await createExpert(app, { username: 'chen.qi', fullName: '陈琪', specialties: ['C020101'], regionCode: '320102' })
  const browser = await launchChromium(t)

  const { page, failures } = await watchedPage(browser)
  await signInPage(page, url, admin.username)
  const main = page.getByRole('main')
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: '专家库' }).click()
  await page.waitForURL(`${url}/hall/experts`)
  await main.getByLabel('专业').selectOption('A01')
  await main.getByRole('button', { name: '查询' }).click()
  await page.waitForURL(/specialty=A01/)
  t.match(await page.locator('[data-total]').innerText(), /共 1 位专家/)
  t.same(await accessible(page), [], 'the pool: no serious axe violation')
  await screenshot(page, 'experts-pool')

  await main.getByRole('link', { name: zhang.code }).click()
  await page.waitForURL(`${url}/hall/experts/${zhang.expertId}`)
  t.match(await main.innerText(), /张建国[\s\S]*A010101 建筑工程施工/)
  t.same(await accessible(page), [], 'the expert\'s page: no serious axe violation')
  await screenshot(page, 'experts-expert')

  await page.goto(`${url}/hall/experts/import`)
  const header = '姓名,手机号,登录名,职称,执业起始年份,地区代码,专业代码,工作单位,统一社会信用代码,入职日期'
  await main.getByLabel('导入文件（CSV）').setInputFiles({
    name: '专家名单.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`\uFEFF${header}\r\n王建国,1390000,wang.jg,正高级,2001,330102,A010101,,,\r\n赵敏,13900002222,zhang.gong,教授,2005,330102,A010199,某公司,${randomCreditCode()},2010-01-01\r\n`)
  })
  await main.getByRole('button', { name: '检查并导入' }).click()
  const summary = page.locator('[data-error-summary]')
  await summary.waitFor()
  const report = page.locator('[data-import-report]')
  t.match(await report.innerText(), /没有导入任何专家[\s\S]*手机号[\s\S]*不是 11 位的手机号[\s\S]*登录名[\s\S]*已被其他账户使用/)
  t.equal(await report.locator('tbody tr').count(), 4, 'every mistake on its own line')
  t.same(await accessible(page), [], 'the import report: no serious axe violation')
  await screenshot(page, 'experts-import-errors')
  await summary.getByRole('link').first().click()
  t.equal(await page.evaluate(() => document.activeElement?.id), 'import-file', 'the summary\'s link moves to the file field')

  await page.setViewportSize({ width: 390, height: 844 })
  for (const path of ['/hall/experts', `/hall/experts/${zhang.expertId}`, '/hall/experts/import']) {
    await page.goto(`${url}${path}`)
    t.ok(await fitsWidth(page), `${path} fits a phone`)
  }
  await screenshot(page, 'experts-import-phone')
  t.same(failures, [], 'no script errors on the hall\'s pages')

  // the expert's own page
  const own = await watchedPage(browser)
  await signInPage(own.page, url, zhang.username)
  const mine = own.page.getByRole('main')
  await own.page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: '我的专家信息' }).click()
  await own.page.waitForURL(`${url}/my/expert`)
  const today = shanghaiDate(app.clock.now())
  await mine.getByLabel('开始日期').fill(addCalendarDays(today, 10))
  await mine.getByLabel('结束日期').fill(addCalendarDays(today, 12))
  await mine.getByRole('button', { name: '申报' }).click()
  await own.page.waitForURL(/done=unavailable/)
  await mine.getByLabel('更换工作单位').check()
  await mine.getByLabel('单位名称').fill('省建筑科学研究院')
  await mine.getByLabel('统一社会信用代码').fill(randomCreditCode())
  await mine.getByLabel('新单位入职日期').fill(addCalendarDays(today, 20))
  await mine.getByRole('button', { name: '提交申请' }).click()
  await own.page.waitForURL(/done=proposed/)
  t.match(await mine.innerText(), /待大厅审核：[\s\S]*省建筑科学研究院/)
  t.same(await accessible(own.page), [], 'the expert\'s page: no serious axe violation')
  await screenshot(own.page, 'experts-profile')
  await own.page.setViewportSize({ width: 390, height: 844 })
  t.ok(await fitsWidth(own.page), 'the expert\'s page fits a phone')
  t.same(own.failures, [], 'no script errors on the expert\'s page')
})
