/**
 * Every page of every role, in a real Chromium at a desk (1280×800) and on a phone (390×844):
 * no page wider than the screen, no serious or critical axe-core violation (WCAG 2.0/2.1 A and
 * AA), and on the phone the navigation folded behind a labelled, keyboard-operable menu button.
 * The pages are the ones each role reaches from its navigation (and a section's sub-navigation),
 * plus detail pages of data made for the purpose. No screenshots here but two phone-*.png.
 */
import { AxeBuilder } from '@axe-core/playwright'
import type { BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { ROLES, type Role } from '../../src/lib/policy.ts'
import { createUser, type TestUser } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, filed } from '../factories/cases.ts'
import { approvedFee, financeDesk, issueNotice } from '../factories/fees.ts'
import { oneOfEachRole } from '../factories/roles.ts'
import { publishedTender, tradingDesk } from '../factories/trading.ts'
import { launchChromium, screenshot } from '../support/browser.ts'

// some 350 page visits, an axe run on about a third of them: longer than tap's default five minutes on a busy machine
t.setTimeout(600_000)

const VIEWPORTS = [
  { name: 'desk', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 }
] as const

interface Finding { role: string, viewport: string, page: string, rule: string, detail: string }

/** Same-origin GET pages linked from the main navigation and from a section's sub-navigation. */
async function navigationLinks (page: Page, origin: string): Promise<string[]> {
  const hrefs = await page.locator('nav[aria-label="main"] a[href], nav.subnav a[href], .subnav a[href]')
    .evaluateAll((links) => links.map((link) => (link as HTMLAnchorElement).href))
  return hrefs
    .map((href) => new URL(href))
    // the language switch and the API documentation are not pages of the hall
    .filter((href) => href.origin === origin && !href.pathname.startsWith('/lang/') && !href.pathname.startsWith('/docs'))
    .map((href) => href.pathname + href.search)
}

async function check (page: Page, role: string, viewport: string, path: string, axe: boolean): Promise<Finding[]> {
  const findings: Finding[] = []
  const response = await page.goto(path)
  if (!response || response.status() >= 400) {
    findings.push({ role, viewport, page: path, rule: 'http-status', detail: String(response?.status()) })
    return findings
  }
  const overflow = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
  if (overflow.scrollWidth > overflow.innerWidth) {
    // the widest culprits, so the report names what to fix
    const wide = await page.evaluate((limit) => [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > limit + 0.5 && !element.closest('[hidden], details:not([open]) > :not(summary)'))
      .filter((element) => !(element.parentElement && element.parentElement.getBoundingClientRect().right > limit + 0.5))
      .slice(0, 3)
      .map((element) => `${element.tagName.toLowerCase()}${element.className ? '.' + String(element.className).split(' ').join('.') : ''}`), overflow.innerWidth)
    findings.push({ role, viewport, page: path, rule: 'horizontal-overflow', detail: `${overflow.scrollWidth} > ${overflow.innerWidth} (${wide.join(', ')})` })
  }
  if (!axe) return findings
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  for (const violation of results.violations) {
    if (violation.impact !== 'serious' && violation.impact !== 'critical') continue
    findings.push({
      role,
      viewport,
      page: path,
      rule: violation.id,
      detail: `${violation.impact}: ${violation.help} — ${violation.nodes.slice(0, 5).map((node) => node.target.join(' ')).join(' | ')}`
    })
  }
  return findings
}

