import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  CreateFeeItemSchema, DecideVersionSchema, FeeItemParams, FeeItemSchema, FeeStandardSchema, FeeVersionInputSchema,
  FeeVersionParams, QuoteResultSchema, QuoteSchema, StandardsQuery
} from './fees.schemas.ts'
import type { FeesService } from './fees.service.ts'

export const feesRoutes: FastifyPluginAsyncTypebox<{ service: FeesService }> = async (app, { service }) => {
  const tags = ['fees']

  app.get('/fee-standards', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listFeeStandards', summary: 'The fee standards in force (public)', querystring: StandardsQuery, response: { 200: Type.Array(FeeStandardSchema) } }
  }, async (request) => service.listStandards(request.query.on))

  app.post('/fee-standards/quote', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'quoteFees', summary: 'What given lines cost under the standards in force', body: QuoteSchema, response: { 200: QuoteResultSchema, ...problems(422) } }
  }, async (request) => {
    const on = request.body.on ?? app.calendar.today()
    const lines = await service.quote(request.body.lines, on)
    return {
      on,
      lines: lines.map((line) => ({ code: line.code, name: line.name, versionId: line.versionId, category: line.category, detail: line.detail, amountFen: Number(line.amountFen), receivingAccount: line.receivingAccount })),
      totalFen: Number(lines.reduce((sum, line) => sum + line.amountFen, 0n))
    }
  })

  app.get('/fee-items', {
    config: { policy: 'fees.manage' },
    schema: { tags, operationId: 'listFeeItems', summary: 'Fee items the caller manages, with all versions', response: { 200: Type.Array(FeeItemSchema), ...problems(401, 403) } }
  }, async (request) => service.listManaged(actorOf(request)))

  app.post('/fee-items', {
    config: { policy: 'fees.manage' },
    schema: { tags, operationId: 'createFeeItem', body: CreateFeeItemSchema, response: { 201: FeeItemSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.createItem(actorOf(request), request.body)))

  app.get('/fee-items/:feeItemId', {
    config: { policy: 'fees.manage' },
    schema: { tags, operationId: 'getFeeItem', params: FeeItemParams, response: { 200: FeeItemSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getItem(actorOf(request), request.params.feeItemId))

  app.post('/fee-items/:feeItemId/versions', {
    config: { policy: 'fees.manage' },
    schema: { tags, operationId: 'proposeFeeVersion', params: FeeItemParams, body: FeeVersionInputSchema, response: { 201: FeeItemSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.proposeVersion(actorOf(request), request.params.feeItemId, request.body)))

  app.post('/fee-versions/:versionId/decision', {
    config: { policy: 'fees.approve' },
    schema: { tags, operationId: 'decideFeeVersion', params: FeeVersionParams, body: DecideVersionSchema, response: { 200: FeeItemSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.decideVersion(actorOf(request), request.params.versionId, request.body))
}
