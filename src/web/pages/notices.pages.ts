/** Notices: everyone reads what is addressed to them (live); publishers write and withdraw. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt, ROLES } from '../../lib/policy.ts'
import { PublishNoticeSchema, type NoticeView } from '../../modules/notices/notices.schemas.ts'
import { mayWithdraw } from '../../modules/notices/notices.rules.ts'
import { checked } from '../forms.ts'
import { messageFor, renderPage } from '../render.ts'

export const noticesPages: FastifyPluginAsyncTypebox = async (app) => {
  const { notices } = app.services

  async function showNotices (request: FastifyRequest, reply: FastifyReply, extra: { error?: string } = {}) {
    const principal = request.principal
    const canPublish = principal !== null && mayAttempt(principal, 'notices.publish')
    return renderPage(request, reply, 'notices', {
      titleKey: 'notices.title',
      notices: await notices.listVisible(principal, 100),
      canPublish,
      withdrawable: (notice: NoticeView) => canPublish && mayWithdraw(principal, notice.publishedBy),
      roles: ROLES,
      ...extra
    })
  }

  app.get('/notices', { config: { policy: 'public' } }, async (request, reply) => showNotices(request, reply))

  app.post('/notices', {
    config: { policy: 'notices.publish' },
    schema: {
      body: StrictObject({
        title: Type.String({ maxLength: 120 }),
        body: Type.String({ maxLength: 4000 }),
        public: Type.Optional(Type.Literal('true')),
        roles: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Array(Type.String({ maxLength: 20 }), { maxItems: 11 })]))
      })
    }
  }, async (request, reply) => {
    const { title, body, roles } = request.body
    try {
      const audience = request.body.public ? { public: true as const } : { roles: roles === undefined ? [] : [roles].flat() }
      await notices.publish(actorOf(request), checked(PublishNoticeSchema, { title: title.trim(), body: body.trim(), audience }))
      return reply.redirect('/notices')
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      return showNotices(request, reply, { error: messageFor(request, error) })
    }
  })

  app.post('/notices/:noticeId/withdraw', {
    config: { policy: 'notices.publish' },
    schema: { params: StrictObject({ noticeId: Uuid }) }
  }, async (request, reply) => {
    await notices.withdraw(actorOf(request), request.params.noticeId)
    return reply.redirect('/notices')
  })
}
