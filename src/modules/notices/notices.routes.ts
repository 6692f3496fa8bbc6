import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { NoticeParams, NoticeSchema, PublishNoticeSchema } from './notices.schemas.ts'
import type { NoticesService } from './notices.service.ts'

export const noticesRoutes: FastifyPluginAsyncTypebox<{ service: NoticesService }> = async (app, { service }) => {
  const tags = ['notices']

  app.get('/notices', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listNotices', summary: 'Current notices visible to the caller', response: { 200: Type.Array(NoticeSchema), ...problems(401) } }
  }, async (request) => service.listVisible(request.principal))

  app.post('/notices', {
    config: { policy: 'notices.publish' },
    schema: { tags, operationId: 'publishNotice', body: PublishNoticeSchema, response: { 201: NoticeSchema, ...problems(401, 403) } }
  }, async (request, reply) => reply.code(201).send(await service.publish(actorOf(request), request.body)))

  app.delete('/notices/:noticeId', {
    config: { policy: 'notices.publish' },
    schema: { tags, operationId: 'withdrawNotice', params: NoticeParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } }
  }, async (request, reply) => {
    await service.withdraw(actorOf(request), request.params.noticeId)
    return reply.code(204).send(null)
  })
}
