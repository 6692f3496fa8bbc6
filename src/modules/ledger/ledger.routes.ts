import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { problems } from '../../lib/http-schemas.ts'
import { AccountBalanceSchema, BalancesQuery, BooksCheckSchema, LedgerTransactionSchema, TransactionsQuery } from './ledger.schemas.ts'
import type { LedgerService } from './ledger.service.ts'

export const ledgerRoutes: FastifyPluginAsyncTypebox<{ service: LedgerService }> = async (app, { service }) => {
  const tags = ['ledger']

  app.get('/ledger/balances', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'getLedgerBalances', summary: 'Balance of every account, derived from the entries', querystring: BalancesQuery, response: { 200: Type.Array(AccountBalanceSchema), ...problems(401, 403) } }
  }, async (request) => service.accountBalances(request.query.asOf ?? null))

  app.get('/ledger/transactions', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'listLedgerTransactions', querystring: TransactionsQuery, response: { 200: Type.Array(LedgerTransactionSchema), ...problems(401, 403) } }
  }, async (request) => {
    const { reference, limit = 50, offset = 0 } = request.query
    return reference ? service.transactionsFor(reference) : service.recent(limit, offset)
  })

  app.get('/ledger/check', {
    config: { policy: 'finance.read' },
    schema: { tags, operationId: 'checkLedger', summary: 'Re-adds every transaction and the whole ledger', response: { 200: BooksCheckSchema, ...problems(401, 403) } }
  }, async () => service.checkBooks())
}
