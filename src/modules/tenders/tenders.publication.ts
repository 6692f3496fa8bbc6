/**
 * Publication and what changes after it: the draft goes out under the statutory timing engine,
 * then documents are issued as clarifications and amendments, each of which may move the
 * deadline (with the opening slot and the escrow).
 */
import type { Readable } from 'node:stream'
import type { Actor } from '../../lib/actor.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Transaction } from '../../plugins/db.ts'
import { DEADLINE_TIMER, ISSUE_TIMER, PUBLIC, tenderRoom } from './tenders.constants.ts'
import { DeadlineMayOnlyMoveLater, DocumentsMissing, ProjectNotScheduled, TenderInvalid, TenderStateInvalid, TimingRuleViolated } from './tenders.errors.ts'
import * as repo from './tenders.repository.ts'
import { FREEZE_GRACE_MS, changeFindings, publicationFindings, statusAtPublication, type TimingFinding } from './tenders.rules.ts'
import type { DocumentFields, DocumentView, TenderStatus, TenderView } from './tenders.schemas.ts'
import type { TenderReads, TendersDeps } from './tenders.service.ts'

interface EscrowPlan { threshold: number, custodians: string[] }

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

export type TenderPublicationDeps = Pick<TendersDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'timers' | 'live' | 'store' | 'projects' | 'escrows' | 'log'> & Pick<TenderReads, 'view' | 'ownTender'>

export function createTenderPublication ({ db, audit, clock, calendar, timers, live, store, projects, escrows, log, view, ownTender }: TenderPublicationDeps) {
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

  return { publish, issueDocument, applyChange }
}

export type TenderPublication = ReturnType<typeof createTenderPublication>
