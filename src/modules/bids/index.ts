/**
 * Sealed bid submission (投标): every bid, replacement and withdrawal is a new version, and each
 * bidder's latest version counts. Nothing is accepted after the deadline (server time when the
 * upload completes), nothing is stored for a refused or interrupted upload, and before the
 * deadline nobody can list bidders or count bids. The bid bond (paid notice or guarantee
 * letter) is tracked per bidder for the opening.
 */
import type { FastifyPluginAsync } from 'fastify'
import { bidsRoutes } from './bids.routes.ts'
import { createBidsService, type BidsService } from './bids.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { bids: BidsService }
}

export const bidsModule: FastifyPluginAsync = async (app) => {
  const { tenders, sealedBids, pki: pkiService, payments, escrows } = app.services
  const service = createBidsService({ db: app.db, audit: app.audit, clock: app.clock, store: app.store, tenders, sealedBids, pkiService, payments, escrows, log: app.log })
  app.services.bids = service
  await app.register(bidsRoutes, { service })
}
