import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson, type JsonValue } from '../../lib/canonical-json.ts'
import { decryptEnvelopedData } from '../../lib/cms/index.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import type { MasterKey } from '../../lib/master-key.ts'
import { nodeCrypto } from '../../lib/pki/node-crypto.ts'
import { hasRole, type Principal } from '../../lib/policy.ts'
import { packageHeader } from '../../lib/sealed-bid/index.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Audience, Live } from '../../plugins/live.ts'
import type { Pki } from '../../plugins/pki.ts'
import type { Store } from '../../plugins/storage.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { BidsService } from '../bids/bids.service.ts'
import type { EscrowsService } from '../escrows/escrows.service.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import type { ProjectsService } from '../projects/projects.service.ts'
import type { SealedBidsService } from '../sealed-bids/sealed-bids.service.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import type { TendersService } from '../tenders/tenders.service.ts'
import {
  AlreadyDecided, BidAlreadySettled, BidNotFound, CertificateSignInRequired, ConfirmationClosed, DecryptionClosed, DecryptionNotOpen, EscrowNotOffered,
  NotParticipant, ObjectionAnswered, ObjectionNotFound, OpeningNotFound, OpeningNotPaused, OpeningPaused, OpeningStateInvalid,
  RecordNotPublished, SignInNotOpen
} from './openings.errors.ts'
import { coefficientRangeOf, createCoefficientDraw, kContext, kDeadlineOf } from './openings.coefficient.ts'
import { createOpeningRecords, RECORD_KINDS } from './openings.record.ts'
import * as repo from './openings.repository.ts'
import {
  CONFIRM_MINUTES, MAX_REVEAL_ATTEMPTS, failureAtWindowEnd, failureOfError, MIN_VALID_BIDS, RUNNING_STATES, art31Outcome, canMove, confirmationDeadline, escrowCanRemedy,
  isRetryable, revealProblem, signInOpensAt, type DecryptionFailure, type OpeningState
} from './openings.rules.ts'
import type { ConfirmationInput, ObjectionView, OpeningBidView, OpeningView, RevealInput } from './openings.schemas.ts'

export interface OpeningsDeps {
  db: Database
  audit: Audit
  clock: Clock
  live: Live
  timers: Timers
  store: Store
  pki: Pki
  masterKey: MasterKey
  tenders: TendersService
  projects: ProjectsService
  bids: BidsService
  sealedBids: SealedBidsService
  escrows: EscrowsService
  log: FastifyBaseLogger
  hallName: string
  publicUrl: string
}

export const WINDOW_TIMER = 'openings.window_end'
export const CONFIRM_TIMER = 'openings.confirmation_end'
export const openingRoom = (tenderId: string) => `opening:${tenderId}`
const PUBLIC: Audience = { public: true }
const OFFICIALS = ['supervisor', 'hall_admin'] as const
type Capacity = 'host' | 'supervisor' | 'bidder'

