/**
 * The bidder's submission in a real Chromium: the public announcement, obtaining the documents,
 * then sealing in the page with the bidder's own key file (WebCrypto, the shared format code),
 * saving the package and its secret file, and uploading with a progress bar; the signed receipt
 * comes back. The package the store holds is opened with the secret file the page handed the
 * bidder, and it carries what was typed.
 * Screenshots of each main page go to test/screenshots/trading-*.png.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import t from 'tap'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { nodeCrypto } from '../../src/lib/pki/node-crypto.ts'
import { openBid } from '../../src/lib/sealed-bid/index.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { baseUrl, buildTestApp } from '../helper.ts'
import { organisation } from '../factories/accounts.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { publishedTender, tradingDesk } from '../factories/trading.ts'
import { rsaKey, workDirectory } from '../support/pki.ts'
import { launchChromium, screenshot } from '../support/browser.ts'

t.test('a bidder seals and submits a bid in the browser', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const dir = workDirectory(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await organisation(app, 'bidder', 'jianye.bid')

  // the bidder's key is made on its own machine; the platform certifies it from a CSR
  const key = rsaKey()
  const issued = await app.inject({ method: 'POST', url: '/api/pki/certificates', headers: bidder.headers, payload: { csr: derToPem(createCsr(key, encodeName([['CN', '建业建设集团']])), 'CERTIFICATE REQUEST'), profile: 'organisation' } })
  t.equal(issued.statusCode, 201)
  await writeFile(path.join(dir, 'jianye.pem'), issued.json().certificatePem)
  await writeFile(path.join(dir, 'jianye.key'), key.export({ type: 'pkcs8', format: 'pem' }))
  await writeFile(path.join(dir, '投标函.pdf'), '%PDF-1.4 建业建设集团 投标函 '.repeat(2000))
  await writeFile(path.join(dir, '已标价工程量清单.xlsx'), Buffer.alloc(300_000, 7))

  const browser = await launchChromium(t)
  const failures: string[] = []
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true })
  const page: Page = await context.newPage()
  page.on('pageerror', (error) => failures.push(error.message))
  const shoot = (name: string) => screenshot(page, `trading-${name}`)

  // the public announcement, then sign in and obtain the documents
  await page.goto(`${url}/tenders`)
  await page.getByRole('link', { name: '示范县第一中学教学楼建设工程施工招标' }).click()
  await page.waitForURL(`${url}/tenders/${tender.id}`)
  t.match(await page.locator('[data-bid-deadline]').innerText(), /\d/)
  await shoot('announcement')
  await signInPage(page, url, 'jianye.bid')
  await page.goto(`${url}/tenders/${tender.id}`)
  await page.getByRole('button', { name: '获取招标文件' }).click()
  await page.waitForURL(`${url}/bidder/tenders/${tender.id}`)
  t.equal(await page.locator('[data-documents] a[download]').count(), 1, 'the documents download once obtained')

  // seal in the page: the key file is read and used here, never uploaded
  const uploads: string[] = []
  page.on('request', (request) => { if (request.method() === 'POST') uploads.push(request.postDataBuffer()?.toString('latin1') ?? '') })
  await page.getByLabel('投标报价（元）').fill('12,888,000.00')
  await page.getByLabel('工期（天）').fill('300')
  await page.getByLabel('投标文件').setInputFiles([path.join(dir, '投标函.pdf'), path.join(dir, '已标价工程量清单.xlsx')])
  await page.getByLabel('数字证书（PEM）').setInputFiles(path.join(dir, 'jianye.pem'))
  await page.getByLabel('私钥（PKCS#8 PEM，只在本机使用）').setInputFiles(path.join(dir, 'jianye.key'))
  await shoot('bid-form')
  // review, seal, save both files and pick them back (test/web/bid-safety-browser.test.ts has the details), submit
  await page.getByRole('button', { name: '下一步：核对投标内容' }).click()
  await page.getByRole('button', { name: '确认无误，加密并签名' }).click()
  await page.locator('[data-bid-step="save"]').waitFor({ timeout: 30_000 })
  const secretFile = path.join(dir, 'secret.json')
  for (const [name, file] of [['bid.ohsb', path.join(dir, 'bid.ohsb')], ['bid.ohsb.secret.json', secretFile]]) {
    const download = page.waitForEvent('download')
    await page.getByRole('link', { name: `下载 ${name!}`, exact: true }).click()
    await (await download).saveAs(file!)
    await page.getByLabel(`选择刚保存的 ${name!}，核对是否完整`).setInputFiles(file!)
  }
  await page.getByRole('button', { name: '递交投标' }).click()
  await page.locator('[data-receipt]').waitFor({ timeout: 30_000 })
  t.equal(await page.locator('#bid-progress').evaluate((element) => (element as HTMLProgressElement).value), 1, 'the upload progress reached the end')
  t.match(await page.locator('#bid-status').innerText(), /递交成功/)
  await shoot('bid-submitted')
  t.notOk(uploads.some((body) => body.includes('PRIVATE KEY')), 'the private key never left the page')
  t.notOk(uploads.some((body) => body.includes('投标函') || body.includes('%PDF')), 'nothing was uploaded in clear')

  // what the platform holds is the sealed package: the bidder's secret opens it, with the typed prices
  const [submission] = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids/mine`, headers: bidder.headers })).json()
  t.equal(submission.version, 1)
  t.match(await page.locator('[data-receipt]').innerText(), submission.sha256)
  const [row] = await app.db.$client`select blob_key from bid_submissions where id = ${submission.id}`
  const secret = JSON.parse(await readFile(secretFile, 'utf8'))
  const opened = await openBid({ provider: nodeCrypto, bytes: await app.store.get(row!.blob_key as string), contentKey: new Uint8Array(Buffer.from(secret.contentKey, 'base64')) })
  t.same(opened.opening, { priceFen: '1288800000', durationDays: 300 }, 'the opening fields are exactly what was typed, in fen')
  t.same(opened.files.map((file) => file.name), ['投标函.pdf', '已标价工程量清单.xlsx'])
  t.equal(opened.package.sha256, submission.sha256)

  await page.goto(`${url}/bidder/tenders/${tender.id}`)
  t.equal(await page.locator('[data-submissions] tbody tr').count(), 1, 'the workspace lists the submission with its receipt')
  await shoot('bidder-workspace')
  await page.goto(`${url}/bidder`)
  await shoot('bidder-home')
  t.same(failures, [], 'no script errors')

  // the agency's and the hall's pages, for review
  const official = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
  const agencyPage = await official.newPage()
  await official.addCookies([{ name: app.auth.cookieName, value: desk.agency.token, url }])
  await agencyPage.goto(`${url}/agency/tenders/${tender.id}`)
  t.match(await agencyPage.locator('h1').innerText(), /施工招标/)
  await screenshot(agencyPage, 'trading-agency-tender')
  await agencyPage.goto(`${url}/agency`)
  await screenshot(agencyPage, 'trading-agency')
  await official.clearCookies()
  await official.addCookies([{ name: app.auth.cookieName, value: desk.hall.token, url }])
  await agencyPage.goto(`${url}/hall/projects`)
  t.ok(await agencyPage.locator('[data-schedule] tbody tr').count() >= 1, 'the hall sees the schedule')
  await screenshot(agencyPage, 'trading-hall-projects')
})
