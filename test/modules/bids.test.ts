import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { buildTestApp } from '../helper.ts'
import { organisation, supervisor } from '../factories/accounts.ts'
import { approvedFee, bankPayment, financeDesk, signedBankRequest } from '../factories/fees.ts'
import {
  addVenue, bidderWithCertificate, bondFeeVersion, passDeadline, storedBidObjects, publishedTender, registerFor, sealedPackage, submitBid, tradingDesk, type TestBidder
} from '../factories/trading.ts'
import { multipart } from '../support/multipart.ts'
import { workDirectory } from '../support/pki.ts'

async function submissionCount (app: FastifyInstance): Promise<number> {
  const [row] = await app.db.$client`select count(*)::int as n from bid_submissions`
  return row!.n as number
}

t.test('a sealed bid gets a signed receipt; retries, replacements and withdrawals are versions of one bid', async (t) => {
  const { app, config } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const sealed = await sealedPackage(bidder, tender.code)

  const first = await submitBid(app, bidder, tender.id, sealed, 'retry-key-0001')
  t.equal(first.statusCode, 201)
  const receipt = first.json()
  t.equal(receipt.sha256, sealed.sha256)
  t.equal(receipt.version, 1)
  t.equal(receipt.counts, true)

  // the receipt verifies offline with OpenSSL against the platform root
  const dir = workDirectory(t)
  await writeFile(path.join(dir, 'root.pem'), derToPem(app.pki.rootCertificate))
  await writeFile(path.join(dir, 'receipt.p7s'), Buffer.from(receipt.receipt.cms, 'base64'))
  const verified = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', path.join(dir, 'receipt.p7s'), '-CAfile', path.join(dir, 'root.pem'), '-purpose', 'any'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  t.equal(verified, receipt.receipt.json, 'openssl cms -verify accepts it and yields the receipt')
  t.match(JSON.parse(verified), { type: 'openhall.bid_receipt', tenderId: tender.code, ciphertextSha256: sealed.sha256, submissionId: receipt.id, sequence: 1 })

  const retried = await submitBid(app, bidder, tender.id, sealed, 'retry-key-0001')
  t.equal(retried.statusCode, 200, 'a retried upload answers the first receipt')
  t.equal(retried.json().id, receipt.id)
  const concurrent = await Promise.all([1, 2, 3].map(() => submitBid(app, bidder, tender.id, sealed, 'retry-key-0002')))
  t.equal(new Set(concurrent.map((response) => response.json().id)).size, 1, 'concurrent copies of one upload make one submission')

  const replacement = await sealedPackage(bidder, tender.code, { opening: { priceFen: '1277700000', durationDays: 280 } })
  const replaced = await submitBid(app, bidder, tender.id, replacement)
  t.equal(replaced.json().version, 3)
  const withdrawn = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/bids/withdrawal`, headers: { ...bidder.user.headers, 'idempotency-key': 'withdraw-0001' } })
  t.equal(withdrawn.statusCode, 201)
  t.equal(withdrawn.json().kind, 'withdrawal')
  t.match(JSON.parse(withdrawn.json().receipt.json), { type: 'openhall.bid_withdrawal_receipt', sequence: 4 })
  const again = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/bids/withdrawal`, headers: { ...bidder.user.headers, 'idempotency-key': 'withdraw-0002' } })
  t.equal(again.json().code, 'NOTHING_TO_WITHDRAW')
  const crossed = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/bids/withdrawal`, headers: { ...bidder.user.headers, 'idempotency-key': 'retry-key-0001' } })
  t.equal(crossed.json().code, 'IDEMPOTENCY_KEY_REUSED', 'a bid\'s key does not answer a withdrawal')

  // the audit trail records every submission, naming neither bidder nor tender before the deadline
  const trail = await app.db.$client`select actor_id, payload from audit_entries where subject_type = 'bid_submission'`
  t.equal(trail.length, 4)
  t.ok(trail.every((entry) => entry.actor_id === null && !JSON.stringify(entry.payload).includes(tender.id)), 'supervisors reading the audit log cannot count a tender\'s bids')

  const mine = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids/mine`, headers: bidder.user.headers })).json()
  t.same(mine.map((row: { version: number, kind: string, counts: boolean }) => [row.version, row.kind, row.counts]), [[1, 'bid', false], [2, 'bid', false], [3, 'bid', false], [4, 'withdrawal', true]], 'every version kept, the latest counts')
  t.equal((await storedBidObjects(config.dataDir)).length, 3, 'each bid version stored once')

  const rival = await bidderWithCertificate(app)
  await registerFor(app, rival, tender.id)
  t.same((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids/mine`, headers: rival.user.headers })).json(), [], 'a bidder sees only its own submissions')
  t.equal((await app.inject({ method: 'GET', url: `/api/bid-submissions/${receipt.id}`, headers: rival.user.headers })).statusCode, 404)
  const noKey = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/bids`, headers: { ...bidder.user.headers, ...multipart({}).headers }, payload: multipart({}).payload })
  t.equal(noKey.json().code, 'IDEMPOTENCY_KEY_REQUIRED')
})

