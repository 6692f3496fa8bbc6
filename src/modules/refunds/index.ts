/**
 * Refunds of bid bonds and auction deposits (保证金退还): pending → paid, to the account the
 * money came from only, within the working days the deposit's fee standard allows after the
 * trigger (award notice, contract, cancellation). Deadlines turn yellow and red like every hall
 * deadline; the changes are pushed to the `refunds:deadlines` room for supervisors and finance.
 */
import type { FastifyPluginAsync } from 'fastify'
import { hasRole } from '../../lib/policy.ts'
import { refundsRoutes } from './refunds.routes.ts'
import { REFUND_WATCHERS, REFUNDS_ROOM, createRefundsService, type RefundsService } from './refunds.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { refunds: RefundsService }
}

export const refundsModule: FastifyPluginAsync = async (app) => {
  const { ledger, banks, fees, payments } = app.services
  const { db, audit, clock, calendar, timers, live } = app
  const service = createRefundsService({ db, audit, clock, calendar, timers, live, ledger, banks, fees, payments })
  app.services.refunds = service
  app.live.defineRoomKind('refunds', {
    canJoin: (principal, roomId) => roomId === REFUNDS_ROOM && principal !== null && REFUND_WATCHERS.some((role) => hasRole(principal, role))
  })
  await app.register(refundsRoutes, { service })
}
