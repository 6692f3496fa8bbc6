import { and, asc, desc, eq, gt, isNull, lt, lte, or } from 'drizzle-orm'
import { delegations, departments, windows } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type DepartmentRow = typeof departments.$inferSelect
export type WindowRow = typeof windows.$inferSelect

export async function listDepartments (db: Queryable): Promise<DepartmentRow[]> {
  return db.select().from(departments).orderBy(asc(departments.code))
}

export async function findDepartment (db: Queryable, id: string): Promise<DepartmentRow | undefined> {
  const [row] = await db.select().from(departments).where(eq(departments.id, id))
  return row
}

export async function insertDepartment (db: Queryable, values: typeof departments.$inferInsert): Promise<DepartmentRow | undefined> {
  const [row] = await db.insert(departments).values(values).onConflictDoNothing().returning()
  return row
}

export async function updateDepartment (db: Queryable, id: string, values: Partial<typeof departments.$inferInsert>): Promise<DepartmentRow | undefined> {
  const [row] = await db.update(departments).set(values).where(eq(departments.id, id)).returning()
  return row
}

export async function listWindows (db: Queryable, departmentId?: string): Promise<WindowRow[]> {
  return db.select().from(windows)
    .where(departmentId ? eq(windows.departmentId, departmentId) : undefined)
    .orderBy(asc(windows.code))
}

export async function findWindow (db: Queryable, id: string): Promise<WindowRow | undefined> {
  const [row] = await db.select().from(windows).where(eq(windows.id, id))
  return row
}

export async function insertWindow (db: Queryable, values: typeof windows.$inferInsert): Promise<WindowRow | undefined> {
  const [row] = await db.insert(windows).values(values).onConflictDoNothing().returning()
  return row
}

export async function updateWindow (db: Queryable, id: string, values: Partial<typeof windows.$inferInsert>): Promise<WindowRow | undefined> {
  const [row] = await db.update(windows).set(values).where(eq(windows.id, id)).returning()
  return row
}

export type DelegationRow = typeof delegations.$inferSelect

/** Serialises delegation records of one department (one chief representative at a time). */
export async function lockDepartment (db: Queryable, id: string): Promise<DepartmentRow | undefined> {
  const [row] = await db.select().from(departments).where(eq(departments.id, id)).for('update')
  return row
}

export async function latestDelegation (db: Queryable, departmentId: string): Promise<DelegationRow | undefined> {
  const [row] = await db.select().from(delegations).where(eq(delegations.departmentId, departmentId)).orderBy(desc(delegations.validFrom)).limit(1)
  return row
}

/** Ends every delegation of the department still running at `at`. */
export async function endDelegationsAt (db: Queryable, departmentId: string, at: Date): Promise<DelegationRow[]> {
  return db.update(delegations).set({ validUntil: at })
    .where(and(eq(delegations.departmentId, departmentId), lt(delegations.validFrom, at), or(isNull(delegations.validUntil), gt(delegations.validUntil, at))))
    .returning()
}

export async function insertDelegation (db: Queryable, values: typeof delegations.$inferInsert): Promise<DelegationRow> {
  const [row] = await db.insert(delegations).values(values).returning()
  return row!
}

export async function listDelegations (db: Queryable, departmentId: string): Promise<DelegationRow[]> {
  return db.select().from(delegations).where(eq(delegations.departmentId, departmentId)).orderBy(desc(delegations.validFrom), desc(delegations.recordedAt))
}

export async function delegationAt (db: Queryable, departmentId: string, at: Date): Promise<DelegationRow | undefined> {
  const [row] = await db.select().from(delegations)
    .where(and(eq(delegations.departmentId, departmentId), lte(delegations.validFrom, at), or(isNull(delegations.validUntil), gt(delegations.validUntil, at))))
    .orderBy(desc(delegations.validFrom))
    .limit(1)
  return row
}
