/**
 * A remote opening in real Chromium: two bidders sign in with their certificates in their pages
 * and decrypt their bids with the secret files they kept, a supervisor watches every step live,
 * draws K with a nonce and sees the connected bidders; the third bid is revealed through the API
 * (as the command-line client does). The record the pages print matches the sealed prices.
 * During sign-in the countdown runs to the bid deadline; each done action (签到, 解密, 确认) is a
 * disabled button saying so, also after a reload; no heading is ever empty.
 * Screenshots: test/screenshots/opening-*.png.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { openingApi, tenderWithBids, type OpeningBidder } from '../factories/openings.ts'
import { passDeadline } from '../factories/trading.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { launchChromium, screenshot } from '../support/browser.ts'
import { workDirectory } from '../support/pki.ts'

const PRICES = ['1288800000', '1302500000', '1276000000']

/** Headings on screen without text (a script was to fill them). */
const emptyHeadings = (page: Page) => page.locator('h1, h2, h3, h4, h5, h6').evaluateAll((nodes) =>
  nodes.filter((node) => (node as HTMLElement).offsetParent !== null && (node.textContent ?? '').trim() === '').map((node) => node.outerHTML))

t.test('two bidders decrypt in their pages while a supervisor watches each step live', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const dir = workDirectory(t)
  const { tender, bidders, supervisor } = await tenderWithBids(app, PRICES, { evaluationMethod: { method: 'reasonable_lowest_price', coefficientK: { min: '0.95', max: '1.05', step: '0.01' } } })
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(new Date(tender.bidDeadline).getTime() - 10 * 60_000)

  // what each bidder holds on its own machine: certificate, key, and the secret file from bidding
  async function filesOf (bidder: OpeningBidder, name: string) {
    const files = { certificate: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`), secret: path.join(dir, `${name}.secret.json`) }
    await writeFile(files.certificate, derToPem(bidder.certificate, 'CERTIFICATE'))
    await writeFile(files.key, bidder.key.export({ type: 'pkcs8', format: 'pem' }))
    await writeFile(files.secret, JSON.stringify({ tenderId: tender.code, contentKey: bidder.reveal.contentKey, nonce: bidder.reveal.nonce }))
    return files
  }

  const browser = await launchChromium(t)
  const failures: string[] = []
  async function open (username: string): Promise<{ context: BrowserContext, page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' })
    const page = await context.newPage()
    page.on('pageerror', (error) => failures.push(`${username}: ${error.message}`))
    await signInPage(page, url, username)
    return { context, page }
  }

  // the supervisor signs in to the room
  const watcher = await open(supervisor.username)
  const watch = watcher.page
  await watch.goto(`${url}/supervise/openings/${tender.id}`)
  await watch.getByRole('button', { name: '签到', exact: true }).click()
  await watch.locator('[data-action="sign-in"][disabled]', { hasText: '已签到' }).waitFor()

  // each bidder: certificate sign-in in the page, then sign in to the room
  const pages: Page[] = []
  for (const [index, bidder] of bidders.slice(0, 2).entries()) {
    const files = await filesOf(bidder, `bidder${index}`)
    const { page } = await open(bidder.user.username)
    await page.goto(`${url}/bidder/openings/${tender.id}`)
    await page.getByLabel('证书文件（PEM）').setInputFiles(files.certificate)
    await page.getByLabel('私钥文件（PEM，仅在本页使用）').setInputFiles(files.key)
    await page.getByRole('button', { name: '证书登录' }).click()
    await page.getByRole('button', { name: '签到', exact: true }).click()
    await page.locator('[data-action="sign-in"][disabled]', { hasText: '已签到' }).waitFor()
    if (index === 0) {
      t.equal(await page.getByRole('button', { name: '签到', exact: true }).count(), 0, 'no sign-in button left to press')
      await page.locator('[data-countdown-label]', { hasText: '距投标截止（开标）' }).waitFor()
      t.match(await page.locator('[data-opening-countdown]').innerText(), /^00:(09|10):\d\d$/, 'sign-in counts down to the bid deadline, by server time')
      await page.reload()
      await page.locator('[data-action="sign-in"][disabled]', { hasText: '已签到' }).waitFor()
      t.pass('after a reload the page still says 已签到')
      t.same(await emptyHeadings(page), [], 'no empty heading in the bidder\'s room')
    }
    await page.getByLabel('密钥文件（投标时保存的 bid.ohsb.secret.json）').setInputFiles(files.secret)
    pages.push(page)
  }
  await watch.locator('[data-presence] li').nth(2).waitFor({ timeout: 15_000 })
  t.equal(await watch.locator('[data-presence] li').count(), 3, 'the supervisor sees both bidders and itself connected')
  await screenshot(pages[0]!, 'opening-bidder-signed-in')

  // the deadline: bids frozen; the supervisor draws K in its page
  await passDeadline(app, t, tender)
  await watch.locator('[data-log] [data-event="opening.frozen"]').waitFor()
  await watch.getByLabel('监督人随机数（如现场掷骰结果）').fill('6-2-5-1-3-4')
  await watch.getByRole('button', { name: '抽取 K 值' }).click()
  await watch.locator('[data-log] [data-event="opening.decrypting"]').waitFor()
  const drawn = (await openingApi(app, tender.id).get()).json()
  const k = drawn.coefficient.value as string
  const names = drawn.bids.map((bid: { bidderName: string }) => bid.bidderName) as string[]
  await watch.locator('[data-coefficient]', { hasText: `K = ${k}` }).waitFor()
  t.pass(`the supervisor's page shows K = ${k} as drawn`)

  // the bidders decrypt in their pages; the supervisor sees each bid open, with its price
  for (const [index, page] of pages.entries()) {
    await page.getByRole('button', { name: '解密', exact: true }).click()
    await page.locator('[data-message]', { hasText: '解密成功' }).waitFor()
    await page.locator('[data-step-button="reveal"][disabled]', { hasText: '已解密' }).waitFor()
    const row = watch.locator(`[data-bids] tr[data-bidder="${names[index]!}"]`)
    await row.locator('[data-bid-status="opened"]').waitFor()
    t.equal(await row.locator('[data-field="priceFen"]').innerText(), `¥${(Number(PRICES[index]) / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`, 'the supervisor sees the price as it opens')
  }
  t.equal(await pages[0]!.locator('[data-bids] td[data-field="priceFen"]', { hasText: '¥' }).count(), 1, 'a bidder sees only its own price before the record')
  await screenshot(watch, 'opening-supervisor-decrypting')

  // the third bidder reveals through the API (the command-line client's path): the record is published
  const third = bidders[2]!
  t.equal((await openingApi(app, tender.id).post('reveals', third.certHeaders, third.reveal)).statusCode, 200)
  for (const page of [watch, ...pages]) await page.locator('[data-record-table]').waitFor({ timeout: 15_000 })
  const printed = await watch.locator('[data-record-table] td[data-field="priceFen"]').allInnerTexts()
  t.same(printed.map((text) => text.replace(/[¥,]/g, '')), PRICES.map((fen) => (Number(fen) / 100).toFixed(2)), 'the record matches the sealed prices, in the order received')
  const logged = await watch.locator('[data-log] li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.event))
  for (const step of ['opening.sign_in', 'opening.frozen', 'opening.k_drawn', 'opening.decrypting', 'opening.bid_decrypted', 'opening.recorded', 'opening.confirming']) {
    t.ok(logged.includes(step), `the supervisor's live log shows ${step}`)
  }
  t.equal(logged.filter((event) => event === 'opening.bid_fields').length, 3, 'the supervisor saw every price read out')

  // a bidder confirms in its page; the public page shows the record to anyone
  await pages[0]!.getByRole('button', { name: '确认无误' }).click()
  await watch.locator('[data-bids] td', { hasText: '已确认' }).waitFor()
  await pages[0]!.locator('[data-step-button="confirm"][disabled]', { hasText: '已确认' }).waitFor()
  await pages[0]!.reload()
  await pages[0]!.locator('[data-step-button="confirm"][disabled]', { hasText: '已确认' }).waitFor()
  await pages[0]!.locator('[data-step-button="reveal"][disabled]', { hasText: '已解密' }).waitFor()
  t.equal(await pages[0]!.locator('[data-form="object"]').isVisible(), false, 'confirmed: no objection form after a reload')
  t.same(await emptyHeadings(pages[0]!), [], 'no empty heading once the record is published')
  t.same(await emptyHeadings(watch), [], 'nor in the supervisor\'s room')
  const anonymous = await browser.newPage()
  await anonymous.goto(`${url}/openings/${tender.id}`)
  t.same((await anonymous.locator('[data-record-table] td[data-field="priceFen"]').allInnerTexts()).length, 3)
  t.equal(await anonymous.locator('[data-reference-price]').count(), 1, 'the reference price (mean × K) is printed')
  await screenshot(anonymous, 'opening-public-record')
  await screenshot(pages[0]!, 'opening-bidder-record')
  t.same(failures, [], 'no script errors in any page')
})
