import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import jsqr from 'jsqr'
import pngjs from 'pngjs'
import t, { type Test } from 'tap'
import { renderPaymentNoticePdf, renderReceiptPdf, type PaymentNoticeDocument, type PdfLine, type ReceiptDocument } from '../../src/lib/pdf/index.ts'

// The PDFs are read back with poppler-utils (pdftotext, pdftoppm, pdfinfo, pdffonts), as a
// reader's viewer or printer would, never by inspecting pdfkit's output bytes.
const run = promisify(execFile)
// jsqr is CommonJS typed as an ES module: its function is the `default` of what Node imports
const jsQR = jsqr.default

const LONG_NAME = '城市基础设施配套费（含市政道路、给排水、燃气、供热、园林绿化等公共设施建设分摊部分）'

const notice: PaymentNoticeDocument = {
  hallName: '示范县政务服务中心',
  issuer: '示范县自然资源和规划局',
  code: '34110226000000123456',
  payer: { name: '示范县青山建设工程有限公司', idNumber: '91440300708461136T' },
  purpose: '行政事业性收费',
  items: [
    { code: '103040100', name: '不动产登记费（住宅）', amountFen: 8_000n },
    { code: '103040201', name: '土地复垦费', detail: '面积 120.5 平方米 × ¥2.00', amountFen: 24_100n },
    { code: '103050900', name: LONG_NAME, detail: null, amountFen: 5n }
  ],
  totalFen: 32_105n,
  issuedAt: new Date('2026-11-27T06:05:00Z'),
  // 00:30 on 12 December in Beijing, still the 11th in UTC
  dueAt: new Date('2026-12-11T16:30:00Z'),
  receivingAccount: '示范县财政局非税收入汇缴结算户 6217 0000 1234 5678',
  payUrl: 'https://hall.example.gov.cn/pay/34110226000000123456?t=9f8e7d',
  instructions: ['请在缴款期限前通过任一代理银行柜台或扫码缴款。', '逾期未缴，本通知书作废，须重新申请开具。']
}

const receipt: ReceiptDocument = {
  hallName: '示范县政务服务中心',
  number: 'SJ202611280000123',
  noticeCode: '34110226000000654321',
  payer: { name: '示范县青山建设工程有限公司', idNumber: '91440300708461136T', account: '6222 0212 3456 7890 123' },
  items: [{ code: 'BZJ-2026-0042', name: '投标保证金', detail: '示范县第二中学教学楼工程施工', amountFen: 120_000_000n }],
  totalFen: 120_000_000n,
  paidAt: new Date('2026-11-28T02:03:04Z'),
  channel: '银行回调',
  bankTxnId: 'ICBC20261128100304000123',
  issuedAt: new Date('2026-11-28T02:05:00Z'),
  verifyUrl: 'https://hall.example.gov.cn/receipts/SJ202611280000123/verify',
  contentSha256: '5f2b8c0e4d3a19b7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3',
  signerSubject: 'CN=示范县政务服务中心 文书签名'
}

function manyItems (count: number): PdfLine[] {
  return Array.from({ length: count }, (_, index) => ({
    code: `1030${String(index + 1).padStart(5, '0')}`,
    name: index % 9 === 4 ? `${LONG_NAME}第${index + 1}项` : `收费项目第${index + 1}项`,
    detail: index % 3 === 0 ? `数量 ${index + 1} 件 × ¥12.34` : null,
    amountFen: 1_234n * BigInt(index + 1)
  }))
}

/** Text with all whitespace removed: pdftotext spaces CJK text by glyph positions, not by the source string. */
function squeeze (text: string): string {
  return text.replace(/\s+/g, '')
}

async function tools (t: Test) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-pdf-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  let files = 0
  async function save (pdf: Buffer): Promise<string> {
    const file = path.join(dir, `${++files}.pdf`)
    await writeFile(file, pdf)
    return file
  }
  return {
    /** `mode` 'layout' keeps the printed arrangement; 'raw' follows drawing order, so a wrapped cell reads in one piece */
    async text (pdf: Buffer, options: { mode?: 'layout' | 'raw', page?: number } = {}): Promise<string> {
      const pages = options.page ? ['-f', String(options.page), '-l', String(options.page)] : []
      const { stdout } = await run('pdftotext', [`-${options.mode ?? 'layout'}`, ...pages, await save(pdf), '-'])
      return stdout
    },
    async pages (pdf: Buffer): Promise<number> {
      const { stdout } = await run('pdfinfo', [await save(pdf)])
      return Number(/^Pages:\s+(\d+)$/m.exec(stdout)?.[1])
    },
    async fonts (pdf: Buffer): Promise<string> {
      return (await run('pdffonts', [await save(pdf)])).stdout
    },
    /** Rasterises page 1 at 150 dpi, as a phone camera would see a print, and decodes its QR code. */
    async qr (pdf: Buffer): Promise<string | undefined> {
      const prefix = path.join(dir, `page-${++files}`)
      await run('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', await save(pdf), prefix])
      const image = pngjs.PNG.sync.read(await readFile(`${prefix}.png`))
      return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data
    }
  }
}

