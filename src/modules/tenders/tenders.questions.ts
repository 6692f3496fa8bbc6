/**
 * Questions on the documents: bidders ask anonymously until the deadline; each answer goes out to
 * every registered bidder as a clarification (tenders.publication.ts judges its timing).
 */
import type { Actor } from '../../lib/actor.ts'
import type { Principal } from '../../lib/policy.ts'
import { auditRecord } from '../../plugins/audit.ts'
import { PUBLIC, tenderRoom } from './tenders.constants.ts'
import { NotRegistered, QuestionAnswered, QuestionNotFound, TenderNotFound, TenderStateInvalid } from './tenders.errors.ts'
import type { TenderPublication } from './tenders.publication.ts'
import type { TenderRegistrations } from './tenders.registrations.ts'
import * as repo from './tenders.repository.ts'
import type { Answer, QuestionView } from './tenders.schemas.ts'
import type { TenderReads, TendersDeps } from './tenders.service.ts'

export type TenderQuestionsDeps = Pick<TendersDeps, 'db' | 'audit' | 'clock' | 'live'>
  & Pick<TenderReads, 'projectOf' | 'visibleTender' | 'ownTender' | 'isParty' | 'oversees'>
  & Pick<TenderRegistrations, 'documentHolder'> & Pick<TenderPublication, 'applyChange'>

export function createTenderQuestions ({ db, audit, clock, live, projectOf, visibleTender, ownTender, isParty, oversees, documentHolder, applyChange }: TenderQuestionsDeps) {
  function questionView (row: repo.QuestionRow, principal: Principal): QuestionView {
    return {
      id: row.id,
      tenderId: row.tenderId,
      question: row.question,
      askedAt: row.askedAt.toISOString(),
      answer: row.answer,
      answeredAt: row.answeredAt?.toISOString() ?? null,
      clarificationId: row.clarificationId,
      mine: row.askerId === principal.accountId
    }
  }

  /** Bidders ask anonymously: the asker is stored for the asker alone and named nowhere else. */
  async function ask (actor: Actor, tenderId: string, question: string): Promise<QuestionView> {
    const row = await db.transaction(async (tx) => {
      const { tender } = await documentHolder(actor, tenderId, tx, 'share')
      if (tender.status !== 'bidding' || clock.now().getTime() >= tender.bidDeadline.getTime()) throw new TenderStateInvalid(tender.status, 'questions are asked until the bid deadline')
      const project = await projectOf(tx, tender)
      const inserted = await repo.insertQuestion(tx, { tenderId, askerId: actor.principal.accountId, question, askedAt: clock.now() })
      await audit.append(tx, auditRecord(null, 'tender.question_asked', 'tender', tenderId, { questionId: inserted.id }))
      await live.append(tx, tenderRoom(tenderId), { type: 'tender.question_asked', data: { questionId: inserted.id }, audience: { parties: [project.registeredBy], roles: ['supervisor'] } })
      return inserted
    })
    return questionView(row, actor.principal)
  }

  /** The answer goes to every registered bidder as a clarification (and may move the deadline). */
  async function answerQuestion (actor: Actor, questionId: string, input: Answer): Promise<QuestionView> {
    const question = await repo.findQuestion(db, questionId)
    if (!question) throw new QuestionNotFound(questionId)
    await ownTender(actor, question.tenderId).catch((error: unknown) => { throw error instanceof TenderNotFound ? new QuestionNotFound(questionId) : error })
    const row = await db.transaction(async (tx) => {
      const { tender } = await ownTender(actor, question.tenderId, tx, 'update')
      if (tender.status !== 'published' && tender.status !== 'bidding') throw new TenderStateInvalid(tender.status, 'answers are issued until the bid deadline')
      const current = (await repo.findQuestion(tx, questionId, { forUpdate: true }))!
      if (current.answeredAt) throw new QuestionAnswered()
      const change = await applyChange(tx, actor, tender, { affectsBids: input.affectsBids ?? false, newBidDeadline: input.newBidDeadline })
      const asked = await repo.questionsOf(tx, tender.id)
      const clarification = await repo.insertDocument(tx, {
        tenderId: tender.id,
        kind: 'clarification',
        title: `答疑 ${asked.findIndex((candidate) => candidate.id === questionId) + 1}`,
        body: `问：${current.question}\n答：${input.answer}`,
        affectsBids: input.affectsBids ?? false,
        deadlineBefore: change.deadlineBefore,
        deadlineAfter: change.deadlineAfter,
        issuedBy: actor.principal.accountId,
        issuedAt: clock.now()
      })
      const answered = await repo.answerQuestion(tx, questionId, { answer: input.answer, answeredBy: actor.principal.accountId, answeredAt: clock.now(), clarificationId: clarification.id })
      await audit.append(tx, auditRecord(actor, 'tender.question_answered', 'tender', tender.id, { questionId, clarificationId: clarification.id, version: clarification.version }))
      await live.append(tx, tenderRoom(tender.id), { type: 'tender.document_issued', data: { documentId: clarification.id, version: clarification.version, kind: 'clarification', title: clarification.title }, audience: PUBLIC })
      await live.append(tx, tenderRoom(tender.id), { type: 'tender.question_answered', data: { questionId, question: current.question, answer: input.answer }, audience: { parties: await repo.registeredBidderIds(tx, tender.id), roles: ['supervisor'] } })
      return answered
    })
    return questionView(row, actor.principal)
  }

  /** Parties and officials see every question (never the asker); a bidder sees the answered ones and its own. */
  async function listQuestions (actor: Actor, tenderId: string): Promise<QuestionView[]> {
    const { project } = await visibleTender(actor.principal, tenderId)
    const rows = await repo.questionsOf(db, tenderId)
    if (isParty(actor.principal, project) || oversees(actor.principal, project)) return rows.map((row) => ({ ...questionView(row, actor.principal), mine: false }))
    const registration = await repo.findRegistration(db, tenderId, actor.principal.accountId)
    if (!registration) throw new NotRegistered()
    return rows.filter((row) => row.answeredAt || row.askerId === actor.principal.accountId).map((row) => questionView(row, actor.principal))
  }

  return { ask, answerQuestion, listQuestions }
}
