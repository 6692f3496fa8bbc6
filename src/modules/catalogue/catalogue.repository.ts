import { and, asc, count, desc, eq, ilike, inArray, max, sql, type SQL } from 'drizzle-orm'
import { itemChangeRequests, serviceItems, serviceItemVersions } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type ItemRow = typeof serviceItems.$inferSelect
export type VersionRow = typeof serviceItemVersions.$inferSelect
export type ChangeRow = typeof itemChangeRequests.$inferSelect

export async function insertItem (db: Queryable, values: typeof serviceItems.$inferInsert): Promise<ItemRow | undefined> {
  const [row] = await db.insert(serviceItems).values(values).onConflictDoNothing({ target: serviceItems.code }).returning()
  return row
}

export async function findItem (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ItemRow | undefined> {
  const query = db.select().from(serviceItems).where(eq(serviceItems.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function findItemByCode (db: Queryable, code: string): Promise<ItemRow | undefined> {
  const [row] = await db.select().from(serviceItems).where(eq(serviceItems.code, code))
  return row
}

export async function itemCodesOf (db: Queryable, departmentId: string, codes: readonly string[]): Promise<string[]> {
  if (codes.length === 0) return []
  const rows = await db.select({ code: serviceItems.code }).from(serviceItems)
    .where(and(eq(serviceItems.departmentId, departmentId), inArray(serviceItems.code, [...codes])))
  return rows.map((row) => row.code)
}

export async function updateItem (db: Queryable, id: string, values: Partial<Pick<ItemRow, 'status' | 'draft' | 'currentVersion' | 'searchText'>>) {
  await db.update(serviceItems).set(values).where(eq(serviceItems.id, id))
}

/** Items of some departments (all when null), by code. */
export async function listItems (db: Queryable, filter: { departmentIds: string[] | null, status?: ItemRow['status'], departmentId?: string }): Promise<ItemRow[]> {
  if (filter.departmentIds?.length === 0) return []
  return db.select().from(serviceItems).where(and(
    filter.departmentIds ? inArray(serviceItems.departmentId, filter.departmentIds) : undefined,
    filter.status ? eq(serviceItems.status, filter.status) : undefined,
    filter.departmentId ? eq(serviceItems.departmentId, filter.departmentId) : undefined
  )).orderBy(asc(serviceItems.code))
}

export async function insertVersion (db: Queryable, values: typeof serviceItemVersions.$inferInsert): Promise<VersionRow> {
  const [row] = await db.insert(serviceItemVersions).values(values).returning()
  return row!
}

export async function findVersion (db: Queryable, itemId: string, version: number): Promise<VersionRow | undefined> {
  const [row] = await db.select().from(serviceItemVersions).where(and(eq(serviceItemVersions.itemId, itemId), eq(serviceItemVersions.version, version)))
  return row
}

export async function latestVersionNumber (db: Queryable, itemId: string): Promise<number> {
  const [row] = await db.select({ latest: max(serviceItemVersions.version) }).from(serviceItemVersions).where(eq(serviceItemVersions.itemId, itemId))
  return row?.latest ?? 0
}

export async function versionSummaries (db: Queryable, itemId: string) {
  return db.select({ version: serviceItemVersions.version, publishedAt: serviceItemVersions.publishedAt, changeRequestId: serviceItemVersions.changeRequestId })
    .from(serviceItemVersions).where(eq(serviceItemVersions.itemId, itemId)).orderBy(asc(serviceItemVersions.version))
}

/** The versions in force of published items, keyed by item id. */
export async function currentVersions (db: Queryable, items: Array<Pick<ItemRow, 'id' | 'currentVersion'>>): Promise<Map<string, VersionRow>> {
  const wanted = items.filter((item) => item.currentVersion !== null)
  if (wanted.length === 0) return new Map()
  const rows = await db.select().from(serviceItemVersions).innerJoin(serviceItems, and(eq(serviceItems.id, serviceItemVersions.itemId), eq(serviceItems.currentVersion, serviceItemVersions.version)))
    .where(inArray(serviceItems.id, wanted.map((item) => item.id)))
  return new Map(rows.map((row) => [row.service_item_versions.itemId, row.service_item_versions]))
}

export interface PublishedFilter { pattern?: string, departmentId?: string, type?: string, limit: number, offset: number }

/** Published items with the version in force, by code; the search reads service_items.search_text. */
export async function listPublished (db: Queryable, filter: PublishedFilter) {
  const where: SQL | undefined = and(
    eq(serviceItems.status, 'published'),
    filter.pattern ? ilike(serviceItems.searchText, filter.pattern) : undefined,
    filter.departmentId ? eq(serviceItems.departmentId, filter.departmentId) : undefined,
    filter.type ? sql`${serviceItemVersions.content}->>'type' = ${filter.type}` : undefined
  )
  const joined = and(eq(serviceItemVersions.itemId, serviceItems.id), eq(serviceItemVersions.version, serviceItems.currentVersion))
  const rows = await db.select({
    id: serviceItems.id,
    code: serviceItems.code,
    departmentId: serviceItems.departmentId,
    version: serviceItemVersions.version,
    content: serviceItemVersions.content,
    publishedAt: serviceItemVersions.publishedAt
  }).from(serviceItems).innerJoin(serviceItemVersions, joined).where(where).orderBy(asc(serviceItems.code)).limit(filter.limit).offset(filter.offset)
  const [total] = await db.select({ total: count() }).from(serviceItems).innerJoin(serviceItemVersions, joined).where(where)
  return { rows, total: total?.total ?? 0 }
}

export async function insertChange (db: Queryable, values: typeof itemChangeRequests.$inferInsert): Promise<ChangeRow> {
  const [row] = await db.insert(itemChangeRequests).values(values).returning()
  return row!
}

export async function findChange (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ChangeRow | undefined> {
  const query = db.select().from(itemChangeRequests).where(eq(itemChangeRequests.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function pendingChangeOf (db: Queryable, itemId: string): Promise<ChangeRow | undefined> {
  const [row] = await db.select().from(itemChangeRequests).where(and(eq(itemChangeRequests.itemId, itemId), eq(itemChangeRequests.status, 'pending')))
  return row
}

export async function pendingChangesOf (db: Queryable, itemIds: string[]): Promise<ChangeRow[]> {
  if (itemIds.length === 0) return []
  return db.select().from(itemChangeRequests).where(and(inArray(itemChangeRequests.itemId, itemIds), eq(itemChangeRequests.status, 'pending')))
}

/** Change requests with their item's code and department, newest first. */
export async function listChanges (db: Queryable, filter: { departmentIds: string[] | null, status?: ChangeRow['status'], itemId?: string }) {
  if (filter.departmentIds?.length === 0) return []
  return db.select({ change: itemChangeRequests, itemCode: serviceItems.code, departmentId: serviceItems.departmentId })
    .from(itemChangeRequests).innerJoin(serviceItems, eq(serviceItems.id, itemChangeRequests.itemId))
    .where(and(
      filter.departmentIds ? inArray(serviceItems.departmentId, filter.departmentIds) : undefined,
      filter.status ? eq(itemChangeRequests.status, filter.status) : undefined,
      filter.itemId ? eq(itemChangeRequests.itemId, filter.itemId) : undefined
    ))
    .orderBy(desc(itemChangeRequests.requestedAt))
    .limit(500)
}

/** The versions approved changes made, keyed by change request id. */
export async function versionsMadeBy (db: Queryable, changeIds: string[]): Promise<Map<string, number>> {
  if (changeIds.length === 0) return new Map()
  const rows = await db.select({ changeRequestId: serviceItemVersions.changeRequestId, version: serviceItemVersions.version })
    .from(serviceItemVersions).where(inArray(serviceItemVersions.changeRequestId, changeIds))
  return new Map(rows.map((row) => [row.changeRequestId, row.version]))
}

export async function decideChange (db: Queryable, id: string, values: Pick<ChangeRow, 'status' | 'decidedBy' | 'decidedAt' | 'decisionNote'>) {
  await db.update(itemChangeRequests).set(values).where(eq(itemChangeRequests.id, id))
}
