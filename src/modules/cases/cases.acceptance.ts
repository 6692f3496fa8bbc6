/**
 * Acceptance (受理): within 5 working days the receiving window accepts or refuses the case, or the
 * law deems it accepted; the one correction notice (一次性告知) and its answer, before acceptance
 * or in review. Acceptance starts the promised clock, opens a joint case's sub-tasks and issues
 * the fee notice.
 */
import type { Actor } from '../../lib/actor.ts'
import { canAccess } from '../../lib/policy.ts'
import type { Queryable, Transaction } from '../../plugins/db.ts'
import type { ItemContent } from '../catalogue/catalogue.content.ts'
import { ACCEPTANCE_TIMER, clockKey, departmentRoom, ERROR_OF, SUBTASK_TIMER, WATCHERS } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import { acceptanceLimitEndsAt, acceptanceLimitProblem, caseDueAt, correctionNoticeBounds, correctionNoticeProblem, type CorrectionNotice, missingMaterials, pauseProblem, promisedClockStartsAt } from './cases.rules.ts'
import type { CaseView } from './cases.schemas.ts'
import type { CaseHelpers, CasesDeps, UploadedMaterial } from './cases.service.ts'

export function requiredCodes (content: ItemContent): string[] {
  return content.materials.filter((material) => material.required).map((material) => material.code)
}

export type CaseAcceptanceDeps = Pick<CasesDeps, 'db' | 'clock' | 'calendar' | 'live' | 'timers' | 'store' | 'payments' | 'notifier'>
  & Pick<CaseHelpers, 'contentOf' | 'isApplicant' | 'handled' | 'factsOf' | 'assertMove' | 'rewind' | 'record' | 'changed'>

