/**
 * Decryption: in the window each bidder reveals its content key and nonce; Art. 31 settles the
 * bids that stay sealed or fail, and where the tender offered an escrow the host may have it
 * open them (the remedy) or waive it. Then the record (openings.confirmation.ts).
 */
import type { Readable } from 'node:stream'
import type { Actor } from '../../lib/actor.ts'
import type { JsonValue } from '../../lib/canonical-json.ts'
import { decryptEnvelopedData } from '../../lib/cms/index.ts'
import { nodeCrypto } from '../../lib/pki/node-crypto.ts'
import { packageHeader } from '../../lib/sealed-bid/index.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Transaction } from '../../plugins/db.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import type { SealedBidsService } from '../sealed-bids/sealed-bids.service.ts'
import type { OpeningConfirmation } from './openings.confirmation.ts'
import { WINDOW_TIMER, openingRoom } from './openings.constants.ts'
import { BidAlreadySettled, BidNotFound, CertificateSignInRequired, DecryptionClosed, DecryptionNotOpen, EscrowNotOffered, OpeningPaused, OpeningStateInvalid } from './openings.errors.ts'
import type { createOpeningRecords } from './openings.record.ts'
import * as repo from './openings.repository.ts'
import { MAX_REVEAL_ATTEMPTS, art31Outcome, escrowCanRemedy, failureAtWindowEnd, failureOfError, isRetryable, revealProblem, type DecryptionFailure } from './openings.rules.ts'
import type { OpeningBidView, OpeningView, RevealInput } from './openings.schemas.ts'
import type { Capacity, OpeningHelpers, OpeningsDeps } from './openings.service.ts'

type OpeningRecords = ReturnType<typeof createOpeningRecords>

export type OpeningDecryptionDeps = Pick<OpeningsDeps, 'db' | 'audit' | 'clock' | 'live' | 'timers' | 'store' | 'masterKey' | 'tenders' | 'bids' | 'sealedBids' | 'escrows' | 'log'>
  & Pick<OpeningHelpers, 'officials' | 'emit' | 'move' | 'notPaused' | 'loadTender' | 'hosted' | 'getOpening' | 'bidView'>
  & Pick<OpeningRecords, 'renderAfterCommit'> & Pick<OpeningConfirmation, 'finish'>

