import type { Actor } from '../../lib/actor.ts'
import { canAccess } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import type { CaseDecision, Delegation } from '../cases/cases.rules.ts'
import {
  ChiefRepNotGranted, CodeTaken, DelegationBackdated, DelegationItemUnknown, DelegationOutOfOrder, DelegationPeriodInvalid,
  DepartmentNotFound, WindowDepartmentMismatch, WindowNotFound
} from './departments.errors.ts'
import * as repo from './departments.repository.ts'
import { delegationPeriodProblem, windowOwnershipProblem } from './departments.rules.ts'
import type {
  CreateDepartment, CreateWindow, DelegationView, DepartmentView, RecordDelegation, UpdateDepartment, UpdateWindow, WindowView
} from './departments.schemas.ts'

export function toDepartmentView (row: repo.DepartmentRow): DepartmentView {
  return { id: row.id, code: row.code, name: row.name, nameEn: row.nameEn, createdAt: row.createdAt.toISOString() }
}

export function toWindowView (row: repo.WindowRow): WindowView {
  return {
    id: row.id, code: row.code, name: row.name, kind: row.kind, departmentId: row.departmentId, active: row.active, createdAt: row.createdAt.toISOString()
  }
}

export function toDelegationView (row: repo.DelegationRow, now: Date): DelegationView {
  return {
    id: row.id,
    departmentId: row.departmentId,
    chiefRepId: row.chiefRepId,
    itemCodes: row.itemCodes,
    decisions: row.decisions as CaseDecision[],
    reference: row.reference,
    validFrom: row.validFrom.toISOString(),
    validUntil: row.validUntil?.toISOString() ?? null,
    inForce: row.validFrom.getTime() <= now.getTime() && (!row.validUntil || row.validUntil.getTime() > now.getTime()),
    recordedBy: row.recordedBy,
    recordedAt: row.recordedAt.toISOString()
  }
}

/** The delegation the cases module checks a chief representative's decision against. */
export interface DelegationInForce { id: string, chiefRepId: string, delegation: Delegation }

/** An account's status and active grants (the accounts module answers; it is registered after this one). */
export type AccountGrantsLookup = (accountId: string) => Promise<{ status: string, grants: ReadonlyArray<{ role: string, scopeType: string, scopeId: string | null }> } | null>

/** Which of these item codes the department has no service item for (the catalogue registers it). */
export type ItemCodesCheck = (departmentId: string, codes: readonly string[]) => Promise<string[]>

export interface DepartmentsDeps { db: Database, audit: Audit, clock: Clock, accountGrants: AccountGrantsLookup }

export function createDepartmentsService ({ db, audit, clock, accountGrants }: DepartmentsDeps) {
  let unknownItemCodes: ItemCodesCheck | null = null

  /** The catalogue module checks the item codes of a delegation (it is registered after this one). */
  function registerItemCodesCheck (check: ItemCodesCheck) {
    unknownItemCodes = check
  }

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

  function assertManagesDelegations (actor: Actor, departmentId: string) {
    if (!canAccess(actor.principal, 'delegations.manage', { departmentId })) throw new DepartmentNotFound(departmentId)
  }

  /**
   * Records the chief representative's delegation (首席代表授权). The department has one chief
   * representative at a time: the delegation running at the new start ends there.
   */
  async function recordDelegation (actor: Actor, departmentId: string, input: RecordDelegation): Promise<DelegationView> {
    assertManagesDelegations(actor, departmentId)
    if (!await repo.findDepartment(db, departmentId)) throw new DepartmentNotFound(departmentId)
    const account = await accountGrants(input.chiefRepId)
    const granted = account?.status === 'active' && account.grants.some((grant) => grant.role === 'chief_rep' && grant.scopeType === 'department' && grant.scopeId === departmentId)
    if (!granted) throw new ChiefRepNotGranted(input.chiefRepId)
    const unknown = unknownItemCodes ? await unknownItemCodes(departmentId, input.itemCodes) : []
    if (unknown.length > 0) throw new DelegationItemUnknown(unknown.join(', '))
    return db.transaction(async (tx) => {
      await repo.lockDepartment(tx, departmentId)
      const now = clock.now()
      const from = input.validFrom ? new Date(input.validFrom) : now
      const until = input.validUntil ? new Date(input.validUntil) : null
      const latest = await repo.latestDelegation(tx, departmentId)
      const problem = delegationPeriodProblem({ from, until, now, latestFrom: latest?.validFrom ?? null })
      if (problem?.code === 'period') throw new DelegationPeriodInvalid(problem.detail)
      if (problem?.code === 'backdated') throw new DelegationBackdated(problem.detail)
      if (problem?.code === 'out_of_order') throw new DelegationOutOfOrder(problem.detail)
      const ended = await repo.endDelegationsAt(tx, departmentId, from)
      const row = await repo.insertDelegation(tx, {
        departmentId,
        chiefRepId: input.chiefRepId,
        itemCodes: input.itemCodes,
        decisions: input.decisions,
        reference: input.reference,
        validFrom: from,
        validUntil: until,
        recordedBy: actor.principal.accountId,
        recordedAt: now
      })
      for (const previous of ended) {
        await audit.append(tx, auditRecord(actor, 'delegation.ended', 'delegation', previous.id, { departmentId, validUntil: from.toISOString(), supersededBy: row.id }))
      }
      await audit.append(tx, auditRecord(actor, 'delegation.recorded', 'delegation', row.id, {
        departmentId,
        chiefRepId: row.chiefRepId,
        itemCodes: row.itemCodes,
        decisions: row.decisions,
        reference: row.reference,
        validFrom: from.toISOString(),
        validUntil: until?.toISOString() ?? null,
        supersedes: ended.map((previous) => previous.id)
      }))
      return toDelegationView(row, now)
    })
  }

  /** The department's delegations, newest first. */
  async function listDelegations (actor: Actor, departmentId: string): Promise<DelegationView[]> {
    assertManagesDelegations(actor, departmentId)
    if (!await repo.findDepartment(db, departmentId)) throw new DepartmentNotFound(departmentId)
    const now = clock.now()
    return (await repo.listDelegations(db, departmentId)).map((row) => toDelegationView(row, now))
  }

  /** The delegation of the department in force at `at`, or null (used by the cases module). */
  async function delegationInForce (departmentId: string, at: Date, on: Queryable = db): Promise<DelegationInForce | null> {
    const row = await repo.delegationAt(on, departmentId, at)
    if (!row) return null
    return {
      id: row.id,
      chiefRepId: row.chiefRepId,
      delegation: { items: row.itemCodes, decisions: row.decisions as CaseDecision[], from: row.validFrom, until: row.validUntil }
    }
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
    scopeExists,
    registerItemCodesCheck,
    recordDelegation,
    listDelegations,
    delegationInForce
  }
}

export type DepartmentsService = ReturnType<typeof createDepartmentsService>
