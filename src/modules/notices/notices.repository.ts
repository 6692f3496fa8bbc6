import { desc, eq } from 'drizzle-orm'
import { notices } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type NoticeRow = typeof notices.$inferSelect

export async function insertNotice (db: Queryable, values: typeof notices.$inferInsert): Promise<NoticeRow> {
  const [row] = await db.insert(notices).values(values).returning()
  return row!
}

export async function findNotice (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<NoticeRow | undefined> {
  const query = db.select().from(notices).where(eq(notices.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function recentNotices (db: Queryable, limit: number): Promise<NoticeRow[]> {
  return db.select().from(notices).orderBy(desc(notices.publishedAt)).limit(limit)
}

export async function markWithdrawn (db: Queryable, id: string, at: Date) {
  await db.update(notices).set({ withdrawnAt: at }).where(eq(notices.id, id))
}
