/**
 * Invitations: each member drawn is invited (in-app, and by SMS to a confirmed mobile) with an
 * answer deadline; a decline, or silence past the deadline (a timer per invitation), leaves the
 * committee and calls the line's next standby reserve, logged. A line with no reserve left raises
 * an alarm in the room and to the hall operator and the supervisor of the draw.
 *
 * Secrecy: until the list is published, nothing here names an expert outside their own inbox
 * and the supervisors' events. The audit entries (officials read them) carry the pseudonym, with
 * no actor for the expert's own answer: their account id would name them.
 */
import type { Actor } from '../../lib/actor.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import type { Transaction } from '../../plugins/db.ts'
import { AnswerClosed, InvitationAnswered, InvitationNotFound } from './drawings.errors.ts'
import * as repo from './drawings.repository.ts'
import { answerByOf, mayStillInvite } from './drawings.rules.ts'
import type { InvitationView } from './drawings.schemas.ts'
import { requestOf, type DrawingHelpers, type DrawingsDeps } from './drawings.service.ts'

export const ANSWER_TIMER = 'drawings.answer'
const answerTimerKey = (drawingId: string, pseudonym: string) => `${ANSWER_TIMER}:${drawingId}:${pseudonym}`

/** "2026-05-06 09:30", the hall's time: what an expert reads in a message. */
function hallTime (instant: Date): string {
  return `${shanghaiDate(instant)} ${new Date(instant.getTime() + 8 * 3_600_000).toISOString().slice(11, 16)}`
}

const SIDE_WORDS = { technical: '技术', economic: '经济' } as const
const ANSWER_WORDS = { invited: 'awaiting an answer', confirmed: 'confirmed', declined: 'declined', no_answer: 'unanswered (the time ran out)', recused: 'released', standby: 'not called' } as const

type InvitationDeps = DrawingsDeps & DrawingHelpers

