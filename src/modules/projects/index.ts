/**
 * Project entry (统一进场) and the trading schedule. A project moves registered → accepted
 * (with a room and slot in the schedule) or registered → rejected. Rooms are never double
 * booked (an exclusion constraint decides). Tenders place their opening in a project's booking.
 */
import type { FastifyPluginAsync } from 'fastify'
import { projectsRoutes } from './projects.routes.ts'
import { createProjectsService, type ProjectsService } from './projects.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { projects: ProjectsService }
}

export const projectsModule: FastifyPluginAsync = async (app) => {
  const service = createProjectsService({ db: app.db, audit: app.audit, clock: app.clock })
  app.services.projects = service
  await app.register(projectsRoutes, { service })
}
