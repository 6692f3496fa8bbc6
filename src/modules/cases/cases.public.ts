/**
 * The public side: whoever holds the receipt (the case number and its query code) follows the
 * case's progress and, once it is closed, rates it (好差评), as does the applicant signed in from its
 * own cases; a bad rating opens a rectification.
 */
import type { Actor } from '../../lib/actor.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Queryable, Transaction } from '../../plugins/db.ts'
import { RECTIFICATION_TIMER } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import { isBadRating, isRatingLevel, isValidQueryCode, normaliseQueryCode, rectificationDueAt } from './cases.rules.ts'
import type { CaseView } from './cases.schemas.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CasePublicSideDeps = Pick<CasesDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'timers'> & Pick<CaseHelpers, 'record' | 'broadcast' | 'ownCase'>
  & { view: (row: repo.CaseRow) => Promise<CaseView> }

export function createCasePublicSide ({ db, audit, clock, calendar, timers, record, broadcast, ownCase, view }: CasePublicSideDeps) {
  /** The case a number and query code name; one answer for a wrong number and a wrong code. */
  async function byQueryCode (number: string, queryCode: string, on: Queryable = db): Promise<repo.CaseRow> {
    const code = normaliseQueryCode(queryCode)
    if (!isValidQueryCode(code)) throw new errors.QueryCodeWrong()
    // as printed, or typed in lower case (department codes are usually upper case)
    const typed = number.trim()
    const row = await repo.findCaseByNumber(on, typed) ?? await repo.findCaseByNumber(on, typed.toUpperCase())
    if (!row || row.queryCodeHash !== sha256Hex(code)) throw new errors.QueryCodeWrong()
    return row
  }

  async function progress (number: string, queryCode: string) {
    const row = await byQueryCode(number, queryCode)
    const [events, correction, rating] = await Promise.all([repo.eventsOf(db, row.id), repo.correctionOf(db, row.id), repo.ratingOf(db, row.id)])
    return {
      number: row.number,
      itemName: row.itemName,
      state: row.state,
      submittedAt: row.submittedAt.toISOString(),
      acceptedAt: row.acceptedAt?.toISOString() ?? null,
      dueAt: row.dueAt?.toISOString() ?? null,
      correction: correction ? { materials: correction.materials, note: correction.note, answeredAt: correction.answeredAt?.toISOString() ?? null } : null,
      decision: row.decision,
      resultAvailable: row.resultIssuedAt !== null,
      ratingOpen: row.state === 'closed' && !rating,
      events: events.map((event) => ({ at: event.at.toISOString(), kind: event.kind }))
    }
  }

  /**
   * 好差评 of a case locked in `tx`: once, after closing; a bad rating opens a rectification due
   * in 15 working days. The progress line and its audit entry name the rater when signed in.
   */
  async function rateLocked (tx: Transaction, actor: Actor | null, row: repo.CaseRow, input: { level: number, comment?: string }): Promise<void> {
    const comment = input.comment?.trim() ?? ''
    if (!isRatingLevel(input.level) || comment.length > 2000) throw new errors.RatingInvalid()
    if (row.state !== 'closed') throw new errors.RatingNotOpen()
    const now = clock.now()
    const rating = await repo.insertRating(tx, { caseId: row.id, level: input.level, comment, ratedAt: now })
    if (!rating) throw new errors.RatingNotOpen()
    await record(tx, actor, row, 'rated', { level: input.level }, { comment })
    const dueAt = rectificationDueAt(calendar.current(), { level: input.level, ratedAt: now })
    if (!isBadRating(input.level) || !dueAt) return
    const rectification = await repo.insertRectification(tx, { caseId: row.id, departmentId: row.departmentId, dueAt, createdAt: now })
    await timers.schedule(tx, { kind: RECTIFICATION_TIMER, key: `${RECTIFICATION_TIMER}:${rectification.id}`, fireAt: dueAt, payload: { rectificationId: rectification.id } })
    await audit.append(tx, auditRecord(actor, 'rectification.opened', 'rectification', rectification.id, { caseId: row.id, number: row.number, level: input.level, dueAt: dueAt.toISOString() }))
    await broadcast(tx, row, 'rectification.opened', { rectificationId: rectification.id, dueAt: dueAt.toISOString() })
  }

  /** 好差评 by whoever holds the receipt (the case number and its query code). */
  async function rate (input: { number: string, queryCode: string, level: number, comment?: string }) {
    await db.transaction(async (tx) => {
      const found = await byQueryCode(input.number, input.queryCode, tx)
      await rateLocked(tx, null, (await repo.findCase(tx, found.id, 'update'))!, input)
    })
    return progress(input.number, input.queryCode)
  }

  /** 好差评 by the applicant signed in, from its own cases; anyone else's case is 404. */
  async function rateOwn (actor: Actor, caseId: string, input: { level: number, comment?: string }): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const own = await ownCase(tx, actor, caseId)
      await rateLocked(tx, actor, own, input)
      return own
    })
    return view(row)
  }

  return { byQueryCode, progress, rate, rateOwn }
}

export type CasePublicSide = ReturnType<typeof createCasePublicSide>
