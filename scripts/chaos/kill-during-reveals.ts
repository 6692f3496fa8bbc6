/**
 * SIGKILL an instance during an opening's reveals. Bids are sealed and submitted, and the
 * deadline passed, with the reveal benchmark's setup (scripts/bench/openings.ts) on the in-process
 * app: its clock is moved past the deadline just long enough to freeze the opening, which opens
 * the decryption window until well after the instances' real time. Bidders (certificate sessions)
 * then reveal through two instances; the first is killed mid-way and the client fails over. A
 * reveal whose commit landed but whose answer was lost is refused on retry with 409
 * (BID_ALREADY_SETTLED): a final answer, and the bid's state says what happened. Afterwards every
 * bid is opened exactly once with its declared price, and the opening has moved on from
 * `decrypting` (the last reveal settles it and publishes the record).
 */
import { randomBytes } from 'node:crypto'
import { createBidders, createDesk, pooled, publishTender, registerAll } from '../bench/bids.ts'
import { certificateSession, openingState, passDeadline, seal, submit } from '../bench/openings.ts'
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'

export const killDuringReveals: Scenario = {
  name: 'kill-reveals',
  fault: "SIGKILL an instance during an opening's reveals",
  async run (context) {
    const count = context.short ? 24 : 120
    const stage = await openStage(context, 'kill-reveals')
    try {
      const { app } = stage
      const desk = await createDesk(app, 'chaos-reveal')
      const bidders = await createBidders(app, 'chaos-reveal', count)
      const tender = await publishTender(app, desk)
      await registerAll(app, bidders, tender.id)
      const document = randomBytes(16 * 1024)
      const sealed = await pooled(bidders, 4, (bidder, i) => seal(bidder, tender.code, i, document))
      const submissionIds = await pooled(bidders, 8, (bidder, i) => submit(app, bidder, tender.id, sealed[i]!, i))
      const sessions = await pooled(bidders, 8, (bidder, i) => certificateSession(app, bidder, i))
      const restoreClock = await passDeadline(app, tender.id, tender.bidDeadline)
      restoreClock()
      const frozen = await openingState(app, tender.id)
      if (frozen.state !== 'decrypting') throw new Error(`after the deadline the opening is ${frozen.state}, not decrypting`)
      context.progress(`${count} sealed bids submitted, opening decrypting`)

      const [victim, survivor] = [await stage.start('a'), await stage.start('b')]
      const ready = watchReadiness(survivor, () => true)
      const acks = ackCounter()
      const load = runClient({
        baseUrls: [victim.url, survivor.url],
        inFlight: 16,
        giveUpMs: 60_000,
        maxBackoffMs: 1000,
        requests: sessions.map((authorization, i) => ({
          method: 'POST' as const,
          path: `/api/openings/${tender.id}/reveals`,
          headers: { authorization },
          json: { submissionId: submissionIds[i], contentKey: sealed[i]!.contentKey, nonce: sealed[i]!.nonce }
        }))
      }, acks.onAcked)
      await acks.reached(Math.floor(count / 3))
      await victim.kill()
      context.progress(`SIGKILLed ${victim.name} after ${Math.floor(count / 3)} acknowledged`)
      const result = await load
      context.progress('load finished')
      const readiness = await ready.stop()

      const rows = await app.db.$client<Array<{ submissionId: string, status: string, price: string | null }>>`
        select submission_id as "submissionId", status::text as status, opening->>'priceFen' as price from opening_bids where tender_id = ${tender.id}`
      const bySubmission = new Map(rows.map((row) => [row.submissionId, row]))
      const answered = result.outcomes.map((outcome, i) => ({ outcome, row: bySubmission.get(submissionIds[i]!), price: sealed[i]!.priceFen }))
      const acknowledged = answered.filter(({ outcome }) => outcome.status === 200)
      const survived = acknowledged.filter(({ row, price }) => row?.status === 'opened' && row.price === price).length
      // opened without its declared price, or with another bid's: counted but not whole
      const halfDone = answered.filter(({ row, price }) => row?.status === 'opened' && row.price !== price).length
      const unexplained409 = answered.filter(({ outcome, row }) => outcome.status === 409 && (outcome.attempts === 1 || row?.status !== 'opened')).length
      const after = await openingState(app, tender.id)
      const report = faultReport({ acknowledged: acknowledged.length, survived, lost: acknowledged.length - survived, halfDone }, result)
      return {
        ...report,
        checks: [
          ...commonChecks(report, [result]),
          { name: `every bid opened with its price (${rows.filter((row) => row.status === 'opened').length}/${count})`, pass: rows.length === count && answered.every(({ row, price }) => row?.status === 'opened' && row.price === price) },
          { name: 'a 409 only for a retried reveal that had committed', pass: unexplained409 === 0, detail: `${unexplained409} unexplained` },
          { name: 'the last reveal settled the opening', pass: after.state !== 'decrypting', detail: `state ${after.state}` },
          readinessCheck('/ready of the surviving instance stays true', readiness, false)
        ],
        notes: [`final answers ${JSON.stringify(result.outcomes.reduce<Record<number, number>>((all, outcome) => ({ ...all, [outcome.status]: (all[outcome.status] ?? 0) + 1 }), {}))}; opening ${after.state}`]
      }
    } finally {
      await stage.close()
    }
  }
}
