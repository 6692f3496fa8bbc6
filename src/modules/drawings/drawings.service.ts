/**
 * The drawing's use cases behind one face (createDrawingsService): requests and the hall's
 * decision here, the draw (drawings.draw.ts), invitations and reserves (drawings.invitations.ts),
 * the recheck against the bidders (drawings.recheck.ts) and publication with the record and the
 * evaluation's seam (drawings.publication.ts). The helpers they share are lent to them below.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { commitmentOf } from '../../lib/commit-reveal.ts'
import type { MasterKey } from '../../lib/master-key.ts'
import { grantCovers, type Principal, type Role } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Audience, Live } from '../../plugins/live.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { AccountsService } from '../accounts/accounts.service.ts'
import type { BidsService } from '../bids/bids.service.ts'
import type { DepartmentsService } from '../departments/departments.service.ts'
import type { NotifierService } from '../notifier/notifier.service.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import type { ProjectsService } from '../projects/projects.service.ts'
import { TenderNotFound } from '../tenders/tenders.errors.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import type { TendersService } from '../tenders/tenders.service.ts'
import { createDrawingDraw } from './drawings.draw.ts'
import {
  DepartmentUnknown, DrawingAlreadyLive, DrawingNotFound, DrawingStateInvalid, DrawingTenderClosed, EvaluationTimeInvalid, OfficialsOnly, SpecialtyUnknown, committeeInvalid
} from './drawings.errors.ts'
import { createDrawingInvitations } from './drawings.invitations.ts'
import { createDrawingPublication } from './drawings.publication.ts'
import { createDrawingRecheck } from './drawings.recheck.ts'
import * as repo from './drawings.repository.ts'
import { canMove, committeeFindings, drawFromOf, type DrawingState, type RequestLine } from './drawings.rules.ts'
import type { CreateDrawing, DrawingView } from './drawings.schemas.ts'

export interface DrawingSettings {
  /** the draw may run from this many hours before the evaluation */
  leadHours: number
  /** an invited expert answers within this many minutes (never after the evaluation starts) */
  answerMinutes: number
  /** an expert called for the same tenderer within this many days is not drawn */
  sameTendererDays: number
  /** an expert called to this many committees in a year is not drawn again that year */
  annualCap: number
}

export interface DrawingsDeps {
  db: Database
  audit: Audit
  clock: Clock
  live: Live
  timers: Timers
  masterKey: MasterKey
  log: FastifyBaseLogger
  tenders: TendersService
  projects: ProjectsService
  bids: BidsService
  accounts: AccountsService
  departments: DepartmentsService
  notifier: NotifierService
  settings: DrawingSettings
}

/** What a request stores: the validated input and the settings in force when it was made. */
export interface StoredRequest {
  committeeSize: number
  tendererRepresentatives: number
  lines: RequestLine[]
  regionsInclude: string[]
  regionsExclude: string[]
  sameTendererDays: number
  annualCap: number
}

export type Capacity = 'party' | 'operator' | 'supervisor'

export interface Loaded { drawing: repo.DrawingRow, tender: TenderRow, project: ProjectRow, capacity: Capacity }

export const drawingRoom = (drawingId: string) => `drawing:${drawingId}`
/** The context the seed is bound to (commit-reveal): a secret never serves two draws alike. */
export const drawingContext = (drawingId: string) => `drawing:${drawingId}`
export const secretPurpose = (drawingId: string) => `drawing-secret:${drawingId}`
export const requestOf = (drawing: repo.DrawingRow) => drawing.request as StoredRequest

/** Everyone the room admits (its parties and officials); names travel only in the supervisors' twin events. */
const ROOM: Audience = { public: true }
const SUPERVISORS: Audience = { roles: ['supervisor'] }
const LIVE_STATES: DrawingState[] = ['requested', 'approved', 'drawn', 'published']
const DRAWABLE_TENDER_STATES = new Set(['published', 'bidding', 'opening', 'evaluation'])

