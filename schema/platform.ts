import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { bytea } from './columns.ts'

/**
 * Keys the platform signs with (audit checkpoints, its CAs, its document signer); private halves
 * sealed under the master key (src/lib/master-key.ts). Keys that are certified carry their certificate.
 */
export const platformKeys = pgTable('platform_keys', {
  id: text().primaryKey(),
  purpose: text().notNull().unique(),
  algorithm: text().notNull(),
  publicKeyPem: text().notNull(),
  sealedPrivateKey: text().notNull(),
  certificate: bytea(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
