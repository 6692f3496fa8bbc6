/**
 * SIGKILL an instance during the deadline rush. Two instances share the database and the store;
 * the bidders' client sends to the first and, when it stops answering, to the second (a load
 * balancer's failover), resending each unanswered bid with its Idempotency-Key. The killed
 * instance is started again on the same data and must come back ready. Every receipt issued
 * must name a stored row and package; no row may lack its package; no bidder may have two.
 */
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'
import { checkRush, prepareRush } from './bids.ts'

export const killDuringBidRush: Scenario = {
  name: 'kill-bid-rush',
  fault: 'SIGKILL an instance during the deadline rush',
  async run (context) {
    const count = context.short ? 24 : 120
    const stage = await openStage(context, 'kill-bid-rush')
    try {
      const setup = await prepareRush(stage.app, stage.dir, 'rush', count, context.short ? 256 : 512)
      context.progress(`${count} bidders, tender and sealed packages ready`)
      const [victim, survivor] = [await stage.start('a'), await stage.start('b')]
      const ready = watchReadiness(survivor, () => true)
      const acks = ackCounter()
      const load = runClient({ baseUrls: [victim.url, survivor.url], inFlight: 20, giveUpMs: 60_000, maxBackoffMs: 1000, requests: setup.requests }, acks.onAcked)
      await acks.reached(Math.floor(count / 3))
      await victim.kill()
      context.progress(`SIGKILLed ${victim.name} after ${Math.floor(count / 3)} acknowledged`)
      const result = await load
      context.progress('load finished')
      const restarted = await stage.start('a-restarted')
      const readiness = await ready.stop()
      const effects = await checkRush(stage.app, setup, [result])
      const report = faultReport(effects, result)
      return {
        ...report,
        checks: [
          ...commonChecks(report, [result], count),
          { name: `one row per bidder (${effects.rows}/${count})`, pass: effects.rows === count },
          readinessCheck('/ready of the surviving instance stays true', readiness, false),
          { name: 'the killed instance restarts ready', pass: restarted.alive() }
        ]
      }
    } finally {
      await stage.close()
    }
  }
}
