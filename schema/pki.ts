import { bigint, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { bytea } from './columns.ts'
import { accounts } from './identity.ts'
import { departments } from './organisation.ts'

export const CERTIFICATE_PROFILES = ['person', 'organisation', 'seal'] as const
export const certificateProfile = pgEnum('certificate_profile', CERTIFICATE_PROFILES)
export const certificateSource = pgEnum('certificate_source', ['issued', 'registered'])
export const authorityRole = pgEnum('authority_role', ['root', 'intermediate'])

/** External CAs the hall trusts (commercial CAs' roots and intermediates), besides its own. */
export const trustedAuthorities = pgTable('trusted_authorities', {
  fingerprint: text().primaryKey(),
  role: authorityRole().notNull(),
  subject: text().notNull(),
  certificate: bytea().notNull(),
  notAfter: timestamp({ withTimezone: true }).notNull(),
  addedBy: uuid().references(() => accounts.id),
  addedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  active: boolean().notNull().default(true)
}, (t) => [index().on(t.addedBy)])

/**
 * Certificates linked to accounts: issued by the platform CA from a CSR (the key never leaves its
 * holder), or registered from a trusted external CA. Revocation of issued ones feeds the CRL.
 */
export const certificates = pgTable('certificates', {
  id: uuid().primaryKey().defaultRandom(),
  accountId: uuid().references(() => accounts.id),
  departmentId: uuid().references(() => departments.id),
  profile: certificateProfile().notNull(),
  source: certificateSource().notNull(),
  fingerprint: text().notNull().unique(),
  issuerFingerprint: text().notNull(),
  serialHex: text().notNull(),
  subject: text().notNull(),
  certificate: bytea().notNull(),
  notBefore: timestamp({ withTimezone: true }).notNull(),
  notAfter: timestamp({ withTimezone: true }).notNull(),
  revokedAt: timestamp({ withTimezone: true }),
  revocationReason: integer(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [
  unique().on(t.issuerFingerprint, t.serialHex),
  index().on(t.accountId),
  index().on(t.departmentId)
])

/** CRLs of external CAs, imported by the administrator (an intranet hall cannot fetch them). */
export const revocationLists = pgTable('revocation_lists', {
  id: uuid().primaryKey().defaultRandom(),
  issuerFingerprint: text().notNull(),
  crlNumber: bigint({ mode: 'bigint' }),
  thisUpdate: timestamp({ withTimezone: true }).notNull(),
  nextUpdate: timestamp({ withTimezone: true }),
  crl: bytea().notNull(),
  revokedSerials: jsonb().notNull(),
  importedBy: uuid().references(() => accounts.id),
  importedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.issuerFingerprint), index().on(t.importedBy)])

/** Single-use challenges for certificate sign-in. */
export const authChallenges = pgTable('auth_challenges', {
  id: uuid().primaryKey().defaultRandom(),
  challenge: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
  usedAt: timestamp({ withTimezone: true })
})
