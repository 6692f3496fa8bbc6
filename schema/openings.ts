import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'
import { bidSubmissions, tenders } from './trading.ts'

export const OPENING_STATES = ['scheduled', 'sign_in', 'frozen', 'k_drawn', 'decrypting', 'remedy', 'recorded', 'confirming', 'closed', 'failed'] as const
export const openingState = pgEnum('opening_state', OPENING_STATES)

/**
 * The live bid opening (开标) of a tender: one row per tender, created when sign-in opens or at
 * the deadline. Every instant that drives it (window end, confirmation deadline) is persisted
 * here, and a timer fires it, so a restart loses nothing.
 */
export const openings = pgTable('openings', {
  tenderId: uuid().primaryKey().references(() => tenders.id),
  state: openingState().notNull().default('scheduled'),
  /** the host paused the opening (reason required); null while running */
  pausedAt: timestamp({ withTimezone: true }),
  pauseReason: text(),
  /** commit-reveal of the random coefficient K: commitment published at the freeze */
  kCommitment: text(),
  /** the server's secret, sealed under the master key until the draw reveals it */
  kSecretSealed: text(),
  kSecret: text(),
  kNonce: text(),
  kValue: text(),
  kDrawnBy: uuid().references(() => accounts.id),
  kDrawnAt: timestamp({ withTimezone: true }),
  /** the supervisor's nonce is due by then (published at the freeze); afterwards the host may give it */
  kDeadlineAt: timestamp({ withTimezone: true }),
  /** the last colour announced for a nonce not yet given (yellow, red); null while green */
  kAlarm: text(),
  /** who gave the nonce: supervisor, or host (after the deadline) */
  kDrawnAs: text(),
  frozenAt: timestamp({ withTimezone: true }),
  windowOpensAt: timestamp({ withTimezone: true }),
  windowEndsAt: timestamp({ withTimezone: true }),
  recordedAt: timestamp({ withTimezone: true }),
  confirmUntil: timestamp({ withTimezone: true }),
  closedAt: timestamp({ withTimezone: true }),
  failureReason: text(),
  /** the opening record: canonical JSON, its SHA-256 and where the signed copies are stored */
  record: jsonb(),
  recordSha256: text(),
  videoUrl: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [
  check('openings_pause_has_reason', sql`(${t.pausedAt} is null) = (${t.pauseReason} is null)`),
  check('openings_k_alarm', sql`${t.kAlarm} in ('yellow', 'red')`),
  check('openings_k_drawn_as', sql`${t.kDrawnAs} in ('supervisor', 'host')`)
])

export const OPENING_BID_STATUSES = ['sealed', 'opened', 'failed', 'withdrawn'] as const
export const openingBidStatus = pgEnum('opening_bid_status', OPENING_BID_STATUSES)

/** Each bidder's bid as frozen at the deadline, and what its decryption came to. */
export const openingBids = pgTable('opening_bids', {
  tenderId: uuid().notNull().references(() => openings.tenderId),
  bidderId: uuid().notNull().references(() => accounts.id),
  submissionId: uuid().notNull().references(() => bidSubmissions.id),
  bidderName: text().notNull(),
  /** bond status at the freeze (paid / guarantee / unpaid / not_required) */
  bond: text().notNull(),
  sha256: text(),
  commitment: text(),
  receivedAt: timestamp({ withTimezone: true }).notNull(),
  status: openingBidStatus().notNull(),
  /** refused reveals so far (wrong key, platform fault); the last cause counts at the window end */
  attempts: integer().notNull().default(0),
  lastFailure: text(),
  /** final failure cause (openings.rules DecryptionFailure) and its Art. 31 outcome */
  failure: text(),
  outcome: text(),
  /** the declared opening fields, once decrypted */
  opening: jsonb(),
  /** the content key, sealed under the master key, for the evaluation to open the files */
  contentKeySealed: text(),
  openedBy: text(),
  openedAt: timestamp({ withTimezone: true }),
  /** confirmed / objected / deemed_confirmed */
  confirmation: text(),
  confirmedAt: timestamp({ withTimezone: true })
}, (t) => [primaryKey({ columns: [t.tenderId, t.bidderId] }), index().on(t.submissionId)])

/** Who signed in to an opening, in which capacity. */
export const openingAttendance = pgTable('opening_attendance', {
  tenderId: uuid().notNull().references(() => tenders.id),
  accountId: uuid().notNull().references(() => accounts.id),
  capacity: text().notNull(),
  displayName: text().notNull(),
  authMethod: text().notNull(),
  signedInAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [primaryKey({ columns: [t.tenderId, t.accountId] })])

/** A bidder's objection to the opening record (异议), answered by the host on the spot. */
export const openingObjections = pgTable('opening_objections', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => openings.tenderId),
  bidderId: uuid().notNull().references(() => accounts.id),
  text: text().notNull(),
  raisedAt: timestamp({ withTimezone: true }).notNull(),
  answer: text(),
  answeredBy: uuid().references(() => accounts.id),
  answeredAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.tenderId), index().on(t.bidderId)])

/** Stored copies of a signed opening record (JSON, its CMS signature, the PDF). */
export const openingRecordFiles = pgTable('opening_record_files', {
  tenderId: uuid().notNull().references(() => openings.tenderId),
  kind: text().notNull(),
  blobKey: text().notNull(),
  size: bigint({ mode: 'number' }).notNull(),
  sha256: text().notNull()
}, (t) => [primaryKey({ columns: [t.tenderId, t.kind] })])
