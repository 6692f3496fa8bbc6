/**
 * The double-entry ledger of the fee hall: append-only transactions whose entries sum to zero
 * (checked here and by the database at commit); corrections are reversals; balances are derived.
 * Posting rules: ledger.rules.ts. Other modules post through `app.services.ledger` inside their
 * own transactions.
 */
import type { FastifyPluginAsync } from 'fastify'
import { ledgerRoutes } from './ledger.routes.ts'
import { createLedgerService, type LedgerService } from './ledger.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { ledger: LedgerService }
}

export const ledgerModule: FastifyPluginAsync = async (app) => {
  const service = createLedgerService({ db: app.db })
  app.services.ledger = service
  await app.register(ledgerRoutes, { service })
}
