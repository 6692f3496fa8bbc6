import { randomInt, randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson } from '../../lib/canonical-json.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { isClientError } from '../../lib/errors.ts'
import { renderCaseDocumentPdf } from '../../lib/pdf/index.ts'
import { canAccess, scopesFor, type Principal } from '../../lib/policy.ts'
import { addCalendarDays, addWorkingDays, endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Live } from '../../plugins/live.ts'
import type { Pki } from '../../plugins/pki.ts'
import type { Store } from '../../plugins/storage.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { ItemContent } from '../catalogue/catalogue.content.ts'
import { promisedLimitOf } from '../catalogue/catalogue.content.ts'
import type { CatalogueService } from '../catalogue/catalogue.service.ts'
import type { DepartmentsService } from '../departments/departments.service.ts'
import type { PaymentsService } from '../payments/payments.service.ts'
import type { PkiService } from '../pki/pki.service.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import {
  acceptanceLimitEndsAt, acceptanceLimitProblem, caseDueAt, caseNumber, correctionNoticeProblem, createQueryCode, decisionProblem,
  delegationGap, DEFAULT_WARNING_WORKING_DAYS, pauseLimitEndsAt, isBadRating, isValidQueryCode, missingMaterials, moveProblem, normaliseQueryCode,
  pauseProblem, promisedClockStartsAt, rectificationDueAt, SUPERVISED_STATES, supervisionColour, warningStartsAt,
  workingDaysLeft, type CaseErrorCode, type CaseFacts, type CaseState, type ClockPause, type RatingLevel
} from './cases.rules.ts'
import type { ApplicationFields, CaseView } from './cases.schemas.ts'

/** A material file already streamed into the store by the route, waiting to be attached. */
export interface UploadedMaterial { code: string, fileName: string, blobKey: string, size: number, sha256: string }

export interface CasesDeps {
  db: Database
  audit: Audit
  clock: Clock
  calendar: Calendar
  live: Live
  timers: Timers
  store: Store
  pki: Pki
  log: FastifyBaseLogger
  hallName: string
  publicUrl: string
  catalogue: CatalogueService
  departments: DepartmentsService
  payments: PaymentsService
  pkiService: PkiService
}

const ACCEPTANCE_TIMER = 'case-acceptance'
const COLOUR_TIMER = 'case-colour'
/**
 * A case has one clock timer: the acceptance limit while it awaits acceptance, then (scheduling
 * the same key with another kind) its warning and its due — so a step moves the timer in one statement.
 */
const clockKey = (caseId: string) => `case-clock:${caseId}`
const NUDGE_MS = 200
const MAX_NUDGE_STEPS = 200
const PAUSE_LIMIT_TIMER = 'case-pause-limit'
const SUBTASK_TIMER = 'case-subtask'
const LETTER_TIMER = 'supervision-letter'
const RECTIFICATION_TIMER = 'case-rectification'
/** Recomputes the clocks of a batch of cases after the calendar changed, then sets itself for the next batch. */
const RECLOCK_TIMER = 'case-reclock'
const RECLOCK_BATCH = 200

/** Supervisors and the hall watch the whole hall; a department's own officials its own room. */
export const HALL_ROOM = 'supervision:hall'
export const departmentRoom = (departmentId: string) => `supervision:dept:${departmentId}`
const WATCHERS = { roles: ['supervisor', 'hall_admin', 'dept_admin', 'chief_rep', 'clerk'] as Array<'supervisor' | 'hall_admin' | 'dept_admin' | 'chief_rep' | 'clerk'> }

const ERROR_OF: Record<CaseErrorCode, () => Error> = {
  CASE_STATE_INVALID: () => new Error('unreachable: raised with its states'),
  CORRECTION_ALREADY_GIVEN: () => new errors.CorrectionAlreadyGiven(),
  CORRECTION_INCOMPLETE: () => new errors.CorrectionIncomplete('a missing material'),
  CORRECTION_NOT_NEEDED: () => new errors.CorrectionNotNeeded(),
  MATERIAL_NOT_REQUIRED: () => new errors.MaterialNotRequired('listed'),
  MATERIALS_MISSING: () => new errors.MaterialsMissing('required materials'),
  ACCEPTANCE_LIMIT_PASSED: () => new errors.AcceptanceLimitPassed(),
  CASE_PAUSED: () => new errors.CasePaused(),
  PAUSE_NOT_ALLOWED: () => new errors.PauseNotAllowed(),
  PAUSE_REASON_REQUIRED: () => new errors.PauseReasonRequired(),
  PAUSE_LIMIT_INVALID: () => new errors.PauseLimitInvalid(),
  DECISION_REASONS_REQUIRED: () => new errors.DecisionReasonsRequired(),
  OUTSIDE_DELEGATION: () => new errors.OutsideDelegation('no delegation covers it'),
  RATING_INVALID: () => new errors.RatingNotOpen()
}

