/**
 * Chinese without leaks: every page each role reaches from its navigation (and the pages those
 * link to, one step further), rendered in zh-CN, shows no internal code (snake_case states,
 * CONSTANT_CODES, `kind:id` references), no English sentence and no template residue. Text the
 * page marks as another language (lang="en", the language switch) and code the reader is meant to
 * copy (<code>, <pre>, <kbd>, <samp>) or edits (<textarea>) are not the page's prose and are left out.
 * The same holds for every kind of PDF the platform issues, read as text with poppler's pdftotext.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { actorFor } from '../../scripts/demo/actor.ts'
import { seedApprovals } from '../../scripts/demo/approvals.ts'
import { DEMO_PASSWORD, seedCounty } from '../../scripts/demo/county.ts'
import { seedFees } from '../../scripts/demo/fees.ts'
import { seedTrading } from '../../scripts/demo/trading.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { approve, approvalsDesk, delegatedItem, filed, ok, signResult, step } from '../factories/cases.ts'
import { approvedFee, financeDesk, issueNotice } from '../factories/fees.ts'
import { advance, openingApi, tenderWithBids } from '../factories/openings.ts'
import { passDeadline } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'
import { workDirectory } from '../support/pki.ts'

const SKIP = /^\/(?:docs|logout|lang\/|assets\/|api\/|favicon)/

/** The prose of a page: its text outside scripts, styles, code and parts marked as another language. */
export function prose (html: string): string {
  let text = html
    .replace(/<(script|style|code|pre|kbd|samp|textarea)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<(\w+)[^>]*\blang="(?!zh)[^"]*"[^>]*>[\s\S]*?<\/\1>/gi, ' ')
  // what a reader sees of attributes: labels, titles, placeholders
  text = text.replace(/<[^>]*?\b(?:aria-label|title|placeholder|alt)="([^"]*)"[^>]*>/gi, ' $1 ')
  return text.replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ').replace(/\s+/g, ' ')
}

const LEAKS: Array<[string, RegExp]> = [
  ['internal code', /\b[a-z]+(?:_[a-z]+)+\b/],
  ['constant code', /\b[A-Z]+(?:_[A-Z]+)+\b/],
  ['reference', /\b[a-z_]+:[0-9a-f]{8}-[0-9a-f]{4}/],
  ['English sentence', /\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){3,}\b/],
  ['template residue', /\b(?:undefined|NaN|null)\b|\[object Object\]/]
]

export function leaksIn (html: string): string[] {
  return leaksInText(prose(html))
}

/** The same detector over plain text: what a reader of a printed document sees. */
export function leaksInText (text: string): string[] {
  return LEAKS.flatMap(([kind, pattern]) => {
    const found = new RegExp(pattern.source, 'g')
    return [...text.matchAll(found)].map((match) => `${kind}: “${text.slice(Math.max(0, match.index - 20), match.index + match[0].length + 20).trim()}”`)
  })
}

async function crawl (app: FastifyInstance, headers: Record<string, string>): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>()
  let frontier = ['/']
  for (let depth = 0; depth < 3 && frontier.length; depth++) {
    const next: string[] = []
    for (const url of frontier) {
      if (seen.has(url) || seen.size >= 80) continue
      const page = await app.inject({ method: 'GET', url, headers: { ...headers, 'accept-language': 'zh-CN' } })
      if (page.statusCode !== 200 || !String(page.headers['content-type']).startsWith('text/html')) continue
      seen.set(url, leaksIn(page.body))
      for (const match of page.body.matchAll(/<a [^>]*href="(\/[^"#?]*)(?:\?[^"]*)?"/g)) {
        if (!SKIP.test(match[1]!) && !seen.has(match[1]!)) next.push(match[1]!)
      }
    }
    frontier = [...new Set(next)]
  }
  return seen
}

t.test('the prose of a page, and what counts as a leak in it', async (t) => {
  t.same(leaksInPrint('受理通知书\n办件编号 SCJGJ-20260508-0001\n电子签名：C=CN, O=示范县, CN=示范县 平台签名 Platform Signer\nhttps://hall.example/progress?number=1'), [])
  t.match(leaksInPrint('受理通知书\nAcceptance receipt'), [/English words: “Acceptance receipt”/])
  t.match(leaksInPrint('可用 npm run verify-draw 复算'), [/English words: “npm run verify”/])
  t.same(leaksIn('<p>状态：已受理</p><code>not_required</code><a lang="en" href="/lang/en">English</a>'), [])
  t.match(leaksIn('<td>not_required</td>'), [/internal code: “not_required”/])
  t.match(leaksIn('<p>FEE_VERSION_BACKDATED</p>'), [/constant code/])
  t.match(leaksIn('<p>tender_registration:0f1e2d3c-aaaa-4bbb-8ccc-123456789abc</p>'), [/internal code/, /reference/])
  t.match(leaksIn('<p>The package could not be opened</p>'), [/English sentence/])
  t.match(leaksIn('<input placeholder="undefined">'), [/template residue/])
})

