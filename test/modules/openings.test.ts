import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { decryptEnvelopedData } from '../../src/lib/cms/index.ts'
import { commitmentOf, drawCoefficient, seedOf } from '../../src/lib/commit-reveal.ts'
import { nodeCrypto, nodeDecrypter } from '../../src/lib/pki/node-crypto.ts'
import { pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { advance, openingApi, openingUnderWay, tenderWithBids } from '../factories/openings.ts'
import { bidderWithCertificate, passDeadline, type TestBidder } from '../factories/trading.ts'
import { workDirectory } from '../support/pki.ts'

const PRICES = ['1288800000', '1302500000', '1276000000', '1310000000']

t.test('a full opening through the API: sign-in, freeze, K by commit-reveal, decryption, Art. 31, the signed record, confirmation, close', async (t) => {
  const { app } = await buildTestApp(t)
  const setup = await tenderWithBids(app, PRICES, { decryptionMinutes: 30, evaluationMethod: { method: 'reasonable_lowest_price', coefficientK: { min: '0.95', max: '1.05', step: '0.01' } } })
  const { desk, tender, bidders } = setup
  const api = openingApi(app, tender.id)
  const [first, second, third, silent] = bidders as [typeof bidders[0], typeof bidders[0], typeof bidders[0], typeof bidders[0]]

  // sign-in opens 30 minutes before the deadline
  const early = await api.post('sign-in', first.certHeaders)
  t.equal(early.json().code, 'SIGN_IN_NOT_OPEN')
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(new Date(tender.bidDeadline).getTime() - 10 * 60_000)
  t.equal((await api.post('sign-in', first.user.headers)).json().code, 'CERTIFICATE_SIGN_IN_REQUIRED', 'a password session does not sign a bidder in')
  const outsider = await bidderWithCertificate(app)
  t.equal((await api.post('sign-in', outsider.user.headers)).json().code, 'OPENING_NOT_PARTICIPANT', 'a bidder without a bid only watches')
  const signedIn = await api.post('sign-in', first.certHeaders)
  t.equal(signedIn.statusCode, 200)
  t.equal(signedIn.json().state, 'sign_in')
  t.same(signedIn.json().you, { capacity: 'bidder', signedIn: true, submissionId: null }, 'before the freeze the opening holds no bids')
  t.equal((await api.post('sign-in', first.certHeaders)).statusCode, 200, 'signing in again changes nothing')
  t.equal((await api.post('sign-in', setup.supervisor.headers)).json().you.capacity, 'supervisor')
  t.equal((await api.post('sign-in', desk.agency.headers)).json().you.capacity, 'host')
  const publicBefore = await app.live.read(null, `opening:${tender.id}`, 0, 100)
  t.notOk(JSON.stringify(publicBefore).includes(first.user.id), 'before the deadline nobody else learns who signed in to bid')
  t.same(publicBefore!.events.map((event) => event.type), ['opening.sign_in', 'opening.signed_in', 'opening.signed_in'])
  const [naming] = await app.db.$client`select count(*)::int as count from audit_entries where action = 'opening.signed_in' and (actor_id = ${first.user.id} or payload::text like ${'%' + first.user.id + '%'} or subject_id = ${tender.id} and payload::text like '%bidder%')` as Array<{ count: number }>
  t.equal(naming!.count, 0, 'nor from the audit chain')

  // the deadline: bids frozen, their commitments and K's commitment published
  await passDeadline(app, t, tender)
  const frozen = (await api.get()).json()
  t.equal(frozen.state, 'frozen')
  t.same(frozen.bids.map((bid: { bidderName: string }) => bid.bidderName).length, 4)
  t.ok(frozen.bids.every((bid: { commitment: string, fields: unknown }) => /^[0-9a-f]{64}$/.test(bid.commitment) && bid.fields === null))
  t.match(frozen.coefficient, { commitment: /^[0-9a-f]{64}$/, nonce: null, secret: null, value: null })
  t.equal((await api.post('reveals', first.certHeaders, first.reveal)).json().code, 'DECRYPTION_NOT_OPEN')
  t.equal((await api.post('coefficient', desk.agency.headers, { nonce: '3-5-2-6-1' })).statusCode, 403, 'only a supervisor gives the nonce')

  const drawn = await api.post('coefficient', setup.supervisor.headers, { nonce: '3-5-2-6-1-4' })
  t.equal(drawn.statusCode, 200)
  const k = drawn.json().coefficient
  t.equal(drawn.json().state, 'decrypting')
  t.equal(commitmentOf(Buffer.from(k.secret, 'hex')), frozen.coefficient.commitment, 'the revealed secret is the committed one')
  t.equal(drawCoefficient(seedOf(Buffer.from(k.secret, 'hex'), '3-5-2-6-1-4', k.context), k.range), k.value, 'anyone re-computes K')
  const recomputed = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-draw.ts', '--commitment', k.commitment, '--secret', k.secret, '--nonce', k.nonce, '--context', k.context, '--coefficient', `${k.range.min},${k.range.max},${k.range.step}`], { encoding: 'utf8' })
  t.equal(recomputed.status, 0, recomputed.stderr)
  t.match(recomputed.stdout, k.value, 'npm run verify-draw re-computes it from the published values')
  t.equal(new Date(drawn.json().window.endsAt).getTime() - new Date(drawn.json().window.opensAt).getTime(), 30 * 60_000)
  t.equal((await api.post('coefficient', setup.supervisor.headers, { nonce: 'again-and-again' })).json().code, 'OPENING_STATE_INVALID', 'K is drawn once')

  // bad reveals: nothing changes
  t.equal((await api.post('reveals', first.certHeaders, second.reveal)).json().code, 'BID_NOT_FOUND', 'a reveal for someone else\'s bid')
  t.equal((await api.post('reveals', first.user.headers, first.reveal)).json().code, 'CERTIFICATE_SIGN_IN_REQUIRED')
  t.equal((await api.post('reveals', first.certHeaders, { ...first.reveal, contentKey: 'short' })).statusCode, 400)
  t.equal((await api.post('reveals', first.certHeaders, { ...first.reveal, extra: 1 })).statusCode, 400, 'unknown properties are refused')
  const wrongKey = await api.post('reveals', first.certHeaders, { ...first.reveal, contentKey: randomBytes(32).toString('base64') })
  t.equal(wrongKey.statusCode, 422)
  t.equal(wrongKey.json().code, 'CONTENT_KEY_WRONG')
  t.equal((await api.post('reveals', first.certHeaders, { ...first.reveal, nonce: 'ab'.repeat(32) })).json().code, 'REVEALED_NONCE_WRONG')
  const afterBad = (await api.get(setup.supervisor.headers)).json()
  t.equal(afterBad.state, 'decrypting')
  t.ok(afterBad.bids.every((bid: { status: string }) => bid.status === 'sealed'), 'a wrong key leaves the bid sealed (it may be retried)')

  for (const bidder of [first, second, third]) {
    const revealed = await api.post('reveals', bidder.certHeaders, bidder.reveal)
    t.equal(revealed.statusCode, 200, revealed.body)
    t.same(revealed.json().fields, { priceFen: bidder.priceFen, durationDays: 300 + bidders.indexOf(bidder) })
  }
  t.equal((await api.post('reveals', first.certHeaders, first.reveal)).json().code, 'BID_ALREADY_SETTLED', 'a replayed reveal changes nothing')
  const watching = (await api.get()).json()
  t.ok(watching.bids.every((bid: { fields: unknown }) => bid.fields === null), 'the public sees no price before the record')
  t.equal(watching.bids.filter((bid: { status: string }) => bid.status === 'opened').length, 3)
  t.equal((await api.get(second.certHeaders)).json().bids.filter((bid: { fields: unknown }) => bid.fields !== null).length, 1, 'a bidder sees its own price only')
  t.equal((await api.get(setup.supervisor.headers)).json().bids.filter((bid: { fields: unknown }) => bid.fields !== null).length, 3, 'the supervisor sees every opened price')
  t.equal((await api.get(setup.supervisor.headers)).json().attendance.length, 5, 'three sign-ins and two implied by reveals')

  // the window ends: the silent bidder's bid is deemed revoked (Art. 31), the record is published
  t.equal((await api.post('reveals', silent.certHeaders, silent.reveal)).statusCode, 200, 'still in the window')
  // (the fourth bidder revealed; a fifth case of silence is in the escrow test)
  const recorded = (await api.get()).json()
  t.equal(recorded.state, 'confirming', 'every bid settled: the window closes early and the record is published')
  const prices = recorded.bids.map((bid: { fields: { priceFen: string } }) => BigInt(bid.fields.priceFen))
  const mean = prices.reduce((a: bigint, b: bigint) => a + b, 0n)
  const kUnits = BigInt(k.value.replace('.', ''))
  const expected = (2n * mean * kUnits + 4n * 100n) / (2n * 4n * 100n)
  const json = await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/record/json` })
  t.equal(json.headers['content-type'], 'application/json')
  const record = JSON.parse(json.body)
  t.equal(record.referencePriceFen, expected.toString(), 'reference price = mean × K, rounded half up')
  t.equal(createHash('sha256').update(json.rawPayload).digest('hex'), recorded.record.sha256)
  t.same(record.bids.map((bid: { fields: { priceFen: string } }) => bid.fields.priceFen), PRICES, 'the record lists every price as sealed, in the order received')

  const dir = workDirectory(t)
  const ca = (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json()
  writeFileSync(path.join(dir, 'root.pem'), ca.root)
  writeFileSync(path.join(dir, 'record.p7s'), (await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/record/p7s` })).rawPayload)
  const verified = execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'record.p7s', '-CAfile', 'root.pem', '-purpose', 'any'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  t.same(verified, json.rawPayload, 'OpenSSL verifies the platform\'s signature over exactly the published JSON')
  writeFileSync(path.join(dir, 'record.pdf'), (await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/record/pdf` })).rawPayload)
  const text = execFileSync('pdftotext', ['-layout', 'record.pdf', '-'], { cwd: dir }).toString()
  t.match(text, /开标记录表/)
  for (const price of ['12,888,000.00', '13,025,000.00', '12,760,000.00', '13,100,000.00']) t.ok(text.includes(price), `the PDF shows ${price}`)

  // confirmation: one confirms, one objects and is answered, the rest are deemed to confirm
  t.equal((await api.post('confirmation', first.certHeaders, { decision: 'confirm' })).statusCode, 200)
  t.equal((await api.post('confirmation', first.certHeaders, { decision: 'confirm' })).json().code, 'ALREADY_DECIDED')
  const objected = await api.post('confirmation', second.certHeaders, { decision: 'object', text: '工期应为 301 天' })
  const objection = objected.json().objections[0]
  t.match(objection, { text: '工期应为 301 天', answer: null })
  t.equal((await api.post(`objections/${objection.id}/answer`, second.certHeaders, { answer: 'x' })).statusCode, 403, 'only the host answers')
  await advance(app, 31 * 60_000, `openings.confirmation_end:${tender.id}`)
  t.equal((await api.get()).json().state, 'confirming', 'an unanswered objection keeps the opening open')
  t.equal((await api.post('confirmation', third.certHeaders, { decision: 'confirm' })).json().code, 'CONFIRMATION_CLOSED')
  const answered = await api.post(`objections/${objection.id}/answer`, desk.agency.headers, { answer: '经核对开标记录，工期 301 天无误。' })
  t.equal(answered.json().state, 'closed')
  t.same(answered.json().bids.map((bid: { confirmation: string }) => bid.confirmation), ['confirmed', 'objected', 'deemed_confirmed', 'deemed_confirmed'])
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().status, 'evaluation')

  const log = (await app.inject({ method: 'GET', url: `/api/live/rooms/opening:${tender.id}/events`, headers: setup.supervisor.headers })).json() as { events: Array<{ type: string }> }
  const types = log.events.map((event) => event.type)
  t.same(types.filter((type) => ['opening.sign_in', 'opening.frozen', 'opening.k_drawn', 'opening.decrypting', 'opening.recorded', 'opening.confirming', 'opening.closed'].includes(type)),
    ['opening.sign_in', 'opening.frozen', 'opening.k_drawn', 'opening.decrypting', 'opening.recorded', 'opening.confirming', 'opening.closed'], 'every transition is in the room log, in order')
  const [audited] = await app.db.$client`select count(*)::int as count from audit_entries where action like 'opening.%' and subject_id = ${tender.id}` as Array<{ count: number }>
  t.ok(audited!.count >= types.length - 4, 'and in the audit chain')
})

t.test('fewer than three bids: the opening fails at the freeze and the tender goes to re-tender (流标)', async (t) => {
  const { app } = await buildTestApp(t)
  const { tender } = await openingUnderWay(app, t, PRICES.slice(0, 2))
  const opening = (await openingApi(app, tender.id).get()).json()
  t.equal(opening.state, 'failed')
  t.equal(opening.failureReason, 'fewer_than_3_bids')
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().status, 'failed')
})

t.test('pause and resume: reveals wait, the window is extended by the paused time', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, tender, bidders } = await openingUnderWay(app, t, PRICES.slice(0, 3))
  const api = openingApi(app, tender.id)
  const before = (await api.get()).json()
  t.equal(before.state, 'decrypting', 'no K declared: decryption opens at the freeze')
  t.equal((await api.post('pause', bidders[0]!.certHeaders, { reason: 'x' })).statusCode, 403)
  t.equal((await api.post('pause', desk.agency.headers, {})).statusCode, 400, 'a pause needs a reason')
  t.equal((await api.post('pause', desk.agency.headers, { reason: '网络中断，暂停解密' })).json().paused.reason, '网络中断，暂停解密')
  t.equal((await api.post('reveals', bidders[0]!.certHeaders, bidders[0]!.reveal)).json().code, 'OPENING_PAUSED')
  t.equal((await api.post('pause', desk.agency.headers, { reason: 'again' })).json().code, 'OPENING_PAUSED')
  await advance(app, 10 * 60_000)
  const resumed = (await api.post('resume', desk.agency.headers, { reason: '网络恢复' })).json()
  t.equal(new Date(resumed.window.endsAt).getTime() - new Date(before.window.endsAt).getTime(), 10 * 60_000)
  t.equal((await api.post('resume', desk.agency.headers, {})).json().code, 'OPENING_NOT_PAUSED')
  t.equal((await api.post('reveals', bidders[0]!.certHeaders, bidders[0]!.reveal)).statusCode, 200)

  // the window's end: unrevealed bids deemed revoked, fewer than three opened → 流标
  await advance(app, 61 * 60_000, `openings.window_end:${tender.id}`)
  const ended = (await api.get()).json()
  t.equal(ended.state, 'failed')
  t.equal(ended.failureReason, 'fewer_than_3_opened')
  t.same(ended.bids.map((bid: { failure: string | null, outcome: string }) => [bid.failure, bid.outcome]), [[null, 'opened'], ['not_revealed', 'deemed_revoked'], ['not_revealed', 'deemed_revoked']])
  t.equal((await api.post('reveals', bidders[1]!.certHeaders, bidders[1]!.reveal)).json().code, 'DECRYPTION_CLOSED', 'after the window')
})

t.test('the escrow remedy: after the window a custodian quorum opens a bid whose bidder never revealed', async (t) => {
  const { app } = await buildTestApp(t)
  const custodians: TestBidder[] = await Promise.all(['custodian_a', 'custodian_b', 'custodian_c'].map((name) => bidderWithCertificate(app, `${name}_${randomBytes(3).toString('hex')}`)))
  const { desk, tender, bidders } = await openingUnderWay(app, t, PRICES.slice(0, 3), { escrow: { threshold: 2, custodians: custodians.map((custodian) => custodian.user.id) } }, {
    recipients: (published) => [pemToDer(published.escrow!.certificatePem)[0]!]
  })
  const api = openingApi(app, tender.id)
  for (const bidder of bidders.slice(0, 2)) t.equal((await api.post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  t.equal((await api.post('remedy', desk.agency.headers, { action: 'escrow' })).json().code, 'OPENING_STATE_INVALID', 'the remedy comes after the window')
  await advance(app, 61 * 60_000, `openings.window_end:${tender.id}`)
  const waiting = (await api.get()).json()
  t.equal(waiting.state, 'remedy')
  t.equal(waiting.bids[2].failure, 'not_revealed')

  const escrowId = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().escrow.id as string
  t.equal((await api.post('remedy', desk.agency.headers, { action: 'escrow' })).json().code, 'ESCROW_QUORUM_NOT_MET')
  for (const custodian of custodians.slice(0, 2)) {
    const mine = (await app.inject({ method: 'GET', url: `/api/escrows/${escrowId}/share`, headers: custodian.user.headers })).json()
    const share = await decryptEnvelopedData({ provider: nodeCrypto, der: new Uint8Array(Buffer.from(mine.envelope, 'base64')), decrypter: nodeDecrypter(custodian.certificate, custodian.key) })
    t.equal((await app.inject({ method: 'POST', url: `/api/escrows/${escrowId}/shares`, headers: custodian.user.headers, payload: { share: Buffer.from(share).toString('base64') } })).statusCode, 204)
  }
  const remedied = await api.post('remedy', desk.agency.headers, { action: 'escrow' })
  t.equal(remedied.statusCode, 200, remedied.body)
  t.equal(remedied.json().state, 'confirming')
  t.match(remedied.json().bids[2], { status: 'opened', openedBy: 'escrow', outcome: 'opened', fields: { priceFen: PRICES[2] } })
  const [reassembled] = await app.db.$client`select count(*)::int as count from audit_entries where action = 'escrow.key_reassembled'` as Array<{ count: number }>
  t.equal(reassembled!.count, 1, 'the reassembly is logged')
})

t.test('who sees what: a draft tender\'s room is not there; presence lists signed-in sockets for supervisors only', async (t) => {
  const { app } = await buildTestApp(t)
  const { tender, supervisor: official, bidders } = await openingUnderWay(app, t, PRICES.slice(0, 3))
  t.equal((await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/presence`, headers: bidders[0]!.certHeaders })).statusCode, 403)
  t.same((await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/presence`, headers: official.headers })).json(), [])
  const stranger = await createUser(app, { grants: [{ role: 'bidder', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: `/api/openings/${crypto.randomUUID()}`, headers: stranger.headers })).statusCode, 404)
})

t.test('a tender cancelled during its opening ends the opening; nothing more is revealed', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, tender, bidders } = await openingUnderWay(app, t, PRICES.slice(0, 3))
  const api = openingApi(app, tender.id)
  t.equal((await api.post('reveals', bidders[0]!.certHeaders, bidders[0]!.reveal)).statusCode, 200)
  const cancelled = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/cancellation`, headers: desk.agency.headers, payload: { reason: '项目资金未落实，终止招标' } })
  t.equal(cancelled.statusCode, 200, cancelled.body)
  const ended = (await api.get()).json()
  t.equal(ended.state, 'failed')
  t.equal(ended.failureReason, 'tender_cancelled')
  t.equal((await api.post('reveals', bidders[1]!.certHeaders, bidders[1]!.reveal)).json().code, 'DECRYPTION_CLOSED')
  const [pending] = await app.db.$client`select count(*)::int as count from timers where key like ${'openings.%:' + tender.id} and fired_at is null` as Array<{ count: number }>
  t.equal(pending!.count, 0, 'no timer of the opening is left to fire')
})
