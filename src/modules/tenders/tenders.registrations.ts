/**
 * Obtaining the documents (获取招标文件): registration during the sale period (with a document fee,
 * downloads open when its notice is paid), downloads, and who obtained them (secret until the
 * deadline). A registration with the documents in hand is what questions, objections and bids need.
 */
import type { Actor } from '../../lib/actor.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Queryable } from '../../plugins/db.ts'
import { DocumentNotFound, DocumentsNotPaid, NotRegistered, ParticipationSecret, SaleClosed, TenderNotFound } from './tenders.errors.ts'
import * as repo from './tenders.repository.ts'
import { participationIsSecret, saleIsOpen } from './tenders.rules.ts'
import type { RegistrationView } from './tenders.schemas.ts'
import type { TenderReads, TendersDeps } from './tenders.service.ts'

export type TenderRegistrationsDeps = Pick<TendersDeps, 'db' | 'audit' | 'clock' | 'store' | 'payments'> & Pick<TenderReads, 'views' | 'visibleTender' | 'isParty' | 'oversees'>

export function createTenderRegistrations ({ db, audit, clock, store, payments, views, visibleTender, isParty, oversees }: TenderRegistrationsDeps) {
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

  payments.onPaid('tender_document', async (tx, event) => {
    const opened = await repo.openDocumentsByNotice(tx, event.noticeId, event.paidAt)
    if (opened) await audit.append(tx, auditRecord(null, 'tender.documents_paid', 'tender_registration', opened.id, {}))
  })

  return {
    register,
    myRegistration,
    myTenders,
    openDocument,
    participation,
    documentHolder,
    registrationsOf: async (on: Queryable, tenderId: string) => (await repo.registrationsOf(on, tenderId)).map((row) => row.registration)
  }
}

export type TenderRegistrations = ReturnType<typeof createTenderRegistrations>
