import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

export const CODE_PURPOSES = ['register', 'recover'] as const
export const codePurpose = pgEnum('code_purpose', CODE_PURPOSES)
export const REGISTRATION_STATES = ['pending', 'approved', 'refused', 'activated'] as const
export const registrationState = pgEnum('registration_state', REGISTRATION_STATES)

/**
 * One-time codes sent by SMS: only an HMAC of the code is kept (the code has a million values, so
 * a plain hash would be reversed at once), with its expiry and the attempts left. A new code for
 * the same account and purpose replaces the old one.
 */
export const oneTimeCodes = pgTable('one_time_codes', {
  id: uuid().primaryKey().defaultRandom(),
  accountId: uuid().notNull().references(() => accounts.id),
  purpose: codePurpose().notNull(),
  phone: text().notNull(),
  /** the client address that asked for it: codes are rate-limited per number and per address */
  clientIp: text().notNull(),
  codeHash: text().notNull(),
  sentAt: timestamp({ withTimezone: true }).notNull(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
  attempts: integer().notNull().default(0),
  usedAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.accountId, t.purpose), index().on(t.phone, t.sentAt), index().on(t.clientIp, t.sentAt)])

/**
 * An organisation's self-registration: pending until the hall approves or refuses it, or until
 * the organisation proves itself with a certificate naming its credit code (activated).
 */
export const organisationRegistrations = pgTable('organisation_registrations', {
  id: uuid().primaryKey().defaultRandom(),
  accountId: uuid().notNull().unique().references(() => accounts.id),
  role: text().notNull(),
  state: registrationState().notNull().default('pending'),
  reason: text(),
  decidedBy: uuid().references(() => accounts.id),
  decidedAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [index().on(t.decidedBy), index().on(t.state)])
