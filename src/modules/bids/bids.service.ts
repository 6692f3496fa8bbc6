import { PassThrough, type Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { certificateParts, pemToDer } from '../../lib/pki/x509-parts.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import { postgresErrorOf, type Database, type Queryable, type Transaction } from '../../plugins/db.ts'
import type { Store } from '../../plugins/storage.ts'
import type { EscrowsService } from '../escrows/escrows.service.ts'
import type { PaymentsService } from '../payments/payments.service.ts'
import type { PkiService } from '../pki/pki.service.ts'
import type { AnchoredBid, SealedBidsService } from '../sealed-bids/sealed-bids.service.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import { bidWindowProblem, bondFeeLine, participationIsSecret } from '../tenders/tenders.rules.ts'
import { ParticipationSecret, TenderNotFound } from '../tenders/tenders.errors.ts'
import type { TendersService } from '../tenders/tenders.service.ts'
import { BidTooLarge, BondNotRequired, CertificateNotYours, EscrowNotRecipient, IdempotencyKeyReused, NothingToWithdraw, PackageTenderMismatch, SubmissionNotFound } from './bids.errors.ts'
import { createBidReceipts } from './bids.receipts.ts'
import * as repo from './bids.repository.ts'
import { bondStatus, receiptRecord, submissionStatus, windowError, type BondStatus } from './bids.rules.ts'
import type { BondView, GuaranteeFields, MySubmissionsFilter, MySubmissionView, SubmissionView, TenderBidView } from './bids.schemas.ts'

export interface BidsDeps {
  db: Database
  audit: Audit
  clock: Clock
  store: Store
  tenders: TendersService
  sealedBids: SealedBidsService
  pkiService: PkiService
  payments: PaymentsService
  escrows: EscrowsService
  /** the platform's document signer, which signs every receipt */
  signerCertificate: Uint8Array
  log: FastifyBaseLogger
}

export interface SubmitBidInput {
  tenderId: string
  idempotencyKey: string
  outerSignature: Uint8Array
  bytes: AsyncIterable<Uint8Array>
}

export interface SubmitResult { submission: SubmissionView, replay: boolean }

const IDEMPOTENCY_CONSTRAINT = 'bid_submissions_tenderId_bidderId_idempotencyKey_unique'
/** Longer than any upload can take (1 GB at 1 MB/s is under 20 minutes). */
const ABANDONED_AFTER_MS = 6 * 3_600_000
export const SWEEP_TIMER = 'bids.sweep_abandoned_uploads'

/** Resolves when a written-to stream drains or closes, leaving no listener behind. */
function drained (stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

export function createBidsService ({ db, audit, clock, store, tenders, sealedBids, pkiService, payments, escrows, signerCertificate, log }: BidsDeps) {
  const { verifyReceipt } = createBidReceipts({ db, pkiService, signerCertificate, log })

  function submissionView (row: repo.SubmissionRow, latestVersion: number): SubmissionView {
    return {
      id: row.id,
      tenderId: row.tenderId,
      version: row.version,
      kind: row.kind,
      size: row.size,
      sha256: row.sha256,
      commitment: row.commitment,
      receivedAt: row.receivedAt.toISOString(),
      counts: row.version === latestVersion,
      receipt: { json: row.receipt, cms: row.receiptCms.toString('base64') }
    }
  }

  async function replayOf (row: repo.SubmissionRow): Promise<SubmitResult> {
    return { submission: submissionView(row, await repo.versionCount(db, row.tenderId, row.bidderId)), replay: true }
  }

  function assertWindow (tender: TenderRow, at: Date): void {
    const problem = bidWindowProblem(tender, at)
    if (problem) throw windowError(problem)
  }

  /**
   * Streams the package once: into the store (staged, SHA-256 on the way in) and through the
   * keyless inspection at the same time, with bounded memory and the tender's size limit. The
   * store's digest is the one the outer signature is checked against, so the bytes are hashed
   * once and the signature covers exactly what is at rest. Resolves with the inspection and the
   * instant the last byte arrived; on any refusal the staged object is removed, so a refused or
   * interrupted upload leaves nothing.
   */
  async function receivePackage (key: string, input: SubmitBidInput, maxBytes: number) {
    const sink = new PassThrough({ highWaterMark: 1024 * 1024 })
    const stored = store.put(key, sink, { contentType: 'application/vnd.openhall.sealed-bid' })
    let storeError: unknown = null
    stored.catch((error: unknown) => { storeError = error })
    let completedAt: Date | null = null
    async function * teed () {
      let received = 0
      for await (const chunk of input.bytes) {
        received += chunk.length
        if (received > maxBytes) throw new BidTooLarge(maxBytes)
        if (storeError) throw storeError
        if (!sink.write(chunk)) await drained(sink)
        yield chunk
      }
      completedAt = clock.now()
      sink.end()
    }
    try {
      const report = await sealedBids.precheck({ bytes: teed(), outerSignature: input.outerSignature, digestOf: async () => (await stored).sha256 })
      return { report, receivedAt: completedAt ?? clock.now(), size: (await stored).size }
    } catch (error) {
      sink.destroy()
      await stored.catch(() => {})
      await store.delete(key).catch(() => {})
      throw error
    }
  }

  /**
   * Records one submission under the bidder's lock. The receipt states the version, which only
   * the transaction can confirm, yet it is signed before the transaction (no slow work under
   * the lock): it is signed for the version expected, and re-signed in the rare case that a
   * concurrent submission of the same bidder took that version first. Two copies of one upload
   * racing each other meet at the idempotency key's unique constraint: the second answers the
   * first's receipt.
   */
  async function recordSubmission (
    actor: Actor,
    tenderId: string,
    idempotencyKey: string,
    receivedAt: Date,
    receiptFor: (sequence: number) => Record<string, string | number>,
    insert: (tx: Transaction, version: number, receipt: { json: string, cms: Uint8Array }) => Promise<repo.SubmissionRow>
  ): Promise<{ row: repo.SubmissionRow, replay: boolean }> {
    const bidderId = actor.principal.accountId
    for (;;) {
      const expected = (await repo.versionCount(db, tenderId, bidderId)) + 1
      const receipt = await pkiService.signReceipt(receiptFor(expected))
      try {
        const row = await db.transaction(async (tx) => {
          const { tender: locked } = await tenders.documentHolder(actor, tenderId, tx, 'share')
          assertWindow(locked, receivedAt)
          const version = (await repo.versionCount(tx, tenderId, bidderId)) + 1
          return version === expected ? insert(tx, version, receipt) : null
        })
        if (row) return { row, replay: false }
      } catch (error) {
        if (postgresErrorOf(error)?.constraint !== IDEMPOTENCY_CONSTRAINT) throw error
        return { row: (await repo.findByIdempotencyKey(db, tenderId, bidderId, idempotencyKey))!, replay: true }
      }
    }
  }

  /**
   * A sealed bid (or its replacement). The deadline is judged by server time when the upload
   * completes; a retry with the same Idempotency-Key answers the first receipt; the row, the
   * receipt and the audit entry commit together, and only then is the object retained.
   */
  async function submitBid (actor: Actor, input: SubmitBidInput): Promise<SubmitResult> {
    const bidderId = actor.principal.accountId
    const { tender } = await tenders.documentHolder(actor, input.tenderId)
    const earlier = await repo.findByIdempotencyKey(db, tender.id, bidderId, input.idempotencyKey)
    if (earlier && earlier.kind !== 'bid') throw new IdempotencyKeyReused()
    if (earlier) {
      let drainedBytes = 0
      for await (const chunk of input.bytes) drainedBytes += chunk.length // the retried body is not needed
      log.info({ submissionId: earlier.id, drainedBytes }, 'bid upload retried; answering the first receipt')
      return replayOf(earlier)
    }
    assertWindow(tender, clock.now())
    const submissionId = crypto.randomUUID()
    const key = `bids/${tender.id}/${submissionId}`
    await repo.beginUpload(db, key, tender.id)
    const { report, receivedAt, size } = await receivePackage(key, input, tender.maxBidBytes).catch(async (error: unknown) => {
      await repo.endUpload(db, key)
      throw error
    })
    try {
      const { inspection, signer } = report
      if (inspection.header.tenderId !== tender.code) throw new PackageTenderMismatch(inspection.header.tenderId, tender.code)
      if (await pkiService.holderOf(db, signer.fingerprint) !== bidderId) throw new CertificateNotYours()
      if (tender.escrowId) await assertEscrowRecipient(tender.escrowId, inspection.recipients)
      const outcome = await recordSubmission(actor, tender.id, input.idempotencyKey, receivedAt, (sequence) => receiptRecord({
        kind: 'bid',
        submissionId,
        tenderCode: tender.code,
        bidderId,
        receivedAt,
        sequence,
        package: { sha256: inspection.sha256, size, commitment: inspection.header.commitment }
      }), async (tx, version, receipt) => {
        await repo.endUpload(tx, key)
        const row = await repo.insertSubmission(tx, {
          id: submissionId,
          tenderId: tender.id,
          bidderId,
          version,
          kind: 'bid',
          idempotencyKey: input.idempotencyKey,
          blobKey: key,
          size,
          sha256: inspection.sha256,
          commitment: inspection.header.commitment,
          signerFingerprint: signer.fingerprint,
          outerSignature: Buffer.from(input.outerSignature),
          receivedAt,
          receipt: receipt.json,
          receiptCms: Buffer.from(receipt.cms)
        })
        // names neither bidder nor tender (secret until the deadline); the row links them
        await audit.append(tx, auditRecord(null, version === 1 ? 'bid.submitted' : 'bid.replaced', 'bid_submission', row.id, { version, sha256: inspection.sha256, size }))
        return row
      })
      if (outcome.replay) {
        await discardUpload(key)
        return replayOf(outcome.row)
      }
      await store.retain(key).catch((error: unknown) => { log.error({ err: error, submissionId }, 'bid stored but not yet retained') })
      log.info({ tenderId: tender.id, submissionId, size }, 'sealed bid received')
      return { submission: submissionView(outcome.row, outcome.row.version), replay: false }
    } catch (error) {
      await discardUpload(key)
      throw error
    }
  }

  /** Removes a package that will not become a submission, and its in-progress mark. */
  async function discardUpload (key: string): Promise<void> {
    await store.delete(key).catch(() => {})
    await repo.endUpload(db, key)
  }

  /**
   * Deletes what killed uploads left in the store: objects whose in-progress mark is older than
   * any upload can take. A recorded submission never has a mark (the same transaction removed
   * it), so every mark this finds names an object no bid refers to. Objects go before marks, so
   * an interrupted sweep is simply repeated.
   */
  async function sweepAbandonedUploads (): Promise<number> {
    const keys = await repo.abandonedUploads(db, new Date(clock.now().getTime() - ABANDONED_AFTER_MS), 200)
    for (const key of keys) {
      await discardUpload(key)
      log.warn({ key }, 'removed the object of an upload that never completed')
    }
    return keys.length
  }

  async function assertEscrowRecipient (escrowId: string, recipients: Array<{ issuerDer: Uint8Array, serialHex: string }>): Promise<void> {
    const escrow = certificateParts(pemToDer((await escrows.publicInfo(escrowId)).certificatePem)[0]!)
    const addressed = recipients.some((recipient) =>
      recipient.serialHex === escrow.serialHex && Buffer.compare(Buffer.from(recipient.issuerDer), Buffer.from(escrow.issuerDer)) === 0)
    if (!addressed) throw new EscrowNotRecipient()
  }

  /** Withdraws the bidder's bid before the deadline: a new version that counts as "no bid". */
  async function withdraw (actor: Actor, input: { tenderId: string, idempotencyKey: string }): Promise<SubmitResult> {
    const bidderId = actor.principal.accountId
    const { tender } = await tenders.documentHolder(actor, input.tenderId)
    const earlier = await repo.findByIdempotencyKey(db, tender.id, bidderId, input.idempotencyKey)
    if (earlier && earlier.kind !== 'withdrawal') throw new IdempotencyKeyReused()
    if (earlier) return replayOf(earlier)
    const receivedAt = clock.now()
    assertWindow(tender, receivedAt)
    const submissionId = crypto.randomUUID()
    const outcome = await recordSubmission(actor, tender.id, input.idempotencyKey, receivedAt, (sequence) => receiptRecord({
      kind: 'withdrawal', submissionId, tenderCode: tender.code, bidderId, receivedAt, sequence
    }), async (tx, version, receipt) => {
      const latest = await repo.latestVersion(tx, tender.id, bidderId)
      if (!latest || latest.kind !== 'bid') throw new NothingToWithdraw()
      const row = await repo.insertSubmission(tx, {
        id: submissionId,
        tenderId: tender.id,
        bidderId,
        version,
        kind: 'withdrawal',
        idempotencyKey: input.idempotencyKey,
        receivedAt,
        receipt: receipt.json,
        receiptCms: Buffer.from(receipt.cms)
      })
      await audit.append(tx, auditRecord(null, 'bid.withdrawn', 'bid_submission', row.id, { version }))
      return row
    })
    return outcome.replay ? replayOf(outcome.row) : { submission: submissionView(outcome.row, outcome.row.version), replay: false }
  }

  /** A bidder sees its own submissions only, every version, with their receipts. */
  async function mySubmissions (actor: Actor, tenderId: string): Promise<SubmissionView[]> {
    await tenders.visibleTender(actor.principal, tenderId)
    const rows = await repo.submissionsOf(db, tenderId, actor.principal.accountId)
    const latest = rows.at(-1)?.version ?? 0
    return rows.map((row) => submissionView(row, latest))
  }

  /** The caller's own submissions in every tender, newest first: only ever the caller's rows. */
  async function listMySubmissions (actor: Actor, filter: MySubmissionsFilter): Promise<MySubmissionView[]> {
    const rows = await repo.submissionsOfBidder(db, actor.principal.accountId, { tenderId: filter.tenderId, limit: filter.limit ?? 50, offset: filter.offset ?? 0 })
    return rows.map(({ isLatest, ...row }) => ({ ...row, receivedAt: row.receivedAt.toISOString(), status: submissionStatus(row.kind, isLatest) }))
  }

  async function getSubmission (actor: Actor, submissionId: string): Promise<SubmissionView> {
    const row = await repo.findSubmission(db, submissionId)
    if (!row || row.bidderId !== actor.principal.accountId) throw new SubmissionNotFound(submissionId)
    return submissionView(row, await repo.versionCount(db, row.tenderId, row.bidderId))
  }

  function bondStatusOf (tender: TenderRow, bidderId: string, notices: Array<{ bidderId: string, noticeId: string }>, states: Map<string, { status: string }>, guarantees: repo.GuaranteeRow[]): BondStatus {
    return bondStatus({
      bondFen: tender.bondFen,
      bidDeadline: tender.bidDeadline,
      noticeStatuses: notices.filter((notice) => notice.bidderId === bidderId).map((notice) => states.get(notice.noticeId)?.status ?? 'missing'),
      guarantees: guarantees.filter((letter) => letter.bidderId === bidderId)
    })
  }

  async function bondStatusesOf (on: Queryable, tender: TenderRow, bidderIds: string[]): Promise<Map<string, BondStatus>> {
    const [notices, guarantees] = await Promise.all([repo.bondNoticesOf(on, tender.id, bidderIds), repo.guaranteesOf(on, tender.id, bidderIds)])
    const states = await payments.noticeStates(notices.map((notice) => notice.noticeId), on)
    return new Map(bidderIds.map((bidderId) => [bidderId, bondStatusOf(tender, bidderId, notices, states, guarantees)]))
  }

  async function bondView (tender: TenderRow, bidderId: string): Promise<BondView> {
    const [notices, guarantees] = await Promise.all([repo.bondNoticesOf(db, tender.id, [bidderId]), repo.guaranteesOf(db, tender.id, [bidderId])])
    const states = await payments.noticeStates(notices.map((notice) => notice.noticeId))
    return {
      tenderId: tender.id,
      bondFen: Number(tender.bondFen),
      status: bondStatusOf(tender, bidderId, notices, states, guarantees),
      notices: [...states.values()].map((notice) => ({ id: notice.id, code: notice.code, totalFen: Number(notice.totalFen), status: notice.status })),
      guarantees: guarantees.map((letter) => ({
        id: letter.id, issuer: letter.issuer, letterNumber: letter.letterNumber, amountFen: Number(letter.amountFen), validUntil: letter.validUntil.toISOString(), sha256: letter.sha256
      }))
    }
  }

  async function myBond (actor: Actor, tenderId: string): Promise<BondView> {
    const { tender } = await tenders.documentHolder(actor, tenderId)
    return bondView(tender, actor.principal.accountId)
  }

  /**
   * The bid bond as money: a payment notice of the unified-fees module, due at the deadline.
   * An open or paid notice is reused, so asking twice never bills twice.
   */
  async function requestBondNotice (actor: Actor, tenderId: string): Promise<BondView> {
    const { tender, registration } = await tenders.documentHolder(actor, tenderId)
    if (tender.bondFen === 0n || !tender.bondFeeCode) throw new BondNotRequired()
    assertWindow(tender, clock.now())
    await db.transaction(async (tx) => {
      const { tender: locked } = await tenders.documentHolder(actor, tenderId, tx, 'share')
      const notices = await repo.bondNoticesOf(tx, tenderId, [actor.principal.accountId])
      const states = await payments.noticeStates(notices.map((notice) => notice.noticeId), tx)
      if ([...states.values()].some((notice) => notice.status === 'issued' || notice.status === 'paid')) return
      const notice = await payments.createNotice(null, {
        purpose: 'bid_bond',
        reference: `tender_registration:${registration.id}`,
        payer: { accountId: actor.principal.accountId, name: actor.principal.displayName },
        lines: [bondFeeLine(locked.bondFeeCode!, locked.bondFen)],
        dueAt: locked.bidDeadline.toISOString()
      }, { tx })
      await repo.insertBondNotice(tx, { tenderId, bidderId: actor.principal.accountId, noticeId: notice.id })
    })
    return bondView(tender, actor.principal.accountId)
  }

  /** The bid bond as a bank guarantee letter (保函): its scan is stored and hashed. */
  async function recordGuarantee (actor: Actor, tenderId: string, fields: GuaranteeFields, file: { name: string, stream: Readable }): Promise<BondView> {
    const { tender } = await tenders.documentHolder(actor, tenderId)
    if (tender.bondFen === 0n) throw new BondNotRequired()
    assertWindow(tender, clock.now())
    const key = `guarantees/${tenderId}/${crypto.randomUUID()}`
    const stored = await store.put(key, file.stream, { contentType: 'application/octet-stream', maxBytes: 20 * 1024 * 1024 })
    try {
      await db.transaction(async (tx) => {
        const { tender: locked } = await tenders.documentHolder(actor, tenderId, tx, 'share')
        assertWindow(locked, clock.now())
        const letter = await repo.insertGuarantee(tx, {
          tenderId, bidderId: actor.principal.accountId, issuer: fields.issuer, letterNumber: fields.letterNumber, amountFen: BigInt(fields.amountFen), validUntil: new Date(fields.validUntil), blobKey: key, sha256: stored.sha256
        })
        await audit.append(tx, auditRecord(null, 'bid.guarantee_recorded', 'bond_guarantee', letter.id, { amountFen: String(fields.amountFen), sha256: stored.sha256 }))
      })
    } catch (error) {
      await store.delete(key).catch(() => {})
      throw error
    }
    await store.retain(key).catch((error: unknown) => { log.error({ err: error, key }, 'guarantee letter stored but not yet retained') })
    return bondView(tender, actor.principal.accountId)
  }

  /**
   * The bids of a tender as the opening sees them: after the deadline only, to the tender's
   * parties and officials; the latest version of each bidder counts, with its bond status.
   */
  async function tenderBids (actor: Actor, tenderId: string): Promise<TenderBidView[]> {
    const { tender, project } = await tenders.visibleTender(actor.principal, tenderId)
    if (!tenders.isParty(actor.principal, project) && !tenders.oversees(actor.principal, project)) throw new TenderNotFound(tenderId)
    if (participationIsSecret(tender, clock.now())) throw new ParticipationSecret()
    return bidsAtDeadline(db, tender)
  }

  /** For the opening module: the latest submission of each bidder and its bond status. */
  async function bidsAtDeadline (on: Queryable | Transaction, tender: TenderRow): Promise<TenderBidView[]> {
    const rows = await repo.submissionsOfTender(on, tender.id)
    const latest = new Map<string, { row: repo.SubmissionRow, versions: number }>()
    for (const row of rows) latest.set(row.bidderId, { row, versions: row.version })
    const bonds = await bondStatusesOf(on, tender, [...latest.keys()])
    const names = new Map((await tenders.registrationsOf(on, tender.id)).map((registration) => [registration.bidderId, registration.bidderName]))
    return [...latest.values()].map(({ row, versions }) => ({
      bidderId: row.bidderId,
      bidderName: names.get(row.bidderId) ?? '',
      status: row.kind === 'bid' ? 'bid' : 'withdrawn',
      submissionId: row.id,
      versions,
      sha256: row.sha256,
      size: row.size,
      commitment: row.commitment,
      receivedAt: row.receivedAt.toISOString(),
      bond: bonds.get(row.bidderId)!
    }))
  }

  /** For the opening module: where a submitted package is stored and what was anchored at submission. */
  async function anchorOf (submissionId: string): Promise<{ blobKey: string, anchored: AnchoredBid } | undefined> {
    const row = await repo.findSubmission(db, submissionId)
    if (!row || row.kind !== 'bid') return undefined
    return {
      blobKey: row.blobKey!,
      anchored: { sha256: row.sha256!, commitment: row.commitment!, signerFingerprint: row.signerFingerprint!, receivedAt: row.receivedAt }
    }
  }

  return { submitBid, withdraw, mySubmissions, listMySubmissions, getSubmission, verifyReceipt, myBond, requestBondNotice, recordGuarantee, tenderBids, bidsAtDeadline, anchorOf, sweepAbandonedUploads }
}

export type BidsService = ReturnType<typeof createBidsService>