export function createCaseAcceptance ({ db, clock, calendar, live, timers, store, payments, notifier, contentOf, isApplicant, handled, factsOf, assertMove, rewind, record, changed }: CaseAcceptanceDeps) {
  async function providedCodes (on: Queryable, caseId: string): Promise<string[]> {
    return [...new Set((await repo.materialsOf(on, caseId)).map((material) => material.code))]
  }

  /** Acceptance by a clerk (actor) or by the law when the limit passed in silence (actor null). */
  async function acceptInTx (tx: Transaction, actor: Actor | null, row: repo.CaseRow, now: Date): Promise<repo.CaseRow> {
    const content = await contentOf(row, tx)
    const deemed = actor === null
    const clockStartsAt = promisedClockStartsAt(calendar.current(), row.receivedAt, now)
    const changes: Partial<repo.CaseInsert> = { state: 'accepted', acceptedAt: now, deemedAccepted: deemed, clockStartsAt }
    if (content.jointDepartments.length > 0) {
      // the participating departments work in parallel and answer a working day before the case is due
      const subtaskDue = caseDueAt(calendar.current(), { acceptedAt: clockStartsAt, promisedWorkingDays: Math.max(row.promisedWorkingDays - 1, 0), pauses: [] })
      await repo.insertSubtasks(tx, content.jointDepartments.map((departmentId) => ({ caseId: row.id, departmentId, dueAt: subtaskDue })))
      for (const subtask of await repo.subtasksOf(tx, row.id)) {
        await timers.schedule(tx, { kind: SUBTASK_TIMER, key: `${SUBTASK_TIMER}:${subtask.id}`, fireAt: subtask.dueAt, payload: { subtaskId: subtask.id } })
        await live.append(tx, departmentRoom(subtask.departmentId), { type: 'case.subtask_opened', data: { caseId: row.id, number: row.number, departmentId: subtask.departmentId, dueAt: subtask.dueAt.toISOString() }, audience: WATCHERS })
      }
    }
    if (content.fees.length > 0 && !row.paymentNoticeId) {
      const applicant = row.applicant as { name: string, idNumber?: string }
      const notice = await payments.createNotice(null, {
        purpose: 'case',
        reference: `case:${row.number}`,
        departmentId: row.departmentId,
        payer: { ...(row.applicantId ? { accountId: row.applicantId } : {}), name: applicant.name, ...(applicant.idNumber ? { idNumber: applicant.idNumber } : {}) },
        lines: content.fees.map((fee) => ({ code: fee.feeCode }))
      }, { tx })
      changes.paymentNoticeId = notice.id
    }
    // clock pauses exist only in review: none yet
    return rewind(tx, row, now, changes, [], { actor, kind: deemed ? 'deemed_accepted' : 'accepted', detail: (accepted) => ({ dueAt: accepted.dueAt?.toISOString() ?? null }) })
  }

  async function accept (actor: Actor, caseId: string): Promise<CaseView> {
    let materials: repo.MaterialRow[] = []
    const row = await db.transaction(async (tx) => {
      // the materials are read with the lock in one round trip (and after it: statements run in order)
      const [current, provided] = await Promise.all([handled(tx, actor, caseId), repo.materialsOf(tx, caseId)])
      materials = provided
      assertMove(current, 'accepted')
      const content = await contentOf(current, tx)
      const missing = missingMaterials(requiredCodes(content), materials.map((material) => material.code))
      if (missing.length) throw new errors.MaterialsMissing(missing.join(', '))
      return acceptInTx(tx, actor, current, clock.now())
    })
    // acceptance adds no material: the view needs not read them again
    return changed(row, materials)
  }

  async function deemAccepted (tx: Transaction, caseId: string): Promise<void> {
    const row = await repo.findCase(tx, caseId, 'update')
    if (!row || row.state !== 'submitted') return
    const now = clock.now()
    if (now < row.acceptanceDueAt) {
      await timers.schedule(tx, { kind: ACCEPTANCE_TIMER, key: clockKey(row.id), fireAt: row.acceptanceDueAt, payload: { caseId: row.id } })
      return
    }
    await acceptInTx(tx, null, row, now)
  }

  async function refuse (actor: Actor, caseId: string, reasons: string[]): Promise<CaseView> {
    if (!reasons.some((reason) => reason.trim() !== '')) throw new errors.RefusalReasonsRequired()
    const row = await db.transaction(async (tx) => {
      const current = await handled(tx, actor, caseId)
      assertMove(current, 'refused')
      const now = clock.now()
      if (acceptanceLimitProblem(calendar.current(), current.receivedAt, 'refused', now)) throw new errors.AcceptanceLimitPassed()
      const refused = await repo.updateCase(tx, caseId, { state: 'refused', refusalReasons: reasons, updatedAt: now })
      await timers.cancel(tx, clockKey(caseId))
      await record(tx, actor, refused, 'refused', {}, { reasons })
      return refused
    })
    return changed(row)
  }

  /**
   * The one correction notice (一次性告知). Before acceptance it sends the case back to the
   * applicant (the acceptance limit starts again when the materials come back); in review it
   * pauses the running clock until they do.
   */
  async function noticeCorrection (actor: Actor, caseId: string, input: { materials: string[], note: string }): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await handled(tx, actor, caseId)
      if (current.correctionGiven) throw new errors.CorrectionAlreadyGiven()
      const now = clock.now()
      const inReview = current.state === 'review'
      if (inReview) {
        const problem = pauseProblem(factsOf(current), { kind: 'correction', reason: input.note.trim() || 'correction', limitWorkingDays: null })
        if (problem) throw ERROR_OF[problem]()
        if (current.dueAt === null) throw new errors.CasePaused()
      } else {
        assertMove(current, 'correction')
        if (acceptanceLimitProblem(calendar.current(), current.receivedAt, 'correction', now)) throw new errors.AcceptanceLimitPassed()
      }
      const content = await contentOf(current, tx)
      const notice: CorrectionNotice = { stage: inReview ? 'review' : 'acceptance', materials: content.materials, provided: await providedCodes(tx, caseId), listed: input.materials }
      const problem = correctionNoticeProblem(notice)
      if (problem) {
        const { must, may } = correctionNoticeBounds(notice)
        if (problem === 'MATERIAL_NOT_REQUIRED') throw new errors.MaterialNotRequired(input.materials.filter((code) => !may.includes(code)).join(', '))
        if (problem === 'CORRECTION_INCOMPLETE') throw new errors.CorrectionIncomplete(must.filter((code) => !input.materials.includes(code)).join(', '))
        throw ERROR_OF[problem]()
      }
      await repo.insertCorrection(tx, { caseId, materials: input.materials, note: input.note, stage: notice.stage, givenBy: actor.principal.accountId, givenAt: now })
      let updated: repo.CaseRow
      if (inReview) {
        await repo.insertPause(tx, { caseId, kind: 'correction', reason: input.note.trim() || 'correction', limitWorkingDays: null, startedAt: now, openedBy: actor.principal.accountId })
        updated = await rewind(tx, current, now, { correctionGiven: true })
      } else {
        updated = await repo.updateCase(tx, caseId, { state: 'correction', correctionGiven: true, updatedAt: now })
        await timers.cancel(tx, clockKey(caseId))
      }
      await record(tx, actor, updated, 'correction_notice', { materials: input.materials, stage: notice.stage })
      if (updated.applicantId) {
        await notifier.notify(tx, {
          recipientId: updated.applicantId,
          kind: 'case.correction_notice',
          subject: `办件 ${updated.number} 需要补正材料`,
          body: `请补正以下材料：${input.materials.join('、')}。${input.note.trim()}`,
          link: `/my/cases/${caseId}`,
          sms: `办件 ${updated.number} 需要补正材料，请登录查看一次性告知书。`,
          actorId: actor.principal.accountId,
          requestId: actor.requestId
        })
      }
      return updated
    })
    return changed(row)
  }

  /** The applicant (or the receiving window for an applicant in person) hands in what the notice listed. */
  async function answerCorrection (actor: Actor, caseId: string, uploads: UploadedMaterial[]): Promise<CaseView> {
    try {
      const row = await db.transaction(async (tx) => {
        const current = await repo.findCase(tx, caseId, 'update')
        if (!current || !(isApplicant(actor.principal, current) || canAccess(actor.principal, 'cases.handle', { departmentId: current.departmentId, windowId: current.windowId }))) {
          throw new errors.CaseNotFound(caseId)
        }
        const correction = await repo.correctionOf(tx, caseId)
        if (!correction || correction.answeredAt || !['correction', 'review'].includes(current.state)) throw new errors.NoCorrection()
        const unknown = uploads.find((upload) => !correction.materials.includes(upload.code))
        if (unknown) throw new errors.MaterialNotRequired(unknown.code)
        const missing = correction.materials.filter((code) => !uploads.some((upload) => upload.code === code))
        if (missing.length) throw new errors.MaterialsMissing(missing.join(', '))
        const now = clock.now()
        await repo.insertMaterials(tx, uploads.map((upload) => ({ ...upload, caseId, uploadedBy: actor.principal.accountId, uploadedAt: now })))
        await repo.answerCorrection(tx, caseId, now)
        let updated: repo.CaseRow
        if (current.state === 'correction') {
          // the corrected application is received anew: a fresh 5-working-day limit to accept or refuse
          const acceptanceDueAt = acceptanceLimitEndsAt(calendar.current(), now)
          updated = await repo.updateCase(tx, caseId, { state: 'submitted', receivedAt: now, acceptanceDueAt, updatedAt: now })
          await timers.schedule(tx, { kind: ACCEPTANCE_TIMER, key: clockKey(caseId), fireAt: acceptanceDueAt, payload: { caseId } })
        } else {
          await repo.endOpenPause(tx, caseId, now)
          updated = await rewind(tx, current, now)
        }
        await record(tx, actor, updated, 'correction_answered', { materials: correction.materials }, { files: uploads.map((upload) => ({ code: upload.code, sha256: upload.sha256 })) })
        return updated
      })
      return await changed(row)
    } catch (error) {
      await Promise.all(uploads.map((upload) => store.delete(upload.blobKey).catch(() => undefined)))
      throw error
    }
  }

  timers.define(ACCEPTANCE_TIMER, async (tx, timer) => { await deemAccepted(tx, (timer.payload as { caseId: string }).caseId) })

  return { accept, refuse, noticeCorrection, answerCorrection }
}
