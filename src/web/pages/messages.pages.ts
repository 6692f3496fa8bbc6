/**
 * The inbox (/messages) of every signed-in account, the hall administrator's review of
 * organisations' registrations (/admin/registrations, approve or refuse after a confirmation),
 * and, with the simulated SMS gateway only, what it received (/admin/simulated-sms).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { REGISTRATION_STATES } from '../../../schema/index.ts'
import { formErrors, refusalProblems, type FormErrors } from '../form-problems.ts'
import { pageContext, renderPage } from '../render.ts'
import { formState, problemOf, type FieldProblem } from './registration.pages.ts'

export const messagesPages: FastifyPluginAsyncTypebox = async (app) => {
  const { notifier, registration } = app.services

  async function showInbox (request: FastifyRequest, reply: FastifyReply, query: { unread?: '1', page?: number }, extra: Partial<FormErrors> = {}) {
    const page = query.page ?? 1
    const inbox = await notifier.listInbox(actorOf(request), { unread: query.unread === '1', limit: 50, offset: (page - 1) * 50 })
    return renderPage(request, reply, 'messages', { titleKey: 'messages.title', inbox, unreadOnly: query.unread === '1', page, pages: Math.max(1, Math.ceil(inbox.total / 50)), ...extra })
  }

  /** A message gone meanwhile (or never the reader's): said above the inbox, which is current. */
  async function refusedInbox (request: FastifyRequest, reply: FastifyReply, error: unknown) {
    const problems = refusalProblems(request, error, {})
    reply.code((error as { statusCode: number }).statusCode)
    return showInbox(request, reply, {}, formErrors(problems))
  }

  app.get('/messages', {
    config: { policy: 'authenticated' },
    schema: { querystring: StrictObject({ unread: Type.Optional(Type.Enum(['1'])), page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }) }
  }, async (request, reply) => showInbox(request, reply, request.query))

  app.post('/messages/:messageId/read', {
    config: { policy: 'authenticated' },
    schema: { params: StrictObject({ messageId: Uuid }) }
  }, async (request, reply) => {
    try {
      const message = await notifier.markRead(actorOf(request), request.params.messageId)
      // a message that points somewhere opens it; others stay on the inbox
      return reply.redirect(message.link && message.link.startsWith('/') && !message.link.startsWith('//') ? message.link : '/messages')
    } catch (error) {
      return refusedInbox(request, reply, error)
    }
  })

  app.post('/messages/read-all', { config: { policy: 'authenticated' } }, async (request, reply) => {
    try {
      await notifier.markAllRead(actorOf(request))
      return reply.redirect('/messages')
    } catch (error) {
      return refusedInbox(request, reply, error)
    }
  })

  const StateQuery = StrictObject({ state: Type.Optional(Type.Enum(REGISTRATION_STATES)), done: Type.Optional(Type.Enum(['approved', 'refused'])) })

  app.get('/admin/registrations', { config: { policy: 'registrations.review' }, schema: { querystring: StateQuery } }, async (request, reply) => {
    const state = request.query.state ?? 'pending'
    return renderPage(request, reply, 'admin/registrations', {
      titleKey: 'registrations.title',
      state,
      registrations: await registration.listRegistrations({ state, limit: 200, offset: 0 }),
      messageKey: request.query.done ? `registrations.done.${request.query.done}` : undefined,
      simulatedSms: notifier.driverName === 'simulated'
    })
  })

  async function showReview (request: FastifyRequest, reply: FastifyReply, id: string, decision: 'approve' | 'refuse', values: Record<string, unknown> = {}, problems: FieldProblem[] = []) {
    return renderPage(request, reply, 'admin/registration-review', {
      titleKey: 'registrations.review.title', registration: await registration.getRegistration(id), decision, values, ...formState(problems)
    })
  }

  // a binding decision: the page says what will happen and asks once more
  app.get('/admin/registrations/:registrationId/review', {
    config: { policy: 'registrations.review' },
    schema: { params: StrictObject({ registrationId: Uuid }), querystring: StrictObject({ decision: Type.Enum(['approve', 'refuse']) }) }
  }, async (request, reply) => showReview(request, reply, request.params.registrationId, request.query.decision))

  app.post('/admin/registrations/:registrationId/decision', {
    config: { policy: 'registrations.review' },
    schema: { params: StrictObject({ registrationId: Uuid }), body: StrictObject({ decision: Type.Enum(['approve', 'refuse']), reason: Type.Optional(Type.String({ maxLength: 500 })) }) }
  }, async (request, reply) => {
    const { registrationId } = request.params
    const { decision } = request.body
    const reason = (request.body.reason ?? '').trim()
    if (decision === 'refuse' && !reason) {
      reply.code(400)
      return showReview(request, reply, registrationId, decision, { reason }, [{ field: 'reason', message: pageContext(request).t('errors.REFUSAL_REASON_REQUIRED') }])
    }
    try {
      if (decision === 'approve') await registration.approveRegistration(actorOf(request), registrationId)
      else await registration.refuseRegistration(actorOf(request), registrationId, reason)
      return reply.redirect(`/admin/registrations?done=${decision === 'approve' ? 'approved' : 'refused'}`)
    } catch (error) {
      const problem = problemOf(request, error)
      reply.code((error as { statusCode: number }).statusCode)
      return showReview(request, reply, registrationId, decision, { reason }, [problem])
    }
  })

  // the simulated gateway's inbox: the demo reads its codes here (never in production)
  if (notifier.driverName === 'simulated') {
    app.get('/admin/simulated-sms', { config: { policy: 'notifications.deliveries' } }, async (request, reply) =>
      renderPage(request, reply, 'admin/simulated-sms', {
        titleKey: 'simulatedSms.title',
        received: await notifier.listSimulated({ limit: 100 }),
        deliveries: await notifier.listDeliveries({ limit: 100 })
      }))
  }
}
