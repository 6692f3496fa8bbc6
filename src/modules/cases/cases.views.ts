/**
 * Views of cases as their readers see them (each step answers with one), with their clock and
 * colour as of now, and the lists: the cases in the caller's scope (and their counts by state), the
 * cases behind a count of the supervision dashboard, an applicant's own, a case's progress lines.
 */
import type { Actor } from '../../lib/actor.ts'
import { scopesFor, type Principal } from '../../lib/policy.ts'
import { requiredCodes } from './cases.acceptance.ts'
import * as repo from './cases.repository.ts'
import { missingMaterials, SUPERVISED_STATES, supervisionColour, workingDaysLeft, type CaseState } from './cases.rules.ts'
import type { CaseView } from './cases.schemas.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CaseViewsDeps = Pick<CasesDeps, 'db' | 'clock' | 'calendar' | 'payments'> & Pick<CaseHelpers, 'contentOf' | 'readable'>

export function createCaseViews ({ db, clock, calendar, payments, contentOf, readable }: CaseViewsDeps) {
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

  /** How many cases of the caller's reach (cases.read) are in each state: the workbench's queues on a home page. */
  async function caseCounts (principal: Principal, states: readonly CaseState[]): Promise<Partial<Record<CaseState, number>>> {
    return repo.stateCounts(db, states, scopesFor(principal, 'cases.read') ?? undefined)
  }

  /** The cases behind one count of the supervision dashboard (or all its open cases), in the caller's supervised departments only. */
  async function casesBehindCount (principal: Principal, query: { column?: repo.DashboardColumn, departmentId?: string, windowId?: string, limit?: number }): Promise<CaseView[]> {
    const scopes = scopesFor(principal, 'supervision.read')
    const rows = await repo.casesBehindCount(db, { ...query, departmentIds: scopes ? scopes.departmentIds : null, now: clock.now(), limit: query.limit ?? 200 })
    return viewsOf(rows)
  }

  async function events (principal: Principal, caseId: string) {
    const row = await readable(principal, caseId)
    return (await repo.eventsOf(db, row.id)).map((event) => ({ at: event.at.toISOString(), kind: event.kind, detail: event.detail as Record<string, unknown> }))
  }

  return { view, getCase, listCases, myCases, caseCounts, casesBehindCount, events }
}
