import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { ROLES, SCOPE_TYPES } from '../src/lib/policy.ts'

export const ACCOUNT_KINDS = ['person', 'organisation'] as const
/** pending: self-registered, waiting for its mobile number's code or the hall's review */
export const ACCOUNT_STATUSES = ['active', 'disabled', 'pending'] as const
export const AUTH_METHODS = ['password', 'certificate'] as const
export const THROTTLE_SCOPES = ['account', 'client'] as const

export const accountKind = pgEnum('account_kind', ACCOUNT_KINDS)
export const accountStatus = pgEnum('account_status', ACCOUNT_STATUSES)
export const roleName = pgEnum('role_name', ROLES)
export const scopeType = pgEnum('scope_type', SCOPE_TYPES)
export const authMethod = pgEnum('auth_method', AUTH_METHODS)
export const throttleScope = pgEnum('throttle_scope', THROTTLE_SCOPES)

export const accounts = pgTable('accounts', {
  id: uuid().primaryKey().defaultRandom(),
  kind: accountKind().notNull(),
  /** login name, lowercase */
  username: text().notNull().unique(),
  displayName: text().notNull(),
  /** 统一社会信用代码, organisations only */
  creditCode: text().unique(),
  email: text(),
  phone: text(),
  /** when the phone number was confirmed by a one-time code; SMS go only to a confirmed number */
  phoneConfirmedAt: timestamp({ withTimezone: true }),
  passwordHash: text(),
  mustChangePassword: boolean().notNull().default(false),
  status: accountStatus().notNull().default('active'),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})

export const roleGrants = pgTable('role_grants', {
  id: uuid().primaryKey().defaultRandom(),
  accountId: uuid().notNull().references(() => accounts.id),
  role: roleName().notNull(),
  scopeType: scopeType().notNull(),
  /** department, window or project id; null for the hall scope */
  scopeId: uuid(),
  grantedBy: uuid().references(() => accounts.id),
  grantedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp({ withTimezone: true })
}, (t) => [
  index().on(t.accountId),
  index().on(t.grantedBy),
  index().on(t.scopeId),
  uniqueIndex('role_grants_active_unique')
    .on(t.accountId, t.role, t.scopeType, sql`coalesce(${t.scopeId}, '00000000-0000-0000-0000-000000000000'::uuid)`)
    .where(sql`${t.revokedAt} is null`)
])

export const sessions = pgTable('sessions', {
  id: uuid().primaryKey().defaultRandom(),
  accountId: uuid().notNull().references(() => accounts.id),
  /** SHA-256 of the opaque token; the token itself is never stored */
  tokenHash: text().notNull().unique(),
  method: authMethod().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
  lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp({ withTimezone: true }),
  ip: text(),
  userAgent: text()
}, (t) => [index().on(t.accountId)])

/**
 * Failed password sign-ins per account name (known or not, so both behave alike) and per client
 * address. After a number of failures each further attempt must wait a growing delay; a quiet
 * period forgets the failures. Rows exist only while failures are remembered.
 */
export const signInThrottles = pgTable('sign_in_throttles', {
  id: uuid().primaryKey().defaultRandom(),
  scope: throttleScope().notNull(),
  /** the normalised username (scope account) or the client address (scope client) */
  key: text().notNull(),
  failures: integer().notNull(),
  firstFailureAt: timestamp({ withTimezone: true }).notNull(),
  lastFailureAt: timestamp({ withTimezone: true }).notNull(),
  /** attempts before this moment are refused unchecked (429) */
  blockedUntil: timestamp({ withTimezone: true })
}, (t) => [uniqueIndex().on(t.scope, t.key)])