export function createOpeningsService (deps: OpeningsDeps) {
  const { db, audit, clock, live, timers, store, pki, masterKey, tenders, projects, bids, sealedBids, escrows, log } = deps
  // the record's and K's use cases live beside this file; the helpers K is lent are declared below
  const { buildRecord, ensureRecordFiles, renderAfterCommit, publishedRecord, idle } = createOpeningRecords({
    db, clock, store, pki, tenders, projects, log, hallName: deps.hallName, publicUrl: deps.publicUrl
  })
  const coefficient = createCoefficientDraw({ db, clock, timers, masterKey, tenders, loadTender, emit, move, notPaused, openWindow })

  /** The tender's host and the hall's officials: they see bids as they open. */
  function officials (project: ProjectRow, ...accounts: string[]): Audience {
    return { roles: [...OFFICIALS], parties: [project.registeredBy, ...accounts] }
  }

  function capacityOf (principal: Principal | null, project: ProjectRow, bid: repo.OpeningBidRow | undefined): Capacity | null {
    if (!principal) return null
    if (tenders.isParty(principal, project)) return 'host'
    if (hasRole(principal, 'supervisor') && tenders.oversees(principal, project)) return 'supervisor'
    if (bid && bid.status !== 'withdrawn') return 'bidder'
    return null
  }

  async function emit (tx: Transaction, actor: Actor | null, tenderId: string, type: string, data: Record<string, unknown>, audience: Audience = PUBLIC) {
    await audit.append(tx, auditRecord(actor, `opening.${type}`, 'tender', tenderId, data))
    await live.append(tx, openingRoom(tenderId), { type: `opening.${type}`, data, audience })
  }

  async function move (tx: Transaction, actor: Actor | null, opening: repo.OpeningRow, to: OpeningState, values: Partial<repo.OpeningRow>, data: Record<string, unknown> = {}): Promise<repo.OpeningRow> {
    if (!canMove(opening.state, to)) throw new OpeningStateInvalid(opening.state, `it cannot become ${to}`)
    const updated = await repo.updateOpening(tx, opening.tenderId, { ...values, state: to })
    await emit(tx, actor, opening.tenderId, to, { from: opening.state, ...data })
    return updated
  }

  function notPaused (opening: repo.OpeningRow) {
    if (opening.pausedAt) throw new OpeningPaused(opening.pauseReason!)
  }

  async function loadTender (principal: Principal | null, tenderId: string, on: Queryable = db) {
    const { tender, project } = await tenders.visibleTender(principal, tenderId, on)
    if (tender.publishedAt === null) throw new OpeningNotFound(tenderId)
    return { tender, project }
  }

  /** The opening and the tender, locked, for a host's action. */
  async function hosted (tx: Transaction, actor: Actor, tenderId: string) {
    const { tender, project } = await loadTender(actor.principal, tenderId, tx)
    if (!tenders.isParty(actor.principal, project)) throw new OpeningNotFound(tenderId)
    const opening = await repo.findOpening(tx, tenderId, 'update')
    if (!opening) throw new OpeningStateInvalid('scheduled', 'nothing to host before sign-in opens')
    return { tender, project, opening }
  }

  // ---- sign-in ------------------------------------------------------------------------------

  async function signIn (actor: Actor, tenderId: string): Promise<OpeningView> {
    const now = clock.now()
    await db.transaction(async (tx) => {
      const { tender, project } = await loadTender(actor.principal, tenderId, tx)
      const opensAt = signInOpensAt(tender.bidDeadline)
      if (tender.status === 'cancelled' || tender.status === 'failed') throw new OpeningStateInvalid(tender.status, 'the tender is closed')
      if (now.getTime() < opensAt.getTime()) throw new SignInNotOpen(opensAt.toISOString())
      let opening = await repo.ensureOpening(tx, tenderId)
      if (opening.state === 'closed' || opening.state === 'failed') throw new OpeningStateInvalid(opening.state, 'the opening is over')
      const frozenBid = await repo.bidOf(tx, tenderId, actor.principal.accountId)
      let capacity = capacityOf(actor.principal, project, frozenBid)
      // before the freeze a bidder proves it bid by its own latest submission (secret to others)
      let secretBid: string | undefined
      if (!capacity && opening.frozenAt === null && hasRole(actor.principal, 'bidder')) {
        secretBid = (await bids.mySubmissions(actor, tenderId)).find((submission) => submission.counts && submission.kind === 'bid')?.id
        if (secretBid) capacity = 'bidder'
      }
      if (!capacity) throw new NotParticipant()
      if (capacity === 'bidder' && actor.principal.authMethod !== 'certificate') throw new CertificateSignInRequired()
      if (opening.state === 'scheduled') opening = await move(tx, null, opening, 'sign_in', {}, { opensAt: opensAt.toISOString() })
      const attendance = await repo.insertAttendance(tx, {
        tenderId, accountId: actor.principal.accountId, capacity, displayName: actor.principal.displayName, authMethod: actor.principal.authMethod, signedInAt: now
      })
      if (!attendance) return
      const data = { accountId: actor.principal.accountId, displayName: actor.principal.displayName, capacity }
      if (secretBid) {
        // who bids stays secret until the deadline: the sign-in shows to the bidder only, and the
        // audit chain names its submission, as the submission's own entries do
        await audit.append(tx, auditRecord(null, 'opening.signed_in', 'bid_submission', secretBid, {}))
        await live.append(tx, openingRoom(tenderId), { type: 'opening.signed_in', data, audience: { parties: [actor.principal.accountId] } })
        return
      }
      await emit(tx, actor, tenderId, 'signed_in', data, capacity === 'bidder' ? officials(project, actor.principal.accountId) : PUBLIC)
    })
    return getOpening(actor.principal, tenderId)
  }

  // ---- the freeze (in the transaction that moves the tender to its opening) ----------------------

  async function freeze (tx: Transaction, tender: TenderRow): Promise<void> {
    let opening = await repo.ensureOpening(tx, tender.id)
    if (opening.frozenAt) return
    const now = clock.now()
    if (opening.state === 'scheduled') opening = await move(tx, null, opening, 'sign_in', {}, { opensAt: signInOpensAt(tender.bidDeadline).toISOString() })
    const atDeadline = await bids.bidsAtDeadline(tx, tender)
    await repo.insertBids(tx, atDeadline.map((bid) => ({
      tenderId: tender.id,
      bidderId: bid.bidderId,
      submissionId: bid.submissionId,
      bidderName: bid.bidderName,
      bond: bid.bond,
      sha256: bid.sha256,
      commitment: bid.commitment,
      receivedAt: new Date(bid.receivedAt),
      status: bid.status === 'bid' ? 'sealed' as const : 'withdrawn' as const
    })))
    const valid = atDeadline.filter((bid) => bid.status === 'bid').length
    const range = coefficientRangeOf(tender)
    const k = range && valid >= MIN_VALID_BIDS ? await coefficient.commit(tx, tender, range, now) : null
    const signedIn = new Set((await repo.attendanceOf(tx, tender.id)).map((row) => row.accountId))
    opening = await move(tx, null, opening, 'frozen', { frozenAt: now, ...k?.values }, {
      bids: atDeadline.map((bid) => ({
        bidderId: bid.bidderId, bidderName: bid.bidderName, status: bid.status, bond: bid.bond, sha256: bid.sha256, commitment: bid.commitment, receivedAt: bid.receivedAt, signedIn: signedIn.has(bid.bidderId)
      })),
      // the server commits to its secret before any nonce exists, and says by when the nonce is due
      ...(k ? { coefficient: k.published } : {})
    })
    if (valid < MIN_VALID_BIDS) {
      await fail(tx, opening, `fewer_than_${MIN_VALID_BIDS}_bids`, { bids: valid })
      return
    }
    if (!range) await openWindow(tx, opening, tender)
  }

  async function openWindow (tx: Transaction, opening: repo.OpeningRow, tender: TenderRow): Promise<repo.OpeningRow> {
    const opensAt = clock.now()
    const endsAt = new Date(opensAt.getTime() + tender.decryptionMinutes * 60_000)
    const updated = await move(tx, null, opening, 'decrypting', { windowOpensAt: opensAt, windowEndsAt: endsAt }, { opensAt: opensAt.toISOString(), endsAt: endsAt.toISOString() })
    await timers.schedule(tx, { kind: WINDOW_TIMER, key: `${WINDOW_TIMER}:${tender.id}`, fireAt: endsAt, payload: { tenderId: tender.id } })
    return updated
  }

  /** 流标: the opening fails and the tender goes back to be tendered again. */
  async function fail (tx: Transaction, opening: repo.OpeningRow, reason: string, data: Record<string, unknown>) {
    await move(tx, null, opening, 'failed', { failureReason: reason, closedAt: clock.now() }, { reason, ...data })
    await tenders.transitionTender(tx, null, opening.tenderId, 'failed', { reason: `opening_failed:${reason}` })
  }

  // ---- the random coefficient K (openings.coefficient.ts) ----------------------------------------

  async function drawK (actor: Actor, tenderId: string, nonce: string): Promise<OpeningView> {
    await coefficient.drawK(actor, tenderId, nonce)
    return getOpening(actor.principal, tenderId)
  }

  // ---- decryption ------------------------------------------------------------------------------

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

  // ---- the record (built and copied by openings.record.ts) ----------------------------------------

  /** Fewer than three opened bids fail the opening; otherwise the signed record is published. */
  async function finish (tx: Transaction, opening: repo.OpeningRow, tender: TenderRow) {
    const all = await repo.bidsOf(tx, tender.id)
    const opened = all.filter((bid) => bid.status === 'opened').length
    if (opened < MIN_VALID_BIDS) {
      await fail(tx, opening, `fewer_than_${MIN_VALID_BIDS}_opened`, { opened, outcomes: all.map((bid) => ({ bidderName: bid.bidderName, outcome: bid.outcome, failure: bid.failure })) })
      return
    }
    const record = await buildRecord(tx, opening, tender, all)
    const sha256 = sha256Hex(Buffer.from(canonicalJson(record as unknown as JsonValue)))
    const recordedAt = clock.now()
    const recorded = await move(tx, null, opening, 'recorded', { record, recordSha256: sha256, recordedAt }, { sha256, record })
    const confirmUntil = confirmationDeadline(recordedAt, CONFIRM_MINUTES)
    await move(tx, null, recorded, 'confirming', { confirmUntil }, { until: confirmUntil.toISOString() })
    await timers.schedule(tx, { kind: CONFIRM_TIMER, key: `${CONFIRM_TIMER}:${tender.id}`, fireAt: confirmUntil, payload: { tenderId: tender.id } })
  }

  async function recordFile (principal: Principal | null, tenderId: string, kind: keyof typeof RECORD_KINDS) {
    await loadTender(principal, tenderId)
    let file = await repo.findRecordFile(db, tenderId, kind)
    if (!file) {
      await ensureRecordFiles(tenderId)
      file = await repo.findRecordFile(db, tenderId, kind)
    }
    if (!file) throw new RecordNotPublished()
    return { stream: await store.get(file.blobKey), size: file.size, contentType: RECORD_KINDS[kind], fileName: `opening-record-${tenderId}.${kind}` }
  }

  // ---- confirmation and objections --------------------------------------------------------------

  async function confirm (actor: Actor, tenderId: string, input: ConfirmationInput): Promise<OpeningView> {
    const now = clock.now()
    await db.transaction(async (tx) => {
      await loadTender(actor.principal, tenderId, tx)
      const opening = await repo.findOpening(tx, tenderId, 'update')
      const bid = opening ? await repo.bidOf(tx, tenderId, actor.principal.accountId) : undefined
      if (!opening || !bid || bid.status === 'withdrawn') throw new OpeningNotFound(tenderId)
      if (opening.state !== 'confirming') throw new OpeningStateInvalid(opening.state, 'the record is confirmed once it is published')
      notPaused(opening)
      if (now.getTime() > opening.confirmUntil!.getTime()) throw new ConfirmationClosed()
      if (bid.confirmation) throw new AlreadyDecided(bid.confirmation)
      const decision = input.decision === 'confirm' ? 'confirmed' : 'objected'
      await repo.updateBid(tx, tenderId, bid.bidderId, { confirmation: decision, confirmedAt: now })
      if (input.decision === 'object') {
        const objection = await repo.insertObjection(tx, { tenderId, bidderId: bid.bidderId, text: input.text, raisedAt: now })
        await emit(tx, actor, tenderId, 'objection_raised', { objectionId: objection.id, bidderId: bid.bidderId, bidderName: bid.bidderName, text: input.text })
      } else {
        await emit(tx, actor, tenderId, 'confirmed', { bidderId: bid.bidderId, bidderName: bid.bidderName })
      }
    })
    return getOpening(actor.principal, tenderId)
  }

  async function answerObjection (actor: Actor, tenderId: string, objectionId: string, answer: string): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { opening } = await hosted(tx, actor, tenderId)
      const objection = await repo.findObjection(tx, tenderId, objectionId, 'update')
      if (!objection) throw new ObjectionNotFound(objectionId)
      if (objection.answeredAt) throw new ObjectionAnswered()
      await repo.answerObjection(tx, objectionId, { answer, answeredBy: actor.principal.accountId, answeredAt: clock.now() })
      await emit(tx, actor, tenderId, 'objection_answered', { objectionId, answer })
      await closeIfDone(tx, opening)
    })
    return getOpening(actor.principal, tenderId)
  }

  /** After the confirmation deadline silence counts as confirmation; the opening closes once every objection is answered. */
  async function closeIfDone (tx: Transaction, opening: repo.OpeningRow) {
    if (opening.state !== 'confirming' || opening.pausedAt || opening.confirmUntil!.getTime() > clock.now().getTime()) return
    const silent = (await repo.bidsOf(tx, opening.tenderId)).filter((bid) => bid.status !== 'withdrawn' && !bid.confirmation)
    for (const bid of silent) await repo.updateBid(tx, opening.tenderId, bid.bidderId, { confirmation: 'deemed_confirmed', confirmedAt: clock.now() })
    if (silent.length > 0) await emit(tx, null, opening.tenderId, 'deemed_confirmed', { bidders: silent.map((bid) => bid.bidderName) })
    const unanswered = await repo.countUnanswered(tx, opening.tenderId)
    if (unanswered > 0) return
    await move(tx, null, opening, 'closed', { closedAt: clock.now() })
    await tenders.transitionTender(tx, null, opening.tenderId, 'evaluation', { openingRecordSha256: opening.recordSha256 })
  }

  async function confirmationEnded (tx: Transaction, tenderId: string) {
    const opening = await repo.findOpening(tx, tenderId, 'update')
    if (opening) await closeIfDone(tx, opening)
  }

  // ---- pause / resume, video ----------------------------------------------------------------------

  async function pause (actor: Actor, tenderId: string, reason: string): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { opening } = await hosted(tx, actor, tenderId)
      if (!RUNNING_STATES.includes(opening.state)) throw new OpeningStateInvalid(opening.state, 'only a running opening can pause')
      notPaused(opening)
      await repo.updateOpening(tx, tenderId, { pausedAt: clock.now(), pauseReason: reason })
      await emit(tx, actor, tenderId, 'paused', { reason, state: opening.state })
    })
    return getOpening(actor.principal, tenderId)
  }

  /** Resuming gives back the paused time: the nonce deadline, the window or the confirmation period ends that much later. */
  async function resume (actor: Actor, tenderId: string, reason: string | undefined): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { opening } = await hosted(tx, actor, tenderId)
      if (!opening.pausedAt) throw new OpeningNotPaused()
      const pausedMs = clock.now().getTime() - opening.pausedAt.getTime()
      const later = (at: Date | null) => at === null ? null : new Date(at.getTime() + pausedMs)
      const windowEndsAt = opening.state === 'decrypting' ? later(opening.windowEndsAt) : opening.windowEndsAt
      const confirmUntil = opening.state === 'confirming' ? later(opening.confirmUntil) : opening.confirmUntil
      const k = await coefficient.postponeDeadline(tx, opening, pausedMs)
      await repo.updateOpening(tx, tenderId, { pausedAt: null, pauseReason: null, windowEndsAt, confirmUntil, ...k })
      if (opening.state === 'decrypting') await timers.schedule(tx, { kind: WINDOW_TIMER, key: `${WINDOW_TIMER}:${tenderId}`, fireAt: windowEndsAt!, payload: { tenderId } })
      if (opening.state === 'confirming') await timers.schedule(tx, { kind: CONFIRM_TIMER, key: `${CONFIRM_TIMER}:${tenderId}`, fireAt: confirmUntil!, payload: { tenderId } })
      await emit(tx, actor, tenderId, 'resumed', { reason: reason ?? null, pausedSeconds: Math.round(pausedMs / 1000), windowEndsAt: windowEndsAt?.toISOString() ?? null, confirmUntil: confirmUntil?.toISOString() ?? null, kDeadline: k?.kDeadlineAt.toISOString() ?? null })
    })
    return getOpening(actor.principal, tenderId)
  }

  async function setVideo (actor: Actor, tenderId: string, url: string | null): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { project } = await loadTender(actor.principal, tenderId, tx)
      if (!tenders.isParty(actor.principal, project) && !(hasRole(actor.principal, 'hall_admin') && tenders.oversees(actor.principal, project))) throw new OpeningNotFound(tenderId)
      await repo.ensureOpening(tx, tenderId)
      await repo.updateOpening(tx, tenderId, { videoUrl: url })
      await emit(tx, actor, tenderId, 'video', { url }, officials(project))
    })
    return getOpening(actor.principal, tenderId)
  }

  async function presence (actor: Actor, tenderId: string) {
    const { project } = await loadTender(actor.principal, tenderId)
    if (!tenders.oversees(actor.principal, project)) throw new OpeningNotFound(tenderId)
    return live.presence(openingRoom(tenderId))
  }

  // ---- views ------------------------------------------------------------------------------------

  /** The room of a published tender is open to anyone (each event's audience decides the rest). */
  async function mayWatch (principal: Principal | null, tenderId: string): Promise<boolean> {
    return loadTender(principal, tenderId).then(() => true, () => false)
  }

  function bidView (bid: repo.OpeningBidRow, fieldsVisible: boolean): OpeningBidView {
    return {
      bidderId: bid.bidderId,
      bidderName: bid.bidderName,
      submissionId: bid.submissionId,
      bond: bid.bond,
      sha256: bid.sha256,
      commitment: bid.commitment,
      receivedAt: bid.receivedAt.toISOString(),
      status: bid.status,
      failure: bid.failure,
      outcome: bid.outcome,
      openedBy: bid.openedBy,
      openedAt: bid.openedAt?.toISOString() ?? null,
      fields: fieldsVisible && bid.opening ? bid.opening as OpeningBidView['fields'] : null,
      confirmation: bid.confirmation
    }
  }

  /**
   * The opening as the caller may see it: anyone sees its progress and, after the freeze, who bid
   * and their commitments; the prices show to officials, the host and each bidder for its own bid
   * as bids open, and to everyone once the record is published. Attendance is for officials.
   */
  async function getOpening (principal: Principal | null, tenderId: string): Promise<OpeningView> {
    const { tender, project } = await loadTender(principal, tenderId)
    const opening = await repo.findOpening(db, tenderId)
    const [rows, attendance, objections] = opening
      ? await Promise.all([repo.bidsOf(db, tenderId), repo.attendanceOf(db, tenderId), repo.objectionsOf(db, tenderId)])
      : [[], [], []]
    const mine = principal ? rows.find((bid) => bid.bidderId === principal.accountId) : undefined
    const attended = principal ? attendance.find((row) => row.accountId === principal.accountId) : undefined
    // before the freeze a bidder's capacity is known from its own sign-in only
    const capacity = capacityOf(principal, project, mine) ?? (attended?.capacity as Capacity | undefined) ?? null
    const official = capacity === 'host' || (principal !== null && tenders.oversees(principal, project))
    const published = opening?.recordedAt != null
    const names = new Map(rows.map((bid) => [bid.bidderId, bid.bidderName]))
    const range = coefficientRangeOf(tender)
    return {
      tenderId,
      tenderCode: tender.code,
      tenderTitle: tender.title,
      room: openingRoom(tenderId),
      state: opening?.state ?? 'scheduled',
      paused: opening?.pausedAt ? { since: opening.pausedAt.toISOString(), reason: opening.pauseReason! } : null,
      serverTime: clock.now().toISOString(),
      bidDeadline: tender.bidDeadline.toISOString(),
      signInOpensAt: signInOpensAt(tender.bidDeadline).toISOString(),
      decryptionMinutes: tender.decryptionMinutes,
      window: opening?.windowOpensAt ? { opensAt: opening.windowOpensAt.toISOString(), endsAt: opening.windowEndsAt!.toISOString() } : null,
      confirmUntil: opening?.confirmUntil?.toISOString() ?? null,
      coefficient: range
        ? {
            range,
            context: kContext(tenderId),
            commitment: opening?.kCommitment ?? null,
            nonce: opening?.kNonce ?? null,
            secret: opening?.kSecret ?? null,
            value: opening?.kValue ?? null,
            drawnAt: opening?.kDrawnAt?.toISOString() ?? null,
            deadline: opening?.kCommitment ? kDeadlineOf(opening)?.toISOString() ?? null : null,
            alarm: (opening?.kAlarm ?? null) as 'yellow' | 'red' | null,
            drawnAs: (opening?.kDrawnAs ?? null) as 'supervisor' | 'host' | null
          }
        : null,
      escrow: tender.escrowId !== null,
      failureReason: opening?.failureReason ?? null,
      you: { capacity, signedIn: attended !== undefined, submissionId: mine && mine.status !== 'withdrawn' ? mine.submissionId : null },
      bids: rows.map((bid) => bidView(bid, published || official || bid.bidderId === principal?.accountId)),
      attendance: official
        ? attendance.map((row) => ({ accountId: row.accountId, displayName: row.displayName, capacity: row.capacity, signedInAt: row.signedInAt.toISOString() }))
        : null,
      objections: objections.map((row): ObjectionView => ({
        id: row.id, bidderId: row.bidderId, bidderName: names.get(row.bidderId) ?? '', text: row.text, raisedAt: row.raisedAt.toISOString(), answer: row.answer, answeredAt: row.answeredAt?.toISOString() ?? null
      })),
      record: published
        ? {
            sha256: opening.recordSha256!,
            recordedAt: opening.recordedAt!.toISOString(),
            json: `/api/openings/${tenderId}/record/json`,
            signature: `/api/openings/${tenderId}/record/p7s`,
            pdf: `/api/openings/${tenderId}/record/pdf`
          }
        : null,
      videoUrl: official ? opening?.videoUrl ?? null : null
    }
  }

  tenders.onTransition('opening', freeze)
  tenders.onTransition('cancelled', async (tx, tender) => {
    const opening = await repo.findOpening(tx, tender.id, 'update')
    if (!opening || opening.state === 'closed' || opening.state === 'failed') return
    await move(tx, null, opening, 'failed', { failureReason: 'tender_cancelled', closedAt: clock.now() }, { reason: 'tender_cancelled' })
    await timers.cancel(tx, `${WINDOW_TIMER}:${tender.id}`)
    await timers.cancel(tx, `${CONFIRM_TIMER}:${tender.id}`)
    await coefficient.cancelAlarm(tx, tender.id)
  })
  timers.define(WINDOW_TIMER, async (tx, timer) => { await windowEnded(tx, (timer.payload as { tenderId: string }).tenderId) })
  timers.define(CONFIRM_TIMER, async (tx, timer) => { await confirmationEnded(tx, (timer.payload as { tenderId: string }).tenderId) })

  return { getOpening, mayWatch, signIn, drawK, reveal, remedy, confirm, answerObjection, pause, resume, setVideo, presence, publishedRecord, recordFile, idle }
}

export type OpeningsService = ReturnType<typeof createOpeningsService>
