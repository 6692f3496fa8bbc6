import { boolean, index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

export const WINDOW_KINDS = ['department', 'agency', 'major_project'] as const
export const windowKind = pgEnum('window_kind', WINDOW_KINDS)

export const departments = pgTable('departments', {
  id: uuid().primaryKey().defaultRandom(),
  code: text().notNull().unique(),
  name: text().notNull(),
  nameEn: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})

export const windows = pgTable('windows', {
  id: uuid().primaryKey().defaultRandom(),
  code: text().notNull().unique(),
  name: text().notNull(),
  kind: windowKind().notNull(),
  /** the owning department; null for the hall's agency and major-project windows */
  departmentId: uuid().references(() => departments.id),
  active: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.departmentId)])
