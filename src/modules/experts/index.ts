/**
 * The evaluation expert pool (评标专家库): experts linked to accounts (role expert, hall scope),
 * with specialties from the three-level classification (seeded as data), title, years of
 * practice, region, employment history, declared relations, penalties and suspensions, dates
 * unavailable, and this year's draw count (read from the drawing module's confirmed committees).
 * The drawing module reads these tables for eligibility, as schema/experts.ts documents them.
 *
 * Expert states: active ⇄ withdrawn (by the hall; the record stays).
 *
 * Profile changes the expert proposes (employer, declared relations), one pending at a time:
 *
 *   (none) ──propose──▶ pending ──approve (applied in the same transaction)──▶ approved
 *                          │   └──refuse (with a reason)─────────────────────▶ refused
 *                          └──withdraw (by the expert: the row is deleted, the audit log keeps it)
 *
 * Approving an employment ends the current one the day before the new one starts. Dates
 * unavailable take effect at once (from today, within a year, never overlapping). The hall
 * records employment, relations and penalties directly. A CSV import writes every row or none.
 */
import type { FastifyPluginAsync } from 'fastify'
import { expertsRoutes } from './experts.routes.ts'
import { createExpertsService, type ExpertsService } from './experts.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { experts: ExpertsService }
}

export const expertsModule: FastifyPluginAsync = async (app) => {
  const departments = app.services.departments
  const service = createExpertsService({
    db: app.db,
    audit: app.audit,
    auth: app.auth,
    clock: app.clock,
    departmentExists: (departmentId) => departments.scopeExists('department', departmentId)
  })
  app.services.experts = service
  await app.register(expertsRoutes, { service })
}
