import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { bytea } from './columns.ts'
import { accounts } from './identity.ts'

/**
 * K-of-N key escrow for a sealed-bid tender: the escrow key's certificate is a recipient of every
 * bid's key envelope; its private key exists only as N Shamir shares, each encrypted to a
 * custodian's certificate, and is reassembled in memory after `notBefore` from K submitted shares.
 */
export const escrows = pgTable('escrows', {
  id: uuid().primaryKey().defaultRandom(),
  /** what the escrow serves, e.g. `tender:<id>` */
  reference: text().notNull(),
  threshold: integer().notNull(),
  shareCount: integer().notNull(),
  certificate: bytea().notNull(),
  /** no reconstruction before this instant (the bid deadline) */
  notBefore: timestamp({ withTimezone: true }).notNull(),
  createdBy: uuid().notNull().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.createdBy), index().on(t.reference)])

export const escrowShares = pgTable('escrow_shares', {
  escrowId: uuid().notNull().references(() => escrows.id),
  /** the share's x coordinate, 1..N */
  index: integer().notNull(),
  custodianId: uuid().notNull().references(() => accounts.id),
  custodianCertificate: bytea().notNull(),
  /** CMS EnvelopedData of the share, openable only with the custodian's key */
  envelope: bytea().notNull(),
  /** SHA-256 of the share, to recognise a genuine submission */
  shareDigest: text().notNull(),
  /** the submitted share, sealed under the master key until the escrow is used */
  sealedSubmission: text(),
  submittedAt: timestamp({ withTimezone: true })
}, (t) => [primaryKey({ columns: [t.escrowId, t.index] }), index().on(t.custodianId)])
