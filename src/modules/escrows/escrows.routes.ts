import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { CreateEscrowSchema, EscrowParams, EscrowSchema, MyShareSchema, SubmitShareSchema } from './escrows.schemas.ts'
import type { EscrowsService } from './escrows.service.ts'

export const escrowsRoutes: FastifyPluginAsyncTypebox<{ service: EscrowsService }> = async (app, { service }) => {
  const tags = ['escrows']

  app.post('/escrows', {
    config: { policy: 'escrows.create' },
    schema: { tags, operationId: 'createEscrow', summary: 'Create a K-of-N escrow key for a tender (its private key is split among custodians)', body: CreateEscrowSchema, response: { 201: EscrowSchema, ...problems(401, 403, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.createEscrow(actorOf(request), request.body)))

  app.get('/escrows/:escrowId', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getEscrow', params: EscrowParams, response: { 200: EscrowSchema, ...problems(401, 404) } }
  }, async (request) => service.getEscrow(actorOf(request), request.params.escrowId))

  app.get('/escrows/:escrowId/share', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getMyEscrowShare', summary: 'A custodian\'s encrypted share', params: EscrowParams, response: { 200: MyShareSchema, ...problems(401, 404) } }
  }, async (request) => service.myShare(actorOf(request), request.params.escrowId))

  app.post('/escrows/:escrowId/shares', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'submitEscrowShare', summary: 'After the deadline, a custodian hands in its decrypted share', params: EscrowParams, body: SubmitShareSchema, response: { 204: Type.Null(), ...problems(401, 404, 409, 422) } }
  }, async (request, reply) => {
    await service.submitShare(actorOf(request), request.params.escrowId, request.body.share)
    return reply.code(204).send(null)
  })
}
