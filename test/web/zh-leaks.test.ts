/**
 * Chinese without leaks: every page each role reaches from its navigation (and the pages those
 * link to, one step further), rendered in zh-CN, shows no internal code (snake_case states,
 * CONSTANT_CODES, `kind:id` references), no English sentence and no template residue. Text the
 * page marks as another language (lang="en", the language switch) and code the reader is meant to
 * copy (<code>, <pre>, <kbd>, <samp>) or edits (<textarea>) are not the page's prose and are left out.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { actorFor } from '../../scripts/demo/actor.ts'
import { seedApprovals } from '../../scripts/demo/approvals.ts'
import { DEMO_PASSWORD, seedCounty } from '../../scripts/demo/county.ts'
import { seedFees } from '../../scripts/demo/fees.ts'
import { seedTrading } from '../../scripts/demo/trading.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { buildTestApp } from '../helper.ts'

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
  const text = prose(html)
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
