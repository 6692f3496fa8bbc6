import { sql } from 'drizzle-orm'
import { boolean, check, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, smallint, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { CASE_STATES } from '../src/modules/cases/cases.rules.ts'
import { accounts } from './identity.ts'
import { departments, windows } from './organisation.ts'
import { paymentNotices } from './payments.ts'
import { bytea } from './columns.ts'

/**
 * The chief representative's delegation (首席代表授权): recorded and dated by the hall or the
 * department; a decision outside it is refused. A department has one chief representative at a
 * time: recording a new delegation ends the one in force.
 */
export const delegations = pgTable('delegations', {
  id: uuid().primaryKey().defaultRandom(),
  departmentId: uuid().notNull().references(() => departments.id),
  chiefRepId: uuid().notNull().references(() => accounts.id),
  itemCodes: text().array().notNull(),
  decisions: text().array().notNull(),
  validFrom: timestamp({ withTimezone: true }).notNull(),
  validUntil: timestamp({ withTimezone: true }),
  /** the delegation document (授权书) number */
  reference: text().notNull(),
  recordedBy: uuid().notNull().references(() => accounts.id),
  recordedAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [index().on(t.departmentId, t.validFrom)])

export const ITEM_STATUSES = ['draft', 'published', 'retired'] as const
export const itemStatus = pgEnum('service_item_status', ITEM_STATUSES)

/**
 * A service item (政务服务事项) of the catalogue. Its content (the ten publics, mode, limits) lives
 * in versions: a draft is edited freely by its department; once published, it changes only through
 * a change request the hall administrator approves, which adds a version. Cases point at the
 * version they were filed under.
 */
export const serviceItems = pgTable('service_items', {
  id: uuid().primaryKey().defaultRandom(),
  code: text().notNull().unique(),
  departmentId: uuid().notNull().references(() => departments.id),
  status: itemStatus().notNull().default('draft'),
  /** the content being drafted (before the first publication) */
  draft: jsonb(),
  currentVersion: integer(),
  createdBy: uuid().notNull().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  /** what search reads: the name and legal basis of the version in force */
  searchText: text().notNull().default('')
}, (t) => [index().on(t.departmentId)])

export const serviceItemVersions = pgTable('service_item_versions', {
  id: uuid().primaryKey().defaultRandom(),
  itemId: uuid().notNull().references(() => serviceItems.id),
  version: integer().notNull(),
  content: jsonb().notNull(),
  changeRequestId: uuid().notNull(),
  publishedAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [unique().on(t.itemId, t.version)])

export const CHANGE_KINDS = ['publish', 'amend', 'retire'] as const
export const changeKind = pgEnum('item_change_kind', CHANGE_KINDS)
export const CHANGE_STATUSES = ['pending', 'approved', 'rejected'] as const
export const changeStatus = pgEnum('item_change_status', CHANGE_STATUSES)

export const itemChangeRequests = pgTable('item_change_requests', {
  id: uuid().primaryKey().defaultRandom(),
  itemId: uuid().notNull().references(() => serviceItems.id),
  kind: changeKind().notNull(),
  status: changeStatus().notNull().default('pending'),
  /** the whole new content (publish, amend); null for a retirement */
  content: jsonb(),
  reason: text().notNull(),
  requestedBy: uuid().notNull().references(() => accounts.id),
  requestedAt: timestamp({ withTimezone: true }).notNull(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true }),
  decisionNote: text()
}, (t) => [
  // one open request per item: two amendments racing would each overwrite the other's base
  uniqueIndex('item_change_requests_one_pending').on(t.itemId).where(sql`${t.status} = 'pending'`)
])

export const caseState = pgEnum('case_state', CASE_STATES)
export const CASE_MODES = ['instant', 'promised', 'joint', 'agency', 'major_project'] as const
export const caseMode = pgEnum('case_mode', CASE_MODES)

/**
 * An approval case (办件). `dueAt`/`warnAt` are kept while the promised clock runs and are null
 * while it is paused or stopped, so the supervision dashboard counts colours with one index-only
 * scan of the open cases: red when now ≥ due_at, yellow when now ≥ warn_at, green otherwise.
 */
export const cases = pgTable('cases', {
  id: uuid().primaryKey().defaultRandom(),
  number: text().notNull().unique(),
  /** SHA-256 of the query code printed on the receipt; the code itself is never stored */
  queryCodeHash: text().notNull(),
  itemId: uuid().notNull().references(() => serviceItems.id),
  itemVersion: integer().notNull(),
  itemCode: text().notNull(),
  itemName: text().notNull(),
  departmentId: uuid().notNull().references(() => departments.id),
  /** the window that received the case and delivers its result (the agency window for 综合代理) */
  windowId: uuid().references(() => windows.id),
  mode: caseMode().notNull(),
  channel: text().notNull(),
  applicantId: uuid().references(() => accounts.id),
  applicant: jsonb().notNull(),
  /** what the applicant asks for, in the applicant's words (public progress shows none of it) */
  request: text().notNull().default(''),
  state: caseState().notNull(),
  correctionGiven: boolean().notNull().default(false),
  /** when the materials the acceptance decision is about arrived (the answer to a correction restarts it) */
  receivedAt: timestamp({ withTimezone: true }).notNull(),
  submittedAt: timestamp({ withTimezone: true }).notNull(),
  acceptanceDueAt: timestamp({ withTimezone: true }).notNull(),
  acceptedAt: timestamp({ withTimezone: true }),
  deemedAccepted: boolean().notNull().default(false),
  clockStartsAt: timestamp({ withTimezone: true }),
  promisedWorkingDays: integer().notNull(),
  warningWorkingDays: integer().notNull(),
  dueAt: timestamp({ withTimezone: true }),
  warnAt: timestamp({ withTimezone: true }),
  /** the colour last announced (audited) for this case, so each warning is recorded once */
  announcedColour: text(),
  refusalReasons: text().array(),
  decision: text(),
  decisionReasons: text().array(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true }),
  resultNumber: text(),
  result: jsonb(),
  resultSha256: text(),
  resultSignature: bytea(),
  resultSigner: text(),
  resultIssuedAt: timestamp({ withTimezone: true }),
  deliveredAt: timestamp({ withTimezone: true }),
  closedAt: timestamp({ withTimezone: true }),
  withdrawnAt: timestamp({ withTimezone: true }),
  paymentNoticeId: uuid().references(() => paymentNotices.id),
  payBeforeResult: boolean().notNull().default(false),
  paidAt: timestamp({ withTimezone: true }),
  receiptNumber: text(),
  updatedAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [
  // everything the dashboard counts, for an index-only scan of the open cases (≈ 5% of the table)
  index('cases_open_supervision').on(t.departmentId, t.windowId, t.state, t.dueAt, t.warnAt).where(sql`${t.state} in ('submitted', 'correction', 'accepted', 'review')`),
  index().on(t.windowId, t.state, t.submittedAt),
  // partial where most cases have no value: a step updating a case then writes no entry to them
  index().on(t.applicantId, t.submittedAt).where(sql`${t.applicantId} is not null`),
  index().on(t.departmentId, t.state, t.submittedAt),
  index().on(t.paymentNoticeId).where(sql`${t.paymentNoticeId} is not null`)
])

/** The daily sequence behind case numbers, per department. */
export const caseSequences = pgTable('case_sequences', {
  departmentId: uuid().notNull().references(() => departments.id),
  day: date().notNull(),
  last: integer().notNull()
}, (t) => [primaryKey({ columns: [t.departmentId, t.day] })])

export const caseMaterials = pgTable('case_materials', {
  id: uuid().primaryKey().defaultRandom(),
  caseId: uuid().notNull().references(() => cases.id),
  code: text().notNull(),
  fileName: text().notNull(),
  blobKey: text().notNull(),
  size: integer().notNull(),
  sha256: text().notNull(),
  uploadedBy: uuid().references(() => accounts.id),
  uploadedAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [index().on(t.caseId)])

/** The one correction notice (一次性告知) of a case. */
export const caseCorrections = pgTable('case_corrections', {
  caseId: uuid().primaryKey().references(() => cases.id),
  materials: text().array().notNull(),
  note: text().notNull(),
  /** in review the notice is a pause of the running clock; at acceptance it precedes the clock */
  stage: text().notNull(),
  givenBy: uuid().notNull().references(() => accounts.id),
  givenAt: timestamp({ withTimezone: true }).notNull(),
  answeredAt: timestamp({ withTimezone: true })
})

export const casePauses = pgTable('case_pauses', {
  id: uuid().primaryKey().defaultRandom(),
  caseId: uuid().notNull().references(() => cases.id),
  kind: text().notNull(),
  reason: text().notNull(),
  limitWorkingDays: integer(),
  startedAt: timestamp({ withTimezone: true }).notNull(),
  endedAt: timestamp({ withTimezone: true }),
  openedBy: uuid().notNull().references(() => accounts.id)
}, (t) => [
  index().on(t.caseId),
  uniqueIndex('case_pauses_one_open').on(t.caseId).where(sql`${t.endedAt} is null`)
])

/** The public progress of a case: what happened and when, without personal data. */
export const caseEvents = pgTable('case_events', {
  id: integer().generatedAlwaysAsIdentity().primaryKey(),
  caseId: uuid().notNull().references(() => cases.id),
  at: timestamp({ withTimezone: true }).notNull(),
  kind: text().notNull(),
  detail: jsonb().notNull().default({})
}, (t) => [index().on(t.caseId, t.id)])

export const SUBTASK_STATES = ['open', 'done', 'declined'] as const
export const subtaskState = pgEnum('case_subtask_state', SUBTASK_STATES)

/** A participating department's parallel step in a joint case (联办). */
export const caseSubtasks = pgTable('case_subtasks', {
  id: uuid().primaryKey().defaultRandom(),
  caseId: uuid().notNull().references(() => cases.id),
  departmentId: uuid().notNull().references(() => departments.id),
  state: subtaskState().notNull().default('open'),
  dueAt: timestamp({ withTimezone: true }).notNull(),
  opinion: text(),
  doneBy: uuid().references(() => accounts.id),
  doneAt: timestamp({ withTimezone: true }),
  /** the hall took over the coordination from the first window (a department stalled) */
  takenOverBy: uuid().references(() => accounts.id),
  takenOverAt: timestamp({ withTimezone: true })
}, (t) => [unique().on(t.caseId, t.departmentId), index().on(t.departmentId, t.state)])

export const caseRatings = pgTable('case_ratings', {
  caseId: uuid().primaryKey().references(() => cases.id),
  level: smallint().notNull(),
  comment: text().notNull().default(''),
  ratedAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [check('case_ratings_level', sql`${t.level} between 1 and 5`)])

/** The rectification (整改) a bad rating opens; due in 15 working days. */
export const rectifications = pgTable('rectifications', {
  id: uuid().primaryKey().defaultRandom(),
  caseId: uuid().notNull().unique().references(() => cases.id),
  departmentId: uuid().notNull().references(() => departments.id),
  dueAt: timestamp({ withTimezone: true }).notNull(),
  report: text(),
  doneBy: uuid().references(() => accounts.id),
  doneAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [index().on(t.departmentId, t.doneAt)])

/** A supervision letter (督办函) to a department, with the date its reply is due. */
export const supervisionLetters = pgTable('supervision_letters', {
  id: uuid().primaryKey().defaultRandom(),
  number: text().notNull().unique(),
  departmentId: uuid().notNull().references(() => departments.id),
  caseId: uuid().references(() => cases.id),
  subject: text().notNull(),
  body: text().notNull(),
  replyDueAt: timestamp({ withTimezone: true }).notNull(),
  issuedBy: uuid().notNull().references(() => accounts.id),
  issuedAt: timestamp({ withTimezone: true }).notNull(),
  reply: text(),
  repliedBy: uuid().references(() => accounts.id),
  repliedAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.departmentId, t.issuedAt)])
