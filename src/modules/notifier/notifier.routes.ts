import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  DeliveryListQuery, DeliverySchema, InboxMessageSchema, MarkedSchema, MessageListQuerySchema, MessageListSchema, MessageParams,
  SimulatedSmsQuery, SimulatedSmsSchema
} from './notifier.schemas.ts'
import type { NotifierService } from './notifier.service.ts'

export const notifierRoutes: FastifyPluginAsyncTypebox<{ service: NotifierService }> = async (app, { service }) => {
  const tags = ['notifications']

  app.get('/messages', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listOwnMessages', summary: 'The signed-in account\'s inbox, newest first', querystring: MessageListQuerySchema, response: { 200: MessageListSchema, ...problems(401) } }
  }, async (request) => service.listInbox(actorOf(request), request.query))

  app.post('/messages/:messageId/read', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'markMessageRead', params: MessageParams, response: { 200: InboxMessageSchema, ...problems(401, 404) } }
  }, async (request) => service.markRead(actorOf(request), request.params.messageId))

  app.post('/messages/read-all', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'markAllMessagesRead', response: { 200: MarkedSchema, ...problems(401) } }
  }, async (request) => service.markAllRead(actorOf(request)))

  app.get('/sms-deliveries', {
    config: { policy: 'notifications.deliveries' },
    schema: { tags, operationId: 'listSmsDeliveries', summary: 'SMS deliveries and their state (numbers masked, texts never shown)', querystring: DeliveryListQuery, response: { 200: Type.Array(DeliverySchema), ...problems(401, 403) } }
  }, async (request) => service.listDeliveries(request.query))

  // the simulated gateway's inbox exists only with SMS_DRIVER=simulated (never in production)
  if (service.driverName === 'simulated') {
    app.get('/simulated-sms', {
      config: { policy: 'notifications.deliveries' },
      schema: { tags, operationId: 'listSimulatedSms', summary: 'What the simulated SMS gateway received (demo and tests only)', querystring: SimulatedSmsQuery, response: { 200: Type.Array(SimulatedSmsSchema), ...problems(401, 403) } }
    }, async (request) => service.listSimulated(request.query))
  }
}
