/**
 * Reconciliation with the banks and remittance to the fiscal accounts (对账与汇缴).
 * A bank's statement of a day is imported whole or refused whole; every difference from the
 * hall's records (missing, unexpected, amount mismatch) is an open item until someone resolves it
 * (reconciliation.rules.ts). Remittance batches move collected non-tax revenue to its fiscal
 * account (created → confirmed by the bank transfer), and their totals are checked against the ledger.
 */
import type { FastifyPluginAsync } from 'fastify'
import { reconciliationRoutes } from './reconciliation.routes.ts'
import { createReconciliationService, type ReconciliationService } from './reconciliation.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { reconciliation: ReconciliationService }
}

export const reconciliationModule: FastifyPluginAsync = async (app) => {
  const { ledger, banks, payments } = app.services
  const service = createReconciliationService({ db: app.db, audit: app.audit, clock: app.clock, store: app.store, log: app.log, ledger, banks, payments })
  app.services.reconciliation = service
  payments.useParkedCredits(service.parkedCredit)
  await app.register(reconciliationRoutes, { service })
}
