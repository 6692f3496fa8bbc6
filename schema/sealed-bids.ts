import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * Commitment nonces revealed at openings (as SHA-256): a nonce is single-use, so a bid cannot
 * be matched to an earlier one's commitment by reusing its secret.
 */
export const revealedNonces = pgTable('revealed_nonces', {
  nonceHash: text().primaryKey(),
  /** what was opened, e.g. `bid:<id>` */
  reference: text().notNull(),
  revealedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
