/**
 * The banks that collect fees for the hall: registry, their keys (HMAC, sealed under the master
 * key) or certificates, and the authentication of their signed requests (timestamp window plus
 * single-use nonces; src/lib/bank-signature.ts). The signed bank API itself is served by the
 * payments module, which consumes each nonce in the transaction of the request's effect.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { MasterKey } from '../../lib/master-key.ts'
import { BANKS_CHANNEL } from './banks.repository.ts'
import { banksRoutes } from './banks.routes.ts'
import { createBanksService, type BanksService } from './banks.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { banks: BanksService }
}

export interface BanksOptions { masterKey: MasterKey, maxSkewSeconds: number }

export const banksModule: FastifyPluginAsync<BanksOptions> = async (app, options) => {
  const service = createBanksService({ db: app.db, audit: app.audit, clock: app.clock, pki: app.pki, masterKey: options.masterKey, maxSkewSeconds: options.maxSkewSeconds })
  app.services.banks = service
  const listener = await app.db.$client.listen(BANKS_CHANNEL, () => service.forgetCachedBanks(), () => service.forgetCachedBanks())
  app.addHook('preClose', async () => { await listener.unlisten().catch(() => {}) })
  app.timers.define('banks.purge_nonces', async (tx) => { await service.purgeNonces(tx) })
  await app.timers.ensureRecurring(app.db, { kind: 'banks.purge_nonces', key: 'banks.purge_nonces', firstAt: new Date(Date.now() + 600_000), intervalSeconds: 600 })
  await app.register(banksRoutes, { service })
}
