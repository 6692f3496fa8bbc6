import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/**
 * Persisted timers: the database is the truth, in-process setTimeouts are only alarms re-armed
 * from here at start-up. A recurring timer has intervalSeconds and is moved forward when it fires.
 */
export const timers = pgTable('timers', {
  id: uuid().primaryKey().defaultRandom(),
  kind: text().notNull(),
  /** caller's idempotency key: scheduling the same key again moves the timer */
  key: text().notNull().unique(),
  fireAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  intervalSeconds: integer(),
  payload: jsonb().notNull().default({}),
  firedAt: timestamp({ withTimezone: true, precision: 3 }),
  attempts: integer().notNull().default(0),
  lastError: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index('timers_pending_idx').on(t.fireAt)])