export function createDrawingInvitations ({ db, clock, timers, notifier, settings, emit, specialtyNames }: InvitationDeps) {
  type Lookups = { specialties: Map<string, string>, experts: Awaited<ReturnType<typeof repo.expertsByIds>> }
  type Invited = Pick<repo.DrawnRow, 'expertId' | 'pseudonym' | 'line' | 'role'>

  /**
   * Invites the drawn members together: each invitation's statements are sent without waiting for
   * the others' answers, down the one connection of the transaction, so nine invitations take
   * about the round trips of one (the audit and room appends are single statements, safe in any order).
   */
  async function inviteAll (tx: Transaction, drawing: repo.DrawingRow, rows: Invited[]) {
    const [specialties, experts] = await Promise.all([specialtyNames(tx, drawing), repo.expertsByIds(tx, rows.map((row) => row.expertId))])
    await Promise.all(rows.map((row) => invite(tx, drawing, row, { specialties, experts })))
  }

  /** Invites one drawn expert: the answer deadline, its timer, the message; the room learns a count. */
  async function invite (tx: Transaction, drawing: repo.DrawingRow, row: Invited, lookups?: Lookups) {
    const now = clock.now()
    const answerBy = answerByOf(now, settings.answerMinutes, drawing.evaluationAt)
    await repo.updateDrawn(tx, drawing.id, row.expertId, { state: 'invited', invitedAt: now, answerBy })
    await timers.schedule(tx, { kind: ANSWER_TIMER, key: answerTimerKey(drawing.id, row.pseudonym), fireAt: answerBy, payload: { drawingId: drawing.id, pseudonym: row.pseudonym } })
    const line = requestOf(drawing).lines[row.line]!
    const specialty = (lookups?.specialties ?? await specialtyNames(tx, drawing)).get(line.specialtyCode) ?? line.specialtyCode
    const expert = (lookups?.experts ?? await repo.expertsByIds(tx, [row.expertId])).get(row.expertId)!
    const place = drawing.evaluationPlace ?? '远程评标（在线）'
    // time, place and specialty only: neither the tender nor its bidders (see index.ts)
    await notifier.notify(tx, {
      recipientId: expert.accountId,
      kind: 'drawing.invitation',
      subject: `评标邀请：${hallTime(drawing.evaluationAt)}`,
      body: `您被随机抽取为评标专家（专业：${specialty}，${SIDE_WORDS[line.side]}）。评标时间：${hallTime(drawing.evaluationAt)}；地点：${place}。请于 ${hallTime(answerBy)} 前登录确认是否参加，逾期未答复视为不参加。请勿向他人透露。`,
      link: '/my/invitations',
      sms: `评标邀请：${hallTime(drawing.evaluationAt)}，${place}。请于 ${hallTime(answerBy)} 前登录确认是否参加。`,
      actorId: null,
      auditAs: { subjectType: 'drawing', subjectId: drawing.id, payload: { pseudonym: row.pseudonym } }
    })
    await emit(tx, null, drawing, 'invited', { line: row.line, role: row.role, pseudonym: row.pseudonym, answerBy: answerBy.toISOString() }, { name: expert.fullName, code: expert.code })
  }

  /**
   * The line's next standby reserve, in drawn order, takes the leaving expert's place; with none
   * left (or no time left before the evaluation) the line is short: an alarm.
   */
  async function callNextReserve (tx: Transaction, drawing: repo.DrawingRow, leaving: repo.DrawnRow, why: string) {
    const rows = await repo.drawnOf(tx, drawing.id)
    const next = rows.find((row) => row.line === leaving.line && row.role === 'reserve' && row.state === 'standby')
    if (next && mayStillInvite(clock.now(), drawing.evaluationAt)) {
      await repo.updateDrawn(tx, drawing.id, leaving.expertId, { replacedBy: next.expertId })
      await emit(tx, null, drawing, 'reserve_called', { line: leaving.line, replaced: leaving.pseudonym, by: next.pseudonym, why })
      await invite(tx, drawing, next)
      return
    }
    const serving = rows.filter((row) => row.line === leaving.line && (row.state === 'invited' || row.state === 'confirmed')).length
    const needed = requestOf(drawing).lines[leaving.line]!.count
    await emit(tx, null, drawing, 'line_short', { line: leaving.line, specialtyCode: requestOf(drawing).lines[leaving.line]!.specialtyCode, serving, needed, why: next ? 'no_time_left' : 'no_reserve_left' })
    const officials = [...new Set([drawing.decidedBy, drawing.nonceGivenBy].filter((id): id is string => id !== null))]
    const specialty = (await specialtyNames(tx, drawing)).get(requestOf(drawing).lines[leaving.line]!.specialtyCode)
    for (const recipientId of officials) {
      await notifier.notify(tx, {
        recipientId,
        kind: 'drawing.line_short',
        subject: '专家抽取告警：备选专家已用完',
        body: `评标时间为 ${hallTime(drawing.evaluationAt)} 的专家抽取，第 ${leaving.line + 1} 组（${specialty ?? '该专业'}）需要 ${needed} 名专家，现仅 ${serving} 名在邀或已确认，且已无可通知的备选专家。请及时处理。`,
        link: `/drawings/${drawing.id}`,
        actorId: null
      })
    }
  }

  async function answer (actor: Actor, drawingId: string, decision: 'confirm' | 'decline', reason?: string): Promise<InvitationView> {
    await db.transaction(async (tx) => {
      const expert = await repo.expertOfAccount(tx, actor.principal.accountId)
      const drawing = expert && await repo.findDrawing(tx, drawingId, 'update')
      const row = drawing && await repo.findDrawnExpert(tx, drawingId, expert.id)
      if (!drawing || !row || row.invitedAt === null) throw new InvitationNotFound(drawingId)
      if (row.state !== 'invited') throw new InvitationAnswered(ANSWER_WORDS[row.state])
      const now = clock.now()
      if (drawing.state !== 'drawn' || now.getTime() >= row.answerBy!.getTime()) throw new AnswerClosed(row.answerBy!.toISOString())
      const state = decision === 'confirm' ? 'confirmed' as const : 'declined' as const
      const updated = await repo.updateDrawn(tx, drawingId, expert.id, { state, answeredAt: now, reason: decision === 'decline' ? reason ?? 'declined' : null })
      await timers.cancel(tx, answerTimerKey(drawingId, row.pseudonym))
      // no actor: the expert's account would name them in a log the operator reads
      await emit(tx, null, drawing, state, { line: row.line, pseudonym: row.pseudonym }, { name: (await repo.expertsByIds(tx, [expert.id])).get(expert.id)!.fullName, reason: updated.reason })
      if (state === 'declined') await callNextReserve(tx, drawing, updated, 'declined')
    })
    const mine = await myInvitations(actor)
    return mine.find((invitation) => invitation.drawingId === drawingId)!
  }

  /** The answer deadline passed in silence: no_answer, and the next reserve. */
  async function expire (tx: Transaction, drawingId: string, pseudonym: string) {
    const drawing = await repo.findDrawing(tx, drawingId, 'update')
    const row = drawing && await repo.findDrawnByPseudonym(tx, drawingId, pseudonym)
    if (!drawing || !row || row.state !== 'invited' || drawing.state !== 'drawn') return
    const now = clock.now()
    if (now.getTime() < row.answerBy!.getTime()) {
      // fired a moment early (another instance's clock): look again at the deadline
      await timers.schedule(tx, { kind: ANSWER_TIMER, key: answerTimerKey(drawingId, pseudonym), fireAt: new Date(Math.max(row.answerBy!.getTime(), now.getTime() + 1000)), payload: { drawingId, pseudonym } })
      return
    }
    const updated = await repo.updateDrawn(tx, drawingId, row.expertId, { state: 'no_answer', answeredAt: null, reason: 'no answer by the deadline' })
    await emit(tx, null, drawing, 'no_answer', { line: row.line, pseudonym, answerBy: row.answerBy!.toISOString() })
    await callNextReserve(tx, drawing, updated, 'no_answer')
  }

  /**
   * The drawing was called off: the invited stop waiting for an answer, and every expert who was
   * invited or had confirmed is told the evaluation will not take place (reserves never called
   * were never told anything).
   */
  async function withdrawAll (tx: Transaction, drawing: repo.DrawingRow) {
    const rows = (await repo.drawnOf(tx, drawing.id)).filter((row) => row.state === 'invited' || row.state === 'confirmed')
    const experts = await repo.expertsByIds(tx, rows.map((row) => row.expertId))
    for (const row of rows) {
      if (row.state === 'invited') await timers.cancel(tx, answerTimerKey(drawing.id, row.pseudonym))
      await notifier.notify(tx, {
        recipientId: experts.get(row.expertId)!.accountId,
        kind: 'drawing.cancelled',
        subject: `评标取消：${hallTime(drawing.evaluationAt)}`,
        body: `原定于 ${hallTime(drawing.evaluationAt)} 的评标已取消，您无需参加。感谢您的支持。`,
        link: '/my/invitations',
        sms: `原定于 ${hallTime(drawing.evaluationAt)} 的评标已取消，您无需参加。`,
        actorId: null,
        auditAs: { subjectType: 'drawing', subjectId: drawing.id, payload: { pseudonym: row.pseudonym } }
      })
    }
  }

  /** The caller's invitations: time, place and specialty; never the tender nor its bidders. */
  async function myInvitations (actor: Actor): Promise<InvitationView[]> {
    const expert = await repo.expertOfAccount(db, actor.principal.accountId)
    if (!expert) return []
    const rows = await repo.invitationsOf(db, expert.id)
    const views: InvitationView[] = []
    for (const { drawn, drawing } of rows) {
      const line = requestOf(drawing).lines[drawn.line]!
      views.push({
        drawingId: drawing.id,
        specialtyCode: line.specialtyCode,
        specialtyName: (await specialtyNames(db, drawing)).get(line.specialtyCode) ?? line.specialtyCode,
        side: line.side,
        evaluationAt: drawing.evaluationAt.toISOString(),
        evaluationPlace: drawing.evaluationPlace,
        remote: drawing.evaluationPlace === null,
        invitedAt: drawn.invitedAt!.toISOString(),
        answerBy: drawn.answerBy?.toISOString() ?? null,
        answeredAt: drawn.answeredAt?.toISOString() ?? null,
        // a recusal's reason would tell the expert who bid: they are only told they are released
        state: drawing.state === 'cancelled' && (drawn.state === 'invited' || drawn.state === 'confirmed')
          ? 'cancelled'
          : drawn.state === 'recused' || drawn.state === 'standby' ? 'released' : drawn.state
      })
    }
    return views
  }

  timers.define(ANSWER_TIMER, async (tx, timer) => {
    const { drawingId, pseudonym } = timer.payload as { drawingId: string, pseudonym: string }
    await expire(tx, drawingId, pseudonym)
  })

  return { invite, inviteAll, withdrawAll, callNextReserve, answer, myInvitations, answerTimerKey }
}

export type DrawingInvitations = ReturnType<typeof createDrawingInvitations>