t.test('a payment notice prints everything a payer and a bank clerk need', async (t) => {
  const read = await tools(t)
  const pdf = await renderPaymentNoticePdf(notice)
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
  t.ok(pdf.length < 300 * 1024, `${pdf.length} bytes: the font is embedded as a subset`)

  const text = await read.text(pdf)
  const flat = squeeze(text)
  t.match(text, '3411 0226 0000 0012 3456', 'the payment code grouped in fours')
  t.notOk(flat.includes('Paymentnotice'), 'Chinese only: no translated subtitle under the title')
  for (const expected of ['缴款通知书', '示范县政务服务中心', '示范县青山建设工程有限公司', '91440300708461136T',
    '示范县自然资源和规划局', '行政事业性收费', '示范县财政局非税收入汇缴结算户6217000012345678']) {
    t.ok(flat.includes(expected), expected)
  }
  for (const item of ['不动产登记费（住宅）', '土地复垦费', '面积120.5平方米×¥2.00', '80.00', '241.00', '0.05']) t.ok(flat.includes(item), item)
  t.ok(flat.includes('合计¥321.05'), 'the total in figures')
  t.ok(flat.includes('合计（大写）叁佰贰拾壹元零伍分'), 'the total in capital numerals')
  t.ok(flat.includes('2026年11月27日14:05'), 'issued, Beijing time')
  t.ok(flat.includes('2026年12月12日00:30前到账'), 'due, Beijing time, although it is still the 11th in UTC')
  for (const line of notice.instructions) t.ok(flat.includes(squeeze(line)), line)
  t.ok(flat.includes('第1页/共1页'), 'a one-page notice says so')

  t.notOk(text.split('\n').some((line) => squeeze(line).includes(LONG_NAME)), 'the long item name does not fit one line')
  t.ok(squeeze(await read.text(pdf, { mode: 'raw' })).includes(LONG_NAME), 'it wraps within its cell and reads in full')

  t.equal(await read.qr(pdf), notice.payUrl, 'the QR code opens online payment')
  t.match(await read.fonts(pdf), /\+WenQuanYiMicroHei\s.*yes\s+yes\s+yes/, 'the CJK font is embedded, subsetted, with a Unicode map')
})

t.test('a notice of 40 items flows onto further pages with the table header on each', async (t) => {
  const read = await tools(t)
  const items = manyItems(40)
  const totalFen = items.reduce((sum, item) => sum + item.amountFen, 0n)
  t.equal(totalFen, 1_011_880n)
  const pdf = await renderPaymentNoticePdf({ ...notice, items, totalFen })
  t.ok(pdf.length < 300 * 1024, `${pdf.length} bytes`)

  const pages = await read.pages(pdf)
  t.ok(pages >= 2, `${pages} pages`)
  const pageTexts = await Promise.all(Array.from({ length: pages }, (_, index) => read.text(pdf, { page: index + 1 })))
  pageTexts.forEach((text, index) => {
    const flat = squeeze(text)
    t.ok(flat.includes(`第${index + 1}页/共${pages}页`), `page ${index + 1} is numbered`)
    t.ok(flat.includes('项目名称') && flat.includes('金额（元）'), `page ${index + 1} repeats the table header`)
    t.match(text, '3411 0226 0000 0012 3456', `page ${index + 1} carries the payment code`)
  })
  const last = squeeze(pageTexts.at(-1)!)
  t.ok(last.includes('合计¥10,118.80'), 'the last page has the total in figures')
  t.ok(last.includes('壹万零壹佰壹拾捌元捌角整'), 'and in words')
  t.notOk(squeeze(pageTexts[0]!).includes('合计'), 'the total is not printed before the items end')

  const raw = squeeze(await read.text(pdf, { mode: 'raw' }))
  for (const item of items) {
    t.equal(raw.split(item.name).length - 1, 1, `${item.name} printed once`)
  }
})

t.test('a receipt prints the payment, the signer and the digest of the signed receipt', async (t) => {
  const read = await tools(t)
  const pdf = await renderReceiptPdf(receipt)
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
  t.ok(pdf.length < 300 * 1024, `${pdf.length} bytes`)

  const text = await read.text(pdf)
  const flat = squeeze(text)
  t.match(text, '3411 0226 0000 0065 4321', 'the notice code grouped in fours')
  t.match(text, receipt.contentSha256, 'the digest in one unbroken line, to compare character by character')
  t.notOk(flat.includes('Electronicreceipt'), 'Chinese only: no translated subtitle under the title')
  for (const expected of ['电子缴款收据', 'SJ202611280000123', '示范县青山建设工程有限公司', '91440300708461136T',
    squeeze(receipt.payer.account!), '银行回调', 'ICBC20261128100304000123', '投标保证金', '示范县第二中学教学楼工程施工',
    '2026年11月28日10:03:04', '2026年11月28日10:05', '电子签名：CN=示范县政务服务中心文书签名']) {
    t.ok(flat.includes(expected), expected)
  }
  t.ok(flat.includes('合计¥1,200,000.00'), 'the total in figures')
  t.ok(flat.includes('合计（大写）壹佰贰拾万元整'), 'the total in capital numerals')
  t.equal(await read.qr(pdf), receipt.verifyUrl, 'the QR code opens the verification page')
})

t.test('the same document renders to the same bytes', async (t) => {
  t.ok((await renderReceiptPdf(receipt)).equals(await renderReceiptPdf(receipt)), 'receipt')
  t.ok((await renderPaymentNoticePdf(notice)).equals(await renderPaymentNoticePdf(notice)), 'payment notice')
})

t.test('a document that would contradict itself is refused', async (t) => {
  await t.rejects(renderPaymentNoticePdf({ ...notice, totalFen: 32_106n }), RangeError, 'items that do not add up to the total')
  await t.rejects(renderReceiptPdf({ ...receipt, items: [] }), RangeError, 'a total without items')
  await t.rejects(renderPaymentNoticePdf({ ...notice, code: '3411022600000012345' }), RangeError, 'a payment code that is not 20 digits')
})
