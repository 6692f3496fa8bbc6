/**
 * Audit: read, verify and checkpoint the hash-chained audit log (src/plugins/audit.ts).
 * Entries are append-only; there is no state machine, only a growing log whose integrity
 * anyone with audit.read can re-check at any time.
 */
import type { FastifyPluginAsync } from 'fastify'
import { auditRoutes } from './audit.routes.ts'
import { createAuditQueryService, type AuditQueryService } from './audit.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { audit: AuditQueryService }
}

export const auditModule: FastifyPluginAsync = async (app) => {
  const service = createAuditQueryService({ db: app.db, audit: app.audit })
  app.services.audit = service
  await app.register(auditRoutes, { service })
}
