/**
 * Payment notices, payments and receipts (缴款通知书、缴款、电子收据). A notice moves
 * issued → paid → refunded, or issued → cancelled | expired (payments.rules.ts); it is paid in
 * full exactly once, at the bank window, by a bank's signed callback, or from the bank statement
 * during reconciliation — all through one recordPayment. Each payment posts to the ledger and
 * gets a receipt signed by the platform.
 *
 * The seam for cases, tenders and auctions: `createNotice` (inside their transaction if they
 * like), `onPaid(purpose, handler)` — handlers run after the payment commits, durably, through
 * a timer — and `app.services.refunds.refund`.
 */
import type { FastifyPluginAsync } from 'fastify'
import { paymentsRoutes } from './payments.routes.ts'
import { SIGN_TIMER, createPaymentsService, type PaymentsService } from './payments.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { payments: PaymentsService }
}

export interface PaymentsOptions { hallName: string, publicUrl: string, regionCode: string, dueWorkingDays: number, maxSkewSeconds: number }

export const paymentsModule: FastifyPluginAsync<PaymentsOptions> = async (app, options) => {
  const { fees, banks, ledger, departments } = app.services
  const { db, audit, clock, calendar, timers, pki, log } = app
  const service = createPaymentsService({ db, audit, clock, calendar, timers, pki, fees, banks, ledger, departments, log, notifier: app.services.notifier, settings: options })
  app.services.payments = service
  await timers.ensureRecurring(db, { kind: SIGN_TIMER, key: SIGN_TIMER, firstAt: new Date(Date.now() + 60_000), intervalSeconds: 60 })
  app.addHook('preClose', async () => { await service.stopSigning() })
  await app.register(paymentsRoutes, { service, banks })
}
