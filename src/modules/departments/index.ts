/**
 * Departments and windows: the organisational scopes roles are granted in.
 * A department window belongs to one department; the agency and major-project windows belong to
 * the hall. Departments and windows are public information (the hall's directory).
 * Windows are activated / deactivated, never deleted (cases keep pointing at them).
 */
import type { FastifyPluginAsync } from 'fastify'
import { departmentsRoutes } from './departments.routes.ts'
import { createDepartmentsService, type DepartmentsService } from './departments.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { departments: DepartmentsService }
}

export const departmentsModule: FastifyPluginAsync = async (app) => {
  const service = createDepartmentsService({ db: app.db, audit: app.audit })
  app.services.departments = service
  await app.register(departmentsRoutes, { service })
}
