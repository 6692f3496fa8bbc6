/**
 * SIGKILL an instance while clerks accept cases. Cases are filed through the real routes (the
 * tests' approvals factories); the clerks' client fails over to the other instance and re-sends
 * each unanswered acceptance. An acceptance whose commit landed but whose answer was lost is
 * refused on its retry with 409 (the case is no longer `submitted`): a final answer, and the
 * case's state says what happened. Afterwards every case is accepted exactly once: its state,
 * one `case.accepted` audit entry and one event each, never one without the others.
 */
import { approvalsDesk, delegatedItem, filed } from '../../test/factories/cases.ts'
import { pooled } from '../bench/bids.ts'
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'

export const killDuringAcceptances: Scenario = {
  name: 'kill-acceptances',
  fault: 'SIGKILL an instance during case acceptances',
  async run (context) {
    const count = context.short ? 80 : 240
    const stage = await openStage(context, 'kill-acceptances')
    try {
      const desk = await approvalsDesk(stage.app)
      const item = await delegatedItem(stage.app, desk)
      const cases = await pooled(Array.from({ length: count }, (_, i) => i), 6, async () => (await filed(stage.app, desk.applicant, item.id)).case.id)
      context.progress(`${count} cases filed`)
      const [victim, survivor] = [await stage.start('a'), await stage.start('b')]
      const ready = watchReadiness(survivor, () => true)
      const acks = ackCounter()
      const load = runClient({
        baseUrls: [victim.url, survivor.url],
        inFlight: 16,
        giveUpMs: 60_000,
        maxBackoffMs: 1000,
        requests: cases.map((caseId) => ({ method: 'POST' as const, path: `/api/cases/${caseId}/acceptance`, headers: desk.clerk.headers }))
      }, acks.onAcked)
      await acks.reached(Math.floor(count / 3))
      await victim.kill()
      context.progress(`SIGKILLed ${victim.name} after ${Math.floor(count / 3)} acknowledged`)
      const result = await load
      context.progress('load finished')
      const readiness = await ready.stop()

      const rows = await stage.app.db.$client<Array<{ id: string, state: string, accepted: number, events: number }>>`
        select c.id, c.state::text as state,
          (select count(*)::int from audit_entries a where a.subject_type = 'case' and a.subject_id = c.id::text and a.action = 'case.accepted') as accepted,
          (select count(*)::int from case_events e where e.case_id = c.id and e.kind = 'accepted') as events
        from cases c where c.id = any(${cases})`
      const byId = new Map(rows.map((row) => [row.id, row]))
      const answered = result.outcomes.map((outcome, i) => ({ outcome, row: byId.get(cases[i]!) }))
      const acknowledged = answered.filter(({ outcome }) => outcome.status === 200)
      const survived = acknowledged.filter(({ row }) => row?.state === 'accepted' && row.accepted === 1).length
      const halfDone = rows.filter((row) => (row.state === 'accepted') !== (row.accepted === 1 && row.events === 1)).length
      // a 409 is an honest answer only for a retry whose first attempt may have committed
      const unexplained409 = answered.filter(({ outcome, row }) => outcome.status === 409 && (outcome.attempts === 1 || row?.state !== 'accepted')).length
      const report = faultReport({ acknowledged: acknowledged.length, survived, lost: acknowledged.length - survived, halfDone }, result)
      return {
        ...report,
        checks: [
          ...commonChecks(report, [result]),
          { name: `every case accepted exactly once (${rows.filter((row) => row.state === 'accepted' && row.accepted === 1).length}/${count})`, pass: rows.length === count && rows.every((row) => row.state === 'accepted' && row.accepted === 1 && row.events === 1) },
          { name: 'a 409 only for a retried acceptance that had committed', pass: unexplained409 === 0, detail: `${unexplained409} unexplained` },
          readinessCheck('/ready of the surviving instance stays true', readiness, false)
        ],
        notes: [`final answers ${JSON.stringify(result.outcomes.reduce<Record<number, number>>((all, outcome) => ({ ...all, [outcome.status]: (all[outcome.status] ?? 0) + 1 }), {}))}`]
      }
    } finally {
      await stage.close()
    }
  }
}
