import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { isProjectParty, overseesProjects, type Principal } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Live } from '../../plugins/live.ts'
import type { Store } from '../../plugins/storage.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { EscrowsService } from '../escrows/escrows.service.ts'
import type { FeesService } from '../fees/fees.service.ts'
import type { PaymentsService } from '../payments/payments.service.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import type { ProjectsService } from '../projects/projects.service.ts'
import { DEADLINE_TIMER, ISSUE_TIMER, PUBLIC, tenderRoom } from './tenders.constants.ts'
import { createTenderDrafts } from './tenders.drafts.ts'
import { TenderNotFound, TenderStateInvalid } from './tenders.errors.ts'
import { createTenderObjections } from './tenders.objections.ts'
import { createTenderPublication, documentView } from './tenders.publication.ts'
import { createTenderQuestions } from './tenders.questions.ts'
import { createTenderRegistrations } from './tenders.registrations.ts'
import { createTenderWork } from './tenders.work.ts'
import * as repo from './tenders.repository.ts'
import { canTransition, type TimingFinding } from './tenders.rules.ts'
import type { TenderStatus, TenderView } from './tenders.schemas.ts'

export interface TendersDeps {
  db: Database
  audit: Audit
  clock: Clock
  calendar: Calendar
  timers: Timers
  live: Live
  store: Store
  projects: ProjectsService
  fees: FeesService
  payments: PaymentsService
  escrows: EscrowsService
  log: FastifyBaseLogger
}

export { DEADLINE_TIMER, ISSUE_TIMER, OBJECTION_TIMER, tenderRoom } from './tenders.constants.ts'
export { documentView } from './tenders.publication.ts'

export type TransitionHandler = (tx: Transaction, tender: repo.TenderRow) => Promise<void>

/** The reads every use case shares, lent to the files beside this one (tenders.<case>.ts). */
export interface TenderReads {
  view: (on: Queryable, tender: repo.TenderRow, project: ProjectRow) => Promise<TenderView>
  views: (on: Queryable, rows: repo.TenderRow[]) => Promise<TenderView[]>
  projectOf: (on: Queryable, tender: repo.TenderRow) => Promise<ProjectRow>
  visibleTender: (principal: Principal | null, tenderId: string, on?: Queryable, lock?: 'update' | 'share') => Promise<{ tender: repo.TenderRow, project: ProjectRow }>
  ownTender: (actor: Actor, tenderId: string, on?: Queryable, lock?: 'update' | 'share') => Promise<{ tender: repo.TenderRow, project: ProjectRow }>
  isParty: (principal: Principal | null, project: ProjectRow) => boolean
  oversees: (principal: Principal | null, project: ProjectRow) => boolean
}

