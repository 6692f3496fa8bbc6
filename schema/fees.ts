import { sql } from 'drizzle-orm'
import { bigint, check, date, index, integer, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'
import { departments } from './organisation.ts'

/** non_tax: 行政事业性收费, remitted to the fiscal account; deposit: bid bonds and auction deposits, held and refunded */
export const FEE_CATEGORIES = ['non_tax', 'deposit'] as const
export const FEE_BASES = ['fixed', 'per_unit', 'formula'] as const
export const FEE_VERSION_STATUSES = ['proposed', 'approved', 'rejected'] as const

export const feeCategory = pgEnum('fee_category', FEE_CATEGORIES)
export const feeBasis = pgEnum('fee_basis', FEE_BASES)
export const feeVersionStatus = pgEnum('fee_version_status', FEE_VERSION_STATUSES)

/** A fee the hall collects; what it costs and why lives in its versions. */
export const feeItems = pgTable('fee_items', {
  id: uuid().primaryKey().defaultRandom(),
  code: text().notNull().unique(),
  category: feeCategory().notNull(),
  /** the charging department; null for the hall's own (trading) fees */
  departmentId: uuid().references(() => departments.id),
  createdBy: uuid().notNull().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull()
}, (t) => [index().on(t.departmentId), index().on(t.createdBy)])

/**
 * A version of a fee item's standard. Proposed by one official and approved by another; an
 * approved version never changes. The version in force on a date is the approved one with the
 * latest `validFrom` on or before it (unless its `validTo` has passed); notices keep the version
 * they were issued under.
 */
export const feeItemVersions = pgTable('fee_item_versions', {
  id: uuid().primaryKey().defaultRandom(),
  feeItemId: uuid().notNull().references(() => feeItems.id),
  version: integer().notNull(),
  status: feeVersionStatus().notNull(),
  name: text().notNull(),
  basis: feeBasis().notNull(),
  amountFen: bigint({ mode: 'bigint' }),
  unitPriceFen: bigint({ mode: 'bigint' }),
  unitName: text(),
  /** decimal places a quantity may have */
  quantityScale: integer(),
  formula: text(),
  /** declared formula parameters (src/lib/fee-formula.ts FeeParameter[]) */
  parameters: jsonb().notNull().default([]),
  legalBasis: text().notNull(),
  standardDocument: text().notNull(),
  receivingAccount: text().notNull(),
  /** deposits: working days after the refund trigger (award notice, contract) within which it is refunded */
  refundWorkingDays: integer(),
  validFrom: date().notNull(),
  validTo: date(),
  proposedBy: uuid().notNull().references(() => accounts.id),
  proposedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true, precision: 3 }),
  decisionNote: text()
}, (t) => [
  unique().on(t.feeItemId, t.version),
  index().on(t.proposedBy),
  index().on(t.decidedBy),
  check('fee_item_versions_amounts', sql`coalesce(${t.amountFen}, 0) >= 0 and coalesce(${t.unitPriceFen}, 0) >= 0`),
  check('fee_item_versions_validity', sql`${t.validTo} is null or ${t.validTo} > ${t.validFrom}`)
])