t.test('no zh-CN page of any demo county account leaks English or internal codes', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true', HALL_REGION_CODE: '330100' } })
  // the hall administrator the demo is seeded as, named as a hall would name its own
  const adminUser = await hallAdmin(app)
  await app.db.$client`update accounts set display_name = '吴主任（政务服务中心）' where id = ${adminUser.id}`
  const admin = await app.services.accounts.getAccount(adminUser.id)
  const users = await seedCounty(app, actorFor(admin))
  await seedFees(app, actorFor(admin))
  await seedTrading(app, actorFor(admin))
  await seedApprovals(app, config.dataDir)
  const viewers: Array<[string, Record<string, string>]> = [['public', {}]]
  for (const user of users) {
    const session = await app.services.sessions.signIn({ username: user.username, password: DEMO_PASSWORD, ip: '127.0.0.1', userAgent: 'zh-leaks', requestId: 'zh-leaks' })
    viewers.push([user.username, { cookie: `${app.auth.cookieName}=${session.token}` }])
  }
  let pages = 0
  for (const [who, headers] of viewers) {
    for (const [url, leaks] of await crawl(app, headers)) {
      pages++
      t.same(leaks, [], `${who} ${url}`)
    }
  }
  t.ok(pages > 100, `${pages} pages read`)
})

/**
 * A printed document is Chinese throughout: beyond the page's leaks, two English words in a row
 * are one too (a translated subtitle, a command line). Codes (case numbers, payment codes,
 * digests, addresses) are single words; a certificate's distinguished name is quoted verbatim.
 */
export function leaksInPrint (text: string): string[] {
  const quoted = text.replace(/\b(?:C|ST|L|O|OU|CN|serialNumber)=[^,\n]*/g, ' ')
  const english = [...quoted.matchAll(/\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b/g)].map((match) => `English words: “${match[0]}”`)
  return [...leaksInText(quoted), ...english]
}

/** The text of a PDF as poppler's pdftotext reads it (what a reader copies off the printed page). */
function pdfText (dir: string, name: string, pdf: Buffer): string {
  const file = path.join(dir, `${name}.pdf`)
  writeFileSync(file, pdf)
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']).toString()
}