/** The helpers every use case shares, lent to the files beside this one (drawings.<case>.ts). */
export interface DrawingHelpers {
  load: (principal: Principal | null, drawingId: string, on?: Queryable, lock?: { drawing?: 'update', tender?: 'share' }) => Promise<Loaded>
  emit: (tx: Transaction, actor: Actor | null, drawing: repo.DrawingRow, type: string, data: Record<string, unknown>, names?: Record<string, unknown>) => Promise<void>
  move: (tx: Transaction, actor: Actor | null, drawing: repo.DrawingRow, to: DrawingState, values: Partial<repo.DrawingRow>, data?: Record<string, unknown>, names?: Record<string, unknown>) => Promise<repo.DrawingRow>
  getDrawing: (principal: Principal | null, drawingId: string) => Promise<DrawingView>
  specialtyNames: (on: Queryable, drawing: repo.DrawingRow) => Promise<Map<string, string>>
}

export function createDrawingsService (deps: DrawingsDeps) {
  const { db, audit, clock, live, masterKey, tenders, projects, departments, settings } = deps
  const helpers: DrawingHelpers = { load, emit, move, getDrawing, specialtyNames }
  const invitations = createDrawingInvitations({ ...deps, ...helpers })
  const publication = createDrawingPublication({ ...deps, ...helpers })
  const { draw, eligibility, sealedList, recusalContext } = createDrawingDraw({ ...deps, ...helpers, invitations, publication })
  createDrawingRecheck({ ...deps, ...helpers, invitations, recusalContext })

  function holds (principal: Principal, role: Role, project: ProjectRow): boolean {
    return principal.grants.some((grant) => grant.role === role && grantCovers(grant, { projectId: project.id }))
  }

  /** Supervisors over the project see names; the hall operates; the project's agency or tenderer asked. */
  function capacityOf (principal: Principal | null, project: ProjectRow): Capacity | null {
    if (!principal) return null
    if (holds(principal, 'supervisor', project)) return 'supervisor'
    if (holds(principal, 'hall_admin', project)) return 'operator'
    if (tenders.isParty(principal, project)) return 'party'
    return null
  }

  /** A drawing as the caller may reach it; anyone else gets 404, as if it did not exist. */
  async function load (principal: Principal | null, drawingId: string, on: Queryable = db, lock: { drawing?: 'update', tender?: 'share' } = {}): Promise<Loaded> {
    if (lock.drawing && lock.tender) {
      // the tender first, then its drawing: the tender's own moves (the deadline's freeze, a
      // cancellation, a failed opening) lock in that order, and the opposite order could deadlock.
      // A drawing never changes tender, so the unlocked read finds the right one.
      const unlocked = await repo.findDrawing(on, drawingId)
      if (!unlocked) throw new DrawingNotFound(drawingId)
      const loaded = await reach(principal, unlocked, on, lock.tender)
      return { ...loaded, drawing: (await repo.findDrawing(on, drawingId, lock.drawing))! }
    }
    const drawing = await repo.findDrawing(on, drawingId, lock.drawing)
    if (!drawing) throw new DrawingNotFound(drawingId)
    return reach(principal, drawing, on, lock.tender)
  }

  /** The caller's capacity over a drawing already read; 404 when they have none. */
  async function reach (principal: Principal | null, drawing: repo.DrawingRow, on: Queryable = db, lockTender?: 'share'): Promise<Loaded> {
    // a tender the caller may not see hides its drawing too; any other failure stays what it is
    const { tender, project } = await tenders.visibleTender(principal, drawing.tenderId, on, lockTender).catch((error: unknown) => {
      throw error instanceof TenderNotFound ? new DrawingNotFound(drawing.id) : error
    })
    const capacity = capacityOf(principal, project)
    if (!capacity) throw new DrawingNotFound(drawing.id)
    return { drawing, tender, project, capacity }
  }

  /** null for a drawing the caller may not reach (a list skips it), any other failure thrown. */
  const reachable = (attempt: Promise<Loaded>) => attempt.catch((error: unknown) => {
    if (error instanceof DrawingNotFound) return null
    throw error
  })

  async function emit (tx: Transaction, actor: Actor | null, drawing: repo.DrawingRow, type: string, data: Record<string, unknown>, names?: Record<string, unknown>) {
    await audit.append(tx, auditRecord(actor, `drawing.${type}`, 'drawing', drawing.id, data))
    await live.append(tx, drawingRoom(drawing.id), { type: `drawing.${type}`, data, audience: ROOM })
    if (names) await live.append(tx, drawingRoom(drawing.id), { type: `drawing.${type}_names`, data: { ...data, ...names }, audience: SUPERVISORS })
  }

  async function move (tx: Transaction, actor: Actor | null, drawing: repo.DrawingRow, to: DrawingState, values: Partial<repo.DrawingRow>, data: Record<string, unknown> = {}, names?: Record<string, unknown>) {
    if (!canMove(drawing.state, to)) throw new DrawingStateInvalid(drawing.state, `it cannot become ${to}`)
    const updated = await repo.updateDrawing(tx, drawing.id, { ...values, state: to })
    await emit(tx, actor, updated, to, { from: drawing.state, ...data }, names)
    return updated
  }

  async function specialtyNames (on: Queryable, drawing: repo.DrawingRow): Promise<Map<string, string>> {
    const found = await repo.specialtiesByCode(on, requestOf(drawing).lines.map((line) => line.specialtyCode))
    return new Map([...found.values()].map((row) => [row.code, row.name]))
  }

  // ---- the request and the hall's decision ---------------------------------------------------

  async function requestDrawing (actor: Actor, tenderId: string, input: CreateDrawing): Promise<DrawingView> {
    const now = clock.now()
    const evaluationAt = new Date(input.evaluationAt)
    const id = await db.transaction(async (tx) => {
      // the tender's row, locked: two requests of one tender queue here, and the second sees the first
      const { tender, project } = await tenders.ownTender(actor, tenderId, tx, 'update')
      if (tender.publishedAt === null || !DRAWABLE_TENDER_STATES.has(tender.status)) throw new DrawingTenderClosed(tender.status)
      if (evaluationAt.getTime() <= now.getTime()) throw new EvaluationTimeInvalid('the evaluation must be in the future')
      if (evaluationAt.getTime() < tender.bidDeadline.getTime()) throw new EvaluationTimeInvalid(`the evaluation follows the opening at ${tender.bidDeadline.toISOString()}`)
      const findings = committeeFindings(input, { tradeType: project.tradeType, budgetFen: project.estimateFen })
      if (findings.length > 0) throw committeeInvalid(findings)
      const known = await repo.specialtiesByCode(tx, input.lines.map((line) => line.specialtyCode))
      const unknown = input.lines.find((line) => known.get(line.specialtyCode)?.level !== 3)
      if (unknown) throw new SpecialtyUnknown(unknown.specialtyCode)
      if (input.supervisingDepartmentId && !await departments.scopeExists('department', input.supervisingDepartmentId)) throw new DepartmentUnknown(input.supervisingDepartmentId)
      if ((await repo.drawingsOfTender(tx, tenderId, LIVE_STATES)).length > 0) throw new DrawingAlreadyLive()
      const request: StoredRequest = {
        committeeSize: input.committeeSize,
        tendererRepresentatives: input.tendererRepresentatives,
        lines: input.lines.map(({ specialtyCode, side, count, reserves }) => ({ specialtyCode, side, count, reserves })),
        regionsInclude: input.regionsInclude,
        regionsExclude: input.regionsExclude,
        sameTendererDays: settings.sameTendererDays,
        annualCap: settings.annualCap
      }
      const drawing = await repo.insertDrawing(tx, {
        tenderId,
        requestedBy: actor.principal.accountId,
        requestedAt: now,
        request,
        evaluationAt,
        evaluationPlace: input.evaluationPlace,
        supervisingDepartmentId: input.supervisingDepartmentId ?? null,
        drawFrom: drawFromOf(evaluationAt, settings.leadHours),
        createdAt: now
      })
      await emit(tx, actor, drawing, 'requested', { request, evaluationAt: evaluationAt.toISOString(), remote: input.evaluationPlace === null, drawFrom: drawing.drawFrom.toISOString() })
      return drawing.id
    })
    return getDrawing(actor.principal, id)
  }

  /** The hall approves: the server commits to a fresh secret (sealed under the master key) and publishes the commitment. */
  async function approve (actor: Actor, drawingId: string): Promise<DrawingView> {
    await db.transaction(async (tx) => {
      const { drawing } = await operated(tx, actor, drawingId)
      const secret = randomBytes(32)
      const commitment = commitmentOf(secret)
      const secretSealed = masterKey.seal(secret, secretPurpose(drawingId))
      secret.fill(0)
      await move(tx, actor, drawing, 'approved', { commitment, secretSealed, decidedBy: actor.principal.accountId, decidedAt: clock.now() }, {
        commitment, context: drawingContext(drawingId), drawFrom: drawing.drawFrom.toISOString()
      })
    })
    return getDrawing(actor.principal, drawingId)
  }

  async function refuse (actor: Actor, drawingId: string, reason: string): Promise<DrawingView> {
    await db.transaction(async (tx) => {
      const { drawing } = await operated(tx, actor, drawingId)
      await move(tx, actor, drawing, 'refused', { refusalReason: reason, decidedBy: actor.principal.accountId, decidedAt: clock.now() }, { reason })
    })
    return getDrawing(actor.principal, drawingId)
  }

  /**
   * The hall cancels a drawing before its evaluation (a request, an approved one, or a drawn one
   * whose evaluation is called off); it stays on record, with its draw, and a new request is made.
   */
  async function cancel (actor: Actor, drawingId: string, reason: string): Promise<DrawingView> {
    await db.transaction(async (tx) => {
      const { drawing } = await operated(tx, actor, drawingId)
      await callOff(tx, actor, drawing, reason)
    })
    return getDrawing(actor.principal, drawingId)
  }

  /**
   * A drawing ends cancelled. A drawn one tells its invited and confirmed experts, and its record
   * is published at once without names: the secret lets anyone re-run the draw, and the pseudonyms
   * name nobody (the key that makes them is never published), so a cancelled draw stays checkable.
   */
  async function callOff (tx: Transaction, actor: Actor | null, drawing: repo.DrawingRow, reason: string) {
    const drawn = drawing.state === 'drawn'
    const reveal = drawn ? publication.revealed(drawing) : null
    const cancelled = await move(tx, actor, drawing, 'cancelled', { cancelledBy: actor?.principal.accountId ?? null, failure: { kind: 'cancelled', reason, lines: [] }, ...reveal }, { reason, ...(reveal ? { secret: reveal.secret } : {}) })
    if (drawn) {
      await invitations.withdrawAll(tx, cancelled)
      await publication.disarmPublication(tx, cancelled)
    }
  }

  // a tender cancelled or failed (流标) is never evaluated: its drawing under way is called off with it
  for (const closed of ['cancelled', 'failed'] as const) {
    tenders.onTransition(closed, async (tx, tender) => {
      for (const drawing of await repo.drawingsOfTender(tx, tender.id, ['requested', 'approved', 'drawn'], 'update')) {
        // a failed opening's reason is a code of the openings module; a cancellation's is the tenderer's own words
        await callOff(tx, null, drawing, closed === 'failed' ? '开标失败（流标），本次评标不再进行' : tender.closeReason || '招标已终止')
      }
    })
  }

  async function operated (tx: Transaction, actor: Actor, drawingId: string) {
    const loaded = await load(actor.principal, drawingId, tx, { drawing: 'update' })
    if (loaded.capacity === 'party') throw new DrawingNotFound(drawingId)
    return loaded
  }

  // ---- reads ------------------------------------------------------------------------------------

  async function view (on: Queryable, drawing: repo.DrawingRow, tender: TenderRow): Promise<DrawingView> {
    const request = requestOf(drawing)
    const [rows, names] = await Promise.all([repo.drawnOf(on, drawing.id), specialtyNames(on, drawing)])
    const failure = drawing.failure as DrawingView['failure']
    return {
      id: drawing.id,
      tenderId: tender.id,
      tenderCode: tender.code,
      tenderTitle: tender.title,
      state: drawing.state,
      requestedAt: drawing.requestedAt.toISOString(),
      committeeSize: request.committeeSize,
      tendererRepresentatives: request.tendererRepresentatives,
      regionsInclude: request.regionsInclude,
      regionsExclude: request.regionsExclude,
      evaluationAt: drawing.evaluationAt.toISOString(),
      evaluationPlace: drawing.evaluationPlace,
      remote: drawing.evaluationPlace === null,
      supervisingDepartmentId: drawing.supervisingDepartmentId,
      drawFrom: drawing.drawFrom.toISOString(),
      decidedAt: drawing.decidedAt?.toISOString() ?? null,
      refusalReason: drawing.refusalReason,
      commitment: drawing.commitment,
      context: drawingContext(drawing.id),
      nonce: drawing.nonce,
      drawnAt: drawing.drawnAt?.toISOString() ?? null,
      poolSha256: drawing.poolSha256,
      listSha256: drawing.listSha256,
      biddersCheckedAt: drawing.biddersCheckedAt?.toISOString() ?? null,
      failure: failure ? { kind: failure.kind, reason: failure.reason ?? null, lines: failure.lines ?? [] } : null,
      publishedAt: drawing.publishedAt?.toISOString() ?? null,
      // published at the evaluation, or when a drawn drawing is called off
      secret: drawing.secret,
      lines: request.lines.map((line, index) => {
        const ofLine = rows.filter((row) => row.line === index)
        const count = (state: repo.DrawnRow['state']) => ofLine.filter((row) => row.state === state).length
        const standby = ofLine.filter((row) => row.role === 'reserve' && row.state === 'standby').length
        const serving = count('invited') + count('confirmed')
        return {
          line: index,
          specialtyCode: line.specialtyCode,
          specialtyName: names.get(line.specialtyCode) ?? line.specialtyCode,
          side: line.side,
          count: line.count,
          reserves: line.reserves,
          invited: count('invited'),
          confirmed: count('confirmed'),
          declined: count('declined'),
          noAnswer: count('no_answer'),
          recused: count('recused'),
          standby,
          short: ofLine.length > 0 && serving < line.count && standby === 0
        }
      }),
      serverTime: clock.now().toISOString()
    }
  }

  async function getDrawing (principal: Principal | null, drawingId: string): Promise<DrawingView> {
    const { drawing, tender } = await load(principal, drawingId)
    return view(db, drawing, tender)
  }

  /** Officials over the whole hall see every drawing; a project's agency or tenderer, their projects'. */
  async function listDrawings (principal: Principal, query: { state?: DrawingState, tenderId?: string, limit?: number, offset?: number }): Promise<DrawingView[]> {
    const hallWide = principal.grants.some((grant) => (grant.role === 'hall_admin' || grant.role === 'supervisor') && grant.scopeType === 'hall')
    const projectIds = hallWide ? undefined : await projects.listProjectsOf(principal)
    const rows = await repo.listDrawings(db, { state: query.state, tenderId: query.tenderId, projectIds, limit: query.limit ?? 50, offset: query.offset ?? 0 })
    const views: DrawingView[] = []
    for (const row of rows) {
      const loaded = await reachable(reach(principal, row))
      if (loaded) views.push(await view(db, loaded.drawing, loaded.tender))
    }
    return views
  }

  async function mayWatch (principal: Principal | null, drawingId: string): Promise<boolean> {
    // any refusal, a malformed room id included, is "no such room", as the other room kinds answer
    return load(principal, drawingId).then(() => true, () => false)
  }

  /** The eligible pool's counts before the draw, for the hall and the supervisors. */
  async function poolCounts (principal: Principal, drawingId: string) {
    const loaded = await load(principal, drawingId)
    if (loaded.capacity === 'party') throw new OfficialsOnly()
    return eligibility(loaded)
  }

  return {
    requestDrawing,
    approve,
    refuse,
    cancel,
    draw,
    publish: publication.publishByOperator,
    getDrawing,
    listDrawings,
    eligibility: poolCounts,
    sealedList,
    record: publication.record,
    myInvitations: invitations.myInvitations,
    answer: invitations.answer,
    mayWatch,
    // the seam for remote evaluation (issue 14), see index.ts
    committeeFor: publication.committeeFor,
    publishForEvaluation: publication.publishForEvaluation
  }
}

export type DrawingsService = ReturnType<typeof createDrawingsService>
