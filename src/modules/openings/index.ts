/**
 * The live bid opening (开标), attended remotely (不见面开标): sign-in, the freeze at the deadline,
 * the random coefficient K by commit-reveal (its nonce due by a published deadline, with yellow and
 * red alarms; openings.coefficient.ts), the decryption window in which each bidder reveals
 * its key, Art. 31 outcomes and the escrow remedy, the signed opening record, confirmations and
 * objections. Everything happens in the live room `opening:<tenderId>` and the audit chain.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { MasterKey } from '../../lib/master-key.ts'
import { openingsRoutes } from './openings.routes.ts'
import { createOpeningsService, type OpeningsService } from './openings.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { openings: OpeningsService }
}

export interface OpeningsModuleOptions { masterKey: MasterKey, hallName: string, publicUrl: string }

export const openingsModule: FastifyPluginAsync<OpeningsModuleOptions> = async (app, options) => {
  const { tenders, projects, bids, sealedBids, escrows } = app.services
  const service = createOpeningsService({
    db: app.db,
    audit: app.audit,
    clock: app.clock,
    live: app.live,
    timers: app.timers,
    store: app.store,
    pki: app.pki,
    log: app.log,
    masterKey: options.masterKey,
    hallName: options.hallName,
    publicUrl: options.publicUrl,
    tenders,
    projects,
    bids,
    sealedBids,
    escrows
  })
  app.services.openings = service
  // record copies being made after a commit finish before the database and the store close
  app.addHook('preClose', () => service.idle())
  // anyone may watch the room of a published tender; each event's audience decides what they see
  app.live.defineRoomKind('opening', {
    canJoin: async (principal, roomId) => service.mayWatch(principal, roomId.slice('opening:'.length))
  })
  await app.register(openingsRoutes, { service })
}
