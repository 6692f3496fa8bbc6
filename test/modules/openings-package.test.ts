/**
 * A bidder fetches its own sealed package in the opening (GET /api/openings/:id/bids/:sid/package)
 * to open its key envelope with its certificate's private key on its own machine — the way to
 * decrypt without the secret file. It gets exactly the bytes anchored at submission; another
 * bidder's package is 404, a password session is asked for the certificate, other roles are
 * refused by the policy layer, and before the freeze there is nothing to fetch.
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { decryptEnvelopedData } from '../../src/lib/cms/index.ts'
import { nodeCrypto, nodeDecrypter } from '../../src/lib/pki/node-crypto.ts'
import { openBid, packageHeader, toHex } from '../../src/lib/sealed-bid/index.ts'
import { buildTestApp } from '../helper.ts'
import { openingApi, tenderWithBids } from '../factories/openings.ts'
import { passDeadline } from '../factories/trading.ts'

async function * once (bytes: Uint8Array) { yield bytes }

t.test('a bidder fetches its own sealed package, and only its own', async (t) => {
  const { app } = await buildTestApp(t)
  const { tender, bidders, supervisor, desk } = await tenderWithBids(app, ['1288800000', '1302500000'])
  const [mine, other] = bidders as [typeof bidders[0], typeof bidders[0]]
  const url = (submissionId: string) => `/api/openings/${tender.id}/bids/${submissionId}/package`
  const get = (submissionId: string, headers: Record<string, string>) => app.inject({ method: 'GET', url: url(submissionId), headers })

  const early = await get(mine.submissionId, mine.certHeaders)
  t.equal(early.statusCode, 404, 'before the deadline the opening holds no bids to fetch')
  t.equal(early.json().code, 'BID_NOT_FOUND')

  await passDeadline(app, t, tender)
  const { bids } = (await openingApi(app, tender.id).get(mine.certHeaders)).json() as { bids: Array<{ submissionId: string, sha256: string }> }
  const anchored = bids.find((bid) => bid.submissionId === mine.submissionId)!.sha256

  const fetched = await get(mine.submissionId, mine.certHeaders)
  t.equal(fetched.statusCode, 200)
  t.equal(fetched.headers['content-type'], 'application/octet-stream')
  t.equal(fetched.headers['x-content-sha256'], anchored, 'the anchored SHA-256 travels with it')
  t.equal(createHash('sha256').update(fetched.rawPayload).digest('hex'), anchored, 'and the bytes are exactly the anchored package')
  t.equal(Number(fetched.headers['content-length']), fetched.rawPayload.length)

  // what the browser does with it: the private key opens the envelope, the package yields the nonce
  const header = await packageHeader(once(fetched.rawPayload))
  const contentKey = await decryptEnvelopedData({ provider: nodeCrypto, der: Buffer.from(header.keyEnvelope, 'base64'), decrypter: nodeDecrypter(mine.certificate, mine.key) })
  const opened = await openBid({ provider: nodeCrypto, bytes: once(fetched.rawPayload), contentKey })
  t.same({ contentKey: Buffer.from(contentKey).toString('base64'), nonce: toHex(opened.nonce) }, { contentKey: mine.reveal.contentKey, nonce: mine.reveal.nonce },
    'the private key recovers the same content key and nonce as the secret file holds')

  const foreign = await get(other.submissionId, mine.certHeaders)
  t.equal(foreign.statusCode, 404, 'another bidder\'s package does not exist for this one')
  t.equal(foreign.json().code, 'BID_NOT_FOUND')
  t.equal((await get('00000000-0000-4000-8000-000000000000', mine.certHeaders)).statusCode, 404, 'nor does an unknown one')
  const password = await get(mine.submissionId, mine.user.headers)
  t.equal(password.statusCode, 403)
  t.equal(password.json().code, 'CERTIFICATE_SIGN_IN_REQUIRED', 'a password session is asked to sign in with the certificate')
  t.equal((await get(other.submissionId, mine.user.headers)).statusCode, 404, 'and is told nothing about others\' bids')
  for (const [who, headers] of [['the host', desk.agency.headers], ['a supervisor', supervisor.headers]] as const) {
    const refused = await get(mine.submissionId, headers)
    t.equal(refused.statusCode, 403, `${who} is refused by the policy layer`)
    t.equal(refused.json().code, 'FORBIDDEN')
  }
  t.equal((await get(mine.submissionId, {})).statusCode, 401, 'anonymous callers are asked to sign in')
})