export function createOpeningDecryption (deps: OpeningDecryptionDeps) {
  const { db, audit, clock, live, timers, store, masterKey, tenders, bids, sealedBids, escrows, log } = deps
  const { officials, emit, move, notPaused, loadTender, hosted, getOpening, bidView, renderAfterCommit, finish } = deps

  /** Reads a stored package; the stream is closed however the work ends (a refusal stops early). */
  async function readingPackage<T> (blobKey: string, work: (bytes: Readable) => Promise<T>): Promise<T> {
    const bytes = await store.get(blobKey)
    try {
      return await work(bytes)
    } finally {
      bytes.destroy()
    }
  }

  /**
   * A bidder reveals its content key and nonce. The package is decrypted outside any transaction
   * (it may be large); the outcome is recorded in one, where the window is judged by the time the
   * reveal arrived. A wrong key or a passing fault may be retried; other failures are final.
   */
  async function reveal (actor: Actor, tenderId: string, input: RevealInput): Promise<OpeningBidView> {
    const receivedAt = clock.now()
    const { project } = await loadTender(actor.principal, tenderId)
    const opening = await repo.findOpening(db, tenderId)
    const bid = opening ? await repo.findBid(db, tenderId, input.submissionId) : undefined
    if (!opening || !bid || bid.bidderId !== actor.principal.accountId) throw new BidNotFound(input.submissionId)
    if (actor.principal.authMethod !== 'certificate') throw new CertificateSignInRequired()
    refuseOutOfWindow(opening, receivedAt)
    if (bid.status !== 'sealed') throw new BidAlreadySettled(bid.status)
    const anchor = (await bids.anchorOf(bid.submissionId))!
    let opened: Awaited<ReturnType<SealedBidsService['openAnchored']>>
    try {
      opened = await readingPackage(anchor.blobKey, (bytes) => sealedBids.openAnchored({
        bytes,
        contentKey: new Uint8Array(Buffer.from(input.contentKey, 'base64')),
        revealedNonce: input.nonce,
        anchored: anchor.anchored,
        reference: `opening:${tenderId}:${bid.bidderId}`
      }))
    } catch (error) {
      // recording the refusal must not hide why it was refused
      await refuse(actor, project, bid, failureOfError((error as { code?: string }).code), error).then(
        (lastOne) => { if (lastOne) renderAfterCommit(tenderId) },
        (recording: unknown) => { log.error({ err: recording, tender: tenderId }, 'refused reveal not recorded') })
      throw error
    }
    const lastOne = await db.transaction(async (tx) => {
      const current = (await repo.findOpening(tx, tenderId, 'update'))!
      refuseOutOfWindow(current, receivedAt)
      const locked = (await repo.findBid(tx, tenderId, bid.submissionId, 'update'))!
      if (locked.status !== 'sealed') throw new BidAlreadySettled(locked.status)
      await markOpened(tx, actor, project, locked, opened.opening as Record<string, JsonValue>, input.contentKey, 'bidder')
      await signInBy(tx, actor, tenderId, 'bidder', receivedAt)
      if (await repo.countSealed(tx, tenderId) > 0) return false
      await settle(tx, current)
      return true
    })
    if (lastOne) renderAfterCommit(tenderId)
    return bidView((await repo.findBid(db, tenderId, bid.submissionId))!, true)
  }

  /**
   * The caller's own sealed package as anchored (ciphertext only), so a bidder can open its key
   * envelope with its certificate's private key on its own machine and reveal without the secret
   * file. Another bidder's package is not found.
   */
  async function ownPackage (actor: Actor, tenderId: string, submissionId: string) {
    await loadTender(actor.principal, tenderId)
    const bid = await repo.findBid(db, tenderId, submissionId)
    const anchor = bid && bid.bidderId === actor.principal.accountId ? await bids.anchorOf(bid.submissionId) : undefined
    if (!anchor) throw new BidNotFound(submissionId)
    if (actor.principal.authMethod !== 'certificate') throw new CertificateSignInRequired()
    const stored = await store.stat(anchor.blobKey)
    return { sha256: anchor.anchored.sha256, size: stored?.size ?? null, stream: await store.get(anchor.blobKey) }
  }

  function refuseOutOfWindow (opening: repo.OpeningRow, at: Date) {
    const problem = revealProblem(opening, at)
    if (problem === 'OPENING_PAUSED') throw new OpeningPaused(opening.pauseReason!)
    if (problem === 'DECRYPTION_NOT_OPEN') throw new DecryptionNotOpen()
    if (problem === 'DECRYPTION_CLOSED') throw new DecryptionClosed()
  }

  /**
   * A reveal that failed: retryable causes count attempts, the rest settle the bid at once.
   * Answers whether that settled the last sealed bid.
   */
  async function refuse (actor: Actor, project: ProjectRow, bid: repo.OpeningBidRow, failure: DecryptionFailure, error: unknown): Promise<boolean> {
    log.warn({ tender: bid.tenderId, bidder: bid.bidderId, failure, code: (error as { code?: string }).code }, 'bid reveal refused')
    return db.transaction(async (tx) => {
      const opening = (await repo.findOpening(tx, bid.tenderId, 'update'))!
      const locked = (await repo.findBid(tx, bid.tenderId, bid.submissionId, 'update'))!
      if (locked.status !== 'sealed' || opening.state !== 'decrypting') return false
      const attempts = locked.attempts + 1
      if (isRetryable(failure) && attempts < MAX_REVEAL_ATTEMPTS) {
        await repo.updateBid(tx, bid.tenderId, bid.bidderId, { attempts, lastFailure: failure })
        await emit(tx, actor, bid.tenderId, 'reveal_refused', { bidderId: bid.bidderId, bidderName: bid.bidderName, failure, attempts }, officials(project, bid.bidderId))
        return false
      }
      await markFailed(tx, actor, bid, failure, attempts)
      if (await repo.countSealed(tx, bid.tenderId) > 0) return false
      await settle(tx, opening)
      return true
    })
  }

  async function markOpened (tx: Transaction, actor: Actor | null, project: ProjectRow, bid: repo.OpeningBidRow, fields: Record<string, JsonValue>, contentKey: string, by: 'bidder' | 'escrow') {
    const openedAt = clock.now()
    await repo.updateBid(tx, bid.tenderId, bid.bidderId, {
      status: 'opened',
      opening: fields,
      outcome: 'opened',
      failure: null,
      openedBy: by,
      openedAt,
      contentKeySealed: masterKey.seal(Buffer.from(contentKey, 'base64'), `opening-content-key:${bid.submissionId}`)
    })
    await emit(tx, actor, bid.tenderId, 'bid_decrypted', { bidderId: bid.bidderId, bidderName: bid.bidderName, openedBy: by, openedAt: openedAt.toISOString() })
    // the prices show to the room's officials and the bidder now, to everyone with the record
    await live.append(tx, openingRoom(bid.tenderId), { type: 'opening.bid_fields', data: { bidderId: bid.bidderId, bidderName: bid.bidderName, fields }, audience: officials(project, bid.bidderId) })
  }

  async function markFailed (tx: Transaction, actor: Actor | null, bid: repo.OpeningBidRow, failure: DecryptionFailure, attempts = bid.attempts) {
    const outcome = art31Outcome(failure)
    await repo.updateBid(tx, bid.tenderId, bid.bidderId, { status: 'failed', failure, outcome, attempts, lastFailure: failure })
    await emit(tx, actor, bid.tenderId, 'bid_failed', { bidderId: bid.bidderId, bidderName: bid.bidderName, failure, outcome })
  }

  /** Records a sign-in implied by an action (a bidder who reveals is present). */
  async function signInBy (tx: Transaction, actor: Actor, tenderId: string, capacity: Capacity, at: Date) {
    const row = await repo.insertAttendance(tx, { tenderId, accountId: actor.principal.accountId, capacity, displayName: actor.principal.displayName, authMethod: actor.principal.authMethod, signedInAt: at })
    if (row) await audit.append(tx, auditRecord(actor, 'opening.signed_in', 'tender', tenderId, { accountId: actor.principal.accountId, capacity }))
  }

  /**
   * The window is over (its end, or every bid settled): bids still sealed fail as not revealed
   * (or the platform's fault, if that came last); where the escrow can open them the host decides
   * on the remedy, otherwise the record.
   */
  async function settle (tx: Transaction, opening: repo.OpeningRow) {
    for (const bid of await repo.bidsOf(tx, opening.tenderId)) {
      if (bid.status === 'sealed') await markFailed(tx, null, bid, failureAtWindowEnd(bid.lastFailure as DecryptionFailure | null))
    }
    const all = await repo.bidsOf(tx, opening.tenderId)
    const { tender } = await tenders.visibleTender(null, opening.tenderId, tx)
    const remediable = all.filter((bid) => bid.status === 'failed' && escrowCanRemedy(bid.failure as DecryptionFailure))
    await timers.cancel(tx, `${WINDOW_TIMER}:${opening.tenderId}`)
    if (tender.escrowId && remediable.length > 0) {
      await move(tx, null, opening, 'remedy', {}, { bids: remediable.map((bid) => ({ bidderId: bid.bidderId, bidderName: bid.bidderName, failure: bid.failure })) })
      return
    }
    await finish(tx, opening, tender)
  }

  async function windowEnded (tx: Transaction, tenderId: string) {
    const opening = await repo.findOpening(tx, tenderId, 'update')
    if (opening?.state !== 'decrypting' || opening.pausedAt || opening.windowEndsAt!.getTime() > clock.now().getTime()) return
    await settle(tx, opening)
  }

  /** The escrow remedy (Art. 31 lets the tender documents offer one), or waiving it. */
  async function remedy (actor: Actor, tenderId: string, input: { action: 'escrow' | 'waive', reason?: string }): Promise<OpeningView> {
    const checked = await db.transaction(async (tx) => {
      const { tender, project, opening } = await hosted(tx, actor, tenderId)
      if (opening.state !== 'remedy') throw new OpeningStateInvalid(opening.state, 'the remedy comes after the decryption window')
      notPaused(opening)
      if (input.action === 'waive') {
        await emit(tx, actor, tenderId, 'remedy_waived', { reason: input.reason ?? null })
        await finish(tx, opening, tender)
        return null
      }
      if (!tender.escrowId) throw new EscrowNotOffered()
      return { tender, project, escrowId: tender.escrowId }
    })
    if (!checked) {
      renderAfterCommit(tenderId)
      return getOpening(actor.principal, tenderId)
    }
    const remediable = (await repo.bidsOf(db, tenderId)).filter((bid) => bid.status === 'failed' && escrowCanRemedy(bid.failure as DecryptionFailure))
    // the quorum check and the reassembly are the escrow's (logged there); the key lives only here
    const results = await escrows.withEscrowKey(actor, checked.escrowId, openingRoom(tenderId), async (decrypter) => {
      const outcomes: Array<{ bid: repo.OpeningBidRow, fields?: Record<string, JsonValue>, contentKey?: string, failure?: DecryptionFailure }> = []
      for (const bid of remediable) {
        const anchor = (await bids.anchorOf(bid.submissionId))!
        try {
          const header = await readingPackage(anchor.blobKey, packageHeader)
          const contentKey = await decryptEnvelopedData({ provider: nodeCrypto, der: new Uint8Array(Buffer.from(header.keyEnvelope, 'base64')), decrypter })
          const opened = await readingPackage(anchor.blobKey, (bytes) => sealedBids.openAnchored({ bytes, contentKey, revealedNonce: null, anchored: anchor.anchored, reference: `opening:${tenderId}:${bid.bidderId}` }))
          outcomes.push({ bid, fields: opened.opening as Record<string, JsonValue>, contentKey: Buffer.from(contentKey).toString('base64') })
          contentKey.fill(0)
        } catch (error) {
          log.warn({ tender: tenderId, bidder: bid.bidderId, code: (error as { code?: string }).code }, 'escrow could not open a bid')
          outcomes.push({ bid, failure: failureOfError((error as { code?: string }).code) })
        }
      }
      return outcomes
    })
    await db.transaction(async (tx) => {
      const opening = (await repo.findOpening(tx, tenderId, 'update'))!
      if (opening.state !== 'remedy') throw new OpeningStateInvalid(opening.state, 'the remedy was already applied')
      for (const result of results) {
        if (result.fields) await markOpened(tx, actor, checked.project, result.bid, result.fields, result.contentKey!, 'escrow')
        else if (result.failure !== result.bid.failure) await markFailed(tx, actor, result.bid, result.failure!)
      }
      await emit(tx, actor, tenderId, 'remedied', { opened: results.filter((result) => result.fields).map((result) => result.bid.bidderName), failed: results.filter((result) => !result.fields).map((result) => result.bid.bidderName) })
      await finish(tx, opening, checked.tender)
    })
    renderAfterCommit(tenderId)
    return getOpening(actor.principal, tenderId)
  }

  timers.define(WINDOW_TIMER, async (tx, timer) => { await windowEnded(tx, (timer.payload as { tenderId: string }).tenderId) })

  return { reveal, remedy, ownPackage }
}
