/**
 * The opening room as the server renders it, so a reload shows what the script showed: during
 * sign-in the countdown runs to the bid deadline; a done action is a disabled button saying so
 * (已签到, 已解密, 已确认, 已提出异议), not the button to do it again; no heading is empty.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { openingApi, tenderWithBids } from '../factories/openings.ts'
import { passDeadline } from '../factories/trading.ts'
import { emptyHeadings } from './headings.ts'

t.test('the room page carries the countdown and each done action from the server', async (t) => {
  const { app } = await buildTestApp(t)
  const { tender, bidders, supervisor, desk } = await tenderWithBids(app, ['1288800000', '1302500000', '1276000000'])
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(Date.parse(tender.bidDeadline) - 10 * 60_000)
  const [first, second, third] = bidders as [typeof bidders[0], typeof bidders[0], typeof bidders[0]]
  const page = async (headers: Record<string, string>, url = `/bidder/openings/${tender.id}`) => {
    const response = await app.inject({ method: 'GET', url, headers })
    t.equal(response.statusCode, 200, url)
    t.same(emptyHeadings(response.body), [], `no empty heading on ${url}`)
    return response.body
  }

  const before = await page(first.certHeaders)
  t.match(before, /<button type="button" data-action="sign-in" data-signed-in="false">签到<\/button>/, 'not signed in yet: the sign-in button')
  t.match(before, /data-countdown-label>距投标截止（开标）<\/dt>/, 'during sign-in: to the bid deadline')
  t.match(before, `datetime="${tender.bidDeadline}">00:10:00</time>`, 'the time left, by the server\'s clock')
  t.match(before, /<section data-step="reveal" hidden>/, 'nothing to decrypt yet')

  t.equal((await openingApi(app, tender.id).post('sign-in', first.certHeaders)).statusCode, 200)
  const signedIn = await page(first.certHeaders)
  t.match(signedIn, /data-action="sign-in" data-signed-in="true" disabled>已签到<\/button>/, 'signed in: a disabled 已签到 after a reload')
  t.equal((await openingApi(app, tender.id).post('sign-in', supervisor.headers)).statusCode, 200)
  t.match(await page(supervisor.headers, `/supervise/openings/${tender.id}`), /data-signed-in="true" disabled>已签到/, 'the supervisor\'s too')
  await page({}, `/openings/${tender.id}`)
  await page(desk.agency.headers, `/agency/openings/${tender.id}`)

  await passDeadline(app, t, tender)
  const decrypting = await page(first.certHeaders)
  t.match(decrypting, /data-countdown-label>解密剩余时间<\/dt>/, 'after the deadline: the decryption window')
  t.match(decrypting, /<button type="submit" data-step-button="reveal">解密<\/button>/)
  t.equal((await openingApi(app, tender.id).post('reveals', first.certHeaders, first.reveal)).statusCode, 200)
  t.match(await page(first.certHeaders), /<button type="submit" data-step-button="reveal" disabled>已解密<\/button>/, 'decrypted: a disabled 已解密')

  for (const bidder of [second, third]) t.equal((await openingApi(app, tender.id).post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  const confirming = await page(first.certHeaders)
  t.match(confirming, /data-countdown-label>确认剩余时间<\/dt>/)
  t.match(confirming, /data-step-button="confirm">确认无误<\/button>/)
  t.equal((await openingApi(app, tender.id).post('confirmation', first.certHeaders, { decision: 'confirm' })).statusCode, 200)
  const confirmed = await page(first.certHeaders)
  t.match(confirmed, /data-step-button="confirm" disabled>已确认<\/button>/, 'confirmed: a disabled 已确认')
  t.match(confirmed, /<form data-form="object" hidden>/, 'and no objection form')
  t.match(confirmed, /data-step-button="reveal" disabled>已解密/, 'decrypted is still said')

  t.equal((await openingApi(app, tender.id).post('confirmation', second.certHeaders, { decision: 'object', text: '第二名报价读错' })).statusCode, 200)
  const objected = await page(second.certHeaders)
  t.match(objected, /data-step-button="object" disabled>已提出异议<\/button>/)
  t.match(objected, /<form data-form="confirm" hidden>/)
})
