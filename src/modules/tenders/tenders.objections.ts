/**
 * Objections to the documents: filed by a registered bidder before the cutoff, they pause the
 * procedure until the tenderer answers every one; an answer overdue is flagged to the officials.
 */
import type { Actor } from '../../lib/actor.ts'
import { endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Transaction } from '../../plugins/db.ts'
import { DEADLINE_TIMER, OBJECTION_TIMER, PUBLIC, tenderRoom } from './tenders.constants.ts'
import { ObjectionAnswered, ObjectionNotFound, ObjectionTooLate, TenderNotFound, TenderStateInvalid } from './tenders.errors.ts'
import type { TenderRegistrations } from './tenders.registrations.ts'
import * as repo from './tenders.repository.ts'
import { objectionAnswerDueDate, objectionCutoff, participationIsSecret } from './tenders.rules.ts'
import type { ObjectionView } from './tenders.schemas.ts'
import type { TenderReads, TendersDeps } from './tenders.service.ts'

export type TenderObjectionsDeps = Pick<TendersDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'timers' | 'live'>
  & Pick<TenderReads, 'projectOf' | 'visibleTender' | 'ownTender' | 'isParty' | 'oversees'>
  & Pick<TenderRegistrations, 'documentHolder'>

export function createTenderObjections ({ db, audit, clock, calendar, timers, live, projectOf, visibleTender, ownTender, isParty, oversees, documentHolder }: TenderObjectionsDeps) {
  /** The objector's name only to the objector, to officials, and to the tender's parties once participation is no longer secret. */
  function objectionView (row: repo.ObjectionRow, named: boolean): ObjectionView {
    return {
      id: row.id,
      tenderId: row.tenderId,
      objectorName: named ? row.objectorName : null,
      text: row.text,
      filedAt: row.filedAt.toISOString(),
      answerDueAt: row.answerDueAt.toISOString(),
      answer: row.answer,
      answeredAt: row.answeredAt?.toISOString() ?? null
    }
  }

  /** An objection to the documents pauses the procedure until the tenderer answers it. */
  async function object (actor: Actor, tenderId: string, text: string): Promise<ObjectionView> {
    const row = await db.transaction(async (tx) => {
      // the pause is written to the tender row: hold it exclusively, so concurrent objections queue
      const { tender } = await documentHolder(actor, tenderId, tx, 'update')
      if (tender.status !== 'published' && tender.status !== 'bidding') throw new TenderStateInvalid(tender.status, 'objections to the documents are filed before the bid deadline')
      const project = await projectOf(tx, tender)
      const now = clock.now()
      const cutoff = objectionCutoff(tender.bidDeadline)
      if (shanghaiDate(now) > cutoff) throw new ObjectionTooLate(cutoff)
      const answerDueAt = endOfShanghaiDay(objectionAnswerDueDate(calendar.current(), now))
      const objection = await repo.insertObjection(tx, { tenderId, objectorId: actor.principal.accountId, objectorName: actor.principal.displayName, text, filedAt: now, answerDueAt })
      // the objector is a registered bidder, so it is named nowhere the agency reads before the deadline
      await audit.append(tx, auditRecord(null, 'tender.objection_filed', 'tender', tenderId, { objectionId: objection.id, answerDueAt: answerDueAt.toISOString() }))
      if (!tender.pausedSince) {
        await repo.updateTender(tx, tenderId, { pausedSince: now })
        await audit.append(tx, auditRecord(null, 'tender.paused', 'tender', tenderId, { objectionId: objection.id }))
        await live.append(tx, tenderRoom(tenderId), { type: 'tender.paused', data: { reason: 'objection' }, audience: PUBLIC })
      }
      await live.append(tx, tenderRoom(tenderId), { type: 'tender.objection_filed', data: { objectionId: objection.id, answerDueAt: answerDueAt.toISOString() }, audience: { parties: [project.registeredBy], roles: ['supervisor'] } })
      await timers.schedule(tx, { kind: OBJECTION_TIMER, key: `${OBJECTION_TIMER}:${objection.id}`, fireAt: answerDueAt, payload: { objectionId: objection.id } })
      return objection
    })
    return objectionView(row, true)
  }

  async function answerObjection (actor: Actor, objectionId: string, answer: string): Promise<ObjectionView> {
    const objection = await repo.findObjection(db, objectionId)
    if (!objection) throw new ObjectionNotFound(objectionId)
    await ownTender(actor, objection.tenderId).catch((error: unknown) => { throw error instanceof TenderNotFound ? new ObjectionNotFound(objectionId) : error })
    const { row, tender: answeredOn } = await db.transaction(async (tx) => {
      const { tender } = await ownTender(actor, objection.tenderId, tx, 'update')
      const current = (await repo.findObjection(tx, objectionId, { forUpdate: true }))!
      if (current.answeredAt) throw new ObjectionAnswered()
      const answered = await repo.answerObjection(tx, objectionId, { answer, answeredBy: actor.principal.accountId, answeredAt: clock.now() })
      await audit.append(tx, auditRecord(actor, 'tender.objection_answered', 'tender', tender.id, { objectionId, late: clock.now().getTime() > current.answerDueAt.getTime() }))
      await timers.cancel(tx, `${OBJECTION_TIMER}:${objectionId}`)
      await live.append(tx, tenderRoom(tender.id), { type: 'tender.objection_answered', data: { objectionId }, audience: { parties: [current.objectorId], roles: ['supervisor'] } })
      if (tender.pausedSince && await repo.pendingObjections(tx, tender.id) === 0) {
        await repo.updateTender(tx, tender.id, { pausedSince: null })
        await audit.append(tx, auditRecord(actor, 'tender.resumed', 'tender', tender.id, { pausedSince: tender.pausedSince.toISOString() }))
        await live.append(tx, tenderRoom(tender.id), { type: 'tender.resumed', data: {}, audience: PUBLIC })
        // the deadline passed during the pause and was not moved: bidding closes now
        if (tender.bidDeadline.getTime() <= clock.now().getTime()) {
          await timers.schedule(tx, { kind: DEADLINE_TIMER, key: `${DEADLINE_TIMER}:${tender.id}`, fireAt: clock.now(), payload: { tenderId: tender.id } })
        }
      }
      return { row: answered, tender }
    })
    return objectionView(row, !participationIsSecret(answeredOn, clock.now()))
  }

  async function listObjections (actor: Actor, tenderId: string): Promise<ObjectionView[]> {
    const { tender, project } = await visibleTender(actor.principal, tenderId)
    const official = oversees(actor.principal, project)
    const all = official || isParty(actor.principal, project)
    const namesOpen = official || !participationIsSecret(tender, clock.now())
    return (await repo.objectionsOf(db, tenderId, all ? undefined : actor.principal.accountId))
      .map((row) => objectionView(row, namesOpen || row.objectorId === actor.principal.accountId))
  }

  async function flagOverdueObjection (tx: Transaction, objectionId: string): Promise<void> {
    const objection = await repo.findObjection(tx, objectionId)
    if (!objection || objection.answeredAt) return
    await audit.append(tx, auditRecord(null, 'tender.objection_overdue', 'tender', objection.tenderId, { objectionId, answerDueAt: objection.answerDueAt.toISOString() }))
    await live.append(tx, tenderRoom(objection.tenderId), { type: 'tender.objection_overdue', data: { objectionId }, audience: { roles: ['supervisor', 'hall_admin'] } })
  }

  timers.define(OBJECTION_TIMER, async (tx, timer) => { await flagOverdueObjection(tx, (timer.payload as { objectionId: string }).objectionId) })

  return { object, answerObjection, listObjections }
}
