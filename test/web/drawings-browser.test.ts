/**
 * A drawing in real Chromium (issue 13): the hall operator and a supervisor watch the same
 * drawing's console; the supervisor gives the nonce in the page (a confirmation first) and sees
 * the drawn list with names, while the operator's console turns live to counts per line and
 * never shows a name; a drawn expert confirms the invitation in the browser (confirmed first)
 * and both consoles follow it live. axe-core finds no serious violation on any of the pages, at a
 * desk or on a phone. Screenshots: test/screenshots/drawings-*.png.
 */
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import { clockAt, HOUR } from '../factories/drawings.ts'
import { approvedDrawing } from '../factories/drawing-pages.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { baseUrl, buildTestApp } from '../helper.ts'
import { launchChromium, screenshot } from '../support/browser.ts'

t.setTimeout(300_000)

async function serious (page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)
}

t.test('a supervisor draws in the page, the operator sees counts live, an expert confirms in the browser', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const { api, desk, supervisor, pool, id, evaluationAt, tender } = await approvedDrawing(app)
  const browser = await launchChromium(t)
  const failures: string[] = []
  const accessibility: string[] = []

  async function open (who: Browser, username: string, width = 1280): Promise<Page> {
    const context = await who.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' })
    const page = await context.newPage()
    page.on('pageerror', (error) => failures.push(`${username}: ${error.message}`))
    await signInPage(page, url, username)
    return page
  }
  async function audit (page: Page, what: string) {
    for (const finding of await serious(page)) accessibility.push(`${what}: ${finding}`)
  }

  // the agency's request form (the drawing itself was asked for through the API)
  const agency = await open(browser, desk.agency.username)
  await agency.goto(`${url}/agency/tenders/${tender.id}`)
  await agency.getByRole('link', { name: '申请抽取评标专家' }).click()
  await agency.getByRole('button', { name: '提交申请' }).click()
  await agency.locator('[data-error-summary]').waitFor()
  await audit(agency, 'request form refused')
  await screenshot(agency, 'drawings-request-form')

  const operator = await open(browser, desk.hall.username)
  await operator.goto(`${url}/hall/drawings/${id}`)
  const watcher = await open(browser, supervisor.username)
  await watcher.goto(`${url}/supervise/drawings/${id}`)
  for (const page of [operator, watcher]) await page.locator('[data-live-status]', { hasText: '实时更新中' }).waitFor()
  t.match(await operator.locator('[data-lines] [data-eligible]').first().innerText(), '8', 'the operator sees the eligible pool in counts')
  await audit(operator, 'hall console before the draw')
  await audit(watcher, 'supervisor console before the draw')

  // the supervisor gives the nonce, confirms, and sees the list
  await watcher.getByLabel('监督人随机数（如现场掷骰结果）').fill('骰子 6-2-5-1-3-4')
  await watcher.getByRole('button', { name: '抽取专家' }).click()
  await watcher.getByRole('heading', { name: '确认用这个随机数抽取专家' }).waitFor()
  await audit(watcher, 'the draw\'s confirmation')
  await screenshot(watcher, 'drawings-draw-confirm')
  await watcher.getByRole('button', { name: '确认抽取' }).click()
  await watcher.locator('[data-done="drawn"]').waitFor()
  const list = (await api.get(supervisor.headers, id, '/list')).json() as { lines: Array<{ experts: Array<{ name: string, code: string, role: string, expertId: string }> }> }
  const drawn = list.lines.flatMap((line) => line.experts)
  for (const expert of drawn) await watcher.locator(`[data-drawn-list] tr[data-expert="${expert.code}"]`, { hasText: expert.name }).waitFor()
  t.pass('the supervisor sees every drawn expert by name')

  // the operator's console turns to counts without a reload, and names nobody
  await operator.locator('[data-lines] [data-count="invited"]', { hasText: '4' }).waitFor({ timeout: 15_000 })
  const operatorText = await operator.locator('main').innerText()
  t.same(drawn.filter((expert) => operatorText.includes(expert.name) || operatorText.includes(expert.code)), [], 'the operator\'s console names nobody')
  t.match(await operator.locator('[data-nonce]').innerText(), '骰子 6-2-5-1-3-4', 'and shows the nonce once given')

  // a member confirms in the browser
  const member = pool.everyone.find((expert) => expert.expertId === drawn.find((listed) => listed.role === 'member')!.expertId)!
  const memberCode = drawn.find((listed) => listed.expertId === member.expertId)!.code
  const expert = await open(browser, member.username)
  await expert.goto(`${url}/my/invitations`)
  await expert.locator('[data-answer-countdown]').waitFor()
  t.match(await expert.locator('[data-answer-countdown]').innerText(), /^\d{2,}:\d{2}:\d{2}$/, 'the time left to answer, by server time')
  const invitationText = await expert.locator('main').innerText()
  const { tenderTitle, tenderCode } = (await api.get(desk.hall.headers, id)).json() as { tenderTitle: string, tenderCode: string }
  t.notOk(invitationText.includes(tenderTitle) || invitationText.includes(tenderCode), 'the expert is not told the tender')
  await audit(expert, 'invitations')
  await screenshot(expert, 'drawings-invitation')
  await expert.getByRole('button', { name: '确认参加' }).click()
  await expert.getByRole('heading', { name: '确认参加这次评标' }).waitFor()
  await expert.getByRole('button', { name: '确认参加' }).click()
  await expert.locator('[data-done="confirmed"]').waitFor()
  await expert.locator('[data-invitation-state="confirmed"]').waitFor()

  await watcher.locator(`tr[data-expert="${memberCode}"][data-expert-state="confirmed"]`).waitFor({ timeout: 15_000 })
  t.pass('the supervisor sees the confirmation live')
  await operator.locator('[data-lines] [data-count="confirmed"]', { hasText: '1' }).first().waitFor({ timeout: 15_000 })
  t.pass('the operator sees it as a count')
  await audit(watcher, 'supervisor console after the draw')
  await audit(operator, 'hall console after the draw')
  await screenshot(watcher, 'drawings-supervisor-console')
  await screenshot(operator, 'drawings-hall-console')

  // on a phone the console stays within the screen
  const phone = await open(browser, supervisor.username, 390)
  await phone.goto(`${url}/supervise/drawings/${id}`)
  t.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no wider than a 390 px screen')
  await audit(phone, 'supervisor console on a phone')
  await screenshot(phone, 'drawings-supervisor-phone')

  // the evaluation starts: the record is public
  await clockAt(app, new Date(evaluationAt.getTime() + HOUR))
  t.equal((await api.post(desk.hall.headers, id, 'publish')).statusCode, 200)
  const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })).newPage()
  await visitor.goto(`${url}/drawings/${id}/record`)
  await visitor.locator('[data-committee]').getByText(drawn.find((listed) => listed.expertId === member.expertId)!.name).waitFor()
  await audit(visitor, 'public record')
  await screenshot(visitor, 'drawings-record')

  t.same(accessibility, [], 'no serious or critical axe-core violation')
  t.same(failures, [], 'no script errors in any page')
})
