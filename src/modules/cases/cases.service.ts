import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { canAccess, type Principal } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Live } from '../../plugins/live.ts'
import type { Pki } from '../../plugins/pki.ts'
import type { Store } from '../../plugins/storage.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { ItemContent } from '../catalogue/catalogue.content.ts'
import type { CatalogueService } from '../catalogue/catalogue.service.ts'
import type { DepartmentsService } from '../departments/departments.service.ts'
import type { PaymentsService } from '../payments/payments.service.ts'
import type { PkiService } from '../pki/pki.service.ts'
import { createCaseAcceptance } from './cases.acceptance.ts'
import { clockKey, COLOUR_TIMER, departmentRoom, ERROR_OF, HALL_ROOM, WATCHERS } from './cases.constants.ts'
import { createCaseDeadlines } from './cases.deadlines.ts'
import { createCaseDocuments } from './cases.documents.ts'
import * as errors from './cases.errors.ts'
import { createCaseFiling } from './cases.filing.ts'
import { createCasePublicSide } from './cases.public.ts'
import * as repo from './cases.repository.ts'
import { createCaseResult } from './cases.result.ts'
import { createCaseReview } from './cases.review.ts'
import { caseDueAt, moveProblem, pauseLimitEndsAt, SUPERVISED_STATES, supervisionColour, warningStartsAt, type CaseFacts, type CaseState, type ClockPause } from './cases.rules.ts'
import type { CaseView } from './cases.schemas.ts'
import { createCaseSupervision } from './cases.supervision.ts'
import { createCaseViews } from './cases.views.ts'
import type { NotifierService } from '../notifier/notifier.service.ts'

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
  /** tells the applicant (inbox, and SMS to a confirmed mobile) */
  notifier: NotifierService
}

export { departmentRoom, HALL_ROOM } from './cases.constants.ts'

const NUDGE_MS = 200
const MAX_NUDGE_STEPS = 200

/** What `record` writes for a step; the detail may depend on the case as the step leaves it. */
export interface Step {
  actor: Actor | null
  kind: string
  detail?: Record<string, unknown> | ((row: repo.CaseRow) => Record<string, unknown>)
  auditDetail?: Record<string, unknown>
}

/** The helpers every use case shares, lent to the files beside this one (cases.<case>.ts). */
export interface CaseHelpers {
  contentOf: (row: Pick<repo.CaseRow, 'itemId' | 'itemVersion'>, on?: Queryable) => Promise<ItemContent>
  isApplicant: (principal: Principal | null, row: repo.CaseRow) => boolean
  mayRead: (principal: Principal, row: repo.CaseRow, on?: Queryable) => Promise<boolean>
  handled: (tx: Transaction, actor: Actor, caseId: string, by?: 'receiving' | 'department') => Promise<repo.CaseRow>
  ownCase: (tx: Queryable, actor: Actor, caseId: string) => Promise<repo.CaseRow>
  readable: (principal: Principal, caseId: string) => Promise<repo.CaseRow>
  factsOf: (row: repo.CaseRow) => CaseFacts
  assertMove: (row: repo.CaseRow, to: CaseState) => void
  clockOf: (row: repo.CaseRow, pauses: readonly repo.PauseRow[], now: Date) => { dueAt: Date | null, warnAt: Date | null }
  rewind: (tx: Transaction, row: repo.CaseRow, now: Date, changes?: Partial<repo.CaseInsert>, pauses?: repo.PauseRow[], step?: Step) => Promise<repo.CaseRow>
  broadcast: (tx: Queryable, row: repo.CaseRow, type: string, data?: Record<string, unknown>) => Promise<void>
  record: (tx: Transaction, actor: Actor | null, row: repo.CaseRow, kind: string, detail?: Record<string, unknown>, auditDetail?: Record<string, unknown>) => Promise<void>
  nudge: (row: repo.CaseRow) => void
  changed: (row: repo.CaseRow, materials?: repo.MaterialRow[]) => Promise<CaseView>
}

export function createCasesService (deps: CasesDeps) {
  const { db, audit, clock, calendar, live, timers, catalogue, payments } = deps
  const contentCache = new Map<string, ItemContent>()
  // the use cases live beside this file; the helpers they are lent are declared below
  const helpers: CaseHelpers = { contentOf, isApplicant, mayRead, handled, ownCase, readable, factsOf, assertMove, clockOf, rewind, broadcast, record, nudge, changed }
  const { view, getCase, listCases, myCases, caseCounts, casesBehindCount, events } = createCaseViews({ ...deps, ...helpers })
  const { file } = createCaseFiling({ ...deps, ...helpers })
  const { accept, refuse, noticeCorrection, answerCorrection } = createCaseAcceptance({ ...deps, ...helpers })
  const { startReview, pause, endPause, decide, answerSubtask, takeOverSubtask } = createCaseReview({ ...deps, ...helpers })
  const { resultDraft, issueResult, deliver, withdraw } = createCaseResult({ ...deps, ...helpers })
  const { byQueryCode, progress, rate, rateOwn } = createCasePublicSide({ ...deps, ...helpers, view })
  const { document, publicResult, signedResult, material } = createCaseDocuments({ ...deps, ...helpers, byQueryCode })
  const { dashboard, mayWatch, issueLetter, listLetters, replyLetter, listRectifications, reportRectification } = createCaseSupervision(deps)
  createCaseDeadlines({ ...deps, ...helpers })

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

  async function readable (principal: Principal, caseId: string): Promise<repo.CaseRow> {
    const row = await repo.findCase(db, caseId)
    if (!row || !await mayRead(principal, row)) throw new errors.CaseNotFound(caseId)
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

  // ---- events -----------------------------------------------------------------------------------

  async function broadcast (tx: Queryable, row: repo.CaseRow, type: string, data: Record<string, unknown> = {}): Promise<void> {
    const event = { type, data: { caseId: row.id, number: row.number, departmentId: row.departmentId, windowId: row.windowId, state: row.state, ...data }, audience: WATCHERS }
    await live.append(tx, HALL_ROOM, event)
    await live.append(tx, departmentRoom(row.departmentId), event)
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

  // ---- fees ---------------------------------------------------------------------------------------

  payments.onPaid('case', async (tx, event) => {
    const row = await repo.findCaseByNotice(tx, event.noticeId)
    if (!row) return
    const receiptNumber = await payments.receiptNumberOf(tx, event.paymentId)
    const updated = await repo.updateCase(tx, row.id, { paidAt: event.paidAt, receiptNumber, updatedAt: clock.now() })
    await record(tx, null, updated, 'fees_paid', { receiptNumber })
  })

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
    rateOwn,
    document,
    publicResult,
    signedResult,
    material,
    getCase,
    listCases,
    myCases,
    caseCounts,
    casesBehindCount,
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