t.test('every page of every role: no overflow at 390 px, no serious axe violation, a folding menu', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const origin = new URL(url).origin

  // an approvals hall with a case in it, a fee notice, a published tender: detail pages to visit
  const cast = await oneOfEachRole(app)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: filedCase } = await filed(app, desk.applicant, item.id)
  const finance = await financeDesk(app)
  const fee = await approvedFee(app, finance.desk)
  const notice = await issueNotice(app, finance.desk.proposer, { lines: [{ code: fee.code }], payer: { accountId: desk.applicant.id, name: '张三' } })
  const trading = await tradingDesk(app)
  const tender = await publishedTender(app, trading)

  const extra: Partial<Record<Role | 'public', string[]>> = {
    public: [`/guide/${item.code}`, `/tenders/${tender.id}`, `/openings/${tender.id}`, `/pay/${notice.code}`, '/receipts/verify', '/login'],
    agency: [`/agency/tenders/${tender.id}`],
    applicant: [`/my/cases/${filedCase.id}`, `/apply/${item.code}`, `/payments/${notice.id}`, '/account/password'],
    clerk: [`/workbench/cases/${filedCase.id}`, '/workbench/filing'],
    chief_rep: [`/workbench/cases/${filedCase.id}`],
    cashier: [`/payments/${notice.id}`],
    hall_admin: [`/admin/accounts/${desk.clerk.id}`, `/admin/catalogue/${item.id}`, `/admin/departments/${desk.department.id}/delegations`]
  }
  // the approvals desk's people and the tender's agency hold the roles that have data to look at
  const holders: Partial<Record<Role, TestUser>> = { applicant: desk.applicant, clerk: desk.clerk, chief_rep: desk.chief, agency: trading.agency }
  const people: Array<[Role | 'public', TestUser | null]> = [
    ['public', null],
    ...ROLES.map((role): [Role, TestUser] => [role, holders[role] ?? cast.byRole[role]])
  ]
  t.ok(people.length >= 10, 'the public visitor and every role are visited')

  const browser = await launchChromium(t)
  let visits = 0
  /**
   * axe runs once per page and viewport: the same page for another role differs only in its
   * navigation, which axe checks on each role's home page. The width is checked on every visit.
   */
  const analysed = new Set<string>()
  async function visitAs (role: Role | 'public', user: TestUser | null, viewport: typeof VIEWPORTS[number]): Promise<Finding[]> {
    const found: Finding[] = []
    const context: BrowserContext = await browser.newContext({ baseURL: url, viewport: { width: viewport.width, height: viewport.height }, locale: 'zh-CN' })
    if (user) await context.addCookies([{ name: app.auth.cookieName, value: user.token, url }])
    const page = await context.newPage()
    await page.goto('/')
    if (viewport.name === 'phone') {
      // the role's own navigation, whatever its length, folds behind the one labelled button
      const nav = page.getByRole('navigation', { name: 'main' })
      const folded = await nav.locator('summary').isVisible() && (await nav.locator('summary').innerText()).includes('菜单') &&
        !(await nav.locator('details a[href]').first().isVisible())
      if (!folded) found.push({ role, viewport: viewport.name, page: '/', rule: 'navigation-not-folded', detail: 'the links show without the menu button' })
    }
    const paths = [...new Set(['/', ...await navigationLinks(page, origin), ...(extra[role] ?? [])])]
    for (const path of paths) {
      const key = `${viewport.name} ${path}`
      found.push(...await check(page, role, viewport.name, path, path === '/' || !analysed.has(key)))
      analysed.add(key)
      visits++
      // a section's sub-navigation (finance) leads to more pages of the role
      for (const more of await navigationLinks(page, origin)) {
        if (!paths.some((known) => known.split('?')[0] === more.split('?')[0])) paths.push(more)
      }
    }
    await context.close()
    return found
  }
  const findings: Finding[] = []
  for (const [role, user] of people) for (const viewport of VIEWPORTS) findings.push(...await visitAs(role, user, viewport))
  t.comment(`${visits} page visits`)

  t.same(findings.map((finding) => `${finding.page} [${finding.viewport}, ${finding.role}] ${finding.rule}: ${finding.detail}`), [],
    'no page wider than the screen and no serious or critical axe-core violation')
})

/**
 * The focused element's ring: an outline at least 2 px wide whose colour is 3:1 or more against
 * the page behind the element, and (its own colour or the white ring inside it) 3:1 or more
 * against the element's own background.
 */
