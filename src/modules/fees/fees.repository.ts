import { asc, eq, inArray, max } from 'drizzle-orm'
import { feeItems, feeItemVersions } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type FeeItemRow = typeof feeItems.$inferSelect
export type FeeVersionRow = typeof feeItemVersions.$inferSelect

export async function insertItem (db: Queryable, values: typeof feeItems.$inferInsert): Promise<FeeItemRow | undefined> {
  const [row] = await db.insert(feeItems).values(values).onConflictDoNothing({ target: feeItems.code }).returning()
  return row
}

export async function insertVersion (db: Queryable, values: typeof feeItemVersions.$inferInsert): Promise<FeeVersionRow> {
  const [row] = await db.insert(feeItemVersions).values(values).returning()
  return row!
}

export async function findItem (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<FeeItemRow | undefined> {
  const query = db.select().from(feeItems).where(eq(feeItems.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function findItemsByCode (db: Queryable, codes: string[]): Promise<FeeItemRow[]> {
  if (codes.length === 0) return []
  return db.select().from(feeItems).where(inArray(feeItems.code, codes))
}

export async function findVersion (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<FeeVersionRow | undefined> {
  const query = db.select().from(feeItemVersions).where(eq(feeItemVersions.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function versionsOf (db: Queryable, itemIds: string[]): Promise<FeeVersionRow[]> {
  if (itemIds.length === 0) return []
  return db.select().from(feeItemVersions).where(inArray(feeItemVersions.feeItemId, itemIds)).orderBy(asc(feeItemVersions.version))
}

export async function latestVersionNumber (db: Queryable, itemId: string): Promise<number> {
  const [row] = await db.select({ latest: max(feeItemVersions.version) }).from(feeItemVersions).where(eq(feeItemVersions.feeItemId, itemId))
  return row?.latest ?? 0
}

export async function allItems (db: Queryable): Promise<FeeItemRow[]> {
  return db.select().from(feeItems).orderBy(asc(feeItems.code))
}

export async function decideVersion (db: Queryable, id: string, values: Pick<FeeVersionRow, 'status' | 'decidedBy' | 'decidedAt' | 'decisionNote'>) {
  await db.update(feeItemVersions).set(values).where(eq(feeItemVersions.id, id))
}
