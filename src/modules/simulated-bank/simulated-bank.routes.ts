import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { problems } from '../../lib/http-schemas.ts'
import {
  SimulatedPaymentResultSchema, SimulatedPaymentSchema, SimulatedTransferResultSchema, SimulatedTransferSchema, StatementDateParams
} from './simulated-bank.schemas.ts'
import type { SimulatedBankService } from './simulated-bank.service.ts'

export const simulatedBankRoutes: FastifyPluginAsyncTypebox<{ service: SimulatedBankService }> = async (app, { service }) => {
  const tags = ['simulated bank']

  app.post('/simulated-bank/payments', {
    config: { policy: 'public', rateLimit: { max: 120, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'simulatedBankPay', summary: 'A payer pays a payment code at the simulated bank (demo)', body: SimulatedPaymentSchema, response: { 201: SimulatedPaymentResultSchema, ...problems(409) } }
  }, async (request, reply) => reply.code(201).send(await service.pay(request.body)))

  app.post('/simulated-bank/transfers', {
    config: { policy: 'finance.reconcile' },
    schema: { tags, operationId: 'simulatedBankTransfer', summary: 'The hall\'s finance desk sends money out (refunds, remittances)', body: SimulatedTransferSchema, response: { 201: SimulatedTransferResultSchema, ...problems(401, 403) } }
  }, async (request, reply) => reply.code(201).send(await service.transfer(request.body)))

  app.get('/simulated-bank/statements/:date', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'simulatedBankStatement', summary: 'The simulated bank\'s statement of a day, in the import format (text/csv)', params: StatementDateParams, response: { 200: Type.Unknown({ description: 'text/csv' }), ...problems(401, 403) } }
  }, async (request, reply) => reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="simbank-${request.params.date}.csv"`)
    .send(Readable.from(service.statement(request.params.date))))
}
