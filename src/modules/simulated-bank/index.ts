/**
 * The built-in simulated bank, served only when SIMULATED_BANK=true (refused in production).
 * It registers itself as bank `simbank` with a key derived from the master key and talks to the
 * hall only through the signed bank interface; see simulated-bank.service.ts.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { MasterKey } from '../../lib/master-key.ts'
import { simulatedBankRoutes } from './simulated-bank.routes.ts'
import { SIMULATED_BANK_CODE, createSimulatedBankService, type SimulatedBankService } from './simulated-bank.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { simulatedBank?: SimulatedBankService }
}

export const simulatedBankModule: FastifyPluginAsync<{ masterKey: MasterKey }> = async (app, options) => {
  const hmacKey = options.masterKey.derive('simulated-bank')
  await app.services.banks.ensureBuiltInBank({ code: SIMULATED_BANK_CODE, name: '模拟银行（演示）', hmacKey })
  const service = createSimulatedBankService({ db: app.db, clock: app.clock, inject: (request) => app.inject(request), hmacKey })
  app.services.simulatedBank = service
  await app.register(simulatedBankRoutes, { service })
}
