/**
 * Sealed bids (format v1, src/lib/sealed-bid): the checks submission makes without any key,
 * and the checks the opening makes with the revealed key, so the tender and opening modules
 * only decide *when*. A package is accepted at the opening only if nothing changed since it was
 * anchored before the deadline.
 */
import type { FastifyPluginAsync } from 'fastify'
import { sealedBidsRoutes } from './sealed-bids.routes.ts'
import { createSealedBidsService, type SealedBidsService } from './sealed-bids.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { sealedBids: SealedBidsService }
}

export const sealedBidsModule: FastifyPluginAsync = async (app) => {
  const service = createSealedBidsService({ db: app.db, pki: app.pki, clock: app.clock })
  app.services.sealedBids = service
  await app.register(sealedBidsRoutes, { service })
}
