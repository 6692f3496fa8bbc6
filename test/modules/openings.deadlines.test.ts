/**
 * An opening is never stranded nor unfair (issue 19): a K nobody draws raises yellow then red and
 * the host may give the nonce after the deadline (still commit-reveal, still re-computable); a bid
 * retried once and then left silent is judged by its final state; a non-mandatory tender runs a
 * whole opening in a minute of the injected clock.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { decryptEnvelopedData } from '../../src/lib/cms/index.ts'
import { commitmentOf, drawCoefficient, seedOf } from '../../src/lib/commit-reveal.ts'
import { nodeCrypto, nodeDecrypter } from '../../src/lib/pki/node-crypto.ts'
import { pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { buildTestApp } from '../helper.ts'
import { advance, openingApi, openingUnderWay, tenderWithBids } from '../factories/openings.ts'
import { acceptedProject, addVenue, bidderWithCertificate, passDeadline, tenderInput, tradingDesk, type TestBidder } from '../factories/trading.ts'
import { workDirectory } from '../support/pki.ts'

const PRICES = ['1288800000', '1302500000', '1276000000', '1310000000']
const K_RANGE = { min: '0.95', max: '1.05', step: '0.01' }
const MINUTE = 60_000

t.test('a K nobody draws: yellow before the nonce deadline, red after it, then the host gives the nonce and anyone re-computes K from the record', async (t) => {
  const { app } = await buildTestApp(t)
  const setup = await openingUnderWay(app, t, PRICES.slice(0, 3), { decryptionMinutes: 30, evaluationMethod: { method: 'reasonable_lowest_price', coefficientK: K_RANGE } })
  const { desk, tender, bidders } = setup
  const api = openingApi(app, tender.id)
  const timerKey = `openings.k_draw:${tender.id}`
  const frozen = (await api.get()).json()
  t.equal(frozen.state, 'frozen')
  const deadline = new Date(frozen.coefficient.deadline).getTime()
  t.equal(deadline - new Date(frozen.serverTime).getTime(), 15 * MINUTE, 'the nonce is due 15 minutes after the freeze, published with the commitment')
  t.equal(frozen.coefficient.alarm, null)
  const room = await app.live.read(null, `opening:${tender.id}`, 0, 100)
  t.match(room!.events.find((event) => event.type === 'opening.frozen')!.data, { coefficient: { commitment: frozen.coefficient.commitment, deadline: frozen.coefficient.deadline } }, 'the deadline is declared in the room with the commitment')

  const early = await api.post('coefficient', desk.agency.headers, { nonce: 'host-before-deadline' })
  t.equal(early.statusCode, 403)
  t.equal(early.json().code, 'K_DRAW_SUPERVISOR_FIRST', 'until the deadline only a supervisor gives the nonce')

  // yellow: five minutes before the deadline, once
  await advance(app, 10 * MINUTE + 1000, timerKey)
  const warned = (await api.get()).json()
  t.equal(warned.coefficient.alarm, 'yellow')
  t.equal(warned.state, 'frozen')
  await app.timers.fireDue()
  // red: the deadline passed with no nonce
  await advance(app, 5 * MINUTE, timerKey)
  const overdue = (await api.get()).json()
  t.equal(overdue.coefficient.alarm, 'red')
  t.equal(overdue.state, 'frozen', 'the alarm draws nothing by itself: the way forward is a person who cannot know the secret')
  const events = (await app.live.read(null, `opening:${tender.id}`, 0, 100))!.events
  t.same(events.filter((event) => event.type.startsWith('opening.k_draw_')).map((event) => [event.type, (event.data as { colour: string }).colour]),
    [['opening.k_draw_warning', 'yellow'], ['opening.k_draw_overdue', 'red']], 'each colour is announced once, to everyone in the room')
  const [audited] = await app.db.$client`select count(*)::int as count from audit_entries where action in ('opening.k_draw_warning', 'opening.k_draw_overdue') and subject_id = ${tender.id}` as Array<{ count: number }>
  t.equal(audited!.count, 2, 'and in the audit chain')

  // the way forward: the host gives the nonce; the secret was committed before and is unknown to the host
  t.equal((await api.post('coefficient', bidders[0]!.certHeaders, { nonce: 'bidder-nonce-1' })).statusCode, 403, 'a bidder never gives it')
  const drawn = await api.post('coefficient', desk.agency.headers, { nonce: 'host-after-deadline-6-2-4' })
  t.equal(drawn.statusCode, 200, drawn.body)
  const k = drawn.json().coefficient
  t.equal(drawn.json().state, 'decrypting')
  t.match(k, { drawnAs: 'host', nonce: 'host-after-deadline-6-2-4', alarm: 'red' })
  t.equal(commitmentOf(Buffer.from(k.secret, 'hex')), frozen.coefficient.commitment, 'the secret revealed is the one committed at the freeze')
  t.equal(drawCoefficient(seedOf(Buffer.from(k.secret, 'hex'), k.nonce, k.context), K_RANGE), k.value)
  t.equal((await api.post('coefficient', setup.supervisor.headers, { nonce: 'too-late-now' })).json().code, 'OPENING_STATE_INVALID', 'K is drawn once')
  const [pending] = await app.db.$client`select count(*)::int as count from timers where key = ${timerKey} and fired_at is null` as Array<{ count: number }>
  t.equal(pending!.count, 0, 'no alarm is left to fire')

  for (const bidder of bidders) t.equal((await api.post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  const json = await app.inject({ method: 'GET', url: `/api/openings/${tender.id}/record/json` })
  const record = JSON.parse(json.body)
  t.match(record.coefficient, { value: k.value, nonce: k.nonce, secret: k.secret, range: K_RANGE, drawnAs: 'host', deadline: frozen.coefficient.deadline })
  const dir = workDirectory(t)
  writeFileSync(path.join(dir, 'record.json'), json.rawPayload)
  const verified = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-draw.ts', '--record', path.join(dir, 'record.json')], { encoding: 'utf8' })
  t.equal(verified.status, 0, verified.stderr)
  t.match(JSON.parse(verified.stdout), { commitmentValid: true, result: k.value, matchesRecord: true }, 'npm run verify-draw -- --record re-computes K from the published record')
  record.coefficient.value = record.coefficient.value === '1.05' ? '0.95' : '1.05'
  writeFileSync(path.join(dir, 'forged.json'), JSON.stringify(record))
  const forged = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-draw.ts', '--record', path.join(dir, 'forged.json')], { encoding: 'utf8' })
  t.equal(forged.status, 1, 'a record whose K is not the drawn one fails the check')
})

t.test('a pause before the nonce deadline moves it by the paused time', async (t) => {
  const { app } = await buildTestApp(t)
  const { desk, tender, supervisor: official } = await openingUnderWay(app, t, PRICES.slice(0, 3), { evaluationMethod: { method: 'reasonable_lowest_price', coefficientK: K_RANGE } })
  const api = openingApi(app, tender.id)
  const before = new Date((await api.get()).json().coefficient.deadline).getTime()
  t.equal((await api.post('pause', desk.agency.headers, { reason: '监督人未到场' })).statusCode, 200)
  await advance(app, 20 * MINUTE, `openings.k_draw:${tender.id}`)
  t.equal((await api.get()).json().coefficient.alarm, null, 'no alarm while paused')
  const resumed = (await api.post('resume', desk.agency.headers, { reason: '监督人到场' })).json()
  t.equal(new Date(resumed.coefficient.deadline).getTime() - before, 20 * MINUTE)
  t.equal((await api.post('coefficient', desk.agency.headers, { nonce: 'host-too-early' })).json().code, 'K_DRAW_SUPERVISOR_FIRST')
  const drawn = await api.post('coefficient', official.headers, { nonce: 'supervisor-in-time' })
  t.equal(drawn.statusCode, 200, drawn.body)
  t.match(drawn.json().coefficient, { drawnAs: 'supervisor', alarm: null })
})

t.test('a bidder who tried a wrong key once and then stayed silent is not_revealed, and the escrow remedy opens its bid', async (t) => {
  const { app } = await buildTestApp(t)
  const custodians: TestBidder[] = await Promise.all(['custodian_a', 'custodian_b'].map((name) => bidderWithCertificate(app, `${name}_${randomBytes(3).toString('hex')}`)))
  const { desk, tender, bidders } = await openingUnderWay(app, t, PRICES.slice(0, 3), { escrow: { threshold: 2, custodians: custodians.map((custodian) => custodian.user.id) } }, {
    recipients: (published) => [pemToDer(published.escrow!.certificatePem)[0]!]
  })
  const api = openingApi(app, tender.id)
  for (const bidder of bidders.slice(0, 2)) t.equal((await api.post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  const retried = bidders[2]!
  const wrong = await api.post('reveals', retried.certHeaders, { ...retried.reveal, contentKey: randomBytes(32).toString('base64') })
  t.equal(wrong.statusCode, 422)
  t.equal(wrong.json().code, 'CONTENT_KEY_WRONG')
  await advance(app, 61 * MINUTE, `openings.window_end:${tender.id}`)
  const waiting = (await api.get()).json()
  t.equal(waiting.state, 'remedy', 'the declared remedy applies as it does to a bidder who never tried')
  t.match(waiting.bids[2], { status: 'failed', failure: 'not_revealed', outcome: 'deemed_revoked' })
  const [refusal] = await app.db.$client`select count(*)::int as count from audit_entries where action = 'opening.reveal_refused' and subject_id = ${tender.id}` as Array<{ count: number }>
  t.equal(refusal!.count, 1, 'the refused try stays in the audit chain')

  const escrowId = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().escrow.id as string
  for (const custodian of custodians) {
    const mine = (await app.inject({ method: 'GET', url: `/api/escrows/${escrowId}/share`, headers: custodian.user.headers })).json()
    const share = await decryptEnvelopedData({ provider: nodeCrypto, der: new Uint8Array(Buffer.from(mine.envelope, 'base64')), decrypter: nodeDecrypter(custodian.certificate, custodian.key) })
    t.equal((await app.inject({ method: 'POST', url: `/api/escrows/${escrowId}/shares`, headers: custodian.user.headers, payload: { share: Buffer.from(share).toString('base64') } })).statusCode, 204)
  }
  const remedied = await api.post('remedy', desk.agency.headers, { action: 'escrow' })
  t.equal(remedied.statusCode, 200, remedied.body)
  t.equal(remedied.json().state, 'confirming')
  t.match(remedied.json().bids[2], { status: 'opened', openedBy: 'escrow', outcome: 'opened', fields: { priceFen: PRICES[2] } })
})

t.test('decryptionMinutes: at least 10 for mandatory tendering, from 1 otherwise; a whole opening runs in a minute of the injected clock', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const mandatory = await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: { ...(await draftInput(app, desk, true)), decryptionMinutes: 1 } })
  t.equal(mandatory.statusCode, 422)
  t.equal(mandatory.json().code, 'DECRYPTION_WINDOW_TOO_SHORT', 'the law\'s window stands for mandatory tendering')
  const [drafts] = await app.db.$client`select count(*)::int as count from tenders` as Array<{ count: number }>
  t.equal(drafts!.count, 0, 'nothing is written')
  t.equal((await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: { ...(await draftInput(app, desk, false)), decryptionMinutes: 0 } })).statusCode, 400, 'never below a minute')

  const setup = await tenderWithBids(app, PRICES, { decryptionMinutes: 1, evaluationMethod: { method: 'reasonable_lowest_price', coefficientK: K_RANGE } }, { project: { mandatoryTendering: false } })
  const { tender, bidders } = setup
  const api = openingApi(app, tender.id)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().decryptionMinutes, 1)
  await passDeadline(app, t, tender)
  const drawn = (await api.post('coefficient', setup.supervisor.headers, { nonce: '1-2-3-4-5-6' })).json()
  t.equal(new Date(drawn.window.endsAt).getTime() - new Date(drawn.window.opensAt).getTime(), MINUTE, 'a one-minute window')
  for (const bidder of bidders.slice(0, 3)) t.equal((await api.post('reveals', bidder.certHeaders, bidder.reveal)).statusCode, 200)
  await advance(app, MINUTE + 1000, `openings.window_end:${tender.id}`)
  t.equal((await api.post('reveals', bidders[3]!.certHeaders, bidders[3]!.reveal)).json().code, 'DECRYPTION_CLOSED', 'the injected clock closed the window')
  const recorded = (await api.get()).json()
  t.equal(recorded.state, 'confirming')
  t.match(recorded.bids[3], { failure: 'not_revealed', outcome: 'deemed_revoked' })
  await advance(app, 31 * MINUTE, `openings.confirmation_end:${tender.id}`)
  t.equal((await api.get()).json().state, 'closed', 'the whole opening ran on the injected clock: nothing waited for the wall clock')
})

/** A draft's input for a project that is (or is not) under mandatory tendering. */
async function draftInput (app: Parameters<typeof tradingDesk>[0], desk: Awaited<ReturnType<typeof tradingDesk>>, mandatoryTendering: boolean) {
  const input = tenderInput(app, '')
  const project = await acceptedProject(app, desk, { project: { mandatoryTendering }, openingAt: input.bidDeadline, venueId: await addVenue(app, desk.hall) })
  return { ...input, projectId: project.id }
}
