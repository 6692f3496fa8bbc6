/**
 * The opening room's pages as served: each role page only for that role in this opening, the
 * public view without prices until the record, the record printed once published.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { organisation } from '../factories/accounts.ts'
import { openingApi, openingUnderWay } from '../factories/openings.ts'

t.test('who gets which opening page, and what the public page prints', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, supervisor, tender, bidders } = await openingUnderWay(app, t, ['1288800000', '1302500000', '1276000000'])
  const page = async (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

  const publicPage = await page(`/openings/${tender.id}`)
  t.equal(publicPage.statusCode, 200)
  t.match(publicPage.body, /data-view="public"/)
  t.notMatch(publicPage.body, /12,888,000|1288800000/, 'no price on the public page before the record')
  t.match(publicPage.body, /开标记录在全部投标解密后公布/)

  t.equal((await page(`/agency/openings/${tender.id}`, desk.agency.headers)).statusCode, 200, 'the host console for the tender\'s agency')
  const otherAgency = await organisation(app, 'agency')
  t.equal((await page(`/agency/openings/${tender.id}`, otherAgency.headers)).statusCode, 404, 'another agency: no such page')
  t.equal((await page(`/supervise/openings/${tender.id}`, bidders[0]!.certHeaders)).statusCode, 403, 'a bidder is no supervisor')
  const supervising = await page(`/supervise/openings/${tender.id}`, supervisor.headers)
  t.equal(supervising.statusCode, 200)
  t.match(supervising.body, /data-presence/)

  const passwordBidder = await page(`/bidder/openings/${tender.id}`, bidders[0]!.user.headers)
  t.match(passwordBidder.body, /id="certificate-sign-in"/, 'a password session is offered the certificate sign-in')
  const certificateBidder = await page(`/bidder/openings/${tender.id}`, bidders[0]!.certHeaders)
  t.match(certificateBidder.body, /data-form="reveal"/, 'a certificate session can decrypt')

  for (const bidder of bidders) t.equal((await openingApi(app, tender.id).post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  const recorded = await page(`/openings/${tender.id}`)
  t.match(recorded.body, /data-record-table/)
  for (const price of ['12,888,000.00', '13,025,000.00', '12,760,000.00']) t.match(recorded.body, price, `the record prints ${price}`)
  t.match((await page(`/tenders/${tender.id}`)).body, new RegExp(`href="/openings/${tender.id}"`), 'the tender links to its opening room')
})
