import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { bytea } from './columns.ts'
import { experts } from './experts.ts'
import { accounts } from './identity.ts'
import { departments } from './organisation.ts'
import { tenders } from './trading.ts'

/**
 * Random expert drawing (随机抽取评标专家) for a tender:
 *
 *   requested → approved (the hall approves; the server commits to its secret and the room opens)
 *     → drawn (the supervisor's nonce; the list is sealed) → published (the evaluation starts)
 *   requested → refused; approved → failed (too few eligible experts, nothing drawn) | cancelled
 *
 * A request is drawn at most once; a failed or cancelled drawing stays on record and a new
 * request is made for the tender.
 */
export const DRAWING_STATES = ['requested', 'approved', 'refused', 'drawn', 'failed', 'cancelled', 'published'] as const
export const drawingState = pgEnum('drawing_state', DRAWING_STATES)

export const drawings = pgTable('drawings', {
  id: uuid().primaryKey().defaultRandom(),
  tenderId: uuid().notNull().references(() => tenders.id),
  state: drawingState().notNull().default('requested'),
  requestedBy: uuid().notNull().references(() => accounts.id),
  requestedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /**
   * What is asked for, validated by the drawings module's schema and committee rules:
   * { committeeSize, tendererRepresentatives, lines: [{ specialtyCode, side: technical|economic,
   *   count, reserves }], regionsInclude, regionsExclude, sameTendererDays }
   */
  request: jsonb().notNull(),
  evaluationAt: timestamp({ withTimezone: true }).notNull(),
  /** the evaluation place; null for a remote evaluation */
  evaluationPlace: text(),
  /** the department supervising the tender: its staff are excluded */
  supervisingDepartmentId: uuid().references(() => departments.id),
  /** the draw may run from this instant (the configured lead time before the evaluation) */
  drawFrom: timestamp({ withTimezone: true }).notNull(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true }),
  refusalReason: text(),
  /** commit-reveal (src/lib/commit-reveal.ts): commitment published at approval */
  commitment: text(),
  /** the server's secret, sealed under the master key until the draw reveals it */
  secretSealed: text(),
  /** revealed in the record once the list is published */
  secret: text(),
  nonce: text(),
  nonceGivenBy: uuid().references(() => accounts.id),
  drawnAt: timestamp({ withTimezone: true }),
  /** SHA-256 of the canonical eligible-pool snapshot the draw ran over */
  poolSha256: text(),
  /** SHA-256 of the canonical drawn list (members and reserves, in order); in the audit chain at the draw */
  listSha256: text(),
  /** why the draw failed (the short specialties and by how many), or why it was cancelled */
  failure: jsonb(),
  cancelledBy: uuid().references(() => accounts.id),
  publishedAt: timestamp({ withTimezone: true }),
  /**
   * when the drawn experts were checked against the tender's bidders (known only once bids froze
   * at the deadline): at the draw when it follows the deadline, else by the recheck at the deadline
   */
  biddersCheckedAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [
  index().on(t.tenderId), index().on(t.requestedBy), index().on(t.decidedBy), index().on(t.nonceGivenBy), index().on(t.cancelledBy),
  index().on(t.supervisingDepartmentId), index().on(t.state, t.evaluationAt),
  // one live drawing per tender; ended ones (refused, failed, cancelled) stay beside a new request
  uniqueIndex('drawings_one_live_per_tender').on(t.tenderId).where(sql`${t.state} in ('requested', 'approved', 'drawn', 'published')`)
])

/**
 * The eligible pool a draw ran over, one row per request line: pseudonymous expert ids in the
 * documented order (published with the record, so anyone can re-run the draw), and the experts
 * excluded with the named rules that excluded them (seen by supervisors only).
 */
export const drawingSnapshots = pgTable('drawing_snapshots', {
  drawingId: uuid().notNull().references(() => drawings.id),
  line: integer().notNull(),
  specialtyCode: text().notNull(),
  /**
   * pseudonyms of the eligible experts, sorted, packed: 8 bytes each (src/lib/expert-draw.ts,
   * packPseudonyms). Random bytes: stored without compression (migration 0016), and a third of
   * the JSON's size and of its cost to write.
   */
  eligible: bytea().notNull(),
  /** [{ expertId, rules: [{ rule, detail }] }] */
  excluded: jsonb().notNull()
}, (t) => [primaryKey({ columns: [t.drawingId, t.line] })])

export const DRAWN_ROLES = ['member', 'reserve'] as const
export const drawnRole = pgEnum('drawn_role', DRAWN_ROLES)

/**
 * standby: a reserve not called (yet); invited → confirmed | declined | no_answer;
 * recused: found conflicted when the bidders became known; replaced experts keep their row.
 */
export const DRAWN_STATES = ['standby', 'invited', 'confirmed', 'declined', 'no_answer', 'recused'] as const
export const drawnState = pgEnum('drawn_state', DRAWN_STATES)

export const drawnExperts = pgTable('drawn_experts', {
  drawingId: uuid().notNull().references(() => drawings.id),
  expertId: uuid().notNull().references(() => experts.id),
  /** the pseudonym the published snapshot and list name this expert by */
  pseudonym: text().notNull(),
  line: integer().notNull(),
  /** the order the draw produced within the line (members first, then reserves) */
  position: integer().notNull(),
  role: drawnRole().notNull(),
  state: drawnState().notNull(),
  invitedAt: timestamp({ withTimezone: true }),
  answerBy: timestamp({ withTimezone: true }),
  answeredAt: timestamp({ withTimezone: true }),
  /** the reserve called in this expert's place */
  replacedBy: uuid().references(() => experts.id),
  /** why the expert left the committee (decline reason, the conflict found, …) */
  reason: text()
}, (t) => [
  primaryKey({ columns: [t.drawingId, t.expertId] }), index().on(t.expertId, t.state), index().on(t.replacedBy),
  uniqueIndex().on(t.drawingId, t.line, t.position), uniqueIndex().on(t.drawingId, t.pseudonym),
  check('drawn_experts_position', sql`${t.position} >= 0`)
])
