import { sql } from 'drizzle-orm'
import { check, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'
import { departments } from './organisation.ts'

/**
 * The evaluation expert pool (评标专家库). Everything a recusal rule reads is a dated fact here
 * (employment from/to, penalty from/to, unavailable from/to), so a drawing can say afterwards
 * why an expert was excluded on the day it ran.
 */

export const SPECIALTY_BRANCHES = ['works', 'goods', 'services'] as const
export const specialtyBranch = pgEnum('specialty_branch', SPECIALTY_BRANCHES)

/** The hierarchical specialty classification (三级专业分类), seeded as data; codes such as A01, A0102, A010203. */
export const specialties = pgTable('specialties', {
  code: text().primaryKey(),
  parentCode: text(),
  branch: specialtyBranch().notNull(),
  /** 1, 2 or 3; only level-3 specialties are assigned to experts and asked for by requests */
  level: smallint().notNull(),
  name: text().notNull(),
  nameEn: text()
}, (t) => [index().on(t.parentCode), check('specialties_level', sql`${t.level} between 1 and 3`)])

export const EXPERT_TITLES = ['senior', 'associate_senior', 'intermediate', 'none'] as const
export const expertTitle = pgEnum('expert_title', EXPERT_TITLES)

/** active: in the pool; withdrawn: left the pool (by the hall), kept for the record */
export const EXPERT_STATUSES = ['active', 'withdrawn'] as const
export const expertStatus = pgEnum('expert_status', EXPERT_STATUSES)

export const experts = pgTable('experts', {
  id: uuid().primaryKey().defaultRandom(),
  /** the expert's account (role expert); one expert per account */
  accountId: uuid().notNull().references(() => accounts.id),
  /** 专家证号, human-readable, e.g. ZJ-000123 */
  code: text().notNull().unique(),
  fullName: text().notNull(),
  title: expertTitle().notNull(),
  /** the year the expert began practising; years of practice are computed from it */
  practiceSince: smallint().notNull(),
  /** administrative division code (行政区划代码, 6 digits) of where the expert works */
  regionCode: text().notNull(),
  status: expertStatus().notNull().default('active'),
  createdBy: uuid().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [uniqueIndex().on(t.accountId), index().on(t.createdBy), index().on(t.regionCode), check('experts_region_code', sql`${t.regionCode} ~ '^[0-9]{6}$'`)])

export const expertSpecialties = pgTable('expert_specialties', {
  expertId: uuid().notNull().references(() => experts.id),
  specialtyCode: text().notNull().references(() => specialties.code)
}, (t) => [primaryKey({ columns: [t.expertId, t.specialtyCode] }), index().on(t.specialtyCode)])

/**
 * The drawable pool: one row per active expert and specialty, with the expert's region, kept by
 * triggers on experts and expert_specialties in the same transaction as the change (migration
 * 0015). A draw reads its candidates from this one index (specialty, expert, region) instead of
 * joining the specialties to the whole experts table: a fifth of the time for 20,000 candidates.
 */
export const expertPool = pgTable('expert_pool', {
  specialtyCode: text().notNull(),
  expertId: uuid().notNull().references(() => experts.id),
  regionCode: text().notNull()
}, (t) => [primaryKey({ columns: [t.specialtyCode, t.expertId] }), index().on(t.specialtyCode, t.expertId, t.regionCode), index().on(t.expertId)])

/** Employment history; the current employer is the row with no end date. */
export const expertEmployments = pgTable('expert_employments', {
  id: uuid().primaryKey().defaultRandom(),
  expertId: uuid().notNull().references(() => experts.id),
  organisationName: text().notNull(),
  /** 统一社会信用代码 of the employer */
  creditCode: text().notNull(),
  /** set when the employer is one of the hall's departments (its staff may not judge what it supervises) */
  departmentId: uuid().references(() => departments.id),
  fromDate: date({ mode: 'string' }).notNull(),
  toDate: date({ mode: 'string' })
}, (t) => [index().on(t.expertId), index().on(t.creditCode), index().on(t.departmentId), check('expert_employments_dates', sql`${t.toDate} is null or ${t.toDate} >= ${t.fromDate}`)])

export const RELATION_KINDS = ['relative', 'shareholding', 'other'] as const
export const relationKind = pgEnum('relation_kind', RELATION_KINDS)

/** Declared relations with organisations (a relative works there, a shareholding, …). */
export const expertRelations = pgTable('expert_relations', {
  id: uuid().primaryKey().defaultRandom(),
  expertId: uuid().notNull().references(() => experts.id),
  kind: relationKind().notNull(),
  organisationName: text().notNull(),
  creditCode: text().notNull(),
  note: text(),
  declaredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** a relation that has ended stays on record */
  endedAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.expertId), index().on(t.creditCode)])

export const PENALTY_KINDS = ['penalty', 'suspension'] as const
export const penaltyKind = pgEnum('penalty_kind', PENALTY_KINDS)

/** Penalties (处罚) and suspensions (暂停) with the dates they run; no end date: until lifted. */
export const expertPenalties = pgTable('expert_penalties', {
  id: uuid().primaryKey().defaultRandom(),
  expertId: uuid().notNull().references(() => experts.id),
  kind: penaltyKind().notNull(),
  reason: text().notNull(),
  fromDate: date({ mode: 'string' }).notNull(),
  toDate: date({ mode: 'string' }),
  recordedBy: uuid().references(() => accounts.id),
  recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.expertId), index().on(t.recordedBy), check('expert_penalties_dates', sql`${t.toDate} is null or ${t.toDate} >= ${t.fromDate}`)])

/** Dates the expert has said they cannot serve (inclusive). */
export const expertUnavailability = pgTable('expert_unavailability', {
  id: uuid().primaryKey().defaultRandom(),
  expertId: uuid().notNull().references(() => experts.id),
  fromDate: date({ mode: 'string' }).notNull(),
  toDate: date({ mode: 'string' }).notNull(),
  reason: text()
}, (t) => [index().on(t.expertId), check('expert_unavailability_dates', sql`${t.toDate} >= ${t.fromDate}`)])

export const PROFILE_CHANGE_STATES = ['pending', 'approved', 'refused'] as const
export const profileChangeState = pgEnum('profile_change_state', PROFILE_CHANGE_STATES)

/**
 * A change the expert asks for to their employer or declared relations: it takes effect only when
 * the hall approves it (the rules that keep conflicted experts out read these facts).
 */
export const expertProfileChanges = pgTable('expert_profile_changes', {
  id: uuid().primaryKey().defaultRandom(),
  expertId: uuid().notNull().references(() => experts.id),
  /** the proposed facts, validated by the experts module's schema */
  change: jsonb().notNull(),
  state: profileChangeState().notNull().default('pending'),
  submittedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true }),
  refusalReason: text()
}, (t) => [index().on(t.expertId), index().on(t.decidedBy), index().on(t.state)])

/** One CSV import: every row valid and imported, or nothing (the report says which rows failed and why). */
export const expertImports = pgTable('expert_imports', {
  id: uuid().primaryKey().defaultRandom(),
  importedBy: uuid().notNull().references(() => accounts.id),
  fileSha256: text().notNull(),
  rows: integer().notNull(),
  importedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.importedBy)])
