import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import type { MasterKey } from '../../lib/master-key.ts'
import { hasRole, type Principal } from '../../lib/policy.ts'
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
import { coefficientRangeOf, createCoefficientDraw, kContext, kDeadlineOf } from './openings.coefficient.ts'
import { createOpeningConfirmation } from './openings.confirmation.ts'
import { CONFIRM_TIMER, WINDOW_TIMER, openingRoom } from './openings.constants.ts'
import { createOpeningDecryption } from './openings.decryption.ts'
import { CertificateSignInRequired, NotParticipant, OpeningNotFound, OpeningPaused, OpeningStateInvalid, SignInNotOpen } from './openings.errors.ts'
import { createOpeningHostActions } from './openings.host.ts'
import { createOpeningRecords } from './openings.record.ts'
import * as repo from './openings.repository.ts'
import { MIN_VALID_BIDS, canMove, signInOpensAt, type OpeningState } from './openings.rules.ts'
import type { ObjectionView, OpeningBidView, OpeningView } from './openings.schemas.ts'

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

export { CONFIRM_TIMER, WINDOW_TIMER, openingRoom } from './openings.constants.ts'
const PUBLIC: Audience = { public: true }
const OFFICIALS = ['supervisor', 'hall_admin'] as const
export type Capacity = 'host' | 'supervisor' | 'bidder'

/** The helpers every use case shares, lent to the files beside this one (openings.<case>.ts). */
export interface OpeningHelpers {
  officials: (project: ProjectRow, ...accounts: string[]) => Audience
  emit: (tx: Transaction, actor: Actor | null, tenderId: string, type: string, data: Record<string, unknown>, audience?: Audience) => Promise<void>
  move: (tx: Transaction, actor: Actor | null, opening: repo.OpeningRow, to: OpeningState, values: Partial<repo.OpeningRow>, data?: Record<string, unknown>) => Promise<repo.OpeningRow>
  notPaused: (opening: repo.OpeningRow) => void
  loadTender: (principal: Principal | null, tenderId: string, on?: Queryable) => Promise<{ tender: TenderRow, project: ProjectRow }>
  hosted: (tx: Transaction, actor: Actor, tenderId: string) => Promise<{ tender: TenderRow, project: ProjectRow, opening: repo.OpeningRow }>
  fail: (tx: Transaction, opening: repo.OpeningRow, reason: string, data: Record<string, unknown>) => Promise<void>
  getOpening: (principal: Principal | null, tenderId: string) => Promise<OpeningView>
  bidView: (bid: repo.OpeningBidRow, fieldsVisible: boolean) => OpeningBidView
}

export function createOpeningsService (deps: OpeningsDeps) {
  const { db, audit, clock, live, timers, store, pki, masterKey, tenders, projects, bids, log } = deps
  // the use cases live beside this file (the record, K, decryption, confirmation, the host's
  // controls); the helpers they are lent are declared below
  const { buildRecord, ensureRecordFiles, renderAfterCommit, publishedRecord, idle } = createOpeningRecords({
    db, clock, store, pki, tenders, projects, log, hallName: deps.hallName, publicUrl: deps.publicUrl
  })
  const coefficient = createCoefficientDraw({ db, clock, timers, masterKey, tenders, loadTender, emit, move, notPaused, openWindow })
  const helpers: OpeningHelpers = { officials, emit, move, notPaused, loadTender, hosted, fail, getOpening, bidView }
  const { finish, recordFile, confirm, answerObjection } = createOpeningConfirmation({ ...deps, ...helpers, buildRecord, ensureRecordFiles })
  const { reveal, remedy, ownPackage } = createOpeningDecryption({ ...deps, ...helpers, renderAfterCommit, finish })
  const { pause, resume, setVideo, presence } = createOpeningHostActions({ ...deps, ...helpers, coefficient })

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

  return { getOpening, mayWatch, signIn, drawK, reveal, ownPackage, remedy, confirm, answerObjection, pause, resume, setVideo, presence, publishedRecord, recordFile, idle }
}

export type OpeningsService = ReturnType<typeof createOpeningsService>
