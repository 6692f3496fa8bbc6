/**
 * Tenders (招标): draft → published → bidding → opening → evaluation → publicity → awarded →
 * contracted, with the exits cancelled and failed (tenders.rules.ts). This module carries a
 * tender to its bid deadline: publication under the statutory timing engine, documents with
 * their version history, the sale of the documents (a fee through unified fees), anonymous
 * questions answered as clarifications, objections that pause the procedure. Who obtained the
 * documents stays secret until the deadline. Bids themselves are the bids module's.
 */
import type { FastifyPluginAsync } from 'fastify'
import { tendersRoutes } from './tenders.routes.ts'
import { createTendersService, type TendersService } from './tenders.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { tenders: TendersService }
}

export const tendersModule: FastifyPluginAsync = async (app) => {
  const { projects, fees, payments, escrows } = app.services
  const { db, audit, clock, calendar, timers, live, store, log } = app
  const service = createTendersService({ db, audit, clock, calendar, timers, live, store, projects, fees, payments, escrows, log })
  app.services.tenders = service
  // the tender room is public: what it carries to a socket is filtered by each event's audience
  live.defineRoomKind('tender', { canJoin: async (principal, roomId) => service.visibleTender(principal, roomId.slice('tender:'.length)).then(() => true, () => false) })
  await app.register(tendersRoutes, { service })
}
