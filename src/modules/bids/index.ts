/**
 * Sealed bid submission (投标): every bid, replacement and withdrawal is a new version, and each
 * bidder's latest version counts. Nothing is accepted after the deadline (server time when the
 * upload completes), nothing is stored for a refused or interrupted upload, and before the
 * deadline nobody can list bidders or count bids. The bid bond (paid notice or guarantee
 * letter) is tracked per bidder for the opening.
 */
import type { FastifyPluginAsync } from 'fastify'
import { bidsRoutes } from './bids.routes.ts'
import { SWEEP_TIMER, createBidsService, type BidsService } from './bids.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { bids: BidsService }
}

export const bidsModule: FastifyPluginAsync = async (app) => {
  const { tenders, sealedBids, pki: pkiService, payments, escrows } = app.services
  const service = createBidsService({ db: app.db, audit: app.audit, clock: app.clock, store: app.store, tenders, sealedBids, pkiService, payments, escrows, signerCertificate: app.pki.signerCertificate, log: app.log })
  app.services.bids = service
  // the sweep works on its own connections, not in the timer's transaction (it deletes objects)
  app.timers.define(SWEEP_TIMER, async () => { await service.sweepAbandonedUploads() })
  await app.timers.ensureRecurring(app.db, { kind: SWEEP_TIMER, key: SWEEP_TIMER, firstAt: new Date(app.clock.now().getTime() + 15 * 60_000), intervalSeconds: 15 * 60 })
  await app.register(bidsRoutes, { service })
}
