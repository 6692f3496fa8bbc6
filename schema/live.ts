import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'

/** A live room (`<kind>:<id>`), e.g. `opening:<tenderId>`; headSeq is its newest event. */
export const rooms = pgTable('rooms', {
  id: text().primaryKey(),
  kind: text().notNull(),
  headSeq: integer().notNull().default(0),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})

/** Append-only event log of a room; seq is dense per room and assigned under the room row lock. */
export const roomEvents = pgTable('room_events', {
  roomId: text().notNull().references(() => rooms.id),
  seq: integer().notNull(),
  type: text().notNull(),
  /** {"public":true} or {"roles":[...],"parties":[...]} */
  audience: jsonb().notNull(),
  data: jsonb().notNull(),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.roomId, t.seq] })])

/**
 * Signed-in sockets subscribed to a room, per instance, so supervisors see who is connected
 * across instances. Rows of an instance that stopped refreshing `seenAt` are stale and ignored.
 */
export const livePresence = pgTable('live_presence', {
  connectionId: text().notNull(),
  roomId: text().notNull(),
  instanceId: text().notNull(),
  accountId: text().notNull(),
  displayName: text().notNull(),
  connectedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  seenAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.roomId, t.connectionId] }), index().on(t.instanceId)])
