import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { StatementMediaType } from './reconciliation.errors.ts'
import {
  ConfirmRemittanceSchema, CreateRemittancesSchema, DifferenceParams, DifferenceSchema, FinanceDaySchema, FinanceSummaryQuery,
  ImportStatementQuery, RemittanceCheckSchema, RemittanceParams, RemittanceSchema, ResolveDifferenceSchema, StatementDetailSchema,
  StatementParams, StatementSchema
} from './reconciliation.schemas.ts'
import type { ReconciliationService } from './reconciliation.service.ts'

export const reconciliationRoutes: FastifyPluginAsyncTypebox<{ service: ReconciliationService }> = async (app, { service }) => {
  const tags = ['reconciliation']
  // the statement is streamed to the service as it arrives, never buffered whole
  app.addContentTypeParser('text/csv', (_request, payload, done) => { done(null, payload) })

  app.post('/bank-statements', {
    config: { policy: 'finance.reconcile' },
    schema: {
      tags,
      operationId: 'importBankStatement',
      summary: 'Imports a bank\'s statement of one day (text/csv, README "Bank statement format") and lists the differences',
      consumes: ['text/csv'],
      querystring: ImportStatementQuery,
      response: { 201: StatementSchema, ...problems(401, 403, 409, 415, 422) }
    }
  }, async (request, reply) => {
    if (!(request.body instanceof Readable)) throw new StatementMediaType()
    const statement = await service.importStatement(actorOf(request), { bankCode: request.query.bankCode, statementDate: request.query.date, source: request.body })
    return reply.code(201).send(statement)
  })

  app.get('/bank-statements', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'listBankStatements', response: { 200: Type.Array(StatementSchema), ...problems(401, 403) } }
  }, async () => service.listStatements())

  app.get('/bank-statements/:statementId', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'getBankStatement', summary: 'A statement and its differences, open ones first', params: StatementParams, response: { 200: StatementDetailSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getStatement(request.params.statementId))

  app.get('/bank-statements/:statementId/file', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'getBankStatementFile', summary: 'The bank\'s file exactly as imported (its SHA-256 is the statement\'s sha256)', params: StatementParams, response: { 200: Type.Unknown({ description: 'text/csv' }), ...problems(401, 403, 404) } }
  }, async (request, reply) => {
    const file = await service.statementFile(request.params.statementId)
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file.name}"`).send(file.body)
  })

  app.post('/reconciliation-differences/:differenceId/resolution', {
    config: { policy: 'finance.reconcile' },
    schema: { tags, operationId: 'resolveDifference', params: DifferenceParams, body: ResolveDifferenceSchema, response: { 200: DifferenceSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.resolve(actorOf(request), request.params.differenceId, request.body))

  app.get('/remittances', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'listRemittances', response: { 200: Type.Array(RemittanceSchema), ...problems(401, 403) } }
  }, async () => service.listRemittances())

  app.post('/remittances', {
    config: { policy: 'finance.reconcile' },
    schema: { tags, operationId: 'createRemittances', summary: 'Remits collected non-tax revenue up to a day, one batch per fiscal account', body: CreateRemittancesSchema, response: { 201: Type.Array(RemittanceSchema), ...problems(401, 403, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.createRemittances(actorOf(request), request.body.throughDate)))

  app.post('/remittances/:batchId/confirmation', {
    config: { policy: 'finance.reconcile' },
    schema: { tags, operationId: 'confirmRemittance', summary: 'Records the bank transfer of a remittance', params: RemittanceParams, body: ConfirmRemittanceSchema, response: { 200: RemittanceSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.confirmRemittance(actorOf(request), request.params.batchId, request.body))

  app.get('/remittances/check', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'checkRemittances', response: { 200: RemittanceCheckSchema, ...problems(401, 403) } }
  }, async () => service.checkRemittances())

  app.get('/finance/daily', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'financeDaily', summary: 'Collected, remitted, deposits and refunds per day, from the ledger', querystring: FinanceSummaryQuery, response: { 200: Type.Array(FinanceDaySchema), ...problems(401, 403) } }
  }, async (request) => service.financeSummary(request.query.from, request.query.to))
}
