/**
 * The record and what follows it: with too few opened bids the opening fails, otherwise the signed
 * record (built and copied by openings.record.ts) is published and the bidders confirm it or object
 * within the confirmation period; the opening closes once every objection is answered.
 */
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson, type JsonValue } from '../../lib/canonical-json.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import type { Principal } from '../../lib/policy.ts'
import type { Transaction } from '../../plugins/db.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import { CONFIRM_TIMER } from './openings.constants.ts'
import { AlreadyDecided, ConfirmationClosed, ObjectionAnswered, ObjectionNotFound, OpeningNotFound, OpeningStateInvalid, RecordNotPublished } from './openings.errors.ts'
import { RECORD_KINDS, type createOpeningRecords } from './openings.record.ts'
import * as repo from './openings.repository.ts'
import { CONFIRM_MINUTES, MIN_VALID_BIDS, confirmationDeadline } from './openings.rules.ts'
import type { ConfirmationInput, OpeningView } from './openings.schemas.ts'
import type { OpeningHelpers, OpeningsDeps } from './openings.service.ts'

type OpeningRecords = ReturnType<typeof createOpeningRecords>

export type OpeningConfirmationDeps = Pick<OpeningsDeps, 'db' | 'clock' | 'timers' | 'store' | 'tenders'>
  & Pick<OpeningHelpers, 'emit' | 'move' | 'notPaused' | 'loadTender' | 'hosted' | 'fail' | 'getOpening'>
  & Pick<OpeningRecords, 'buildRecord' | 'ensureRecordFiles'>

export function createOpeningConfirmation (deps: OpeningConfirmationDeps) {
  const { db, clock, timers, store, tenders } = deps
  const { emit, move, notPaused, loadTender, hosted, fail, getOpening, buildRecord, ensureRecordFiles } = deps

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

  timers.define(CONFIRM_TIMER, async (tx, timer) => { await confirmationEnded(tx, (timer.payload as { tenderId: string }).tenderId) })

  return { finish, recordFile, confirm, answerObjection }
}

export type OpeningConfirmation = ReturnType<typeof createOpeningConfirmation>
