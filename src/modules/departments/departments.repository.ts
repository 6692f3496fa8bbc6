import { asc, eq } from 'drizzle-orm'
import { departments, windows } from '../../../schema/index.ts'
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
