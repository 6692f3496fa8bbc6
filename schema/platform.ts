import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/** Keys the platform signs with; private halves sealed under the master key (src/lib/master-key.ts). */
export const platformKeys = pgTable('platform_keys', {
  id: text().primaryKey(),
  purpose: text().notNull().unique(),
  algorithm: text().notNull(),
  publicKeyPem: text().notNull(),
  sealedPrivateKey: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