t.test('bad bids are refused with a specific code and leave nothing behind', async (t) => {
  const { app, config } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk, { maxBidMegabytes: 1 })
  const other = await publishedTender(app, desk, {}, { venueId: await addVenue(app, desk.hall) })
  const bidder = await bidderWithCertificate(app)
  const impostor = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  await registerFor(app, impostor, tender.id)
  const unregistered = await bidderWithCertificate(app)

  const cases: Array<[string, () => Promise<{ statusCode: number, json: () => { code: string } }>, number, string]> = [
    ['not registered', async () => submitBid(app, unregistered, tender.id, await sealedPackage(unregistered, tender.code)), 409, 'NOT_REGISTERED'],
    ['someone else\'s certificate', async () => submitBid(app, impostor, tender.id, await sealedPackage(bidder, tender.code)), 422, 'CERTIFICATE_NOT_YOURS'],
    ['sealed for another tender', async () => submitBid(app, bidder, tender.id, await sealedPackage(bidder, other.code)), 422, 'PACKAGE_TENDER_MISMATCH'],
    ['oversize', async () => submitBid(app, bidder, tender.id, await sealedPackage(bidder, tender.code, { size: 1_300_000 })), 413, 'BID_TOO_LARGE'],
    ['an oversized signature part', async () => submitBid(app, bidder, tender.id, { bytes: (await sealedPackage(bidder, tender.code)).bytes, signature: Buffer.alloc(300 * 1024, 1) }), 400, 'BID_PART_MISSING'],
    ['plaintext', async () => submitBid(app, bidder, tender.id, { bytes: Buffer.from('%PDF-1.7 投标报价 12,888,000 元'.repeat(20)), signature: (await sealedPackage(bidder, tender.code)).signature }), 400, 'BID_NOT_ENCRYPTED'],
    ['signature over other bytes', async () => {
      const sealed = await sealedPackage(bidder, tender.code)
      return submitBid(app, bidder, tender.id, { bytes: sealed.bytes, signature: (await sealedPackage(bidder, tender.code)).signature })
    }, 422, 'SIGNATURE_INVALID'],
    ['truncated package', async () => {
      const sealed = await sealedPackage(bidder, tender.code)
      return submitBid(app, bidder, tender.id, { bytes: sealed.bytes.subarray(0, sealed.bytes.length - 100), signature: sealed.signature })
    }, 422, 'PACKAGE_TAMPERED']
  ]
  for (const [name, attempt, status, code] of cases) {
    const response = await attempt()
    t.equal(response.statusCode, status, name)
    t.equal(response.json().code, code, name)
  }
  t.equal(await submissionCount(app), 0, 'no submission recorded')
  t.same(await storedBidObjects(config.dataDir), [], 'no object left in the store')

  // late: judged by server time when the upload completes
  const sealed = await sealedPackage(bidder, tender.code)
  const early = await submitBid(app, bidder, tender.id, sealed, 'early-key-0001')
  t.equal(early.statusCode, 201)
  await passDeadline(app, t, tender)
  const late = await submitBid(app, bidder, tender.id, await sealedPackage(bidder, tender.code))
  t.equal(late.statusCode, 409)
  // a single bid: the opening failed at the freeze (流标), so the tender is closed as well as late
  t.equal(late.json().code, 'TENDER_CLOSED')
  const retryAfterDeadline = await submitBid(app, bidder, tender.id, sealed, 'early-key-0001')
  t.equal(retryAfterDeadline.statusCode, 200, 'a retry of a bid received in time still gets its receipt')
  t.equal(await submissionCount(app), 1)
  t.equal((await storedBidObjects(config.dataDir)).length, 1)
})

