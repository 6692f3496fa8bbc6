/**
 * Filing: an application handed in online by the applicant or at a window by a clerk, received
 * by the window that serves it, numbered and put on its acceptance limit.
 */
import { randomInt } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { canAccess } from '../../lib/policy.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import type { ItemContent } from '../catalogue/catalogue.content.ts'
import { promisedLimitOf } from '../catalogue/catalogue.content.ts'
import { ACCEPTANCE_TIMER, clockKey } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import { requiredCodes } from './cases.acceptance.ts'
import { acceptanceLimitEndsAt, caseNumber, createQueryCode, DEFAULT_WARNING_WORKING_DAYS, missingAtFiling } from './cases.rules.ts'
import type { ApplicationFields, CaseView } from './cases.schemas.ts'
import type { CaseHelpers, CasesDeps, UploadedMaterial } from './cases.service.ts'

export type CaseFilingDeps = Pick<CasesDeps, 'db' | 'clock' | 'calendar' | 'timers' | 'store' | 'catalogue' | 'departments'>
  & Pick<CaseHelpers, 'record' | 'changed'>

export function createCaseFiling ({ db, clock, calendar, timers, store, catalogue, departments, record, changed }: CaseFilingDeps) {
  async function windowFor (actor: Actor, fields: ApplicationFields, item: { departmentId: string, content: ItemContent }) {
    if (!fields.windowId) return null
    const window = await departments.getWindow(fields.windowId).catch(() => null)
    if (!window || !window.active || !canAccess(actor.principal, 'cases.handle', { windowId: window.id, departmentId: window.departmentId })) {
      throw new errors.WindowNotServing('not a window you serve')
    }
    if (window.kind === 'department' && window.departmentId !== item.departmentId) throw new errors.WindowNotServing('another department\'s window')
    if (window.kind === 'agency' && !item.content.agencyWindow) throw new errors.WindowNotServing('the item is not received by the comprehensive agency window')
    if (window.kind === 'major_project' && !fields.majorProject) throw new errors.WindowNotServing('the major-project window receives major-project cases')
    return window
  }

  /**
   * Where an online application lands: the major-project window for a major project, otherwise
   * the department's own window, whose clerks then handle it like one handed in there.
   */
  async function onlineWindow (departmentId: string, majorProject: boolean): Promise<string | null> {
    const windows = await departments.listWindows(majorProject ? undefined : departmentId)
    const kind = majorProject ? 'major_project' : 'department'
    return windows.find((window) => window.kind === kind && window.active)?.id ?? null
  }

  /**
   * Files an application, online (an applicant) or at a window (a clerk, for the applicant in
   * person). The material files were streamed into the store by the route; on any refusal they
   * are removed again, so a refused application leaves nothing behind. Online, every required
   * material comes with the application (missingAtFiling); at a window what is missing is for
   * the correction notice.
   */
  async function file (actor: Actor, channel: 'online' | 'window', fields: ApplicationFields, uploads: UploadedMaterial[]): Promise<{ case: CaseView, queryCode: string }> {
    try {
      const item = await catalogue.itemForFiling(fields.itemId)
      const codes = new Set(item.content.materials.map((material) => material.code))
      const unknown = uploads.find((upload) => !codes.has(upload.code))
      if (unknown) throw new errors.MaterialUnknown(unknown.code)
      if (channel === 'window' && (!fields.windowId || !fields.applicant)) throw new errors.WindowNotServing('a window filing names its window and the applicant')
      if (channel === 'online' && fields.windowId) throw new errors.WindowNotServing('an online application names no window')
      const missing = missingAtFiling(channel, requiredCodes(item.content), uploads.map((upload) => upload.code))
      if (missing.length > 0) throw new errors.ApplicationMaterialsMissing(missing)
      const window = await windowFor(actor, fields, item)
      const majorProject = fields.majorProject === true
      const windowId = window?.id ?? await onlineWindow(item.departmentId, majorProject)
      const mode = majorProject ? 'major_project' : window?.kind === 'agency' ? 'agency' : item.content.jointDepartments.length > 0 ? 'joint' : item.content.mode
      const department = await departments.getDepartment(item.departmentId)
      const queryCode = createQueryCode(randomInt)
      const applicant = fields.applicant ?? { name: actor.principal.displayName }
      const filed = await db.transaction(async (tx) => {
        const now = clock.now()
        const sequence = await repo.nextSequence(tx, item.departmentId, shanghaiDate(now))
        const row = await repo.insertCase(tx, {
          number: caseNumber(department.code, now, sequence),
          queryCodeHash: sha256Hex(queryCode),
          itemId: item.id,
          itemVersion: item.version,
          itemCode: item.code,
          itemName: item.content.name,
          departmentId: item.departmentId,
          windowId,
          mode,
          channel,
          applicantId: channel === 'online' ? actor.principal.accountId : null,
          applicant,
          request: fields.request,
          state: 'submitted',
          receivedAt: now,
          submittedAt: now,
          acceptanceDueAt: acceptanceLimitEndsAt(calendar.current(), now),
          promisedWorkingDays: promisedLimitOf(item.content, majorProject),
          warningWorkingDays: item.content.warningWorkingDays ?? DEFAULT_WARNING_WORKING_DAYS,
          payBeforeResult: item.content.payBeforeResult && item.content.fees.length > 0,
          updatedAt: now
        })
        await repo.insertMaterials(tx, uploads.map((upload) => ({ ...upload, caseId: row.id, uploadedBy: actor.principal.accountId, uploadedAt: now })))
        await timers.schedule(tx, { kind: ACCEPTANCE_TIMER, key: clockKey(row.id), fireAt: row.acceptanceDueAt, payload: { caseId: row.id } })
        await record(tx, actor, row, 'submitted', { channel, mode }, { itemCode: item.code, itemVersion: item.version, materials: uploads.map((upload) => ({ code: upload.code, sha256: upload.sha256 })) })
        return row
      })
      return { case: await changed(filed), queryCode }
    } catch (error) {
      await Promise.all(uploads.map((upload) => store.delete(upload.blobKey).catch(() => undefined)))
      throw error
    }
  }

  return { file }
}
