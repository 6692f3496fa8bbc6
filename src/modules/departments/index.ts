/**
 * Departments and windows: the organisational scopes roles are granted in.
 * A department window belongs to one department; the agency and major-project windows belong to
 * the hall. Departments and windows are public information (the hall's directory).
 * Windows are activated / deactivated, never deleted (cases keep pointing at them).
 *
 * Each department has at most one chief representative (首席代表) at a time, acting under a
 * recorded, dated delegation (授权书): which items, which decisions, from when until when.
 * Recording a new delegation ends the one running at its start; delegations are never edited or
 * deleted, so the history shows who could decide what on any day.
 */
import type { FastifyPluginAsync } from 'fastify'
import { departmentsRoutes } from './departments.routes.ts'
import { createDepartmentsService, type DepartmentsService } from './departments.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { departments: DepartmentsService }
}

export const departmentsModule: FastifyPluginAsync = async (app) => {
  const service = createDepartmentsService({
    db: app.db,
    audit: app.audit,
    clock: app.clock,
    // the accounts module is registered after this one; it is there by the time a delegation is recorded
    accountGrants: (accountId) => app.services.accounts.getAccount(accountId).catch(() => null)
  })
  app.services.departments = service
  await app.register(departmentsRoutes, { service })
}
