/**
 * Sign-in throttles for the hall administrator: the account names and client addresses whose
 * failed sign-ins are remembered, the delays in force, and lifting one (audited by the service).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { formErrors, refusalProblems, type FormErrors } from '../form-problems.ts'
import { pageContext, renderPage } from '../render.ts'

export const throttlesPages: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts } = app.services

  async function showThrottles (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { message?: string } = {}) {
    return renderPage(request, reply, 'admin/throttles', { titleKey: 'throttles.title', throttles: await accounts.listThrottles(), ...extra })
  }

  app.get('/admin/sign-in-throttles', {
    config: { policy: 'accounts.throttles' },
    schema: { querystring: StrictObject({ done: Type.Optional(Type.Enum(['lifted'])) }) }
  }, async (request, reply) => showThrottles(request, reply, request.query.done ? { message: pageContext(request).t('throttles.lifted') } : {}))

  app.post('/admin/sign-in-throttles/:throttleId/lift', {
    config: { policy: 'accounts.throttles' },
    schema: { params: StrictObject({ throttleId: Uuid }) }
  }, async (request, reply) => {
    try {
      await accounts.liftThrottle(actorOf(request), request.params.throttleId)
      return reply.redirect('/admin/sign-in-throttles?done=lifted')
    } catch (error) {
      // a throttle lifted meanwhile (or forgotten after its quiet hour): said above the list, which is current
      const problems = refusalProblems(request, error, {})
      reply.code((error as { statusCode: number }).statusCode)
      return showThrottles(request, reply, formErrors(problems))
    }
  })
}
