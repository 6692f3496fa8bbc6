/**
 * Review and decision: the department reviews the case, a special procedure pauses its clock
 * for at most its announced length, the joint departments answer their sub-tasks (or the hall
 * takes a stalled one over), and the chief representative decides within the recorded delegation.
 */
import type { Actor } from '../../lib/actor.ts'
import { canAccess } from '../../lib/policy.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Transaction } from '../../plugins/db.ts'
import { departmentRoom, ERROR_OF, PAUSE_LIMIT_TIMER, SUBTASK_TIMER, WATCHERS } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import { decisionProblem, delegationGap, pauseLimitEndsAt, pauseProblem, SUPERVISED_STATES } from './cases.rules.ts'
import type { CaseView } from './cases.schemas.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CaseReviewDeps = Pick<CasesDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'live' | 'timers' | 'departments'>
  & Pick<CaseHelpers, 'handled' | 'factsOf' | 'assertMove' | 'rewind' | 'record' | 'broadcast' | 'changed'>

export function createCaseReview ({ db, audit, clock, calendar, live, timers, departments, handled, factsOf, assertMove, rewind, record, broadcast, changed }: CaseReviewDeps) {
  async function startReview (actor: Actor, caseId: string): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await handled(tx, actor, caseId, 'department')
      assertMove(current, 'review')
      const updated = await repo.updateCase(tx, caseId, { state: 'review', updatedAt: clock.now() })
      await record(tx, actor, updated, 'review_started')
      return updated
    })
    return changed(row)
  }

  /** A special procedure (hearing, testing, appraisal, expert review) stops the clock for at most its announced length. */
  async function pause (actor: Actor, caseId: string, input: { kind: 'hearing' | 'testing' | 'appraisal' | 'expert_review', reason: string, limitWorkingDays: number }): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await handled(tx, actor, caseId, 'department')
      const problem = pauseProblem(factsOf(current), input)
      if (problem) throw ERROR_OF[problem]()
      if ((await repo.pausesOf(tx, caseId)).some((existing) => existing.endedAt === null)) throw new errors.CasePaused()
      const now = clock.now()
      await repo.insertPause(tx, { caseId, kind: input.kind, reason: input.reason, limitWorkingDays: input.limitWorkingDays, startedAt: now, openedBy: actor.principal.accountId })
      await timers.schedule(tx, { kind: PAUSE_LIMIT_TIMER, key: `${PAUSE_LIMIT_TIMER}:${caseId}`, fireAt: pauseLimitEndsAt(calendar.current(), now, input.limitWorkingDays), payload: { caseId } })
      return rewind(tx, current, now, {}, undefined, { actor, kind: 'paused', detail: { kind: input.kind, limitWorkingDays: input.limitWorkingDays }, auditDetail: { reason: input.reason } })
    })
    return changed(row)
  }

  async function endPause (actor: Actor, caseId: string): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await handled(tx, actor, caseId, 'department')
      const open = (await repo.pausesOf(tx, caseId)).find((existing) => existing.endedAt === null)
      if (!open) throw new errors.NotPaused()
      if (open.kind === 'correction') throw new errors.CorrectionUnanswered()
      const now = clock.now()
      await repo.endOpenPause(tx, caseId, now)
      await timers.cancel(tx, `${PAUSE_LIMIT_TIMER}:${caseId}`)
      return rewind(tx, current, now, {}, undefined, { actor, kind: 'resumed', detail: { kind: open.kind } })
    })
    return changed(row)
  }

  async function reachPauseLimit (tx: Transaction, caseId: string): Promise<void> {
    const row = await repo.findCase(tx, caseId, 'update')
    if (!row || !SUPERVISED_STATES.includes(row.state)) return
    const updated = await rewind(tx, row, clock.now())
    if (updated.dueAt) await broadcast(tx, updated, 'case.changed', { kind: 'pause_limit_reached' })
  }

  async function decide (actor: Actor, caseId: string, input: { decision: 'approve' | 'deny', reasons: string[] }): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await repo.findCase(tx, caseId, 'update')
      if (!current || !canAccess(actor.principal, 'cases.decide', { departmentId: current.departmentId })) throw new errors.CaseNotFound(caseId)
      assertMove(current, 'decided')
      const subtasks = await repo.subtasksOf(tx, caseId)
      const open = subtasks.filter((subtask) => subtask.state === 'open')
      if (open.length) throw new errors.SubtasksOpen(open.map((subtask) => subtask.departmentId).join(', '))
      if (input.decision === 'approve' && subtasks.some((subtask) => subtask.state === 'declined')) throw new errors.SubtaskDeclined()
      const now = clock.now()
      const inForce = await departments.delegationInForce(current.departmentId, now, tx)
      const problem = decisionProblem({ delegation: inForce?.chiefRepId === actor.principal.accountId ? inForce.delegation : null, itemCode: current.itemCode, decision: input.decision, reasons: input.reasons, at: now })
      if (problem === 'OUTSIDE_DELEGATION') {
        const gap = inForce && inForce.chiefRepId === actor.principal.accountId ? delegationGap(inForce.delegation, { itemCode: current.itemCode, decision: input.decision, at: now }) : 'not_the_chief_representative_in_force'
        throw new errors.OutsideDelegation(gap ?? 'no delegation')
      }
      if (problem) throw ERROR_OF[problem]()
      const [updated] = await Promise.all([
        rewind(tx, current, now, { state: 'decided', decision: input.decision, decisionReasons: input.reasons, decidedBy: actor.principal.accountId, decidedAt: now },
          undefined, { actor, kind: 'decided', detail: { decision: input.decision }, auditDetail: { reasons: input.reasons, delegationId: inForce!.id } }),
        timers.cancel(tx, `${PAUSE_LIMIT_TIMER}:${caseId}`)
      ])
      return updated
    })
    return changed(row)
  }

  // ---- joint cases ------------------------------------------------------------------------------

  async function answerSubtask (actor: Actor, caseId: string, departmentId: string, input: { agree: boolean, opinion: string }): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await repo.findCase(tx, caseId, 'update')
      const subtask = current ? await repo.findSubtask(tx, caseId, departmentId) : undefined
      const byDepartment = canAccess(actor.principal, 'cases.handle', { departmentId })
      const byHall = Boolean(subtask?.takenOverAt) && canAccess(actor.principal, 'cases.coordinate', {})
      if (!current || !subtask || !(byDepartment || byHall)) throw new errors.SubtaskNotFound(departmentId)
      if (subtask.state !== 'open') throw new errors.SubtaskSettled()
      if (!SUPERVISED_STATES.includes(current.state)) throw new errors.CaseStateInvalid(current.state, 'a sub-task answer')
      const now = clock.now()
      await repo.updateSubtask(tx, subtask.id, { state: input.agree ? 'done' : 'declined', opinion: input.opinion, doneBy: actor.principal.accountId, doneAt: now })
      await timers.cancel(tx, `${SUBTASK_TIMER}:${subtask.id}`)
      await record(tx, actor, current, 'subtask_answered', { departmentId, agree: input.agree, late: now > subtask.dueAt }, { opinion: input.opinion })
      return current
    })
    return changed(row)
  }

  /** The hall takes the coordination of a stalled department's sub-task from the first window. */
  async function takeOverSubtask (actor: Actor, caseId: string, departmentId: string, reason: string): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await repo.findCase(tx, caseId, 'update')
      const subtask = current ? await repo.findSubtask(tx, caseId, departmentId) : undefined
      if (!current || !subtask) throw new errors.SubtaskNotFound(departmentId)
      if (subtask.state !== 'open') throw new errors.SubtaskSettled()
      if (subtask.takenOverAt) throw new errors.SubtaskTakenOver()
      const now = clock.now()
      await repo.updateSubtask(tx, subtask.id, { takenOverBy: actor.principal.accountId, takenOverAt: now })
      await record(tx, actor, current, 'subtask_taken_over', { departmentId, late: now > subtask.dueAt }, { reason })
      return current
    })
    return changed(row)
  }

  async function flagLateSubtask (tx: Transaction, subtaskId: string): Promise<void> {
    const subtask = await repo.findSubtaskById(tx, subtaskId)
    if (!subtask || subtask.state !== 'open') return
    const row = (await repo.findCase(tx, subtask.caseId))!
    await audit.append(tx, auditRecord(null, 'case.subtask_overdue', 'case', row.id, { number: row.number, departmentId: subtask.departmentId, dueAt: subtask.dueAt.toISOString() }))
    await broadcast(tx, row, 'case.subtask_overdue', { subtaskDepartmentId: subtask.departmentId })
    await live.append(tx, departmentRoom(subtask.departmentId), { type: 'case.subtask_overdue', data: { caseId: row.id, number: row.number, departmentId: subtask.departmentId }, audience: WATCHERS })
  }

  timers.define(PAUSE_LIMIT_TIMER, async (tx, timer) => { await reachPauseLimit(tx, (timer.payload as { caseId: string }).caseId) })
  timers.define(SUBTASK_TIMER, async (tx, timer) => { await flagLateSubtask(tx, (timer.payload as { subtaskId: string }).subtaskId) })

  return { startReview, pause, endPause, decide, answerSubtask, takeOverSubtask }
}
