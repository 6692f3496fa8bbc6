import { date, index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

export const calendarDayKind = pgEnum('calendar_day_kind', ['holiday', 'workday'])

/** Exceptions to the Monday–Friday week: holidays and make-up workdays (调休). */
export const calendarDays = pgTable('calendar_days', {
  date: date({ mode: 'string' }).primaryKey(),
  kind: calendarDayKind().notNull(),
  name: text().notNull(),
  updatedBy: uuid().references(() => accounts.id),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.updatedBy)])
