import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { BankParams, BankSchema, BankWithKeySchema, CreateBankSchema, UpdateBankSchema } from './banks.schemas.ts'
import type { BanksService } from './banks.service.ts'

export const banksRoutes: FastifyPluginAsyncTypebox<{ service: BanksService }> = async (app, { service }) => {
  const tags = ['banks']

  app.get('/banks', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'listBanks', response: { 200: Type.Array(BankSchema), ...problems(401, 403) } }
  }, async () => service.listBanks())

  app.post('/banks', {
    config: { policy: 'banks.manage' },
    schema: { tags, operationId: 'registerBank', summary: 'Registers a collecting bank; answers its HMAC key once', body: CreateBankSchema, response: { 201: BankWithKeySchema, ...problems(401, 403, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.createBank(actorOf(request), request.body)))

  app.post('/banks/:bankId/key', {
    config: { policy: 'banks.manage' },
    schema: { tags, operationId: 'rotateBankKey', summary: 'Replaces the bank\'s HMAC key; the old one stops working at once', params: BankParams, response: { 200: BankWithKeySchema, ...problems(401, 403, 404) } }
  }, async (request) => service.rotateHmacKey(actorOf(request), request.params.bankId))

  app.patch('/banks/:bankId', {
    config: { policy: 'banks.manage' },
    schema: { tags, operationId: 'updateBank', params: BankParams, body: UpdateBankSchema, response: { 200: BankSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.setActive(actorOf(request), request.params.bankId, request.body.active))
}
