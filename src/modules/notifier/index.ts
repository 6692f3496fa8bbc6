/**
 * The notifier: one way for every module to tell an account something. An in-app message is
 * always stored (the account's inbox: unread → read); texts go through an SMS driver (a signed
 * webhook to the hall's gateway, or the simulated gateway of the demo and the tests).
 *
 * SMS delivery states: queued → sending → sent, or → queued again after a failure worth retrying
 * (backoff 30 s, 2 min, 10 min …) until SMS_MAX_ATTEMPTS, then failed. Messages, outbox rows and
 * their audit entries are written in the transaction of the state change that causes them; the
 * delivery runs after commit from a timer, so a rolled-back change texts nobody.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.ts'
import { createSimulatedDriver, createWebhookDriver, type SmsDriver } from './notifier.drivers.ts'
import { notifierRoutes } from './notifier.routes.ts'
import { createNotifierService, type NotifierService } from './notifier.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { notifier: NotifierService }
}

export const notifierModule: FastifyPluginAsync<{ sms: Config['sms'] }> = async (app, { sms }) => {
  let driver: SmsDriver | null = null
  if (sms.driver === 'webhook') driver = createWebhookDriver({ url: sms.url, secret: sms.secret, timeoutMs: sms.timeoutMs, clock: app.clock })
  if (sms.driver === 'simulated') driver = createSimulatedDriver({ db: app.db })
  const service = createNotifierService({
    db: app.db, audit: app.audit, timers: app.timers, clock: app.clock, driver, maxAttempts: sms.maxAttempts, timeoutMs: sms.timeoutMs, log: app.log
  })
  app.services.notifier = service
  if (sms.driver === 'simulated') app.log.info('SMS go to the simulated gateway (SMS_DRIVER=simulated): nobody receives them')
  await app.register(notifierRoutes, { service })
}