export function createCasesService (deps: CasesDeps) {
  const { db, audit, clock, calendar, live, timers, store, pki, catalogue, departments, payments, pkiService, hallName, publicUrl } = deps
  const contentCache = new Map<string, ItemContent>()

  /** Versions never change once published, so a case's content is read once per process. */
  async function contentOf (row: Pick<repo.CaseRow, 'itemId' | 'itemVersion'>, on: Queryable = db): Promise<ItemContent> {
    const key = `${row.itemId}@${row.itemVersion}`
    let content = contentCache.get(key)
    if (!content) {
      content = (await catalogue.itemVersion(row.itemId, row.itemVersion, on)).content
      contentCache.set(key, content)
    }
    return content
  }

  // ---- access ---------------------------------------------------------------------------------

  function isApplicant (principal: Principal | null, row: repo.CaseRow): boolean {
    return principal !== null && row.applicantId !== null && row.applicantId === principal.accountId
  }

  async function mayRead (principal: Principal, row: repo.CaseRow, on: Queryable = db): Promise<boolean> {
    if (isApplicant(principal, row)) return true
    if (canAccess(principal, 'cases.read', { departmentId: row.departmentId, windowId: row.windowId })) return true
    if (canAccess(principal, 'cases.coordinate', {})) return true
    const subtasks = await repo.subtasksOf(on, row.id)
    return subtasks.some((subtask) => canAccess(principal, 'cases.read', { departmentId: subtask.departmentId }))
  }

  /**
   * The case locked for a handling step, or 404 when the caller may not handle it. Receiving
   * steps (acceptance, refusal, the correction notice) belong to the department and the window
   * that received the case; review steps to the department alone.
   */
  async function handled (tx: Transaction, actor: Actor, caseId: string, by: 'receiving' | 'department' = 'receiving'): Promise<repo.CaseRow> {
    const row = await repo.findCase(tx, caseId, 'update')
    // the department's own window is part of the department; the hall's agency and major-project windows are not
    const ownWindow = row && row.mode !== 'agency' && row.mode !== 'major_project'
    const scope = by === 'receiving' || ownWindow ? { departmentId: row?.departmentId, windowId: row?.windowId } : { departmentId: row?.departmentId }
    if (!row || !canAccess(actor.principal, 'cases.handle', scope)) {
      if (row && await mayRead(actor.principal, row, tx)) throw new errors.StepNotYours()
      throw new errors.CaseNotFound(caseId)
    }
    return row
  }

  async function ownCase (tx: Queryable, actor: Actor, caseId: string): Promise<repo.CaseRow> {
    const row = await repo.findCase(tx, caseId, 'update')
    if (!row || !isApplicant(actor.principal, row)) throw new errors.CaseNotFound(caseId)
    return row
  }

  function factsOf (row: repo.CaseRow): CaseFacts {
    return { state: row.state, correctionGiven: row.correctionGiven, paused: SUPERVISED_STATES.includes(row.state) && row.clockStartsAt !== null && row.dueAt === null }
  }

  function assertMove (row: repo.CaseRow, to: CaseState): void {
    const problem = moveProblem(factsOf(row), to)
    if (problem === 'CASE_STATE_INVALID') throw new errors.CaseStateInvalid(row.state, to)
    if (problem) throw ERROR_OF[problem]()
  }

  // ---- the clock ------------------------------------------------------------------------------

  function clockPausesOf (pauses: readonly repo.PauseRow[]): ClockPause[] {
    return pauses.map((pause) => ({ from: pause.startedAt, to: pause.endedAt, limitWorkingDays: pause.limitWorkingDays }))
  }

  /**
   * The due and warning instants of a running clock, or nulls while a pause holds it. A pause
   * past its announced limit no longer holds it: the due is then fixed (the capped pause stops growing).
   */
  function clockOf (row: repo.CaseRow, pauses: readonly repo.PauseRow[], now: Date): { dueAt: Date | null, warnAt: Date | null } {
    if (!SUPERVISED_STATES.includes(row.state) || !row.clockStartsAt) return { dueAt: null, warnAt: null }
    const cal = calendar.current()
    const holding = pauses.some((pause) => pause.endedAt === null &&
      (pause.limitWorkingDays === null || now.getTime() < pauseLimitEndsAt(cal, pause.startedAt, pause.limitWorkingDays).getTime()))
    if (holding) return { dueAt: null, warnAt: null }
    const dueAt = caseDueAt(cal, { acceptedAt: row.clockStartsAt, promisedWorkingDays: row.promisedWorkingDays, pauses: clockPausesOf(pauses) }, now)
    return { dueAt, warnAt: warningStartsAt(cal, dueAt, row.warningWorkingDays) }
  }

  /**
   * Recomputes the clock of a case being changed in `tx` (with `changes` applied) in the same
   * update, and re-arms its colour timer. `pauses` may be given when known (none before acceptance).
   * With `step`, the step's progress line and audit entry are written too. All of it goes to the
   * database in one round trip (statements on a transaction run in the order they were sent):
   * each round trip wakes both processes, and the step holds its case locked meanwhile.
   */
  async function rewind (tx: Transaction, row: repo.CaseRow, now: Date, changes: Partial<repo.CaseInsert> = {}, pauses?: repo.PauseRow[], step?: Step): Promise<repo.CaseRow> {
    const next = { ...row, ...changes } as repo.CaseRow
    const { dueAt, warnAt } = clockOf(next, pauses ?? await repo.pausesOf(tx, row.id), now)
    const colour = dueAt ? supervisionColour(calendar.current(), now, dueAt, row.warningWorkingDays) : null
    // a due moved later can turn a warned case green again; the next warning is then announced anew
    const announcedColour = colour === 'green' ? null : row.announcedColour
    const values = { ...changes, dueAt, warnAt, announcedColour, updatedAt: now }
    const updated = { ...next, ...values }
    await Promise.all([
      repo.setCase(tx, row.id, values),
      // one timer per case: it announces yellow at the warning, then moves itself to the due
      dueAt && warnAt
        ? timers.schedule(tx, { kind: COLOUR_TIMER, key: clockKey(row.id), fireAt: warnAt, payload: { caseId: row.id } })
        : row.dueAt ? timers.cancel(tx, clockKey(row.id)) : undefined,
      step && record(tx, step.actor, updated, step.kind, typeof step.detail === 'function' ? step.detail(updated) : step.detail, step.auditDetail)
    ])
    return updated
  }

  /** Announces a colour the case reached: the audit chain and the dashboards, once per colour. */
  async function announceColour (tx: Transaction, caseId: string): Promise<void> {
    const row = await repo.findCase(tx, caseId, 'update')
    if (!row || !row.dueAt || !row.warnAt) return
    const now = clock.now()
    const colour = supervisionColour(calendar.current(), now, row.dueAt, row.warningWorkingDays)
    if (colour !== 'red') await timers.schedule(tx, { kind: COLOUR_TIMER, key: clockKey(row.id), fireAt: colour === 'yellow' ? row.dueAt : row.warnAt, payload: { caseId: row.id } })
    if (colour === 'green' || colour === row.announcedColour) return
    await repo.setCase(tx, row.id, { announcedColour: colour })
    const action = colour === 'red' ? 'case.overdue' : 'case.warning'
    await audit.append(tx, auditRecord(null, action, 'case', row.id, { number: row.number, departmentId: row.departmentId, dueAt: row.dueAt.toISOString() }))
    await broadcast(tx, row, action, { colour, dueAt: row.dueAt.toISOString() })
  }

  // ---- events -----------------------------------------------------------------------------------

  async function broadcast (tx: Queryable, row: repo.CaseRow, type: string, data: Record<string, unknown> = {}): Promise<void> {
    const event = { type, data: { caseId: row.id, number: row.number, departmentId: row.departmentId, windowId: row.windowId, state: row.state, ...data }, audience: WATCHERS }
    await live.append(tx, HALL_ROOM, event)
    await live.append(tx, departmentRoom(row.departmentId), event)
  }

  /** What `record` writes for a step; the detail may depend on the case as the step leaves it. */
  interface Step {
    actor: Actor | null
    kind: string
    detail?: Record<string, unknown> | ((row: repo.CaseRow) => Record<string, unknown>)
    auditDetail?: Record<string, unknown>
  }

  /** One step of a case: its public progress line and its audit entry, in the step's transaction. */
  async function record (tx: Transaction, actor: Actor | null, row: repo.CaseRow, kind: string, detail: Record<string, unknown> = {}, auditDetail: Record<string, unknown> = {}): Promise<void> {
    await Promise.all([ // one round trip
      repo.insertEvent(tx, { caseId: row.id, at: clock.now(), kind, detail }),
      audit.append(tx, auditRecord(actor, `case.${kind}`, 'case', row.id, { number: row.number, state: row.state, ...detail, ...auditDetail }))
    ])
  }

  /**
   * Dashboards refetch their counts when nudged. The nudge for ordinary steps is sent after the
   * step committed, coalesced over NUDGE_MS into one event per room: appending to the shared room
   * inside every step's transaction would hold that room's row locked until commit and make all
   * clerks of the hall wait for each other. Warnings and overdue alarms are still published in
   * their transactions (they are rare and they are the news). A nudge lost to a crash costs a
   * dashboard one refresh; the counts themselves are always read from the cases.
   */
  const nudged: Array<{ caseId: string, number: string, departmentId: string, state: CaseState }> = []
  let nudgeTimer: NodeJS.Timeout | undefined
  let nudging: Promise<void> = Promise.resolve()

  /** After a step committed: its view, and the dashboards' nudge on its way. */
  async function changed (row: repo.CaseRow, materials?: repo.MaterialRow[]): Promise<CaseView> {
    nudge(row)
    return view(row, materials)
  }

  function nudge (row: repo.CaseRow): void {
    nudged.push({ caseId: row.id, number: row.number, departmentId: row.departmentId, state: row.state })
    nudgeTimer ??= setTimeout(() => { nudging = nudging.then(flushNudges) }, NUDGE_MS)
  }

  async function flushNudges (): Promise<void> {
    nudgeTimer = undefined
    const batch = nudged.splice(0, nudged.length).slice(-MAX_NUDGE_STEPS)
    if (batch.length === 0) return
    try {
      await live.append(db, HALL_ROOM, { type: 'case.changed', data: { steps: batch }, audience: WATCHERS })
      for (const departmentId of new Set(batch.map((step) => step.departmentId))) {
        await live.append(db, departmentRoom(departmentId), { type: 'case.changed', data: { steps: batch.filter((step) => step.departmentId === departmentId) }, audience: WATCHERS })
      }
    } catch (error) {
      deps.log.warn({ err: error }, 'supervision nudge not sent; dashboards refresh on the next one')
    }
  }

  /** Sends what is pending now (the app calls it before it closes). */
  async function idle (): Promise<void> {
    clearTimeout(nudgeTimer)
    nudging = nudging.then(flushNudges)
    await nudging
  }

  // ---- filing -----------------------------------------------------------------------------------

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
   * are removed again, so a refused application leaves nothing behind.
   */
  async function file (actor: Actor, channel: 'online' | 'window', fields: ApplicationFields, uploads: UploadedMaterial[]): Promise<{ case: CaseView, queryCode: string }> {
    try {
      const item = await catalogue.itemForFiling(fields.itemId)
      const codes = new Set(item.content.materials.map((material) => material.code))
      const unknown = uploads.find((upload) => !codes.has(upload.code))
      if (unknown) throw new errors.MaterialUnknown(unknown.code)
      if (channel === 'window' && (!fields.windowId || !fields.applicant)) throw new errors.WindowNotServing('a window filing names its window and the applicant')
      if (channel === 'online' && fields.windowId) throw new errors.WindowNotServing('an online application names no window')
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

  // ---- acceptance -------------------------------------------------------------------------------

  async function providedCodes (on: Queryable, caseId: string): Promise<string[]> {
    return [...new Set((await repo.materialsOf(on, caseId)).map((material) => material.code))]
  }

  function requiredCodes (content: ItemContent): string[] {
    return content.materials.filter((material) => material.required).map((material) => material.code)
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
      const provided = await providedCodes(tx, caseId)
      const required = content.materials.map((material) => material.code)
      const problem = correctionNoticeProblem({ required: inReview ? required : requiredCodes(content), provided: inReview ? [] : provided, listed: input.materials })
      if (problem === 'MATERIAL_NOT_REQUIRED') throw new errors.MaterialNotRequired(input.materials.filter((code) => !required.includes(code)).join(', '))
      if (problem === 'CORRECTION_INCOMPLETE') throw new errors.CorrectionIncomplete(missingMaterials(requiredCodes(content), provided).filter((code) => !input.materials.includes(code)).join(', '))
      if (problem && !inReview) throw ERROR_OF[problem]()
      await repo.insertCorrection(tx, { caseId, materials: input.materials, note: input.note, stage: inReview ? 'review' : 'acceptance', givenBy: actor.principal.accountId, givenAt: now })
      let updated: repo.CaseRow
      if (inReview) {
        await repo.insertPause(tx, { caseId, kind: 'correction', reason: input.note.trim() || 'correction', limitWorkingDays: null, startedAt: now, openedBy: actor.principal.accountId })
        updated = await rewind(tx, current, now, { correctionGiven: true })
      } else {
        updated = await repo.updateCase(tx, caseId, { state: 'correction', correctionGiven: true, updatedAt: now })
        await timers.cancel(tx, clockKey(caseId))
      }
      await record(tx, actor, updated, 'correction_notice', { materials: input.materials, stage: inReview ? 'review' : 'acceptance' })
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

  // ---- review and decision ----------------------------------------------------------------------

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

  // ---- result, delivery, withdrawal ---------------------------------------------------------------

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

  // ---- fees ---------------------------------------------------------------------------------------

  payments.onPaid('case', async (tx, event) => {
    const row = await repo.findCaseByNotice(tx, event.noticeId)
    if (!row) return
    const receiptNumber = await payments.receiptNumberOf(tx, event.paymentId)
    const updated = await repo.updateCase(tx, row.id, { paidAt: event.paidAt, receiptNumber, updatedAt: clock.now() })
    await record(tx, null, updated, 'fees_paid', { receiptNumber })
  })

  // ---- the public side ----------------------------------------------------------------------------

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

  // ---- documents --------------------------------------------------------------------------------

  const DOCUMENT_TITLES = {
    acceptance: ['受理通知书', 'Acceptance receipt'],
    refusal: ['不予受理通知书', 'Refusal receipt'],
    correction: ['一次性告知书', 'Correction notice'],
    result: ['办理结果', 'Result']
  } as const
  type DocumentKind = keyof typeof DOCUMENT_TITLES

  async function documentPdf (row: repo.CaseRow, kind: DocumentKind): Promise<Buffer> {
    const content = await contentOf(row)
    const department = await departments.getDepartment(row.departmentId)
    const applicant = row.applicant as { name: string }
    const base = {
      hallName,
      caseNumber: row.number,
      departmentName: department.name,
      itemName: row.itemName,
      applicantName: applicant.name,
      progressUrl: `${publicUrl}/progress?number=${encodeURIComponent(row.number)}`
    }
    const [title, subtitle] = DOCUMENT_TITLES[kind]
    const materialName = (code: string) => content.materials.find((material) => material.code === code)?.name ?? code
    if (kind === 'acceptance') {
      if (!row.acceptedAt) throw new errors.DocumentNotAvailable('acceptance receipt')
      const lines = [
        row.deemedAccepted ? '您的申请在法定期限内未获答复，依法自收到申请材料之日起视为受理。' : '您的申请材料齐全、符合法定形式，本机关决定受理。',
        `承诺办结时限：${row.promisedWorkingDays === 0 ? '即办' : `${row.promisedWorkingDays} 个工作日`}${row.dueAt ? `，应于 ${shanghaiDate(new Date(row.dueAt.getTime() - 1))} 前办结` : ''}。`
      ]
      return renderCaseDocumentPdf({ ...base, title, subtitle, issuedAt: row.acceptedAt, fields: [], body: { heading: '受理决定', lines } })
    }
    if (kind === 'refusal') {
      if (row.state !== 'refused') throw new errors.DocumentNotAvailable('refusal receipt')
      return renderCaseDocumentPdf({ ...base, title, subtitle, issuedAt: row.updatedAt, fields: [], body: { heading: '不予受理的理由', lines: row.refusalReasons ?? [] } })
    }
    if (kind === 'correction') {
      const correction = await repo.correctionOf(db, row.id)
      if (!correction) throw new errors.DocumentNotAvailable('correction notice')
      const lines = [...correction.materials.map((code, index) => `${index + 1}. ${materialName(code)}`), ...(correction.note ? [correction.note] : [])]
      return renderCaseDocumentPdf({ ...base, title, subtitle, issuedAt: correction.givenAt, fields: [], body: { heading: '请一次性补齐以下材料', lines } })
    }
    if (!row.result || !row.resultIssuedAt) throw new errors.ResultNotIssued()
    const result = row.result as { kind: string, number: string, decision: string, reasons: string[], validUntil: string | null, request: string }
    const heading = result.kind === 'licence' ? '准予行政许可' : result.kind === 'approval_decision' ? '准予决定' : '不予许可决定'
    const lines = [row.request, ...result.reasons, ...(result.validUntil ? [`有效期至 ${result.validUntil}`] : [])]
    return renderCaseDocumentPdf({
      ...base,
      title: result.kind === 'licence' ? `${row.itemName} 许可证` : '行政许可决定书',
      subtitle: result.kind === 'licence' ? 'Licence' : 'Decision',
      issuedAt: row.resultIssuedAt,
      fields: [[['文书编号', result.number]]],
      body: { heading, lines },
      seal: { signerSubject: row.resultSigner!, contentSha256: row.resultSha256! }
    })
  }

  async function readable (principal: Principal, caseId: string): Promise<repo.CaseRow> {
    const row = await repo.findCase(db, caseId)
    if (!row || !await mayRead(principal, row)) throw new errors.CaseNotFound(caseId)
    return row
  }

  async function document (principal: Principal, caseId: string, kind: DocumentKind) {
    return documentPdf(await readable(principal, caseId), kind)
  }

  async function publicResult (number: string, queryCode: string) {
    return documentPdf(await byQueryCode(number, queryCode), 'result')
  }

  /** The signed result as filed: its JSON and the detached CMS, for `openssl cms -verify`. */
  async function signedResult (principal: Principal, caseId: string) {
    const row = await readable(principal, caseId)
    if (!row.result || !row.resultSignature) throw new errors.ResultNotIssued()
    return { json: canonicalJson(row.result), signature: row.resultSignature.toString('base64'), signer: row.resultSigner! }
  }

  async function material (principal: Principal, caseId: string, materialId: string) {
    const row = await readable(principal, caseId)
    const found = await repo.findMaterial(db, row.id, materialId)
    if (!found) throw new errors.CaseNotFound(caseId)
    return { fileName: found.fileName, size: found.size, stream: await store.get(found.blobKey) }
  }

  // ---- views --------------------------------------------------------------------------------------

  async function view (row: repo.CaseRow, knownMaterials?: repo.MaterialRow[]): Promise<CaseView> {
    // only what the case can have: a hall's worth of clerks reads these views after every step
    const none = Promise.resolve(undefined)
    const content = await contentOf(row)
    const [materials, correction, pauses, subtasks, rating, notices] = await Promise.all([
      knownMaterials ?? repo.materialsOf(db, row.id),
      row.correctionGiven ? repo.correctionOf(db, row.id) : none,
      row.acceptedAt && row.state !== 'accepted' ? repo.pausesOf(db, row.id) : Promise.resolve([]),
      content.jointDepartments.length > 0 && row.acceptedAt ? repo.subtasksOf(db, row.id) : Promise.resolve([]),
      row.state === 'closed' ? repo.ratingOf(db, row.id) : none,
      row.paymentNoticeId ? payments.noticeStates([row.paymentNoticeId]) : Promise.resolve(new Map())
    ])
    const now = clock.now()
    const cal = calendar.current()
    const provided = [...new Set(materials.map((material) => material.code))]
    const supervised = SUPERVISED_STATES.includes(row.state) && row.clockStartsAt !== null
    const notice = row.paymentNoticeId ? notices.get(row.paymentNoticeId) : undefined
    const applicant = row.applicant as { name: string, idNumber?: string, phone?: string }
    return {
      id: row.id,
      number: row.number,
      itemId: row.itemId,
      itemCode: row.itemCode,
      itemName: row.itemName,
      itemVersion: row.itemVersion,
      departmentId: row.departmentId,
      windowId: row.windowId,
      mode: row.mode,
      channel: row.channel,
      applicant,
      request: row.request,
      state: row.state,
      submittedAt: row.submittedAt.toISOString(),
      receivedAt: row.receivedAt.toISOString(),
      acceptanceDueAt: row.acceptanceDueAt.toISOString(),
      acceptedAt: row.acceptedAt?.toISOString() ?? null,
      deemedAccepted: row.deemedAccepted,
      promisedWorkingDays: row.promisedWorkingDays,
      clock: supervised
        ? {
            dueAt: row.dueAt?.toISOString() ?? null,
            colour: row.dueAt ? supervisionColour(cal, now, row.dueAt, row.warningWorkingDays) : null,
            workingDaysLeft: row.dueAt ? workingDaysLeft(cal, now, row.dueAt) : null,
            paused: row.dueAt === null
          }
        : null,
      requiredMaterials: content.materials.map((material) => ({ code: material.code, name: material.name, required: material.required })),
      missingMaterials: missingMaterials(requiredCodes(content), provided),
      materials: materials.map((material) => ({ id: material.id, code: material.code, fileName: material.fileName, size: material.size, sha256: material.sha256, uploadedAt: material.uploadedAt.toISOString() })),
      correction: correction ? { materials: correction.materials, note: correction.note, stage: correction.stage, givenAt: correction.givenAt.toISOString(), answeredAt: correction.answeredAt?.toISOString() ?? null } : null,
      pauses: pauses.map((pause) => ({ kind: pause.kind, reason: pause.reason, limitWorkingDays: pause.limitWorkingDays, startedAt: pause.startedAt.toISOString(), endedAt: pause.endedAt?.toISOString() ?? null })),
      subtasks: subtasks.map((subtask) => ({
        departmentId: subtask.departmentId,
        state: subtask.state,
        dueAt: subtask.dueAt.toISOString(),
        opinion: subtask.opinion,
        doneAt: subtask.doneAt?.toISOString() ?? null,
        takenOverAt: subtask.takenOverAt?.toISOString() ?? null,
        late: subtask.state === 'open' ? now >= subtask.dueAt : (subtask.doneAt ?? now) > subtask.dueAt
      })),
      refusalReasons: row.refusalReasons,
      decision: row.decision,
      decisionReasons: row.decisionReasons,
      decidedAt: row.decidedAt?.toISOString() ?? null,
      result: row.resultNumber && row.resultIssuedAt ? { number: row.resultNumber, sha256: row.resultSha256!, signer: row.resultSigner!, issuedAt: row.resultIssuedAt.toISOString() } : null,
      deliveredAt: row.deliveredAt?.toISOString() ?? null,
      closedAt: row.closedAt?.toISOString() ?? null,
      withdrawnAt: row.withdrawnAt?.toISOString() ?? null,
      payment: notice ? { noticeId: notice.id, code: notice.code, status: notice.status, totalFen: Number(notice.totalFen), requiredBeforeResult: row.payBeforeResult, receiptNumber: row.receiptNumber } : null,
      rating: rating ? { level: rating.level, comment: rating.comment, ratedAt: rating.ratedAt.toISOString() } : null
    }
  }

  async function getCase (principal: Principal, caseId: string): Promise<CaseView> {
    return view(await readable(principal, caseId))
  }

  async function listCases (principal: Principal, query: { state?: CaseState, departmentId?: string, windowId?: string, colour?: 'green' | 'yellow' | 'red', limit?: number, offset?: number }): Promise<CaseView[]> {
    const scopes = scopesFor(principal, 'cases.read')
    const rows = await repo.listCases(db, {
      states: query.state ? [query.state] : undefined,
      departmentId: query.departmentId,
      windowId: query.windowId,
      colour: query.colour,
      now: clock.now(),
      scope: scopes ?? undefined,
      limit: query.limit ?? 50,
      offset: query.offset ?? 0
    })
    return viewsOf(rows)
  }

  /** Views of a page of cases: their materials in one query rather than one per case. */
  async function viewsOf (rows: repo.CaseRow[]): Promise<CaseView[]> {
    const materials = await repo.materialsOfCases(db, rows.map((row) => row.id))
    return Promise.all(rows.map((row) => view(row, materials.filter((material) => material.caseId === row.id))))
  }

  async function myCases (actor: Actor): Promise<CaseView[]> {
    const rows = await repo.listCases(db, { applicantId: actor.principal.accountId, now: clock.now(), limit: 100, offset: 0 })
    return viewsOf(rows)
  }

  async function events (principal: Principal, caseId: string) {
    const row = await readable(principal, caseId)
    return (await repo.eventsOf(db, row.id)).map((event) => ({ at: event.at.toISOString(), kind: event.kind, detail: event.detail as Record<string, unknown> }))
  }

  // ---- supervision ------------------------------------------------------------------------------

  /** Departments the caller supervises; null for the whole hall. */
  function supervisedDepartments (principal: Principal, action: 'supervision.read' | 'supervision.reply' | 'rectifications.handle'): string[] | null {
    const scopes = scopesFor(principal, action)
    return scopes ? scopes.departmentIds : null
  }

  async function dashboard (principal: Principal) {
    const departmentIds = supervisedDepartments(principal, 'supervision.read')
    const now = clock.now()
    const [counts, late] = await Promise.all([repo.colourCounts(db, departmentIds, now), repo.lateSubtasks(db, departmentIds, now)])
    const row = ({ key, ...counted }: repo.ColourCounts) => ({ id: key, ...counted })
    return {
      asOf: now.toISOString(),
      departments: counts.departments.map(row),
      windows: counts.windows.map(row),
      lateSubtasks: late.map((entry) => ({ ...entry, dueAt: entry.dueAt.toISOString() }))
    }
  }

  /** May this principal watch a supervision room? The hall room takes a hall-wide grant. */
  function mayWatch (principal: Principal | null, roomId: string): boolean {
    if (!principal) return false
    if (roomId === HALL_ROOM) return supervisedDepartments(principal, 'supervision.read') === null
    const departmentId = roomId.startsWith('supervision:dept:') ? roomId.slice('supervision:dept:'.length) : null
    return departmentId !== null && (canAccess(principal, 'supervision.read', { departmentId }) || canAccess(principal, 'cases.handle', { departmentId }))
  }

  function letterView (letter: repo.LetterRow) {
    return {
      id: letter.id,
      number: letter.number,
      departmentId: letter.departmentId,
      caseId: letter.caseId,
      subject: letter.subject,
      body: letter.body,
      replyDueAt: letter.replyDueAt.toISOString(),
      issuedAt: letter.issuedAt.toISOString(),
      reply: letter.reply,
      repliedAt: letter.repliedAt?.toISOString() ?? null,
      overdue: (letter.repliedAt ?? clock.now()) > letter.replyDueAt
    }
  }

  /** 督办函: numbered per year, with a reply due in working days; in the audit chain and on the dashboards. */
  async function issueLetter (actor: Actor, input: { departmentId: string, caseId?: string, subject: string, body: string, replyWorkingDays: number }) {
    if (!canAccess(actor.principal, 'supervision.letters', { departmentId: input.departmentId })) throw new errors.LetterNotFound(input.departmentId)
    await departments.getDepartment(input.departmentId)
    const letter = await db.transaction(async (tx) => {
      if (input.caseId) {
        const row = await repo.findCase(tx, input.caseId)
        if (!row || row.departmentId !== input.departmentId) throw new errors.CaseNotFound(input.caseId)
      }
      const now = clock.now()
      const prefix = `DBH-${shanghaiDate(now).slice(0, 4)}-`
      const number = `${prefix}${String(await repo.nextLetterSequence(tx, prefix)).padStart(4, '0')}`
      const replyDueAt = endOfShanghaiDay(addWorkingDays(calendar.current(), shanghaiDate(now), input.replyWorkingDays))
      const inserted = await repo.insertLetter(tx, {
        number, departmentId: input.departmentId, caseId: input.caseId ?? null, subject: input.subject, body: input.body, replyDueAt, issuedBy: actor.principal.accountId, issuedAt: now
      })
      await timers.schedule(tx, { kind: LETTER_TIMER, key: `${LETTER_TIMER}:${inserted.id}`, fireAt: replyDueAt, payload: { letterId: inserted.id } })
      await audit.append(tx, auditRecord(actor, 'supervision.letter_issued', 'supervision_letter', inserted.id, { number, departmentId: input.departmentId, caseId: input.caseId ?? null, subject: input.subject, replyDueAt: replyDueAt.toISOString() }))
      const event = { type: 'supervision.letter_issued', data: { letterId: inserted.id, number, departmentId: input.departmentId }, audience: WATCHERS }
      await live.append(tx, HALL_ROOM, event)
      await live.append(tx, departmentRoom(input.departmentId), event)
      return inserted
    })
    return letterView(letter)
  }

  async function listLetters (principal: Principal) {
    const reader = scopesFor(principal, 'supervision.read')
    return (await repo.listLetters(db, reader ? reader.departmentIds : null)).map(letterView)
  }

  async function replyLetter (actor: Actor, letterId: string, reply: string) {
    const letter = await db.transaction(async (tx) => {
      const found = await repo.findLetter(tx, letterId, 'update')
      if (!found || !canAccess(actor.principal, 'supervision.reply', { departmentId: found.departmentId })) throw new errors.LetterNotFound(letterId)
      if (found.repliedAt) throw new errors.LetterAnswered()
      const now = clock.now()
      const updated = await repo.updateLetter(tx, letterId, { reply, repliedBy: actor.principal.accountId, repliedAt: now })
      await timers.cancel(tx, `${LETTER_TIMER}:${letterId}`)
      await audit.append(tx, auditRecord(actor, 'supervision.letter_replied', 'supervision_letter', letterId, { number: found.number, late: now > found.replyDueAt }))
      await live.append(tx, HALL_ROOM, { type: 'supervision.letter_replied', data: { letterId, number: found.number, departmentId: found.departmentId }, audience: WATCHERS })
      return updated
    })
    return letterView(letter)
  }

  async function flagLateLetter (tx: Transaction, letterId: string): Promise<void> {
    const letter = await repo.findLetter(tx, letterId)
    if (!letter || letter.repliedAt) return
    await audit.append(tx, auditRecord(null, 'supervision.letter_overdue', 'supervision_letter', letterId, { number: letter.number, departmentId: letter.departmentId }))
    await live.append(tx, HALL_ROOM, { type: 'supervision.letter_overdue', data: { letterId, number: letter.number, departmentId: letter.departmentId }, audience: WATCHERS })
  }

  function rectificationView (row: repo.RectificationRow) {
    return {
      id: row.id,
      caseId: row.caseId,
      departmentId: row.departmentId,
      dueAt: row.dueAt.toISOString(),
      report: row.report,
      doneAt: row.doneAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      overdue: (row.doneAt ?? clock.now()) > row.dueAt
    }
  }

  async function listRectifications (principal: Principal) {
    const reader = scopesFor(principal, 'supervision.read')
    return (await repo.listRectifications(db, reader ? reader.departmentIds : null)).map(rectificationView)
  }

  async function reportRectification (actor: Actor, rectificationId: string, report: string) {
    const row = await db.transaction(async (tx) => {
      const found = await repo.findRectification(tx, rectificationId, 'update')
      if (!found || !canAccess(actor.principal, 'rectifications.handle', { departmentId: found.departmentId })) throw new errors.RectificationNotFound(rectificationId)
      if (found.doneAt) throw new errors.RectificationDone()
      const now = clock.now()
      const updated = await repo.updateRectification(tx, rectificationId, { report, doneBy: actor.principal.accountId, doneAt: now })
      await timers.cancel(tx, `${RECTIFICATION_TIMER}:${rectificationId}`)
      await audit.append(tx, auditRecord(actor, 'rectification.reported', 'rectification', rectificationId, { caseId: found.caseId, late: now > found.dueAt }))
      return updated
    })
    return rectificationView(row)
  }

  async function flagLateRectification (tx: Transaction, rectificationId: string): Promise<void> {
    const found = await repo.findRectification(tx, rectificationId)
    if (!found || found.doneAt) return
    await audit.append(tx, auditRecord(null, 'rectification.overdue', 'rectification', rectificationId, { caseId: found.caseId, departmentId: found.departmentId }))
    await live.append(tx, HALL_ROOM, { type: 'rectification.overdue', data: { rectificationId, departmentId: found.departmentId }, audience: WATCHERS })
  }

  // ---- the calendar changed ----------------------------------------------------------------------

  /**
   * A due is a count of working days on the calendar: when the administrator enters a holiday or a
   * make-up workday (say, next year's calendar, published in November, for cases already due in
   * January), the clocks of the cases on the clock follow it. One instance does it, in batches
   * of RECLOCK_BATCH cases (each batch one transaction), from the timer the change scheduled.
   */
  calendar.onChange(async (tx) => {
    await timers.schedule(tx, { kind: RECLOCK_TIMER, key: `${RECLOCK_TIMER}:start`, fireAt: clock.now(), payload: { afterId: null } })
  })

  async function reclock (tx: Transaction, afterId: string | null): Promise<void> {
    await calendar.refresh(tx) // this instance may not have had the notification yet
    const rows = await repo.clockedCases(tx, afterId, RECLOCK_BATCH)
    const pauses = await repo.pausesOfCases(tx, rows.map((row) => row.id))
    const now = clock.now()
    for (const row of rows) {
      const own = pauses.filter((pause) => pause.caseId === row.id)
      const { dueAt, warnAt } = clockOf(row, own, now)
      if (dueAt?.getTime() === row.dueAt?.getTime() && warnAt?.getTime() === row.warnAt?.getTime()) continue
      const moved = await rewind(tx, row, now, {}, own, { actor: null, kind: 'deadline_recomputed', detail: (updated) => ({ from: row.dueAt?.toISOString() ?? null, to: updated.dueAt?.toISOString() ?? null }) })
      nudge(moved) // sent 200 ms on, after this batch's commit as a rule; a lost nudge costs a dashboard one refresh
    }
    const last = rows.at(-1)
    if (rows.length === RECLOCK_BATCH && last) {
      await timers.schedule(tx, { kind: RECLOCK_TIMER, key: `${RECLOCK_TIMER}:${last.id}`, fireAt: now, payload: { afterId: last.id } })
    }
  }

  timers.define(RECLOCK_TIMER, async (tx, timer) => { await reclock(tx, (timer.payload as { afterId: string | null }).afterId) })
  timers.define(ACCEPTANCE_TIMER, async (tx, timer) => { await deemAccepted(tx, (timer.payload as { caseId: string }).caseId) })
  timers.define(COLOUR_TIMER, async (tx, timer) => { await announceColour(tx, (timer.payload as { caseId: string }).caseId) })
  timers.define(PAUSE_LIMIT_TIMER, async (tx, timer) => { await reachPauseLimit(tx, (timer.payload as { caseId: string }).caseId) })
  timers.define(SUBTASK_TIMER, async (tx, timer) => { await flagLateSubtask(tx, (timer.payload as { subtaskId: string }).subtaskId) })
  timers.define(LETTER_TIMER, async (tx, timer) => { await flagLateLetter(tx, (timer.payload as { letterId: string }).letterId) })
  timers.define(RECTIFICATION_TIMER, async (tx, timer) => { await flagLateRectification(tx, (timer.payload as { rectificationId: string }).rectificationId) })

  return {
    file,
    accept,
    refuse,
    noticeCorrection,
    answerCorrection,
    startReview,
    pause,
    endPause,
    decide,
    answerSubtask,
    takeOverSubtask,
    resultDraft,
    issueResult,
    deliver,
    withdraw,
    progress,
    rate,
    document,
    publicResult,
    signedResult,
    material,
    getCase,
    listCases,
    myCases,
    events,
    dashboard,
    mayWatch,
    issueLetter,
    listLetters,
    replyLetter,
    listRectifications,
    reportRectification,
    idle,
    newMaterialKey: () => `cases/materials/${randomUUID()}`
  }
}

export type CasesService = ReturnType<typeof createCasesService>
