/**
 * Key escrow (optional per tender, declared in the tender documents): a remedy when a bidder
 * cannot decrypt through no fault of its own (Art. 31). States: created (key split among N
 * custodians, never stored whole) → shares submitted after the deadline → key reassembled in
 * memory from K shares, used inside the opening, wiped. Each step is in the audit chain.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { MasterKey } from '../../lib/master-key.ts'
import { escrowsRoutes } from './escrows.routes.ts'
import { createEscrowsService, type EscrowsService } from './escrows.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { escrows: EscrowsService }
}

export const escrowsModule: FastifyPluginAsync<{ masterKey: MasterKey }> = async (app, options) => {
  const service = createEscrowsService({ db: app.db, audit: app.audit, pki: app.pki, pkiService: app.services.pki, clock: app.clock, masterKey: options.masterKey })
  app.services.escrows = service
  await app.register(escrowsRoutes, { service })
}