export function createTendersService (deps: TendersDeps) {
  const { db, audit, clock, timers, live, projects, escrows } = deps
  const transitionHandlers = new Map<TenderStatus, TransitionHandler[]>()
  // the use cases live beside this file; the reads they borrow are declared below
  const reads: TenderReads = { view, views, projectOf, visibleTender, ownTender, isParty, oversees }
  const { createTender, updateDraft } = createTenderDrafts({ ...deps, ...reads })
  const { publish, issueDocument, applyChange } = createTenderPublication({ ...deps, ...reads })
  const { register, myRegistration, myTenders, openDocument, participation, documentHolder, registrationsOf } = createTenderRegistrations({ ...deps, ...reads })
  const { ask, answerQuestion, listQuestions } = createTenderQuestions({ ...deps, ...reads, documentHolder, applyChange })
  const { object, answerObjection, listObjections } = createTenderObjections({ ...deps, ...reads, documentHolder })
  const { upcomingOpenings, pendingAnswers } = createTenderWork({ ...deps, ...reads })

  async function view (on: Queryable, tender: repo.TenderRow, project: ProjectRow): Promise<TenderView> {
    const [documents, venueName, escrow] = await Promise.all([
      repo.documentsOf(on, tender.id),
      tender.bookingId ? projects.venueNameOfBooking(tender.bookingId, on) : null,
      tender.escrowId ? escrows.publicInfo(tender.escrowId, on) : null
    ])
    return {
      id: tender.id,
      code: tender.code,
      projectId: project.id,
      projectCode: project.code,
      projectName: project.name,
      tradeType: project.tradeType,
      tendererName: project.tendererName,
      agencyName: project.agencyName,
      lots: tender.lots,
      title: tender.title,
      status: tender.status,
      mandatoryTendering: tender.mandatoryTendering,
      estimateFen: Number(tender.estimateFen),
      priceCeilingFen: tender.priceCeilingFen === null ? null : Number(tender.priceCeilingFen),
      announcement: tender.announcement,
      documentsFrom: tender.documentsFrom.toISOString(),
      saleUntil: tender.saleUntil.toISOString(),
      bidDeadline: tender.bidDeadline.toISOString(),
      openingAt: tender.bidDeadline.toISOString(),
      venueName,
      bondFen: Number(tender.bondFen),
      bondFeeCode: tender.bondFeeCode,
      documentFee: tender.documentFeeCode ? { feeCode: tender.documentFeeCode, amountFen: Number(tender.documentFeeFen ?? 0n) } : null,
      maxBidBytes: tender.maxBidBytes,
      openingFields: tender.openingFields as TenderView['openingFields'],
      evaluationMethod: tender.evaluationMethod as TenderView['evaluationMethod'],
      decryptionMinutes: tender.decryptionMinutes,
      escrow,
      timingWarnings: tender.timingWarnings as TimingFinding[],
      paused: tender.pausedSince !== null,
      publishedAt: tender.publishedAt?.toISOString() ?? null,
      closedAt: tender.closedAt?.toISOString() ?? null,
      closeReason: tender.closeReason,
      documents: documents.map(documentView)
    }
  }

  async function projectOf (on: Queryable, tender: repo.TenderRow): Promise<ProjectRow> {
    return (await projects.projectRows([tender.projectId], on)).get(tender.projectId)!
  }

  async function views (on: Queryable, rows: repo.TenderRow[]): Promise<TenderView[]> {
    const parents = await projects.projectRows(rows.map((row) => row.projectId), on)
    return Promise.all(rows.map((row) => view(on, row, parents.get(row.projectId)!)))
  }

  function oversees (principal: Principal | null, project: ProjectRow): boolean {
    return principal !== null && overseesProjects(principal, project)
  }

  function isParty (principal: Principal | null, project: ProjectRow): boolean {
    return principal !== null && isProjectParty(principal, project)
  }

  /**
   * A tender as the caller may see it: once published it is public; a draft (or a draft that was
   * cancelled unpublished) only to its parties and officials.
   */
  async function visibleTender (principal: Principal | null, tenderId: string, on: Queryable = db, lock?: 'update' | 'share') {
    const tender = await repo.findTender(on, tenderId, lock)
    if (!tender) throw new TenderNotFound(tenderId)
    const project = await projectOf(on, tender)
    if (tender.publishedAt === null && !isParty(principal, project) && !oversees(principal, project)) throw new TenderNotFound(tenderId)
    return { tender, project }
  }

  /** A tender of the caller's own project (tenderer or agency); 404 for anyone else. */
  async function ownTender (actor: Actor, tenderId: string, on: Queryable = db, lock?: 'update' | 'share') {
    const tender = await repo.findTender(on, tenderId, lock)
    if (!tender) throw new TenderNotFound(tenderId)
    const project = await projectOf(on, tender)
    if (!isParty(actor.principal, project)) throw new TenderNotFound(tenderId)
    return { tender, project }
  }

  async function getTender (principal: Principal | null, tenderId: string): Promise<TenderView> {
    const { tender, project } = await visibleTender(principal, tenderId)
    return view(db, tender, project)
  }

  /** Published tenders for everyone; with `mine`, the caller's own (drafts included). */
  async function listTenders (principal: Principal | null, query: { mine?: boolean, status?: TenderStatus, tradeType?: ProjectRow['tradeType'], limit?: number, offset?: number }): Promise<TenderView[]> {
    const mine = query.mine && principal ? await projects.listProjectsOf(principal) : null
    const ofType = query.tradeType ? await projects.projectIdsOfTradeType(query.tradeType) : null
    const projectIds = mine && ofType ? mine.filter((id) => ofType.includes(id)) : mine ?? ofType ?? undefined
    const rows = await repo.listTenders(db, { published: mine === null, projectIds, status: query.status }, query.limit ?? 50, query.offset ?? 0)
    return views(db, rows)
  }

  /** Moves a tender along its state machine (later modules: opening, evaluation, award). */
  async function transitionTender (tx: Transaction, actor: Actor | null, tenderId: string, to: TenderStatus, payload: Record<string, unknown> = {}): Promise<repo.TenderRow> {
    const tender = await repo.findTender(tx, tenderId, 'update')
    if (!tender) throw new TenderNotFound(tenderId)
    if (!canTransition(tender.status, to)) throw new TenderStateInvalid(tender.status, `it cannot become ${to}`)
    const closing = to === 'cancelled' || to === 'failed'
    const updated = await repo.updateTender(tx, tenderId, { status: to, ...(closing ? { closedAt: clock.now(), closeReason: String(payload.reason ?? '') } : {}) })
    await audit.append(tx, auditRecord(actor, `tender.${to}`, 'tender', tenderId, { from: tender.status, ...payload }))
    await live.append(tx, tenderRoom(tenderId), { type: `tender.${to}`, data: { from: tender.status, ...payload }, audience: PUBLIC })
    for (const handler of transitionHandlers.get(to) ?? []) await handler(tx, updated)
    return updated
  }

  /** Later modules act in the transaction that moves a tender (the opening freezes its bids). */
  function onTransition (to: TenderStatus, handler: TransitionHandler): void {
    transitionHandlers.set(to, [...transitionHandlers.get(to) ?? [], handler])
  }

  async function cancel (actor: Actor, tenderId: string, reason: string): Promise<TenderView> {
    return db.transaction(async (tx) => {
      const { project } = await ownTender(actor, tenderId, tx, 'update')
      const cancelled = await transitionTender(tx, actor, tenderId, 'cancelled', { reason })
      if (cancelled.bookingId) await projects.releaseBooking(tx, cancelled.bookingId)
      await timers.cancel(tx, `${DEADLINE_TIMER}:${tenderId}`)
      await timers.cancel(tx, `${ISSUE_TIMER}:${tenderId}`)
      return view(tx, cancelled, project)
    })
  }

  /**
   * At the deadline bids freeze and the tender moves to its opening. The persisted deadline
   * decides (a moved deadline re-arms the timer); a paused tender waits for the tenderer to
   * answer and move the deadline.
   */
  async function closeBidding (tx: Transaction, tenderId: string): Promise<void> {
    const tender = await repo.findTender(tx, tenderId, 'update')
    if (!tender || tender.status !== 'bidding' || tender.bidDeadline.getTime() > clock.now().getTime()) return
    if (tender.pausedSince) {
      await audit.append(tx, auditRecord(null, 'tender.deadline_reached_while_paused', 'tender', tenderId, { pausedSince: tender.pausedSince.toISOString() }))
      await live.append(tx, tenderRoom(tenderId), { type: 'tender.deadline_reached_while_paused', data: {}, audience: PUBLIC })
      return
    }
    await transitionTender(tx, null, tenderId, 'opening', { bidDeadline: tender.bidDeadline.toISOString() })
  }

  async function issueDocuments (tx: Transaction, tenderId: string): Promise<void> {
    const tender = await repo.findTender(tx, tenderId, 'update')
    if (!tender || tender.status !== 'published' || tender.documentsFrom.getTime() > clock.now().getTime()) return
    await transitionTender(tx, null, tenderId, 'bidding', {})
  }

  timers.define(DEADLINE_TIMER, async (tx, timer) => { await closeBidding(tx, (timer.payload as { tenderId: string }).tenderId) })
  timers.define(ISSUE_TIMER, async (tx, timer) => { await issueDocuments(tx, (timer.payload as { tenderId: string }).tenderId) })

  return {
    createTender,
    updateDraft,
    getTender,
    listTenders,
    publish,
    issueDocument,
    register,
    myRegistration,
    myTenders,
    openDocument,
    participation,
    ask,
    answerQuestion,
    listQuestions,
    object,
    answerObjection,
    listObjections,
    upcomingOpenings,
    pendingAnswers,
    cancel,
    transitionTender,
    onTransition,
    documentHolder,
    registrationsOf,
    visibleTender,
    ownTender,
    isParty,
    oversees
  }
}

export type TendersService = ReturnType<typeof createTendersService>
