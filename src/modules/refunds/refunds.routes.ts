import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { ExecuteRefundSchema, RefundListQuery, RefundParams, RefundSchema, RequestRefundSchema } from './refunds.schemas.ts'
import type { RefundsService } from './refunds.service.ts'

export const refundsRoutes: FastifyPluginAsyncTypebox<{ service: RefundsService }> = async (app, { service }) => {
  const tags = ['refunds']

  app.get('/refunds', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'listRefunds', summary: 'Refund tasks; pending ones by deadline, with their alarm colour', querystring: RefundListQuery, response: { 200: Type.Array(RefundSchema), ...problems(401, 403) } }
  }, async (request) => service.list(request.query))

  app.post('/refunds', {
    config: { policy: 'refunds.request' },
    schema: { tags, operationId: 'requestRefund', body: RequestRefundSchema, response: { 201: RefundSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.refund(actorOf(request), request.body)))

  app.get('/refunds/:refundId', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'getRefund', params: RefundParams, response: { 200: RefundSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.get(request.params.refundId))

  app.post('/refunds/:refundId/payment', {
    config: { policy: 'refunds.execute' },
    schema: { tags, operationId: 'payRefund', summary: 'Records the transfer back to the original account', params: RefundParams, body: ExecuteRefundSchema, response: { 200: RefundSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.execute(actorOf(request), request.params.refundId, request.body))
}
