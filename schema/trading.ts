import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, jsonb, pgEnum, pgSequence, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { bytea } from './columns.ts'
import { escrows } from './escrows.ts'
import { accounts } from './identity.ts'
import { paymentNotices } from './payments.ts'

export const TRADE_TYPES = [
  'construction_works', 'procurement_goods', 'procurement_services', 'procurement_works',
  'land_use_rights', 'mining_rights', 'state_property'
] as const
export const tradeType = pgEnum('trade_type', TRADE_TYPES)

export const PROJECT_STATUSES = ['registered', 'accepted', 'rejected'] as const
export const projectStatus = pgEnum('project_status', PROJECT_STATUSES)

/** Numbers in project codes, one series for the hall. */
export const projectNumbers = pgSequence('project_numbers')

/** A project entering the hall (统一进场), registered by its tenderer or agency. */
export const projects = pgTable('projects', {
  id: uuid().primaryKey().defaultRandom(),
  /** human-readable, e.g. GC-2026-00017 */
  code: text().notNull().unique(),
  tradeType: tradeType().notNull(),
  name: text().notNull(),
  tendererName: text().notNull(),
  tendererCreditCode: text().notNull(),
  agencyName: text(),
  /** budget (procurement) or estimate (works, transfers), fen */
  estimateFen: bigint({ mode: 'bigint' }).notNull(),
  priceCeilingFen: bigint({ mode: 'bigint' }),
  fundingSource: text().notNull(),
  /** 依法必须招标: statutory timing is enforced instead of warned about */
  mandatoryTendering: boolean().notNull(),
  /** the fields of the trade type (validated by its schema) */
  details: jsonb().notNull(),
  status: projectStatus().notNull().default('registered'),
  registeredBy: uuid().notNull().references(() => accounts.id),
  registeredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true }),
  rejectionReason: text()
}, (t) => [index().on(t.registeredBy), index().on(t.decidedBy), check('projects_estimate_positive', sql`${t.estimateFen} > 0`)])

export const projectLots = pgTable('project_lots', {
  projectId: uuid().notNull().references(() => projects.id),
  number: integer().notNull(),
  name: text().notNull(),
  estimateFen: bigint({ mode: 'bigint' }).notNull()
}, (t) => [unique().on(t.projectId, t.number), check('project_lots_estimate_positive', sql`${t.estimateFen} > 0`)])

/** Opening and evaluation rooms of the trading centre. */
export const venues = pgTable('venues', {
  id: uuid().primaryKey().defaultRandom(),
  code: text().notNull().unique(),
  name: text().notNull(),
  seats: integer().notNull(),
  active: boolean().notNull().default(true)
})

/**
 * The trading schedule: a room for a time slot. An exclusion constraint (migration 0006) forbids
 * two active bookings of one room that overlap.
 */
export const venueBookings = pgTable('venue_bookings', {
  id: uuid().primaryKey().defaultRandom(),
  venueId: uuid().notNull().references(() => venues.id),
  projectId: uuid().notNull().references(() => projects.id),
  startsAt: timestamp({ withTimezone: true }).notNull(),
  endsAt: timestamp({ withTimezone: true }).notNull(),
  bookedBy: uuid().notNull().references(() => accounts.id),
  bookedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  cancelledAt: timestamp({ withTimezone: true }),
  /** what the slot is for, shown in the public schedule */
  purpose: text().notNull().default('opening')
}, (t) => [index().on(t.venueId), index().on(t.projectId), index().on(t.bookedBy), check('venue_bookings_order', sql`${t.endsAt} > ${t.startsAt}`)])

export const TENDER_STATUSES = ['draft', 'published', 'bidding', 'opening', 'evaluation', 'publicity', 'awarded', 'contracted', 'cancelled', 'failed'] as const
export const tenderStatus = pgEnum('tender_status', TENDER_STATUSES)

