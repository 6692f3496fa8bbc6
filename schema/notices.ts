import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

/** Hall bulletin: notices to the public, to staff of some roles, or to one account. */
export const notices = pgTable('notices', {
  id: uuid().primaryKey().defaultRandom(),
  title: text().notNull(),
  body: text().notNull(),
  /** {"public":true} or {"roles":[...],"parties":[...]} — same shape as room events */
  audience: jsonb().notNull(),
  publishedBy: uuid().notNull().references(() => accounts.id),
  publishedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  withdrawnAt: timestamp({ withTimezone: true, precision: 3 })
}, (t) => [index().on(t.publishedBy), index().on(t.publishedAt)])
