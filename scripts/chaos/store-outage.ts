/**
 * The object store unreachable for 30 s (8 s in the short form) during a bid rush: the proxy in
 * front of RGW drops every connection and refuses new ones. While it is cut, bids must be refused
 * with 503 STORE_UNAVAILABLE and Retry-After (never 500, never a receipt without a package), and
 * /ready must say `storage: failing`; once it is back, the same clients finish.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'
import { checkRush, prepareRush } from './bids.ts'

export const storeOutage: Scenario = {
  name: 'store-outage',
  fault: 'object store unreachable',
  async run (context) {
    const count = context.short ? 24 : 150
    const outageMs = context.short ? 8_000 : 30_000
    const stage = await openStage(context, 'store-outage')
    try {
      const setup = await prepareRush(stage.app, stage.dir, 'outage', count, 128)
      context.progress(`${count} bidders, tender and sealed packages ready`)
      const instance = await stage.start('a')
      const ready = watchReadiness(instance, () => context.storeProxy.open)
      const acks = ackCounter()
      const load = runClient({ baseUrls: [instance.url], inFlight: 8, giveUpMs: outageMs + 60_000, maxBackoffMs: 1000, requests: setup.requests }, acks.onAcked)
      await acks.reached(Math.floor(count / 4))
      context.storeProxy.cut()
      context.progress('object store cut off')
      await sleep(outageMs)
      context.storeProxy.restore()
      context.progress('object store back')
      const result = await load
      const readiness = await ready.stop()
      const effects = await checkRush(stage.app, setup, [result])
      const report = faultReport(effects, result)
      return {
        ...report,
        checks: [
          ...commonChecks(report, [result], count),
          { name: 'bids were refused with 503 while the store was away', pass: (result.degraded['503'] ?? 0) > 0, detail: JSON.stringify(result.degraded) },
          readinessCheck('/ready said not ready during the outage and ready after', readiness, true)
        ],
        notes: [`outage ${outageMs / 1000} s`]
      }
    } finally {
      context.storeProxy.restore()
      await stage.close()
    }
  }
}