async function pdfOf (app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const response = await app.inject({ method: 'GET', url, headers })
  if (response.statusCode !== 200 || response.headers['content-type'] !== 'application/pdf') throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`)
  return response.rawPayload
}

t.test('no PDF the platform issues leaks English or internal codes into its Chinese text', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  /** each PDF with the title its text must show */
  const pdfs: Array<[string, Buffer]> = []

  // the documents of approval cases: acceptance, correction notice, refusal, a licence, an approval and a denial
  const desk = await approvalsDesk(app)
  // people as a hall names them: the documents print their names, and the factories' are English
  const named = async (id: string, name: string) => { await app.db.$client`update accounts set display_name = ${name} where id = ${id}` }
  await named(desk.applicant.id, '张三')
  const licence = await delegatedItem(app, desk, { resultKind: 'certificate' })
  const decision = await delegatedItem(app, desk, { name: '个体工商户名称变更登记', resultKind: 'decision' })
  const documentOf = (caseId: string, kind: string) => pdfOf(app, `/api/cases/${caseId}/documents/${kind}`, desk.clerk.headers)
  const licensed = await filed(app, desk.applicant, licence.id)
  await approve(app, desk, licensed.case.id)
  pdfs.push(['受理通知书', await documentOf(licensed.case.id, 'acceptance')], ['许可证', await documentOf(licensed.case.id, 'result')])
  pdfs.push(['许可证', await pdfOf(app, `/api/public/case-result?number=${encodeURIComponent(licensed.case.number)}&queryCode=${licensed.queryCode}`)])
  const approved = await filed(app, desk.applicant, decision.id)
  await approve(app, desk, approved.case.id)
  pdfs.push(['行政许可决定书', await documentOf(approved.case.id, 'result')])
  const corrected = await filed(app, desk.applicant, licence.id)
  await ok(await step(app, desk.clerk, corrected.case.id, 'acceptance'))
  await ok(await step(app, desk.clerk, corrected.case.id, 'review'))
  await ok(await step(app, desk.clerk, corrected.case.id, 'correction-notice', { materials: ['M2'], note: '营业执照复印件需加盖公章' }))
  pdfs.push(['一次性告知书', await documentOf(corrected.case.id, 'correction')])
  const refused = await filed(app, desk.applicant, licence.id)
  await ok(await step(app, desk.clerk, refused.case.id, 'refusal', { reasons: ['申请事项不属于本机关职权范围'] }))
  pdfs.push(['不予受理通知书', await documentOf(refused.case.id, 'refusal')])
  const denied = await filed(app, desk.applicant, licence.id)
  await ok(await step(app, desk.clerk, denied.case.id, 'acceptance'))
  await ok(await step(app, desk.clerk, denied.case.id, 'review'))
  await ok(await step(app, desk.chief, denied.case.id, 'decision', { decision: 'deny', reasons: ['经营场所与申请材料不符'] }))
  await ok(await step(app, desk.clerk, denied.case.id, 'result', { signature: await signResult(app, desk.clerk, denied.case.id, desk.seal) }))
  pdfs.push(['行政许可决定书', await documentOf(denied.case.id, 'result')])

  // a payment notice with a per-unit and a formula line, paid at the window: the notice and its receipt
  const { desk: fees, bank, teller } = await financeDesk(app)
  const perUnit = await approvedFee(app, fees, { version: { name: '城市道路占用挖掘修复费', basis: 'per_unit', amountFen: undefined, unitPriceFen: 12000, unitName: '平方米', quantityScale: 2 } })
  const formula = await approvedFee(app, fees, {
    version: { name: '公共资源交易服务费', basis: 'formula', amountFen: undefined, formula: 'max(500, price * 0.0015)', parameters: [{ name: 'price', label: '中标金额', unit: '元', scale: 2, min: '0' }] }
  })
  const notice = await issueNotice(app, fees.proposer, { lines: [{ code: perUnit.code, quantity: '12.5' }, { code: formula.code, parameters: { price: '1280000' } }] })
  pdfs.push(['缴款通知书', await pdfOf(app, `/api/payment-notices/${notice.id}/pdf`, fees.proposer.headers)])
  const paid = await app.inject({ method: 'POST', url: '/api/window-payments', headers: teller.headers, payload: { code: notice.code, amountFen: notice.totalFen, bankCode: bank.code, bankTxnId: 'W-LEAKS-1', payerAccountNo: '6222020200112233445', payerAccountName: '张三' } })
  t.equal(paid.statusCode, 201, paid.body)
  pdfs.push(['电子缴款收据', await pdfOf(app, `/api/receipts/${paid.json().payment.receiptNumber as string}/pdf`, teller.headers)])

  // an opening record with K drawn by commit-reveal and a bidder deemed to have revoked its bid (Art. 31)
  const opening = await tenderWithBids(app, ['1288800000', '1302500000', '1276000000', '1310000000'], {
    decryptionMinutes: 30, evaluationMethod: { method: 'reasonable_lowest_price', coefficientK: { min: '0.95', max: '1.05', step: '0.01' } }
  })
  for (const [index, bidder] of opening.bidders.entries()) await named(bidder.user.id, ['建业建设工程有限公司', '宏达路桥集团有限公司', '天一市政工程有限公司', '诚信建筑有限公司'][index]!)
  await passDeadline(app, t, opening.tender)
  const room = openingApi(app, opening.tender.id)
  const drawn = await room.post('coefficient', opening.supervisor.headers, { nonce: '3-5-2-6-1-4' })
  t.equal(drawn.statusCode, 200, drawn.body)
  for (const bidder of opening.bidders.slice(0, 3)) t.equal((await room.post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  await advance(app, 31 * 60_000, `openings.window_end:${opening.tender.id}`)
  pdfs.push(['开标记录表', await pdfOf(app, `/api/openings/${opening.tender.id}/record/pdf`)])

  for (const [index, [title, pdf]] of pdfs.entries()) {
    const text = pdfText(dir, `document-${index}`, pdf)
    t.ok(text.includes(title), `${title}: its text layer reads as Chinese`)
    t.same(leaksInPrint(text), [], `${title} shows no English or internal code`)
  }
  t.equal(new Set(pdfs.map(([title]) => title)).size, 8, 'every kind of PDF the platform issues was read')
})