t.test('the deadline instant: an upload that completes at the deadline is late', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const sealed = await sealedPackage(bidder, tender.code)
  const deadline = new Date(tender.bidDeadline).getTime()
  // the upload starts a second before the deadline and completes at it
  let calls = 0
  const realNow = app.clock.now
  app.clock.now = () => new Date(calls++ === 0 ? deadline - 1000 : deadline)
  t.teardown(() => { app.clock.now = realNow })
  const response = await submitBid(app, bidder, tender.id, sealed)
  t.equal(response.json().code, 'BID_WINDOW_CLOSED')
  t.equal(await submissionCount(app), 0)
})

async function payBond (app: FastifyInstance, finance: Awaited<ReturnType<typeof financeDesk>>, bidder: TestBidder, tenderId: string) {
  const bond = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/bond/notice`, headers: bidder.user.headers })
  const notice = bond.json().notices[0]
  await app.inject(signedBankRequest(finance.bank, 'POST', `/api/bank/${finance.bank.code}/payments`, bankPayment({ code: notice.code, totalFen: notice.totalFen })))
  await app.timers.fireDue()
  return bond.json()
}

t.test('bid bonds: a paid notice or a guarantee letter, shown per bidder once the deadline passed', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const finance = await financeDesk(app)
  const bondItem = await approvedFee(app, finance.desk, { category: 'deposit', version: bondFeeVersion })
  const tender = await publishedTender(app, desk, { bond: { amountFen: 20_000_000, feeCode: bondItem.code } })
  const [payer, guarantor, forgetful] = await Promise.all([bidderWithCertificate(app), bidderWithCertificate(app), bidderWithCertificate(app)])
  for (const bidder of [payer, guarantor, forgetful]) {
    await registerFor(app, bidder, tender.id)
    t.equal((await submitBid(app, bidder, tender.id, await sealedPackage(bidder, tender.code))).statusCode, 201)
  }
  const issued = await payBond(app, finance, payer, tender.id)
  t.equal(issued.notices[0].totalFen, 20_000_000, 'the bond notice is for the tender\'s bond')
  t.equal(issued.status, 'missing', 'issued, not yet paid')
  const twice = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/bond/notice`, headers: payer.user.headers })
  t.equal(twice.json().notices.length, 1, 'asking again never bills twice')
  t.equal(twice.json().status, 'paid')

  const letter = multipart({
    issuer: '中国工商银行示范县支行',
    letterNumber: 'BH2026-0098',
    amountFen: '20000000',
    validUntil: new Date(new Date(tender.bidDeadline).getTime() + 90 * 86_400_000).toISOString()
  }, { file: { name: '保函.pdf', content: '%PDF-1.4 保函' } })
  const guaranteed = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/bond/guarantee`, headers: { ...guarantor.user.headers, ...letter.headers }, payload: letter.payload })
  t.equal(guaranteed.statusCode, 200)
  t.equal(guaranteed.json().status, 'guaranteed')

  await passDeadline(app, t, tender)
  const watcher = await supervisor(app)
  const bids = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids`, headers: watcher.headers })
  t.equal(bids.statusCode, 200)
  const byBidder = new Map(bids.json().map((row: { bidderId: string, bond: string }) => [row.bidderId, row.bond]))
  t.same([byBidder.get(payer.user.id), byBidder.get(guarantor.user.id), byBidder.get(forgetful.user.id)], ['paid', 'guaranteed', 'missing'])
  const outsider = await organisation(app, 'agency')
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids`, headers: outsider.headers })).statusCode, 404, 'another agency sees no bids')
})

t.test('with key escrow, every bid must be sealed to the escrow certificate too', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const custodians = await Promise.all([bidderWithCertificate(app), bidderWithCertificate(app), bidderWithCertificate(app)])
  const tender = await publishedTender(app, desk, { escrow: { threshold: 2, custodians: custodians.map((custodian) => custodian.user.id) } })
  t.ok(tender.escrow, 'the escrow certificate is published with the tender')
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const unescrowed = await submitBid(app, bidder, tender.id, await sealedPackage(bidder, tender.code))
  t.equal(unescrowed.json().code, 'ESCROW_NOT_RECIPIENT')
  const { pemToDer } = await import('../../src/lib/pki/x509-parts.ts')
  const escrowed = await submitBid(app, bidder, tender.id, await sealedPackage(bidder, tender.code, { extraRecipients: [pemToDer(tender.escrow!.certificatePem)[0]!] }))
  t.equal(escrowed.statusCode, 201)
})
