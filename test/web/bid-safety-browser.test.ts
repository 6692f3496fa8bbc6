/**
 * A bid cannot be lost or sent by accident, in real Chromium. Before sealing the bidder reviews
 * every opening field, the price in figures and in capitals (大写), with a warning when it is
 * above the ceiling or far from the estimate. After sealing, the page offers the sealed package
 * and its secret file and keeps "submit" disabled until each saved file is picked back and its
 * SHA-256 matches. At the opening the bidder decrypts with its certificate's private key in the
 * page, without the secret file: the key never leaves the page, the bid opens with the typed price,
 * and a reload keeps the certificate session and the done step.
 * Screenshots: test/screenshots/bid-review.png, bid-save.png, opening-bidder-decrypt-ways.png,
 * opening-bidder-key-revealed.png.
 */
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import t from 'tap'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { baseUrl, buildTestApp } from '../helper.ts'
import { signInPage } from '../factories/fees-pages.ts'
import { openingApi, tenderWithBids } from '../factories/openings.ts'
import { bidderWithCertificate, passDeadline, registerFor, type TestBidder } from '../factories/trading.ts'
import { launchChromium, screenshot } from '../support/browser.ts'
import { workDirectory } from '../support/pki.ts'

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex')

t.test('review, save both files, submit; at the opening decrypt with the private key', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const url = baseUrl(app)
  const dir = workDirectory(t)
  // two bids sealed elsewhere (the opening needs three); estimate ¥15,000,000, ceiling ¥14,800,000
  const { tender, bidders: others } = await tenderWithBids(app, ['1302500000', '1276000000'])
  const bidder = await bidderWithCertificate(app, 'jianye_safe')
  await registerFor(app, bidder, tender.id)

  async function keyFiles (who: TestBidder, name: string) {
    const files = { certificate: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) }
    await writeFile(files.certificate, derToPem(who.certificate, 'CERTIFICATE'))
    await writeFile(files.key, who.key.export({ type: 'pkcs8', format: 'pem' }))
    return files
  }
  const own = await keyFiles(bidder, 'jianye')
  const stranger = await keyFiles(others[0]!, 'stranger')
  await writeFile(path.join(dir, '投标函.pdf'), '%PDF-1.4 建业 投标函 '.repeat(500))

  const browser = await launchChromium(t)
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN', acceptDownloads: true })
  const page: Page = await context.newPage()
  const failures: string[] = []
  page.on('pageerror', (error) => failures.push(error.message))
  await signInPage(page, url, 'jianye_safe')
  const posted: string[] = []
  page.on('request', (request) => { if (request.method() === 'POST') posted.push(request.postDataBuffer()?.toString('latin1') ?? '') })
  // a piece of the private key's secret part (its tail: primes and exponents; the modulus at its
  // head is public, in the certificate) as a key file holds it, and as raw bytes
  const keyDer = bidder.key.export({ type: 'pkcs8', format: 'der' })
  const keyTraces = [keyDer.toString('base64').slice(-400, -340), keyDer.subarray(-300, -260).toString('latin1'), 'PRIVATE KEY']
  await page.goto(`${url}/bidder/tenders/${tender.id}`)

  await t.test('nothing is sealed until every field is right and reviewed', async (t) => {
    await page.getByRole('button', { name: '下一步：核对投标内容' }).click()
    const summary = page.locator('[data-bid-errors]')
    await summary.getByRole('heading', { name: '请先改正以下问题' }).waitFor()
    t.same(await summary.locator('li').allInnerTexts(), ['请填写投标报价。', '请填写工期。', '请选择要加密的投标文件。', '请选择数字证书文件（PEM）。', '请选择私钥文件（PKCS#8 PEM）。'])
    t.equal(await page.locator('#opening-priceFen').getAttribute('aria-invalid'), 'true')
    t.equal(await page.locator('#opening-priceFen').getAttribute('aria-describedby'), 'opening-priceFen-error', 'the message sits next to the field')
    t.equal(await page.locator('[data-bid-step="review"]').isVisible(), false)

    // a digit too many: above the ceiling and far above the estimate
    await page.getByLabel('投标报价（元）').fill('148,880,000')
    await page.getByLabel('工期（天）').fill('300')
    await page.getByLabel('投标文件').setInputFiles(path.join(dir, '投标函.pdf'))
    await page.getByLabel('数字证书（PEM）').setInputFiles(own.certificate)
    await page.getByLabel('私钥（PKCS#8 PEM，只在本机使用）').setInputFiles(stranger.key)
    await page.getByRole('button', { name: '下一步：核对投标内容' }).click()
    await summary.locator('li', { hasText: '所选私钥不属于所选的数字证书' }).waitFor()
    t.equal(await summary.locator('li').count(), 1, 'a key of another certificate is caught before sealing')
    await page.getByLabel('私钥（PKCS#8 PEM，只在本机使用）').setInputFiles(own.key)
    await page.getByRole('button', { name: '下一步：核对投标内容' }).click()
    await page.locator('[data-bid-step="review"]').waitFor()
    t.equal(await page.locator('[data-bid-errors] li').count(), 0, 'the error summary is gone')
    const price = page.locator('[data-review-field="priceFen"]')
    t.equal(await price.locator('[data-figures]').innerText(), '¥148,880,000.00')
    t.equal(await price.locator('[data-capitals]').innerText(), '大写：壹亿肆仟捌佰捌拾捌万元整')
    t.equal(await page.locator('[data-review-field="durationDays"] [data-figures]').innerText(), '300 天')
    t.match(await page.locator('[data-warning="aboveCeiling"]').innerText(), /高于本项目最高投标限价 ¥14,800,000\.00，超出 ¥134,080,000\.00/)
    t.match(await page.locator('[data-warning="farFromEstimate"]').innerText(), /比本项目估算价 ¥15,000,000\.00 高出 892\.5%/)
    t.match(await page.locator('[data-review-files]').innerText(), /投标函\.pdf/)
    await screenshot(page, 'bid-review')

    await page.getByRole('button', { name: '返回修改' }).click()
    await page.getByLabel('投标报价（元）').fill('12,888,000.50')
    await page.getByRole('button', { name: '下一步：核对投标内容' }).click()
    await page.locator('[data-review-field="priceFen"] [data-capitals]', { hasText: '大写：壹仟贰佰捌拾捌万捌仟元伍角整' }).waitFor()
    t.equal(await page.locator('[data-warning]').count(), 0, 'a sensible price: no warning')
    t.same(posted, [], 'nothing was sent while reviewing')
  })

  let packageSha256 = ''
  await t.test('after sealing, submit waits until both saved files are picked back and match', async (t) => {
    await page.getByRole('button', { name: '确认无误，加密并签名' }).click()
    await page.locator('[data-bid-step="save"]').waitFor({ timeout: 30_000 })
    const submit = page.getByRole('button', { name: '递交投标' })
    t.ok(await submit.isDisabled(), 'submit is disabled right after sealing')
    t.match(await page.locator('[data-bid-step="save"]').innerText(), /视为撤销/, 'the page says in plain words what losing the secret means')
    await screenshot(page, 'bid-save')

    async function save (name: string): Promise<string> {
      const download = page.waitForEvent('download')
      await page.getByRole('link', { name: `下载 ${name}`, exact: true }).click()
      const file = path.join(dir, name)
      await (await download).saveAs(file)
      return file
    }
    const savedPackage = await save('bid.ohsb')
    packageSha256 = await sha256(savedPackage)
    t.equal(await page.locator('[data-kept-sha256="package"]').innerText(), packageSha256, 'the page shows the SHA-256 of the file it offered')
    await page.getByLabel('选择刚保存的 bid.ohsb，核对是否完整').setInputFiles(savedPackage)
    await page.locator('[data-check-status="package"][data-checked="true"]', { hasText: '核对无误' }).waitFor()
    t.ok(await submit.isDisabled(), 'one file checked is not enough')

    const secretLabel = page.getByLabel('选择刚保存的 bid.ohsb.secret.json，核对是否完整')
    await secretLabel.setInputFiles(own.certificate)
    await page.locator('[data-check-status="secret"][data-checked="false"]', { hasText: '不一致' }).waitFor()
    t.equal(await secretLabel.getAttribute('aria-invalid'), 'true')
    t.ok(await submit.isDisabled(), 'a different file does not count')
    const savedSecret = await save('bid.ohsb.secret.json')
    t.equal(await page.locator('[data-kept-sha256="secret"]').innerText(), await sha256(savedSecret))
    await secretLabel.setInputFiles(savedSecret)
    await page.locator('[data-check-status="secret"][data-checked="true"]').waitFor()
    t.ok(await submit.isEnabled(), 'both files checked: submit is enabled')
    t.same(posted, [], 'nothing was sent before submitting')
    t.match(JSON.parse(await readFile(savedSecret, 'utf8')), { packageSha256, contentKey: /^[A-Za-z0-9+/]{43}=$/, nonce: /^[0-9a-f]{64}$/ })

    await submit.click()
    await page.locator('[data-receipt]').waitFor({ timeout: 30_000 })
    await page.locator('[data-action="submit"][data-submitted="true"][disabled]', { hasText: '已递交' }).waitFor()
    const [submission] = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids/mine`, headers: bidder.user.headers })).json()
    t.equal(submission.sha256, packageSha256, 'the platform holds exactly the package the bidder saved')
  })

  await t.test('at the opening the private key decrypts in the page; the session survives a reload', async (t) => {
    const realNow = app.clock.now
    t.teardown(() => { app.clock.now = realNow })
    app.clock.now = () => new Date(new Date(tender.bidDeadline).getTime() - 10 * 60_000)
    await page.goto(`${url}/bidder/openings/${tender.id}`)
    await page.getByLabel('证书文件（PEM）').setInputFiles(own.certificate)
    await page.getByLabel('私钥文件（PEM，仅在本页使用）').setInputFiles(own.key)
    await page.getByRole('button', { name: '证书登录' }).click()
    await page.getByRole('button', { name: '签到', exact: true }).click()
    await page.locator('[data-action="sign-in"][disabled]', { hasText: '已签到' }).waitFor()
    await page.reload()
    await page.locator('[data-action="sign-in"][disabled]', { hasText: '已签到' }).waitFor()
    t.equal(await page.locator('#certificate-sign-in').count(), 0, 'after a reload the certificate session is still there')

    await passDeadline(app, t, tender)
    const reveal = page.locator('[data-step="reveal"]')
    await reveal.waitFor({ timeout: 15_000 })
    const withKey = page.locator('[data-form="reveal-key"]')
    t.ok(await withKey.isVisible() && await page.locator('[data-form="reveal"]').isVisible(), 'both ways to decrypt are offered')
    await screenshot(page, 'opening-bidder-decrypt-ways')
    // a certificate the bid was not sealed for
    await withKey.getByLabel('证书文件（PEM）').setInputFiles(stranger.certificate)
    await withKey.getByLabel('私钥文件（PEM，仅在本页使用）').setInputFiles(stranger.key)
    await page.getByRole('button', { name: '用私钥解密' }).click()
    await page.locator('[data-message].error', { hasText: '投标文件不是为这张证书加密的' }).waitFor()
    // its own
    await withKey.getByLabel('证书文件（PEM）').setInputFiles(own.certificate)
    await withKey.getByLabel('私钥文件（PEM，仅在本页使用）').setInputFiles(own.key)
    await page.getByRole('button', { name: '用私钥解密' }).click()
    await page.locator('[data-message]', { hasText: '解密成功' }).waitFor({ timeout: 30_000 })
    await page.locator('[data-step-button="reveal"][disabled]', { hasText: '已解密' }).waitFor()
    t.equal(await withKey.isVisible(), false, 'once revealed, the other way to decrypt goes away')
    t.equal(await page.locator('[data-bids] td[data-field="priceFen"]', { hasText: '¥' }).innerText(), '¥12,888,000.50', 'the bidder sees its own price opened')
    t.notOk(posted.some((body) => keyTraces.some((trace) => body.includes(trace))), 'no key material was ever sent, neither at sealing nor at the opening')
    const revealed = posted.find((body) => body.includes('"contentKey"'))
    t.ok(revealed, 'what was sent is the content key and nonce, as from a secret file')

    const opening = (await openingApi(app, tender.id).get(bidder.user.headers)).json() as { bids: Array<{ bidderId: string, status: string, openedBy: string, fields: Record<string, unknown>, sha256: string }> }
    t.match(opening.bids.find((bid) => bid.bidderId === bidder.user.id), { status: 'opened', openedBy: 'bidder', fields: { priceFen: '1288800050', durationDays: 300 }, sha256: packageSha256 },
      'the platform opened the very package the bidder saved, with the typed price')
    await screenshot(page, 'opening-bidder-key-revealed')

    await page.reload()
    await page.locator('[data-step-button="reveal"][disabled]', { hasText: '已解密' }).waitFor()
    t.equal(await page.locator('#certificate-sign-in').count(), 0, 'the certificate session survives the reload')
    t.equal(await withKey.isVisible(), false, 'and the page still shows the step as done')
  })

  t.same(failures, [], 'no script errors')
})