export const tenders = pgTable('tenders', {
  id: uuid().primaryKey().defaultRandom(),
  /** human-readable, e.g. GC-2026-00017-01; sealed packages carry it in their header */
  code: text().notNull().unique(),
  projectId: uuid().notNull().references(() => projects.id),
  /** the lots this tender covers (empty: the whole project) */
  lots: integer().array().notNull().default(sql`'{}'::integer[]`),
  title: text().notNull(),
  status: tenderStatus().notNull().default('draft'),
  mandatoryTendering: boolean().notNull(),
  estimateFen: bigint({ mode: 'bigint' }).notNull(),
  priceCeilingFen: bigint({ mode: 'bigint' }),
  announcement: text().notNull(),
  /** documents issued / on sale from this instant until saleUntil */
  documentsFrom: timestamp({ withTimezone: true }).notNull(),
  saleUntil: timestamp({ withTimezone: true }).notNull(),
  /** bids close here; the opening starts at the same instant */
  bidDeadline: timestamp({ withTimezone: true }).notNull(),
  bookingId: uuid().references(() => venueBookings.id),
  bondFen: bigint({ mode: 'bigint' }).notNull().default(sql`0`),
  bondFeeCode: text(),
  documentFeeCode: text(),
  /** the document fee as priced when the tender was last saved */
  documentFeeFen: bigint({ mode: 'bigint' }),
  maxBidBytes: bigint({ mode: 'number' }).notNull(),
  /** the fields every bid declares for the opening record (price in fen, duration, …) */
  openingFields: jsonb().notNull(),
  evaluationMethod: jsonb().notNull(),
  decryptionMinutes: integer().notNull().default(60),
  /** the key escrow the draft asks for; created at publication */
  escrowPlan: jsonb(),
  escrowId: uuid().references(() => escrows.id),
  /** rule findings accepted at publication or amendment (non-mandatory tenders only) */
  timingWarnings: jsonb().notNull().default(sql`'[]'::jsonb`),
  /** an objection to the documents is unanswered: the procedure is paused */
  pausedSince: timestamp({ withTimezone: true }),
  createdBy: uuid().notNull().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  publishedAt: timestamp({ withTimezone: true }),
  closedAt: timestamp({ withTimezone: true }),
  closeReason: text()
}, (t) => [
  index().on(t.projectId), index().on(t.createdBy), index().on(t.bookingId), index().on(t.escrowId), index().on(t.status, t.bidDeadline),
  check('tenders_sale_window', sql`${t.saleUntil} > ${t.documentsFrom}`),
  check('tenders_bond_nonnegative', sql`${t.bondFen} >= 0`)
])

export const TENDER_DOCUMENT_KINDS = ['tender_documents', 'clarification', 'amendment'] as const
export const tenderDocumentKind = pgEnum('tender_document_kind', TENDER_DOCUMENT_KINDS)

/** Every document a tender issued, in order (version 1 is the tender documents); never edited. */
export const tenderDocuments = pgTable('tender_documents', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  version: integer().notNull(),
  kind: tenderDocumentKind().notNull(),
  title: text().notNull(),
  /** a clarification's text, or a note on the file */
  body: text().notNull().default(''),
  fileName: text(),
  blobKey: text(),
  size: bigint({ mode: 'number' }),
  sha256: text(),
  affectsBids: boolean().notNull().default(false),
  /** the deadline before and after this document, when it moved it */
  deadlineBefore: timestamp({ withTimezone: true }),
  deadlineAfter: timestamp({ withTimezone: true }),
  issuedBy: uuid().notNull().references(() => accounts.id),
  issuedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [unique().on(t.tenderId, t.version), index().on(t.issuedBy)])

/**
 * A potential bidder's purchase of the documents (获取招标文件). Who registered, and how many,
 * is secret until the bid deadline (Art. 20): no route lists these rows before it.
 */
export const tenderRegistrations = pgTable('tender_registrations', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  bidderId: uuid().notNull().references(() => accounts.id),
  bidderName: text().notNull(),
  registeredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  documentNoticeId: uuid().references(() => paymentNotices.id),
  /** when downloads opened: at registration without a fee, when the fee was paid otherwise */
  documentsOpenAt: timestamp({ withTimezone: true })
}, (t) => [unique().on(t.tenderId, t.bidderId), index().on(t.bidderId), index().on(t.documentNoticeId)])

