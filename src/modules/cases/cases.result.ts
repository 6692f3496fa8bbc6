/**
 * How a case ends: the result signed with the department's seal (after the fees where they come
 * first), its delivery, which closes the case, or the applicant's withdrawal.
 */
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson } from '../../lib/canonical-json.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { isClientError } from '../../lib/errors.ts'
import { canAccess } from '../../lib/policy.ts'
import { addCalendarDays, shanghaiDate } from '../../lib/working-days.ts'
import type { Queryable, Transaction } from '../../plugins/db.ts'
import { clockKey, PAUSE_LIMIT_TIMER } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import type { CaseView } from './cases.schemas.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CaseResultDeps = Pick<CasesDeps, 'db' | 'clock' | 'timers' | 'pki' | 'pkiService' | 'payments' | 'departments' | 'hallName'>
  & Pick<CaseHelpers, 'contentOf' | 'mayRead' | 'ownCase' | 'assertMove' | 'rewind' | 'record' | 'changed'>

export function createCaseResult ({ db, clock, timers, pki, pkiService, payments, departments, hallName, contentOf, mayRead, ownCase, assertMove, rewind, record, changed }: CaseResultDeps) {
  /** The result document as canonical JSON: what the department's seal signs, derived from the case alone. */
  async function resultDocument (row: repo.CaseRow, on: Queryable = db): Promise<{ json: string, sha256: string }> {
    if (row.state !== 'decided' && !row.result) throw new errors.CaseStateInvalid(row.state, 'result_issued')
    if (row.result) {
      const json = canonicalJson(row.result)
      return { json, sha256: sha256Hex(json) }
    }
    const content = await contentOf(row, on)
    const department = await departments.getDepartment(row.departmentId)
    const applicant = row.applicant as { name: string, idNumber?: string }
    const decidedOn = shanghaiDate(row.decidedAt!)
    const validUntil = row.decision === 'approve' && content.resultValidityYears
      ? addCalendarDays(`${Number(decidedOn.slice(0, 4)) + content.resultValidityYears}${decidedOn.slice(4)}`, -1)
      : null
    const document = {
      kind: row.decision === 'approve' ? (content.resultKind === 'certificate' ? 'licence' : 'approval_decision') : 'denial_decision',
      number: `${row.number}-R`,
      hall: hallName,
      department: { code: department.code, name: department.name },
      item: { code: row.itemCode, name: row.itemName, version: row.itemVersion, legalBasis: content.legalBasis },
      applicant: { name: applicant.name, idNumber: applicant.idNumber ?? null },
      request: row.request,
      caseNumber: row.number,
      decision: row.decision,
      reasons: row.decisionReasons ?? [],
      decidedOn,
      validUntil
    }
    const json = canonicalJson(document)
    return { json, sha256: sha256Hex(json) }
  }

  async function resultDraft (actor: Actor, caseId: string) {
    const row = await repo.findCase(db, caseId)
    if (!row || !canAccess(actor.principal, 'cases.handle', { departmentId: row.departmentId })) throw new errors.CaseNotFound(caseId)
    return resultDocument(row)
  }

  /**
   * Issues the result: its JSON signed (CMS, detached) with the department's seal certificate,
   * whose key the department keeps — the platform verifies, it cannot sign for a department.
   * Online applications are delivered at once: the applicant downloads the result.
   */
  async function issueResult (actor: Actor, caseId: string, signatureBase64: string): Promise<CaseView> {
    const cms = Buffer.from(signatureBase64, 'base64')
    const row = await db.transaction(async (tx) => {
      const current = await repo.findCase(tx, caseId, 'update')
      if (!current || !canAccess(actor.principal, 'cases.handle', { departmentId: current.departmentId })) throw new errors.CaseNotFound(caseId)
      assertMove(current, 'result_issued')
      if (current.payBeforeResult && !current.paidAt) {
        const [notice] = [...(await payments.noticeStates([current.paymentNoticeId!], tx)).values()]
        throw new errors.AwaitingPayment(notice?.code ?? '—')
      }
      const document = await resultDocument(current, tx)
      let signer
      try {
        signer = (await pki.verifySignature({ cms, content: new TextEncoder().encode(document.json) })).signer
      } catch (error) {
        if (isClientError(error)) throw new errors.ResultSignatureInvalid(error.message)
        throw error
      }
      if (await pkiService.sealDepartmentOf(tx, signer.fingerprint) !== current.departmentId) throw new errors.ResultSignatureInvalid(`${signer.subject} is not this department's seal`)
      const now = clock.now()
      let updated = await repo.updateCase(tx, caseId, {
        state: 'result_issued', resultNumber: `${current.number}-R`, result: JSON.parse(document.json), resultSha256: document.sha256, resultSignature: cms, resultSigner: signer.subject, resultIssuedAt: now, updatedAt: now
      })
      await record(tx, actor, updated, 'result_issued', { resultNumber: updated.resultNumber, sha256: document.sha256 }, { signer: signer.subject, fingerprint: signer.fingerprint })
      if (updated.channel === 'online') updated = await deliverInTx(tx, actor, updated, 'online')
      return updated
    })
    return changed(row)
  }

  async function deliverInTx (tx: Transaction, actor: Actor, row: repo.CaseRow, method: 'window' | 'post' | 'online'): Promise<repo.CaseRow> {
    const now = clock.now()
    const delivered = await repo.updateCase(tx, row.id, { state: 'delivered', deliveredAt: now, updatedAt: now })
    await record(tx, actor, delivered, 'delivered', { method })
    // the delivery ends the handling (办结): the case is closed and open to the applicant's rating
    const closed = await repo.updateCase(tx, row.id, { state: 'closed', closedAt: now, updatedAt: now })
    await record(tx, actor, closed, 'closed')
    return closed
  }

  /** The receiving window hands over the result (for 综合代理 the agency window: the result comes back through it). */
  async function deliver (actor: Actor, caseId: string, method: 'window' | 'post' | 'online'): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await repo.findCase(tx, caseId, 'update')
      const scope = current?.windowId ? { windowId: current.windowId, departmentId: current.mode === 'agency' ? null : current.departmentId } : { departmentId: current?.departmentId }
      if (!current || !canAccess(actor.principal, 'cases.handle', scope)) {
        if (current && await mayRead(actor.principal, current, tx)) throw new errors.DeliveredByReceivingWindow()
        throw new errors.CaseNotFound(caseId)
      }
      assertMove(current, 'delivered')
      return deliverInTx(tx, actor, current, method)
    })
    return changed(row)
  }

  async function withdraw (actor: Actor, caseId: string, reason: string): Promise<CaseView> {
    const row = await db.transaction(async (tx) => {
      const current = await ownCase(tx, actor, caseId)
      assertMove(current, 'withdrawn')
      const now = clock.now()
      await repo.endOpenPause(tx, caseId, now)
      const updated = await rewind(tx, current, now, { state: 'withdrawn', withdrawnAt: now }, undefined, { actor, kind: 'withdrawn', auditDetail: { reason } })
      await Promise.all([timers.cancel(tx, clockKey(caseId)), timers.cancel(tx, `${PAUSE_LIMIT_TIMER}:${caseId}`)])
      return updated
    })
    return changed(row)
  }

  return { resultDraft, issueResult, deliver, withdraw }
}
