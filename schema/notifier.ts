import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

export const SMS_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const
export const smsStatus = pgEnum('sms_status', SMS_STATUSES)

/** The in-app inbox: every notification is stored here first, whatever else delivers it. */
export const inboxMessages = pgTable('inbox_messages', {
  id: uuid().primaryKey().defaultRandom(),
  recipientId: uuid().notNull().references(() => accounts.id),
  /** dotted kind, e.g. `case.correction_notice`; pages word it from the catalogue */
  kind: text().notNull(),
  subject: text().notNull(),
  body: text().notNull(),
  /** a same-site path the message points to */
  link: text(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  readAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.recipientId, t.createdAt)])

/**
 * SMS outbox: written in the transaction of the state change that causes the message, delivered
 * after commit by a timer (notifier.deliver). The text of a message that carries a one-time code
 * is erased once the delivery ends (sent or failed), so the code does not outlive its use.
 */
export const smsOutbox = pgTable('sms_outbox', {
  id: uuid().primaryKey().defaultRandom(),
  recipientId: uuid().references(() => accounts.id),
  phone: text().notNull(),
  kind: text().notNull(),
  text: text(),
  /** true when the text holds a one-time code (never logged, erased after delivery) */
  secret: boolean().notNull().default(false),
  driver: text().notNull(),
  status: smsStatus().notNull().default('queued'),
  attempts: integer().notNull().default(0),
  nextAttemptAt: timestamp({ withTimezone: true }).notNull(),
  lastError: text(),
  /** the gateway's id for the message, when it gives one */
  gatewayId: text(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  sentAt: timestamp({ withTimezone: true })
}, (t) => [index().on(t.recipientId), index().on(t.status, t.nextAttemptAt)])

/** What the built-in simulated SMS gateway received (demo and tests; refused in production). */
export const simulatedSmsMessages = pgTable('simulated_sms_messages', {
  id: uuid().primaryKey().defaultRandom(),
  outboxId: uuid().notNull(),
  phone: text().notNull(),
  text: text().notNull(),
  receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.phone, t.receivedAt), index().on(t.outboxId)])
