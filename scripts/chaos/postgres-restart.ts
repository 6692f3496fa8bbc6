/**
 * Restart PostgreSQL under load: an immediate stop (a crash: no checkpoint, committed work is in
 * the WAL only), a few seconds down, then a start, while banks announce payments through two
 * instances. While it is down, callbacks must be answered 503 DATABASE_UNAVAILABLE with
 * Retry-After and /ready must say `database: failing`; after, the pools reconnect by themselves
 * (no instance restarted) and every acknowledged payment is there exactly once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'
import { checkCallbacks, prepareCallbacks } from './payments.ts'

export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  fault: 'restart PostgreSQL under load',
  async run (context) {
    const count = context.short ? 400 : 2000
    const downMs = context.short ? 5_000 : 15_000
    const stage = await openStage(context, 'postgres-restart')
    let databaseUp = true
    try {
      const setup = await prepareCallbacks(stage.app, 'restartbank', count)
      context.progress(`${count} payment notices ready`)
      const instances = [await stage.start('a'), await stage.start('b')]
      const ready = watchReadiness(instances[0]!, () => databaseUp)
      const acks = ackCounter()
      const load = runClient({ baseUrls: instances.map((instance) => instance.url), inFlight: 16, giveUpMs: downMs + 60_000, maxBackoffMs: 1000, requests: setup.requests }, acks.onAcked)
      await acks.reached(Math.floor(count / 4))
      databaseUp = false
      await context.pg.stop('immediate')
      context.progress('PostgreSQL stopped (immediate)')
      await sleep(downMs)
      await context.pg.start()
      databaseUp = true
      context.progress('PostgreSQL started')
      const result = await load
      const readiness = await ready.stop()
      const effects = await checkCallbacks(stage.app, setup, [result])
      const report = faultReport(effects, result)
      return {
        ...report,
        checks: [
          ...commonChecks(report, [result], count),
          { name: `each payment recorded exactly once (${effects.payments}/${count})`, pass: effects.payments === count },
          { name: 'the books balance', pass: effects.balanced },
          { name: 'callbacks were refused with 503 while PostgreSQL was down', pass: (result.degraded['503'] ?? 0) > 0, detail: JSON.stringify(result.degraded) },
          readinessCheck('/ready said not ready while down and ready after', readiness, true),
          { name: 'instances survived without a restart', pass: instances.every((instance) => instance.alive()) }
        ],
        notes: [`PostgreSQL down ${downMs / 1000} s (immediate stop)`]
      }
    } finally {
      if (!await context.pg.isUp()) await context.pg.start()
      await stage.close()
    }
  }
}