function focusRing (page: Page) {
  return page.evaluate(() => {
    const rgb = (colour: string) => (colour.match(/[\d.]+/g) ?? []).map(Number)
    const luminance = ([r, g, b]: number[]) => [r!, g!, b!]
      .map((c) => c / 255).map((c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
      .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i]!, 0)
    const contrast = (a: number[], b: number[]) => { const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m); return (x! + 0.05) / (y! + 0.05) }
    const opaque = (element: Element | null): number[] => {
      for (let e = element; e; e = e.parentElement) {
        const colour = rgb(getComputedStyle(e).backgroundColor)
        if (colour.length === 3 || colour[3] === 1) return colour.slice(0, 3)
      }
      return [255, 255, 255]
    }
    const element = document.activeElement!
    const style = getComputedStyle(element)
    const outline = rgb(style.outlineColor).slice(0, 3)
    const own = rgb(style.backgroundColor)
    const ownOpaque = own.length === 3 || own[3] === 1
    return {
      visible: style.outlineStyle === 'solid' && parseFloat(style.outlineWidth) >= 2,
      againstPage: contrast(outline, opaque(element.parentElement)) >= 3,
      againstControl: !ownOpaque || Math.max(contrast(outline, own.slice(0, 3)), contrast([255, 255, 255], own.slice(0, 3))) >= 3
    }
  })
}

t.test('on a phone the navigation folds behind a labelled menu button the keyboard opens', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const admin = await createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const browser = await launchChromium(t)

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' })
  await phone.addCookies([{ name: app.auth.cookieName, value: admin.token, url }])
  const page = await phone.newPage()
  await page.goto(`${url}/admin/accounts`)
  const nav = page.getByRole('navigation', { name: 'main' })
  const menu = nav.locator('summary')
  t.ok(await menu.isVisible(), 'the menu button shows')
  t.equal((await menu.innerText()).replace(/[☰✕]/g, '').trim(), '菜单', 'it is labelled in words')
  t.notOk(await nav.getByRole('link', { name: '审计日志' }).isVisible(), 'the links are folded away')
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page is no wider than the phone')
  await screenshot(page, 'phone-admin-accounts')

  // from the top of the page: skip link, home link, then the menu button
  let reached = false
  for (let presses = 0; presses < 4 && !reached; presses++) {
    await page.keyboard.press('Tab')
    reached = await page.evaluate(() => document.activeElement?.tagName === 'SUMMARY')
  }
  t.ok(reached, 'Tab reaches the menu button')
  t.same(await focusRing(page), { visible: true, againstPage: true, againstControl: true }, 'the focused menu button shows a ring of at least 3:1')
  await page.keyboard.press('Enter')
  t.ok(await nav.getByRole('link', { name: '审计日志' }).isVisible(), 'Enter opens the menu')
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the open menu fits the phone')
  await screenshot(page, 'phone-menu-open')
  await page.keyboard.press('Enter')
  t.notOk(await nav.getByRole('link', { name: '审计日志' }).isVisible(), 'Enter closes it again')

  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
  await desk.addCookies([{ name: app.auth.cookieName, value: admin.token, url }])
  const wide = await desk.newPage()
  await wide.goto(`${url}/admin/accounts`)
  t.notOk(await wide.getByRole('navigation', { name: 'main' }).locator('summary').isVisible(), 'a desk shows no menu button')
  t.ok(await wide.getByRole('navigation', { name: 'main' }).getByRole('link', { name: '审计日志' }).isVisible(), 'and the links at once')

  // every control the keyboard reaches, links, filled and outlined buttons, inputs and selects alike
  const rings: Record<string, unknown> = {}
  for (let presses = 0; presses < 60; presses++) {
    await wide.keyboard.press('Tab')
    const focused = await wide.evaluate(() => { const e = document.activeElement!; return `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).replace(/ /g, '.') : ''}` })
    // past the last control the focus leaves the page (body): nothing of ours to draw a ring on
    if (focused !== 'body' && !(focused in rings)) rings[focused] = await focusRing(wide)
  }
  t.ok(Object.keys(rings).length >= 5, `several kinds of control were focused: ${Object.keys(rings).join(', ')}`)
  t.same(Object.entries(rings).filter(([, ring]) => !(ring as Record<string, boolean>).visible || !(ring as Record<string, boolean>).againstPage || !(ring as Record<string, boolean>).againstControl), [],
    'each shows a focus ring of at least 3:1 against the page and against the control')
})
