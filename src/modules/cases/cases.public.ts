/**
 * The public side: whoever holds the receipt (the case number and its query code) follows the
 * case's progress and, once it is closed, rates it (好差评); a bad rating opens a rectification.
 */
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Queryable } from '../../plugins/db.ts'
import { RECTIFICATION_TIMER } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import { isBadRating, isValidQueryCode, normaliseQueryCode, rectificationDueAt, type RatingLevel } from './cases.rules.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CasePublicSideDeps = Pick<CasesDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'timers'> & Pick<CaseHelpers, 'record' | 'broadcast'>

export function createCasePublicSide ({ db, audit, clock, calendar, timers, record, broadcast }: CasePublicSideDeps) {
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

  /** 好差评: once, after closing, by whoever holds the receipt; a bad rating opens a rectification. */
  async function rate (input: { number: string, queryCode: string, level: number, comment?: string }) {
    await db.transaction(async (tx) => {
      const found = await byQueryCode(input.number, input.queryCode, tx)
      const row = (await repo.findCase(tx, found.id, 'update'))!
      if (row.state !== 'closed') throw new errors.RatingNotOpen()
      const now = clock.now()
      const rating = await repo.insertRating(tx, { caseId: row.id, level: input.level, comment: input.comment ?? '', ratedAt: now })
      if (!rating) throw new errors.RatingNotOpen()
      await record(tx, null, row, 'rated', { level: input.level }, { comment: input.comment ?? '' })
      const dueAt = rectificationDueAt(calendar.current(), { level: input.level as RatingLevel, ratedAt: now })
      if (!isBadRating(input.level as RatingLevel) || !dueAt) return
      const rectification = await repo.insertRectification(tx, { caseId: row.id, departmentId: row.departmentId, dueAt, createdAt: now })
      await timers.schedule(tx, { kind: RECTIFICATION_TIMER, key: `${RECTIFICATION_TIMER}:${rectification.id}`, fireAt: dueAt, payload: { rectificationId: rectification.id } })
      await audit.append(tx, auditRecord(null, 'rectification.opened', 'rectification', rectification.id, { caseId: row.id, number: row.number, level: input.level, dueAt: dueAt.toISOString() }))
      await broadcast(tx, row, 'rectification.opened', { rectificationId: rectification.id, dueAt: dueAt.toISOString() })
    })
    return progress(input.number, input.queryCode)
  }

  return { byQueryCode, progress, rate }
}

export type CasePublicSide = ReturnType<typeof createCasePublicSide>
