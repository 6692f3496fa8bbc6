import { boolean, index, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

export const BANK_AUTH_METHODS = ['hmac', 'certificate'] as const
export const bankAuthMethod = pgEnum('bank_auth_method', BANK_AUTH_METHODS)

/** Banks that collect fees for the hall: their window and their signed callbacks. */
export const banks = pgTable('banks', {
  id: uuid().primaryKey().defaultRandom(),
  /** short code used in callback URLs, e.g. `icbc` */
  code: text().notNull().unique(),
  name: text().notNull(),
  authMethod: bankAuthMethod().notNull(),
  /** HMAC key, sealed under the master key */
  sealedHmacKey: text(),
  /** SHA-256 of the bank's signing certificate (certificate method) */
  certificateFingerprint: text(),
  active: boolean().notNull().default(true),
  /** null for a bank built into the platform */
  createdBy: uuid().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull()
}, (t) => [index().on(t.createdBy)])

/** Nonces of accepted bank requests within the freshness window: a replayed request is refused. */
export const bankRequestNonces = pgTable('bank_request_nonces', {
  bankId: uuid().notNull().references(() => banks.id),
  nonce: text().notNull(),
  receivedAt: timestamp({ withTimezone: true, precision: 3 }).notNull()
}, (t) => [primaryKey({ columns: [t.bankId, t.nonce] }), index().on(t.receivedAt)])
