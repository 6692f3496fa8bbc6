import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../../lib/http-schemas.ts'
import { AuditEntryPageSchema, AuditEntryQuery, AuditKeySchema, AuditReportSchema, CheckpointResultSchema } from './audit.schemas.ts'
import type { AuditQueryService } from './audit.service.ts'

export const auditRoutes: FastifyPluginAsyncTypebox<{ service: AuditQueryService }> = async (app, { service }) => {
  const tags = ['audit']

  app.get('/audit/verify', {
    config: { policy: 'audit.read' },
    schema: {
      tags,
      operationId: 'verifyAuditLog',
      summary: 'Re-computes every chain and checkpoint; reports "intact" or the first break',
      response: { 200: AuditReportSchema, ...problems(401, 403) }
    }
  }, async () => service.verify())

  app.get('/audit/entries', {
    config: { policy: 'audit.read' },
    schema: { tags, operationId: 'listAuditEntries', querystring: AuditEntryQuery, response: { 200: AuditEntryPageSchema, ...problems(401, 403) } }
  }, async (request) => service.listEntries(request.query))

  app.post('/audit/checkpoints', {
    config: { policy: 'audit.checkpoint' },
    schema: { tags, operationId: 'createAuditCheckpoint', summary: 'Signs the moved stream heads now (also runs periodically)', response: { 200: CheckpointResultSchema, ...problems(401, 403) } }
  }, async () => service.checkpoint())

  app.get('/audit/key', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getAuditKey', summary: 'Public key that signs audit checkpoints', security: [], response: { 200: AuditKeySchema } }
  }, async () => service.publicKey())
}
