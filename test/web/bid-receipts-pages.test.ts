/**
 * Bid receipts as pages: the bidder's 递交回执 (its own only; another bidder's is not there), the
 * .p7s download, and the public verifier answering in words for a genuine receipt, a package
 * that matches or not, a receipt changed after signing, a file that is no receipt, and a
 * receipt re-signed by someone else. No page has an empty heading.
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { createSignedData } from '../../src/lib/cms/index.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { supervisor } from '../factories/accounts.ts'
import { bidderWithCertificate, publishedTender, registerFor, sealedPackage, submitBid, tradingDesk } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'
import { multipart } from '../support/multipart.ts'
import { emptyHeadings } from './headings.ts'

t.test('a bidder reads its receipt; anyone checks one', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const [bidder, other] = [await bidderWithCertificate(app), await bidderWithCertificate(app)]
  const sealed: Array<Awaited<ReturnType<typeof sealedPackage>>> = []
  const submissions: Array<{ id: string, sha256: string, size: number, receipt: { json: string, cms: string } }> = []
  for (const who of [bidder, other]) {
    await registerFor(app, who, tender.id)
    const pkg = await sealedPackage(who, tender.code, { size: 30_000 })
    const submitted = await submitBid(app, who, tender.id, pkg)
    t.equal(submitted.statusCode, 201)
    sealed.push(pkg)
    submissions.push(submitted.json())
  }
  const mine = submissions[0]!
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

  await t.test('the receipt page: the bidder\'s own, in words', async (t) => {
    const page = await get(`/bidder/submissions/${mine.id}/receipt`, bidder.user.headers)
    t.equal(page.statusCode, 200)
    t.match(page.body, '<h1>递交回执</h1>')
    t.match(page.body, tender.code, 'the tender code')
    t.match(page.body, '示范县第一中学教学楼建设工程施工招标', 'and its title')
    t.match(page.body, `<span>${mine.sha256.slice(0, 8)}</span><span>${mine.sha256.slice(8, 16)}</span>`, 'the SHA-256 in groups of eight')
    t.match(page.body, new RegExp(`\\d+(\\.\\d)? KB（${mine.size.toLocaleString('en-US')} 字节）`), 'the size in KB and exact bytes')
    const shanghai = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(JSON.parse(mine.receipt.json).receivedAt))
    t.match(page.body, shanghai, 'received, in the hall\'s time zone')
    t.match(page.body, '投标 · 第 1 版')
    t.match(page.body, 'data-receipt-check="valid"', 'the platform signature checks')
    t.match(page.body, /data-receipt-signer>[^<]*CN=/, 'the signer is named')
    t.match(page.body, `href="/bidder/submissions/${mine.id}/receipt/p7s"`, 'the .p7s to download')
    t.notMatch(page.body, /\.pdf"/, 'no PDF link: bid receipts have none')
    t.same(emptyHeadings(page.body), [])

    const workspace = await get(`/bidder/tenders/${tender.id}`, bidder.user.headers)
    t.match(workspace.body, `href="/bidder/submissions/${mine.id}/receipt"`, 'linked from the bidder\'s submissions')

    const p7s = await get(`/bidder/submissions/${mine.id}/receipt/p7s`, bidder.user.headers)
    t.equal(p7s.statusCode, 200)
    t.match(p7s.headers['content-type'], 'application/pkcs7-signature')
    t.same(p7s.rawPayload, Buffer.from(mine.receipt.cms, 'base64'), 'the very receipt the API answered')
  })

  await t.test('every refusal', async (t) => {
    for (const url of [`/bidder/submissions/${mine.id}/receipt`, `/bidder/submissions/${mine.id}/receipt/p7s`]) {
      t.equal((await get(url, other.user.headers)).statusCode, 404, `another bidder: ${url} does not exist`)
      const anonymous = await get(url)
      t.equal(anonymous.statusCode, 302, 'anonymous: sign in first')
      t.match(anonymous.headers.location, /^\/login\?next=/)
      t.equal((await get(url, (await supervisor(app)).headers)).statusCode, 403, 'not a bidder')
    }
    t.equal((await get('/bidder/submissions/00000000-0000-4000-8000-000000000000/receipt', bidder.user.headers)).statusCode, 404, 'no such submission')
    t.equal((await get('/bidder/submissions/not-a-uuid/receipt', bidder.user.headers)).statusCode, 400)
  })

  const verify = (files: Record<string, { name: string, content: Uint8Array | string }>) => {
    const body = multipart({}, files)
    return app.inject({ method: 'POST', url: '/bids/receipts/verify', headers: body.headers, payload: body.payload })
  }
  const receiptFile = Buffer.from(mine.receipt.cms, 'base64')

  await t.test('the public verifier', async (t) => {
    const form = await get('/bids/receipts/verify')
    t.equal(form.statusCode, 200, 'public')
    t.match(form.body, 'name="receipt"')
    t.same(emptyHeadings(form.body), [])

    const genuine = await verify({ receipt: { name: 'receipt.p7s', content: receiptFile }, package: { name: 'bid.ohsb', content: sealed[0]!.bytes } })
    t.equal(genuine.statusCode, 200)
    t.match(genuine.body, 'data-verify-result="valid"')
    t.match(genuine.body, '核验通过')
    t.match(genuine.body, `<code data-verify-tender>${tender.code}</code>`, 'the tender it states')
    t.match(genuine.body, mine.sha256.slice(0, 8), 'the hash it states')
    t.match(genuine.body, 'data-package-result="match"', 'the package is the one the receipt names')
    t.equal(createHash('sha256').update(sealed[0]!.bytes).digest('hex'), mine.sha256)
    t.same(emptyHeadings(genuine.body), [])

    const pem = await verify({ receipt: { name: 'receipt.pem', content: derToPem(receiptFile, 'CMS') } })
    t.match(pem.body, 'data-verify-result="valid"', 'a PEM copy checks too')
    t.notMatch(pem.body, 'data-package-result', 'no package, no comparison')

    const otherPackage = await verify({ receipt: { name: 'receipt.p7s', content: receiptFile }, package: { name: 'bid.ohsb', content: sealed[1]!.bytes } })
    t.match(otherPackage.body, 'data-package-result="mismatch"', 'another bidder\'s package does not match')
    t.match(otherPackage.body, '投标文件与回执不一致')

    // change one figure of the signed content inside the DER: the signature no longer covers it
    const tampered = Buffer.from(receiptFile)
    const at = tampered.indexOf('"sequence":1')
    t.ok(at > 0)
    tampered[at + '"sequence":'.length] = '2'.charCodeAt(0)
    const changed = await verify({ receipt: { name: 'receipt.p7s', content: tampered } })
    t.equal(changed.statusCode, 422)
    t.match(changed.body, /id="verify-receipt-error"[^>]*>签名与内容不符/, 'the message is beside the field')
    t.match(changed.body, 'aria-invalid="true" aria-describedby="verify-receipt-error"')
    t.match(changed.body, 'href="#verify-receipt"', 'and the summary links to it')
    t.notMatch(changed.body, 'data-verify-result')

    const notCms = await verify({ receipt: { name: 'receipt.p7s', content: 'this is a letter, not a receipt\n'.repeat(4) } })
    t.equal(notCms.statusCode, 422)
    t.match(notCms.body, '这个文件不是电子签名回执')
    const garbage = await verify({ receipt: { name: 'receipt.p7s', content: Buffer.concat([receiptFile.subarray(0, 40), Buffer.alloc(40, 0xff)]) } })
    t.equal(garbage.statusCode, 422, 'a cut receipt')
    t.match(garbage.body, '这个文件不是电子签名回执')

    const missing = await verify({ receipt: { name: '', content: '' } })
    t.equal(missing.statusCode, 422)
    t.match(missing.body, '请选择要核验的递交回执文件')
    const notMultipart = await app.inject({ method: 'POST', url: '/bids/receipts/verify', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'receipt=x' })
    t.equal(notMultipart.statusCode, 422, 'a form without files is asked for the file, not answered with an error page')
    t.match(notMultipart.body, '请选择要核验的递交回执文件')

    // the same content signed by a bidder (whose certificate the platform trusts): not a platform receipt
    const resigned = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificate, bidder.key), content: Buffer.from(mine.receipt.json), detached: false })
    const foreign = await verify({ receipt: { name: 'receipt.p7s', content: resigned } })
    t.equal(foreign.statusCode, 200)
    t.match(foreign.body, 'data-verify-result="foreign"')
    t.match(foreign.body, '不是本平台签发的这份回执')
  })
})
