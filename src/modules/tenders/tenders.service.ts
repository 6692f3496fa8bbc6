import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import { coefficientChoices } from '../../lib/commit-reveal.ts'
import { isProjectParty, overseesProjects, type Principal } from '../../lib/policy.ts'
import { endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
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
import {
  DeadlineMayOnlyMoveLater, DecryptionWindowTooShort, DocumentNotFound, DocumentsMissing, DocumentsNotPaid, FeeItemUnsuitable, NotRegistered, ObjectionAnswered,
  ObjectionNotFound, ObjectionTooLate, ParticipationSecret, ProjectNotScheduled, QuestionAnswered, QuestionNotFound, SaleClosed,
  TenderInvalid, TenderNotFound, TenderStateInvalid, TimingRuleViolated
} from './tenders.errors.ts'
import * as repo from './tenders.repository.ts'
import {
  FREEZE_GRACE_MS, MANDATORY_MIN_DECRYPTION_MINUTES, bondFeeLine, canTransition, changeFindings, objectionAnswerDueDate, objectionCutoff, participationIsSecret, publicationFindings, saleIsOpen,
  statusAtPublication, type TimingFinding
} from './tenders.rules.ts'
import type {
  Answer, CreateTender, DocumentFields, DocumentView, ObjectionView, QuestionView, RegistrationView, TenderInput, TenderStatus, TenderView
} from './tenders.schemas.ts'

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

export const DEADLINE_TIMER = 'tenders.deadline'
export const ISSUE_TIMER = 'tenders.documents_issued'
export const OBJECTION_TIMER = 'tenders.objection_overdue'
export const tenderRoom = (tenderId: string) => `tender:${tenderId}`
const PUBLIC = { public: true } as const

interface EscrowPlan { threshold: number, custodians: string[] }
export type TransitionHandler = (tx: Transaction, tender: repo.TenderRow) => Promise<void>

export function documentView (row: repo.DocumentRow): DocumentView {
  return {
    id: row.id,
    version: row.version,
    kind: row.kind,
    title: row.title,
    body: row.body,
    fileName: row.fileName,
    size: row.size,
    sha256: row.sha256,
    affectsBids: row.affectsBids,
    deadlineBefore: row.deadlineBefore?.toISOString() ?? null,
    deadlineAfter: row.deadlineAfter?.toISOString() ?? null,
    issuedAt: row.issuedAt.toISOString()
  }
}

export function createTendersService (deps: TendersDeps) {
  const { db, audit, clock, calendar, timers, live, store, projects, fees, payments, escrows, log } = deps
  const transitionHandlers = new Map<TenderStatus, TransitionHandler[]>()

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

  /** Prices the fees a tender names now, so a wrong fee item is refused when the draft is saved. */
  async function priceFees (input: TenderInput): Promise<{ documentFeeFen: bigint | null }> {
    if (input.bond) {
      const [line] = await fees.quote([bondFeeLine(input.bond.feeCode, BigInt(input.bond.amountFen))])
      if (line!.category !== 'deposit' || line!.amountFen !== BigInt(input.bond.amountFen)) {
        throw new FeeItemUnsuitable(`Fee item ${input.bond.feeCode} does not price a bid bond of ${input.bond.amountFen} fen (it must be a deposit item whose formula is its amount parameter)`)
      }
    }
    if (!input.documentFeeCode) return { documentFeeFen: null }
    const [line] = await fees.quote([{ code: input.documentFeeCode }])
    if (line!.category !== 'non_tax') throw new FeeItemUnsuitable(`Fee item ${input.documentFeeCode} is not a fee (it is a deposit)`)
    return { documentFeeFen: line!.amountFen }
  }

  function draftValues (input: TenderInput, project: ProjectRow, lots: Array<{ number: number, estimateFen: bigint }>) {
    const chosen = input.lots ?? []
    const unknown = chosen.filter((number) => !lots.some((lot) => lot.number === number))
    if (unknown.length > 0) throw new TenderInvalid(`The project has no lot ${unknown.join(', ')}`)
    const estimateFen = chosen.length > 0 ? lots.filter((lot) => chosen.includes(lot.number)).reduce((sum, lot) => sum + lot.estimateFen, 0n) : project.estimateFen
    if (input.escrow && (input.escrow.threshold > input.escrow.custodians.length || new Set(input.escrow.custodians).size !== input.escrow.custodians.length)) {
      throw new TenderInvalid('The escrow needs distinct custodians, at least as many as its threshold')
    }
    const decryptionMinutes = input.decryptionMinutes ?? 60
    if (project.mandatoryTendering && decryptionMinutes < MANDATORY_MIN_DECRYPTION_MINUTES) throw new DecryptionWindowTooShort(MANDATORY_MIN_DECRYPTION_MINUTES)
    const keys = input.openingFields.map((field) => field.key)
    if (new Set(keys).size !== keys.length) throw new TenderInvalid('Opening field keys must be distinct')
    if (input.evaluationMethod.coefficientK) {
      try {
        coefficientChoices(input.evaluationMethod.coefficientK)
      } catch {
        throw new TenderInvalid('The coefficient K needs min ≤ max with (max − min) a multiple of step')
      }
    }
    return {
      lots: chosen,
      title: input.title,
      estimateFen,
      priceCeilingFen: project.priceCeilingFen,
      announcement: input.announcement,
      documentsFrom: new Date(input.documentsFrom),
      saleUntil: new Date(input.saleUntil),
      bidDeadline: new Date(input.bidDeadline),
      bondFen: BigInt(input.bond?.amountFen ?? 0),
      bondFeeCode: input.bond?.feeCode ?? null,
      documentFeeCode: input.documentFeeCode ?? null,
      maxBidBytes: (input.maxBidMegabytes ?? 200) * 1024 * 1024,
      openingFields: input.openingFields,
      evaluationMethod: input.evaluationMethod,
      decryptionMinutes,
      escrowPlan: input.escrow ?? null
    }
  }

  async function createTender (actor: Actor, input: CreateTender): Promise<TenderView> {
    const project = await projects.ownProject(actor, input.projectId)
    if (project.status !== 'accepted') throw new TenderInvalid('The hall has not accepted the project into the trading schedule yet')
    const lots = await projects.lotsOf(project.id)
    const values = draftValues(input, project, lots)
    const { documentFeeFen } = await priceFees(input)
    return db.transaction(async (tx) => {
      // one project's tenders are numbered one at a time
      await repo.lockProjectNumbering(tx, project.id)
      const number = await repo.nextTenderNumber(tx, project.id)
      const tender = await repo.insertTender(tx, {
        ...values,
        documentFeeFen,
        code: `${project.code}-${String(number).padStart(2, '0')}`,
        projectId: project.id,
        mandatoryTendering: project.mandatoryTendering,
        createdBy: actor.principal.accountId
      })
      await audit.append(tx, auditRecord(actor, 'tender.drafted', 'tender', tender.id, { code: tender.code, projectId: project.id }))
      return view(tx, tender, project)
    })
  }

  async function updateDraft (actor: Actor, tenderId: string, input: TenderInput): Promise<TenderView> {
    const { project } = await ownTender(actor, tenderId)
    const lots = await projects.lotsOf(project.id)
    const values = draftValues(input, project, lots)
    const { documentFeeFen } = await priceFees(input)
    return db.transaction(async (tx) => {
      const { tender } = await ownTender(actor, tenderId, tx, 'update')
      if (tender.status !== 'draft') throw new TenderStateInvalid(tender.status, 'only a draft can be edited; publish clarifications or amendments instead')
      const updated = await repo.updateTender(tx, tenderId, { ...values, documentFeeFen })
      await audit.append(tx, auditRecord(actor, 'tender.draft_updated', 'tender', tenderId, {}))
      return view(tx, updated, project)
    })
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

  /**
   * Publication: the announcement, documents, declared opening fields, bond and escrow go out
   * together. Statutory timing blocks a mandatory tender and is recorded as warnings otherwise.
   */
  async function publish (actor: Actor, tenderId: string): Promise<TenderView> {
    const { tender: draft } = await ownTender(actor, tenderId)
    timingOfPublication(draft, clock.now())
    // key generation and its own transaction, before ours; an escrow left over by a failed
    // publication is never used (the tender records the one it published with)
    const plan = draft.escrowPlan as EscrowPlan | null
    const escrow = plan ? await escrows.createEscrow(actor, { reference: `tender:${draft.id}`, threshold: plan.threshold, custodians: plan.custodians, notBefore: draft.bidDeadline.toISOString() }) : null
    const published = await db.transaction(async (tx) => {
      const { tender, project } = await ownTender(actor, tenderId, tx, 'update')
      const now = clock.now()
      const findings = timingOfPublication(tender, now)
      if (tender.bidDeadline.getTime() !== draft.bidDeadline.getTime()) throw new TenderStateInvalid(tender.status, 'the draft changed while it was being published; try again')
      if ((await repo.documentsOf(tx, tenderId)).every((document) => document.kind !== 'tender_documents')) throw new DocumentsMissing()
      const booking = await projects.placeOpening(tx, { projectId: project.id, bookingId: null, heldBookingIds: await repo.bookingHeldBy(tx, project.id, tenderId), startsAt: tender.bidDeadline })
      if (!booking) throw new ProjectNotScheduled()
      const status = statusAtPublication(tender.documentsFrom, now)
      const updated = await repo.updateTender(tx, tenderId, { status, publishedAt: now, bookingId: booking.id, escrowId: escrow?.id ?? null, timingWarnings: findings })
      await audit.append(tx, auditRecord(actor, 'tender.published', 'tender', tenderId, { status, bidDeadline: tender.bidDeadline.toISOString(), bookingId: booking.id, escrowId: escrow?.id ?? null }))
      const violations = findings.filter((finding) => finding.severity === 'violation')
      if (violations.length > 0) await audit.append(tx, auditRecord(actor, 'tender.timing_warned', 'tender', tenderId, { rules: violations.map((finding) => finding.rule) }))
      await timers.schedule(tx, { kind: DEADLINE_TIMER, key: `${DEADLINE_TIMER}:${tenderId}`, fireAt: new Date(tender.bidDeadline.getTime() + FREEZE_GRACE_MS), payload: { tenderId } })
      if (status === 'published') await timers.schedule(tx, { kind: ISSUE_TIMER, key: `${ISSUE_TIMER}:${tenderId}`, fireAt: tender.documentsFrom, payload: { tenderId } })
      await live.append(tx, tenderRoom(tenderId), { type: 'tender.published', data: { code: tender.code, status, bidDeadline: tender.bidDeadline.toISOString() }, audience: PUBLIC })
      return view(tx, updated, project)
    })
    log.info({ tenderId }, 'tender published')
    return published
  }

  /** The timing findings of publishing `tender` now; throws when they block it. */
  function timingOfPublication (tender: repo.TenderRow, now: Date): TimingFinding[] {
    if (tender.status !== 'draft') throw new TenderStateInvalid(tender.status, 'only a draft can be published')
    if (tender.documentsFrom.getTime() < now.getTime() - 60 * 60_000) throw new TenderInvalid('The documents cannot be issued in the past: set documentsFrom to now or later')
    const findings = publicationFindings(calendar.current(), {
      now, documentsFrom: tender.documentsFrom, saleUntil: tender.saleUntil, bidDeadline: tender.bidDeadline, estimateFen: tender.estimateFen, bondFen: tender.bondFen
    })
    throwIfBlocked(tender, findings)
    return findings
  }

  /** Violations block a mandatory tender; a deadline already past blocks every tender. */
  function throwIfBlocked (tender: repo.TenderRow, findings: TimingFinding[]): void {
    const violations = findings.filter((finding) => finding.severity === 'violation' && (tender.mandatoryTendering || finding.rule === 'DEADLINE_IN_PAST'))
    if (violations.length > 0) throw new TimingRuleViolated(violations[0]!.rule, violations[0]!.message, findings)
  }

  /**
   * A clarification or amendment after publication: one that affects bids must leave 15 days to
   * the deadline, or move the deadline (the opening slot and the escrow move with it).
   */
  async function applyChange (tx: Transaction, actor: Actor, tender: repo.TenderRow, change: { affectsBids: boolean, newBidDeadline?: string }) {
    const now = clock.now()
    const newDeadline = change.newBidDeadline ? new Date(change.newBidDeadline) : null
    if (newDeadline && newDeadline.getTime() <= tender.bidDeadline.getTime()) throw new DeadlineMayOnlyMoveLater()
    const deadline = newDeadline ?? tender.bidDeadline
    const findings = changeFindings(calendar.current(), { at: now, affectsBids: change.affectsBids, bidDeadline: deadline })
    throwIfBlocked(tender, findings)
    const violations = findings.filter((finding) => finding.severity === 'violation')
    let updated = tender
    if (violations.length > 0) {
      updated = await repo.updateTender(tx, tender.id, { timingWarnings: [...tender.timingWarnings as TimingFinding[], ...violations] })
      await audit.append(tx, auditRecord(actor, 'tender.timing_warned', 'tender', tender.id, { rules: violations.map((finding) => finding.rule) }))
    }
    if (newDeadline) updated = await moveDeadline(tx, actor, updated, newDeadline)
    return { tender: updated, deadlineBefore: newDeadline ? tender.bidDeadline : null, deadlineAfter: newDeadline }
  }

  async function moveDeadline (tx: Transaction, actor: Actor, tender: repo.TenderRow, deadline: Date): Promise<repo.TenderRow> {
    const booking = await projects.placeOpening(tx, { projectId: tender.projectId, bookingId: tender.bookingId, heldBookingIds: [], startsAt: deadline })
    if (!booking) throw new ProjectNotScheduled()
    if (tender.escrowId) await escrows.postpone(tx, tender.escrowId, deadline)
    const updated = await repo.updateTender(tx, tender.id, { bidDeadline: deadline })
    await timers.schedule(tx, { kind: DEADLINE_TIMER, key: `${DEADLINE_TIMER}:${tender.id}`, fireAt: new Date(deadline.getTime() + FREEZE_GRACE_MS), payload: { tenderId: tender.id } })
    await audit.append(tx, auditRecord(actor, 'tender.deadline_moved', 'tender', tender.id, { from: tender.bidDeadline.toISOString(), to: deadline.toISOString() }))
    await live.append(tx, tenderRoom(tender.id), { type: 'tender.deadline_moved', data: { bidDeadline: deadline.toISOString() }, audience: PUBLIC })
    return updated
  }

  /**
   * Issues a document: the tender documents while drafting, clarifications and amendments after
   * publication. The file is stored (SHA-256 on the way in) before the transaction and removed
   * again if the transaction refuses it.
   */
  async function issueDocument (actor: Actor, tenderId: string, fields: DocumentFields, file: { name: string, stream: Readable } | null): Promise<DocumentView> {
    const { tender: before } = await ownTender(actor, tenderId)
    const phaseProblem = documentPhaseProblem(before.status, fields.kind)
    if (phaseProblem) throw new TenderStateInvalid(before.status, phaseProblem)
    if (fields.kind === 'tender_documents' && !file) throw new TenderInvalid('The tender documents need a file')
    if (!file && !fields.body) throw new TenderInvalid('A clarification needs a file or a text')
    const key = `tenders/${tenderId}/${crypto.randomUUID()}`
    const stored = file ? await store.put(key, file.stream, { contentType: 'application/octet-stream', maxBytes: 512 * 1024 * 1024 }) : null
    try {
      const issued = await db.transaction(async (tx) => {
        const { tender } = await ownTender(actor, tenderId, tx, 'update')
        const problem = documentPhaseProblem(tender.status, fields.kind)
        if (problem) throw new TenderStateInvalid(tender.status, problem)
        const change = tender.status === 'draft'
          ? { deadlineBefore: null, deadlineAfter: null }
          : await applyChange(tx, actor, tender, { affectsBids: fields.affectsBids ?? false, newBidDeadline: fields.newBidDeadline })
        const document = await repo.insertDocument(tx, {
          tenderId,
          kind: fields.kind,
          title: fields.title,
          body: fields.body ?? '',
          fileName: file?.name ?? null,
          blobKey: stored ? key : null,
          size: stored?.size ?? null,
          sha256: stored?.sha256 ?? null,
          affectsBids: fields.affectsBids ?? false,
          deadlineBefore: change.deadlineBefore,
          deadlineAfter: change.deadlineAfter,
          issuedBy: actor.principal.accountId,
          issuedAt: clock.now()
        })
        await audit.append(tx, auditRecord(actor, 'tender.document_issued', 'tender', tenderId, { documentId: document.id, version: document.version, kind: document.kind, sha256: document.sha256 }))
        if (tender.status !== 'draft') {
          await live.append(tx, tenderRoom(tenderId), { type: 'tender.document_issued', data: { documentId: document.id, version: document.version, kind: document.kind, title: document.title }, audience: PUBLIC })
        }
        return document
      })
      if (stored) await store.retain(key)
      return documentView(issued)
    } catch (error) {
      if (stored) await store.delete(key).catch(() => {})
      throw error
    }
  }

  function documentPhaseProblem (status: TenderStatus, kind: DocumentView['kind']): string | null {
    if (status === 'draft') return kind === 'tender_documents' ? null : 'clarifications and amendments follow publication'
    if (status === 'published' || status === 'bidding') return kind === 'tender_documents' ? 'after publication the documents change only by clarification or amendment' : null
    return 'documents are issued only until the bid deadline'
  }

  /**
   * A potential bidder obtains the documents (购买/下载招标文件) during the sale period. With a
   * document fee, a payment notice is issued and downloads open when it is paid.
   */
  async function register (actor: Actor, tenderId: string): Promise<RegistrationView> {
    const { tender } = await visibleTender(actor.principal, tenderId)
    if (!saleIsOpen(tender, clock.now())) throw new SaleClosed()
    const registration = await db.transaction(async (tx) => {
      const { tender: current } = await visibleTender(actor.principal, tenderId, tx, 'share')
      const now = clock.now()
      if (!saleIsOpen(current, now)) throw new SaleClosed()
      const existing = await repo.findRegistration(tx, tenderId, actor.principal.accountId)
      if (existing) return existing
      const inserted = await repo.insertRegistration(tx, {
        tenderId, bidderId: actor.principal.accountId, bidderName: actor.principal.displayName, registeredAt: now, documentsOpenAt: current.documentFeeCode ? null : now
      })
      // a concurrent copy of this request registered first (a double click): answer that one
      if (!inserted) return (await repo.findRegistration(tx, tenderId, actor.principal.accountId))!
      let row = inserted
      if (current.documentFeeCode) {
        const notice = await payments.createNotice(null, {
          purpose: 'tender_document',
          // the reference names the registration, not the tender: finance lists of notices must not
          // count a tender's bidders before the deadline
          reference: `tender_registration:${row.id}`,
          payer: { accountId: actor.principal.accountId, name: actor.principal.displayName },
          lines: [{ code: current.documentFeeCode }]
        }, { tx })
        row = await repo.setRegistrationNotice(tx, row.id, notice.id)
      }
      // neither the bidder nor the tender: who obtained the documents, and how many did, stays
      // secret until the deadline (Art. 20); the registration row links them
      await audit.append(tx, auditRecord(null, 'tender.documents_obtained', 'tender_registration', row.id, {}))
      return row
    })
    return registrationView(registration)
  }

  async function registrationView (row: repo.RegistrationRow): Promise<RegistrationView> {
    return (await registrationViews([row]))[0]!
  }

  /** Registrations with their document-fee notices, read in one query. */
  async function registrationViews (rows: repo.RegistrationRow[]): Promise<RegistrationView[]> {
    const notices = await payments.noticeStates(rows.flatMap((row) => row.documentNoticeId ? [row.documentNoticeId] : []))
    return rows.map((row) => {
      const notice = row.documentNoticeId ? notices.get(row.documentNoticeId) : undefined
      return {
        id: row.id,
        tenderId: row.tenderId,
        registeredAt: row.registeredAt.toISOString(),
        documentsOpen: row.documentsOpenAt !== null,
        documentNotice: notice ? { id: notice.id, code: notice.code, totalFen: Number(notice.totalFen), status: notice.status } : null
      }
    })
  }

  async function myRegistration (actor: Actor, tenderId: string): Promise<RegistrationView> {
    await visibleTender(actor.principal, tenderId)
    const row = await repo.findRegistration(db, tenderId, actor.principal.accountId)
    if (!row) throw new NotRegistered()
    return registrationView(row)
  }

  async function myTenders (actor: Actor) {
    const rows = await repo.registrationsOfBidder(db, actor.principal.accountId)
    const [tenderViews, registrations] = await Promise.all([views(db, rows.map((row) => row.tender)), registrationViews(rows.map((row) => row.registration))])
    return rows.map((row, index) => ({ tender: tenderViews[index]!, registration: registrations[index]! }))
  }

  /**
   * A document's bytes: for the tender's parties and officials, and for bidders who obtained the
   * documents. A bidder's download is logged (append-only), never shown before the deadline.
   */
  async function openDocument (actor: Actor, tenderId: string, documentId: string) {
    const { project } = await visibleTender(actor.principal, tenderId)
    const document = await repo.findDocument(db, tenderId, documentId)
    if (!document || !document.blobKey) throw new DocumentNotFound(documentId)
    if (!isParty(actor.principal, project) && !oversees(actor.principal, project)) {
      const registration = await repo.findRegistration(db, tenderId, actor.principal.accountId)
      if (!registration) throw new NotRegistered()
      if (!registration.documentsOpenAt) throw new DocumentsNotPaid()
      await repo.insertDownload(db, registration.id, document.id)
    }
    return { stream: await store.get(document.blobKey), fileName: document.fileName ?? `${document.id}.bin`, size: document.size!, sha256: document.sha256! }
  }

  /** Who obtained the documents and how often they downloaded: only once the deadline passed. */
  async function participation (actor: Actor, tenderId: string) {
    const { tender, project } = await visibleTender(actor.principal, tenderId)
    if (!isParty(actor.principal, project) && !oversees(actor.principal, project)) throw new TenderNotFound(tenderId)
    if (participationIsSecret(tender, clock.now())) throw new ParticipationSecret()
    const rows = await repo.registrationsOf(db, tenderId)
    return {
      tenderId,
      registrations: rows.map(({ registration, downloads }) => ({
        bidderId: registration.bidderId, bidderName: registration.bidderName, registeredAt: registration.registeredAt.toISOString(), documentsOpen: registration.documentsOpenAt !== null, downloads
      }))
    }
  }

  /**
   * A registered bidder with the documents in hand, for questions, objections and bids: two
   * primary-key reads (a registration exists only for a published tender). With a lock the tender
   * row is held shared (a deadline move or cancellation waits) and the bidder's registration
   * exclusively, so one bidder's actions on a tender queue up.
   */
  async function documentHolder (actor: Actor, tenderId: string, on: Queryable = db, lock?: 'update' | 'share') {
    const tender = await repo.findTender(on, tenderId, lock)
    const registration = tender ? await repo.findRegistration(on, tenderId, actor.principal.accountId, { forUpdate: lock !== undefined }) : undefined
    if (!tender || (!registration && tender.publishedAt === null)) throw new TenderNotFound(tenderId)
    if (!registration) throw new NotRegistered()
    if (!registration.documentsOpenAt) throw new DocumentsNotPaid()
    return { tender, registration }
  }

  function questionView (row: repo.QuestionRow, principal: Principal): QuestionView {
    return {
      id: row.id,
      tenderId: row.tenderId,
      question: row.question,
      askedAt: row.askedAt.toISOString(),
      answer: row.answer,
      answeredAt: row.answeredAt?.toISOString() ?? null,
      clarificationId: row.clarificationId,
      mine: row.askerId === principal.accountId
    }
  }

  /** Bidders ask anonymously: the asker is stored for the asker alone and named nowhere else. */
  async function ask (actor: Actor, tenderId: string, question: string): Promise<QuestionView> {
    const row = await db.transaction(async (tx) => {
      const { tender } = await documentHolder(actor, tenderId, tx, 'share')
      if (tender.status !== 'bidding' || clock.now().getTime() >= tender.bidDeadline.getTime()) throw new TenderStateInvalid(tender.status, 'questions are asked until the bid deadline')
      const project = await projectOf(tx, tender)
      const inserted = await repo.insertQuestion(tx, { tenderId, askerId: actor.principal.accountId, question, askedAt: clock.now() })
      await audit.append(tx, auditRecord(null, 'tender.question_asked', 'tender', tenderId, { questionId: inserted.id }))
      await live.append(tx, tenderRoom(tenderId), { type: 'tender.question_asked', data: { questionId: inserted.id }, audience: { parties: [project.registeredBy], roles: ['supervisor'] } })
      return inserted
    })
    return questionView(row, actor.principal)
  }

  /** The answer goes to every registered bidder as a clarification (and may move the deadline). */
  async function answerQuestion (actor: Actor, questionId: string, input: Answer): Promise<QuestionView> {
    const question = await repo.findQuestion(db, questionId)
    if (!question) throw new QuestionNotFound(questionId)
    await ownTender(actor, question.tenderId).catch((error: unknown) => { throw error instanceof TenderNotFound ? new QuestionNotFound(questionId) : error })
    const row = await db.transaction(async (tx) => {
      const { tender } = await ownTender(actor, question.tenderId, tx, 'update')
      if (tender.status !== 'published' && tender.status !== 'bidding') throw new TenderStateInvalid(tender.status, 'answers are issued until the bid deadline')
      const current = (await repo.findQuestion(tx, questionId, { forUpdate: true }))!
      if (current.answeredAt) throw new QuestionAnswered()
      const change = await applyChange(tx, actor, tender, { affectsBids: input.affectsBids ?? false, newBidDeadline: input.newBidDeadline })
      const asked = await repo.questionsOf(tx, tender.id)
      const clarification = await repo.insertDocument(tx, {
        tenderId: tender.id,
        kind: 'clarification',
        title: `答疑 ${asked.findIndex((candidate) => candidate.id === questionId) + 1}`,
        body: `问：${current.question}\n答：${input.answer}`,
        affectsBids: input.affectsBids ?? false,
        deadlineBefore: change.deadlineBefore,
        deadlineAfter: change.deadlineAfter,
        issuedBy: actor.principal.accountId,
        issuedAt: clock.now()
      })
      const answered = await repo.answerQuestion(tx, questionId, { answer: input.answer, answeredBy: actor.principal.accountId, answeredAt: clock.now(), clarificationId: clarification.id })
      await audit.append(tx, auditRecord(actor, 'tender.question_answered', 'tender', tender.id, { questionId, clarificationId: clarification.id, version: clarification.version }))
      await live.append(tx, tenderRoom(tender.id), { type: 'tender.document_issued', data: { documentId: clarification.id, version: clarification.version, kind: 'clarification', title: clarification.title }, audience: PUBLIC })
      await live.append(tx, tenderRoom(tender.id), { type: 'tender.question_answered', data: { questionId, question: current.question, answer: input.answer }, audience: { parties: await repo.registeredBidderIds(tx, tender.id), roles: ['supervisor'] } })
      return answered
    })
    return questionView(row, actor.principal)
  }

  /** Parties and officials see every question (never the asker); a bidder sees the answered ones and its own. */
  async function listQuestions (actor: Actor, tenderId: string): Promise<QuestionView[]> {
    const { project } = await visibleTender(actor.principal, tenderId)
    const rows = await repo.questionsOf(db, tenderId)
    if (isParty(actor.principal, project) || oversees(actor.principal, project)) return rows.map((row) => ({ ...questionView(row, actor.principal), mine: false }))
    const registration = await repo.findRegistration(db, tenderId, actor.principal.accountId)
    if (!registration) throw new NotRegistered()
    return rows.filter((row) => row.answeredAt || row.askerId === actor.principal.accountId).map((row) => questionView(row, actor.principal))
  }

  /** The objector's name only to the objector, to officials, and to the tender's parties once participation is no longer secret. */
  function objectionView (row: repo.ObjectionRow, named: boolean): ObjectionView {
    return {
      id: row.id,
      tenderId: row.tenderId,
      objectorName: named ? row.objectorName : null,
      text: row.text,
      filedAt: row.filedAt.toISOString(),
      answerDueAt: row.answerDueAt.toISOString(),
      answer: row.answer,
      answeredAt: row.answeredAt?.toISOString() ?? null
    }
  }

  /** An objection to the documents pauses the procedure until the tenderer answers it. */
  async function object (actor: Actor, tenderId: string, text: string): Promise<ObjectionView> {
    const row = await db.transaction(async (tx) => {
      // the pause is written to the tender row: hold it exclusively, so concurrent objections queue
      const { tender } = await documentHolder(actor, tenderId, tx, 'update')
      if (tender.status !== 'published' && tender.status !== 'bidding') throw new TenderStateInvalid(tender.status, 'objections to the documents are filed before the bid deadline')
      const project = await projectOf(tx, tender)
      const now = clock.now()
      const cutoff = objectionCutoff(tender.bidDeadline)
      if (shanghaiDate(now) > cutoff) throw new ObjectionTooLate(cutoff)
      const answerDueAt = endOfShanghaiDay(objectionAnswerDueDate(calendar.current(), now))
      const objection = await repo.insertObjection(tx, { tenderId, objectorId: actor.principal.accountId, objectorName: actor.principal.displayName, text, filedAt: now, answerDueAt })
      // the objector is a registered bidder, so it is named nowhere the agency reads before the deadline
      await audit.append(tx, auditRecord(null, 'tender.objection_filed', 'tender', tenderId, { objectionId: objection.id, answerDueAt: answerDueAt.toISOString() }))
      if (!tender.pausedSince) {
        await repo.updateTender(tx, tenderId, { pausedSince: now })
        await audit.append(tx, auditRecord(null, 'tender.paused', 'tender', tenderId, { objectionId: objection.id }))
        await live.append(tx, tenderRoom(tenderId), { type: 'tender.paused', data: { reason: 'objection' }, audience: PUBLIC })
      }
      await live.append(tx, tenderRoom(tenderId), { type: 'tender.objection_filed', data: { objectionId: objection.id, answerDueAt: answerDueAt.toISOString() }, audience: { parties: [project.registeredBy], roles: ['supervisor'] } })
      await timers.schedule(tx, { kind: OBJECTION_TIMER, key: `${OBJECTION_TIMER}:${objection.id}`, fireAt: answerDueAt, payload: { objectionId: objection.id } })
      return objection
    })
    return objectionView(row, true)
  }

  async function answerObjection (actor: Actor, objectionId: string, answer: string): Promise<ObjectionView> {
    const objection = await repo.findObjection(db, objectionId)
    if (!objection) throw new ObjectionNotFound(objectionId)
    await ownTender(actor, objection.tenderId).catch((error: unknown) => { throw error instanceof TenderNotFound ? new ObjectionNotFound(objectionId) : error })
    const { row, tender: answeredOn } = await db.transaction(async (tx) => {
      const { tender } = await ownTender(actor, objection.tenderId, tx, 'update')
      const current = (await repo.findObjection(tx, objectionId, { forUpdate: true }))!
      if (current.answeredAt) throw new ObjectionAnswered()
      const answered = await repo.answerObjection(tx, objectionId, { answer, answeredBy: actor.principal.accountId, answeredAt: clock.now() })
      await audit.append(tx, auditRecord(actor, 'tender.objection_answered', 'tender', tender.id, { objectionId, late: clock.now().getTime() > current.answerDueAt.getTime() }))
      await timers.cancel(tx, `${OBJECTION_TIMER}:${objectionId}`)
      await live.append(tx, tenderRoom(tender.id), { type: 'tender.objection_answered', data: { objectionId }, audience: { parties: [current.objectorId], roles: ['supervisor'] } })
      if (tender.pausedSince && await repo.pendingObjections(tx, tender.id) === 0) {
        await repo.updateTender(tx, tender.id, { pausedSince: null })
        await audit.append(tx, auditRecord(actor, 'tender.resumed', 'tender', tender.id, { pausedSince: tender.pausedSince.toISOString() }))
        await live.append(tx, tenderRoom(tender.id), { type: 'tender.resumed', data: {}, audience: PUBLIC })
        // the deadline passed during the pause and was not moved: bidding closes now
        if (tender.bidDeadline.getTime() <= clock.now().getTime()) {
          await timers.schedule(tx, { kind: DEADLINE_TIMER, key: `${DEADLINE_TIMER}:${tender.id}`, fireAt: clock.now(), payload: { tenderId: tender.id } })
        }
      }
      return { row: answered, tender }
    })
    return objectionView(row, !participationIsSecret(answeredOn, clock.now()))
  }

  async function listObjections (actor: Actor, tenderId: string): Promise<ObjectionView[]> {
    const { tender, project } = await visibleTender(actor.principal, tenderId)
    const official = oversees(actor.principal, project)
    const all = official || isParty(actor.principal, project)
    const namesOpen = official || !participationIsSecret(tender, clock.now())
    return (await repo.objectionsOf(db, tenderId, all ? undefined : actor.principal.accountId))
      .map((row) => objectionView(row, namesOpen || row.objectorId === actor.principal.accountId))
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

  async function flagOverdueObjection (tx: Transaction, objectionId: string): Promise<void> {
    const objection = await repo.findObjection(tx, objectionId)
    if (!objection || objection.answeredAt) return
    await audit.append(tx, auditRecord(null, 'tender.objection_overdue', 'tender', objection.tenderId, { objectionId, answerDueAt: objection.answerDueAt.toISOString() }))
    await live.append(tx, tenderRoom(objection.tenderId), { type: 'tender.objection_overdue', data: { objectionId }, audience: { roles: ['supervisor', 'hall_admin'] } })
  }

  timers.define(DEADLINE_TIMER, async (tx, timer) => { await closeBidding(tx, (timer.payload as { tenderId: string }).tenderId) })
  timers.define(ISSUE_TIMER, async (tx, timer) => { await issueDocuments(tx, (timer.payload as { tenderId: string }).tenderId) })
  timers.define(OBJECTION_TIMER, async (tx, timer) => { await flagOverdueObjection(tx, (timer.payload as { objectionId: string }).objectionId) })
  payments.onPaid('tender_document', async (tx, event) => {
    const opened = await repo.openDocumentsByNotice(tx, event.noticeId, event.paidAt)
    if (opened) await audit.append(tx, auditRecord(null, 'tender.documents_paid', 'tender_registration', opened.id, {}))
  })

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
    cancel,
    transitionTender,
    onTransition,
    documentHolder,
    registrationsOf: async (on: Queryable, tenderId: string) => (await repo.registrationsOf(on, tenderId)).map((row) => row.registration),
    visibleTender,
    ownTender,
    isParty,
    oversees
  }
}

export type TendersService = ReturnType<typeof createTendersService>
