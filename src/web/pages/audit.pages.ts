/** The supervisor's and administrator's view of the audit log: browse, verify, checkpoint. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import type { AuditReport } from '../../plugins/audit.ts'
import { optional } from '../forms.ts'
import { hasMessage } from '../i18n.ts'
import { renderPage } from '../render.ts'

export const auditPages: FastifyPluginAsyncTypebox = async (app) => {
  const { audit, accounts } = app.services

  async function showAudit (request: FastifyRequest, reply: FastifyReply, filter: { action?: string, subjectId?: string }, extra: {
    report?: AuditReport
    checkpoint?: { number: number, heads: number } | null
  } = {}) {
    const page = await audit.listEntries({ ...filter, limit: 100 })
    const actorIds = [...new Set(page.items.map((entry) => entry.actorId).filter((id): id is string => id !== null))]
    const actors = new Map<string, string>()
    for (const id of actorIds) actors.set(id, (await accounts.getAccount(id).catch(() => null))?.displayName ?? id)
    return renderPage(request, reply, 'audit', {
      titleKey: 'audit.title',
      filter,
      // a subject type with words reads as words; any other shows as the record has it
      entries: page.items.map((entry) => ({
        ...entry,
        actorName: entry.actorId ? actors.get(entry.actorId) : null,
        subjectWords: hasMessage(`audit.subjectType.${entry.subjectType}`) ? `audit.subjectType.${entry.subjectType}` : null
      })),
      key: audit.publicKey(),
      canCheckpoint: mayAttempt(actorOf(request).principal, 'audit.checkpoint'),
      ...extra
    })
  }

  app.get('/audit', {
    config: { policy: 'audit.read' },
    schema: {
      querystring: StrictObject({
        action: Type.Optional(Type.String({ maxLength: 80, pattern: '^[a-z_.]*$' })),
        subjectId: Type.Optional(Type.String({ maxLength: 200 }))
      })
    }
  }, async (request, reply) => showAudit(request, reply, { action: optional(request.query.action), subjectId: optional(request.query.subjectId) }))

  app.post('/audit/verify', { config: { policy: 'audit.read' } }, async (request, reply) =>
    showAudit(request, reply, {}, { report: await audit.verify() }))

  app.post('/audit/checkpoints', { config: { policy: 'audit.checkpoint' } }, async (request, reply) =>
    showAudit(request, reply, {}, { checkpoint: (await audit.checkpoint()).checkpoint }))
}
