/**
 * SIGKILL an instance while banks announce payments. The bank's client fails over to the other
 * instance and re-sends every unanswered callback, freshly signed (a new nonce) for the same
 * payment; afterwards each payment is recorded exactly once with one receipt and the books
 * balance, whatever the kill interrupted.
 */
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'
import { checkCallbacks, prepareCallbacks } from './payments.ts'

export const killDuringBankCallbacks: Scenario = {
  name: 'kill-bank-callbacks',
  fault: 'SIGKILL an instance during bank callbacks',
  async run (context) {
    const count = context.short ? 300 : 2000
    const stage = await openStage(context, 'kill-bank-callbacks')
    try {
      const setup = await prepareCallbacks(stage.app, 'chaosbank', count)
      context.progress(`${count} payment notices ready`)
      const [victim, survivor] = [await stage.start('a'), await stage.start('b')]
      const ready = watchReadiness(survivor, () => true)
      const acks = ackCounter()
      const load = runClient({ baseUrls: [victim.url, survivor.url], inFlight: 24, giveUpMs: 60_000, maxBackoffMs: 1000, requests: setup.requests }, acks.onAcked)
      await acks.reached(Math.floor(count / 3))
      await victim.kill()
      context.progress(`SIGKILLed ${victim.name} after ${Math.floor(count / 3)} acknowledged`)
      const result = await load
      context.progress('load finished')
      const readiness = await ready.stop()
      const effects = await checkCallbacks(stage.app, setup, [result])
      const report = faultReport(effects, result)
      return {
        ...report,
        checks: [
          ...commonChecks(report, [result], count),
          { name: `each payment recorded exactly once (${effects.payments}/${count})`, pass: effects.payments === count },
          { name: 'the books balance', pass: effects.balanced },
          readinessCheck('/ready of the surviving instance stays true', readiness, false)
        ]
      }
    } finally {
      await stage.close()
    }
  }
}
