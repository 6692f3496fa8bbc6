/**
 * The recheck against the bidders. A draw before the bid deadline could check only the tenderer
 * and the agency; when bids freeze (the tender moves to its opening) a timer is set in that very
 * transaction, and its firing checks every drawn expert still in play (standby, invited,
 * confirmed) against the bidders (BIDDER_RULES: employment within 3 years, declared relations).
 * A conflicted expert is recused with the rule as the reason; a member is replaced by the line's
 * next reserve, logged in the room (names to the supervisors) and the audit chain (pseudonyms).
 */
import type { Transaction } from '../../plugins/db.ts'
import type { DrawingDraw } from './drawings.draw.ts'
import type { DrawingInvitations } from './drawings.invitations.ts'
import { BIDDER_RULES, exclusionsOf } from './drawings.recusal.rules.ts'
import * as repo from './drawings.repository.ts'
import type { DrawingHelpers, DrawingsDeps } from './drawings.service.ts'

export const RECHECK_TIMER = 'drawings.recheck'

type RecheckDeps = DrawingsDeps & DrawingHelpers & { invitations: DrawingInvitations, recusalContext: DrawingDraw['recusalContext'] }

export function createDrawingRecheck ({ clock, timers, tenders, emit, invitations, recusalContext }: RecheckDeps) {
  async function recheck (tx: Transaction, drawingId: string) {
    const drawing = await repo.findDrawing(tx, drawingId, 'update')
    if (drawing?.state !== 'drawn' || drawing.biddersCheckedAt !== null) return
    const { tender, project } = await tenders.visibleTender(null, drawing.tenderId, tx)
    const context = await recusalContext(tx, { drawing, tender, project }, true)
    const inPlay = (await repo.drawnOf(tx, drawingId)).filter((row) => row.state === 'standby' || row.state === 'invited' || row.state === 'confirmed')
    const facts = new Map((await repo.factsOf(tx, drawingId, inPlay.map((row) => row.expertId))).map((expert) => [expert.expertId, expert]))
    const conflicted = inPlay.map((row) => ({ row, rules: exclusionsOf(facts.get(row.expertId)!, context, BIDDER_RULES) })).filter((entry) => entry.rules.length > 0)
    // every conflicted expert leaves first, so no conflicted reserve is called in a member's place
    const recused = []
    for (const { row, rules } of conflicted) {
      const updated = await repo.updateDrawn(tx, drawingId, row.expertId, { state: 'recused', reason: rules.map((rule) => rule.rule).join(','), answeredAt: null })
      if (row.state === 'invited') await timers.cancel(tx, invitations.answerTimerKey(drawingId, row.pseudonym))
      await emit(tx, null, drawing, 'recused', { line: row.line, pseudonym: row.pseudonym, role: row.role, rules: rules.map((rule) => rule.rule) }, {
        name: facts.get(row.expertId)!.fullName, code: facts.get(row.expertId)!.code, details: rules
      })
      recused.push({ before: row, updated })
    }
    const checked = await repo.updateDrawing(tx, drawingId, { biddersCheckedAt: clock.now() })
    for (const { before, updated } of recused) {
      if (before.state === 'invited' || before.state === 'confirmed') await invitations.callNextReserve(tx, checked, updated, 'recused')
    }
    await emit(tx, null, checked, 'bidders_checked', { bidders: context.parties.filter((party) => party.role === 'bidder').length, recused: recused.length })
  }

  // the freeze's transaction only sets the timer: a failure here must never hold up the opening
  tenders.onTransition('opening', async (tx, tender) => {
    for (const drawing of await repo.drawingsOfTender(tx, tender.id, ['drawn'])) {
      if (drawing.biddersCheckedAt === null) await timers.schedule(tx, { kind: RECHECK_TIMER, key: `${RECHECK_TIMER}:${drawing.id}`, fireAt: clock.now(), payload: { drawingId: drawing.id } })
    }
  })
  timers.define(RECHECK_TIMER, async (tx, timer) => { await recheck(tx, (timer.payload as { drawingId: string }).drawingId) })
}
