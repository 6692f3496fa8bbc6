import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './identity.ts'

/** State of resumable uploads between parts, so an interrupted upload continues after a restart. */
export const blobUploads = pgTable('blob_uploads', {
  id: uuid().primaryKey().defaultRandom(),
  key: text().notNull(),
  /** the driver's UploadState (src/lib/blob-store/types.ts) */
  state: jsonb().notNull(),
  ownerId: uuid().references(() => accounts.id),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index().on(t.ownerId)])
