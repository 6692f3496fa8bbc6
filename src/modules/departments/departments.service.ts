import type { Actor } from '../../lib/actor.ts'
import { canAccess } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Database } from '../../plugins/db.ts'
import { CodeTaken, DepartmentNotFound, WindowDepartmentMismatch, WindowNotFound } from './departments.errors.ts'
import * as repo from './departments.repository.ts'
import { windowOwnershipProblem } from './departments.rules.ts'
import type { CreateDepartment, CreateWindow, DepartmentView, UpdateDepartment, UpdateWindow, WindowView } from './departments.schemas.ts'

export function toDepartmentView (row: repo.DepartmentRow): DepartmentView {
  return { id: row.id, code: row.code, name: row.name, nameEn: row.nameEn, createdAt: row.createdAt.toISOString() }
}

export function toWindowView (row: repo.WindowRow): WindowView {
  return {
    id: row.id, code: row.code, name: row.name, kind: row.kind, departmentId: row.departmentId, active: row.active, createdAt: row.createdAt.toISOString()
  }
}

export interface DepartmentsDeps { db: Database, audit: Audit }

export function createDepartmentsService ({ db, audit }: DepartmentsDeps) {
  async function createDepartment (actor: Actor, input: CreateDepartment) {
    return db.transaction(async (tx) => {
      const department = await repo.insertDepartment(tx, { code: input.code, name: input.name, nameEn: input.nameEn ?? null })
      if (!department) throw new CodeTaken(input.code)
      await audit.append(tx, auditRecord(actor, 'department.created', 'department', department.id, { code: input.code, name: input.name }))
      return toDepartmentView(department)
    })
  }

  async function getDepartment (departmentId: string) {
    const department = await repo.findDepartment(db, departmentId)
    if (!department) throw new DepartmentNotFound(departmentId)
    return toDepartmentView(department)
  }

  async function updateDepartment (actor: Actor, departmentId: string, changes: UpdateDepartment) {
    return db.transaction(async (tx) => {
      const department = await repo.updateDepartment(tx, departmentId, changes)
      if (!department) throw new DepartmentNotFound(departmentId)
      await audit.append(tx, auditRecord(actor, 'department.updated', 'department', departmentId, { changes }))
      return toDepartmentView(department)
    })
  }

  async function createWindow (actor: Actor, input: CreateWindow) {
    const departmentId = input.departmentId ?? null
    const problem = windowOwnershipProblem(input.kind, departmentId)
    if (problem) throw new WindowDepartmentMismatch(problem)
    // a department administrator manages only the windows of its own department
    if (!canAccess(actor.principal, 'windows.manage', { departmentId })) {
      throw departmentId ? new DepartmentNotFound(departmentId) : new WindowDepartmentMismatch('only the hall administrator creates hall windows')
    }
    return db.transaction(async (tx) => {
      if (departmentId && !await repo.findDepartment(tx, departmentId)) throw new DepartmentNotFound(departmentId)
      const window = await repo.insertWindow(tx, { code: input.code, name: input.name, kind: input.kind, departmentId })
      if (!window) throw new CodeTaken(input.code)
      await audit.append(tx, auditRecord(actor, 'window.created', 'window', window.id, { code: input.code, kind: input.kind, departmentId }))
      return toWindowView(window)
    })
  }

  async function updateWindow (actor: Actor, windowId: string, changes: UpdateWindow) {
    return db.transaction(async (tx) => {
      const existing = await repo.findWindow(tx, windowId)
      if (!existing || !canAccess(actor.principal, 'windows.manage', { departmentId: existing.departmentId, windowId })) {
        throw new WindowNotFound(windowId)
      }
      const window = await repo.updateWindow(tx, windowId, changes)
      await audit.append(tx, auditRecord(actor, 'window.updated', 'window', windowId, { changes }))
      return toWindowView(window!)
    })
  }

  async function getWindow (windowId: string) {
    const window = await repo.findWindow(db, windowId)
    if (!window) throw new WindowNotFound(windowId)
    return toWindowView(window)
  }

  /** Used by the accounts module to validate role scopes. */
  async function scopeExists (scopeType: 'department' | 'window', scopeId: string): Promise<boolean> {
    return Boolean(scopeType === 'department' ? await repo.findDepartment(db, scopeId) : await repo.findWindow(db, scopeId))
  }

  return {
    createDepartment,
    getDepartment,
    updateDepartment,
    listDepartments: async () => (await repo.listDepartments(db)).map(toDepartmentView),
    createWindow,
    getWindow,
    updateWindow,
    listWindows: async (departmentId?: string) => (await repo.listWindows(db, departmentId)).map(toWindowView),
    scopeExists
  }
}

export type DepartmentsService = ReturnType<typeof createDepartmentsService>
