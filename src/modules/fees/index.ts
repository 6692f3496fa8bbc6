/**
 * Fee items and their standards (收费项目与标准). An item's versions are proposed to start today
 * or later and move proposed → approved | rejected (approved by someone other than the proposer,
 * never with a start in the past); approved versions never change, and the one in force on a date
 * prices the notices issued that day. The standards in force are public.
 */
import type { FastifyPluginAsync } from 'fastify'
import { feesRoutes } from './fees.routes.ts'
import { createFeesService, type FeesService } from './fees.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { fees: FeesService }
}

export const feesModule: FastifyPluginAsync = async (app) => {
  const departments = app.services.departments
  const service = createFeesService({
    db: app.db, audit: app.audit, clock: app.clock, calendar: app.calendar, departmentExists: (id) => departments.scopeExists('department', id)
  })
  app.services.fees = service
  await app.register(feesRoutes, { service })
}