export const documentDownloads = pgTable('document_downloads', {
  id: uuid().primaryKey().defaultRandom(),
  registrationId: uuid().notNull().references(() => tenderRegistrations.id),
  documentId: uuid().notNull().references(() => tenderDocuments.id),
  downloadedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.registrationId), index().on(t.documentId)])

/** Questions about the documents. The asker is kept for the asker alone; no view names it. */
export const tenderQuestions = pgTable('tender_questions', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  askerId: uuid().notNull().references(() => accounts.id),
  question: text().notNull(),
  askedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  answer: text(),
  answeredBy: uuid().references(() => accounts.id),
  answeredAt: timestamp({ withTimezone: true }),
  /** the clarification the answer was issued as */
  clarificationId: uuid().references(() => tenderDocuments.id)
}, (t) => [index().on(t.tenderId), index().on(t.askerId), index().on(t.answeredBy), index().on(t.clarificationId)])

/** Objections to the documents (异议): the procedure pauses until each is answered. */
export const tenderObjections = pgTable('tender_objections', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  objectorId: uuid().notNull().references(() => accounts.id),
  objectorName: text().notNull(),
  text: text().notNull(),
  filedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  answerDueAt: timestamp({ withTimezone: true }).notNull(),
  answer: text(),
  answeredBy: uuid().references(() => accounts.id),
  answeredAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.tenderId), index().on(t.objectorId), index().on(t.answeredBy)])

export const BID_SUBMISSION_KINDS = ['bid', 'withdrawal'] as const
export const bidSubmissionKind = pgEnum('bid_submission_kind', BID_SUBMISSION_KINDS)

/**
 * Every bid, replacement and withdrawal, append-only; for each bidder the highest version
 * counts. A row exists only for a package that arrived whole, verified and stored: an upload cut
 * short leaves nothing here.
 */
export const bidSubmissions = pgTable('bid_submissions', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  bidderId: uuid().notNull().references(() => accounts.id),
  version: integer().notNull(),
  kind: bidSubmissionKind().notNull(),
  /** the client's Idempotency-Key: a retried upload answers the first receipt */
  idempotencyKey: text().notNull(),
  blobKey: text(),
  size: bigint({ mode: 'number' }),
  sha256: text(),
  commitment: text(),
  signerFingerprint: text(),
  outerSignature: bytea(),
  receivedAt: timestamp({ withTimezone: true }).notNull(),
  /** the receipt (canonical JSON) and the platform's CMS signature over it */
  receipt: text().notNull(),
  receiptCms: bytea().notNull()
}, (t) => [
  unique().on(t.tenderId, t.bidderId, t.version),
  unique().on(t.tenderId, t.bidderId, t.idempotencyKey),
  index().on(t.bidderId)
])

/** A bid bond given as a bank guarantee letter instead of money (保函). */
export const bondGuarantees = pgTable('bond_guarantees', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  bidderId: uuid().notNull().references(() => accounts.id),
  issuer: text().notNull(),
  letterNumber: text().notNull(),
  amountFen: bigint({ mode: 'bigint' }).notNull(),
  validUntil: timestamp({ withTimezone: true }).notNull(),
  blobKey: text().notNull(),
  sha256: text().notNull(),
  recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.tenderId, t.bidderId), index().on(t.bidderId)])

/** The bid bond notice of a bidder for a tender (the money path). */
export const bondNotices = pgTable('bond_notices', {
  tenderId: uuid().notNull().references(() => tenders.id),
  bidderId: uuid().notNull().references(() => accounts.id),
  noticeId: uuid().notNull().references(() => paymentNotices.id),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [unique().on(t.noticeId), index().on(t.tenderId, t.bidderId), index().on(t.bidderId)])

/**
 * Bid packages being received: a row while the bytes stream into the store, removed in the
 * transaction that records the submission (or when the upload is refused). A row that outlives
 * any upload names an object a killed server left behind; the sweeper deletes it.
 */
export const bidUploads = pgTable('bid_uploads', {
  blobKey: text().primaryKey(),
  tenderId: uuid().notNull().references(() => tenders.id),
  startedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.tenderId), index().on(t.startedAt)])
