/** One signed-in account per role of the policy layer, each granted in the role's usual scope. */
import type { FastifyInstance } from 'fastify'
import { ROLES, ROLE_SCOPES, type Grant, type Role } from '../../src/lib/policy.ts'
import { createUser, hallAdmin, organisation, type TestUser } from './accounts.ts'
import { createDepartment } from './departments.ts'

/** Roles that companies and agencies hold (organisation accounts with a credit code). */
const ORGANISATION_ROLES: ReadonlySet<Role> = new Set(['bidder', 'agency', 'tenderer'])

export interface RoleCast {
  /** the hall administrator that set the cast up (also `byRole.hall_admin`) */
  admin: TestUser
  /** the department the department-scoped roles (clerk, chief_rep, dept_admin) are granted in */
  department: { id: string, code: string, name: string }
  byRole: Record<Role, TestUser>
  /** the one grant each of them holds */
  grants: Record<Role, Grant>
}

/**
 * Every role of ROLES once: hall-wide where the role may be granted hall-wide, otherwise in one
 * department. A role added to ROLES is covered without touching this file.
 */
export async function oneOfEachRole (app: FastifyInstance): Promise<RoleCast> {
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id, '县角色测试局')
  const byRole = { hall_admin: admin } as Record<Role, TestUser>
  const grants = {} as Record<Role, Grant>
  for (const role of ROLES) {
    const grant: Grant = ROLE_SCOPES[role].includes('hall')
      ? { role, scopeType: 'hall', scopeId: null }
      : { role, scopeType: 'department', scopeId: department.id }
    grants[role] = grant
    if (role === 'hall_admin') continue
    byRole[role] = ORGANISATION_ROLES.has(role) ? await organisation(app, role) : await createUser(app, { grants: [grant] })
  }
  return { admin, department, byRole, grants }
}
