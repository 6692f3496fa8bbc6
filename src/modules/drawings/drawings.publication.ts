/**
 * Publication: when the evaluation starts the sealed list is opened. The committee's names, the
 * secret (so anyone re-computes the draw) and the record are published; the audit chain, which
 * held the list's hash since the draw, now holds the list. Until remote evaluation (issue 14)
 * calls publishForEvaluation, a timer at evaluationAt publishes, and the hall may at or after it.
 */
import type { Actor } from '../../lib/actor.ts'
import { SNAPSHOT_FORMAT, unpackPseudonyms } from '../../lib/expert-draw.ts'
import type { Transaction } from '../../plugins/db.ts'
import { DrawingNotFound, DrawingStateInvalid, PublicationTooEarly } from './drawings.errors.ts'
import * as repo from './drawings.repository.ts'
import type { DrawingRecord } from './drawings.schemas.ts'
import { drawingContext, requestOf, secretPurpose, type DrawingHelpers, type DrawingsDeps } from './drawings.service.ts'

export const PUBLISH_TIMER = 'drawings.publish'
const publishTimerKey = (drawingId: string) => `${PUBLISH_TIMER}:${drawingId}`

/** A confirmed member, as the evaluation forms its committee. */
export interface CommitteeMember { expertId: string, accountId: string, line: number, side: 'technical' | 'economic', specialtyCode: string }

type PublicationDeps = DrawingsDeps & DrawingHelpers

export function createDrawingPublication ({ db, clock, timers, masterKey, tenders, load, move }: PublicationDeps) {
  async function armPublication (tx: Transaction, drawing: repo.DrawingRow) {
    await timers.schedule(tx, { kind: PUBLISH_TIMER, key: publishTimerKey(drawing.id), fireAt: drawing.evaluationAt, payload: { drawingId: drawing.id } })
  }

  /** The publication at the evaluation will not be needed: published already, or called off. */
  async function disarmPublication (tx: Transaction, drawing: repo.DrawingRow) {
    await timers.cancel(tx, publishTimerKey(drawing.id))
  }

  /** The values that publish a drawn drawing's secret (at its evaluation, or when it is called off). */
  function revealed (drawing: repo.DrawingRow): { secret: string, publishedAt: Date } {
    return { secret: masterKey.open(drawing.secretSealed!, secretPurpose(drawing.id)).toString('hex'), publishedAt: clock.now() }
  }

  async function publish (tx: Transaction, actor: Actor | null, drawing: repo.DrawingRow): Promise<repo.DrawingRow> {
    const rows = await repo.drawnOf(tx, drawing.id)
    const people = await repo.expertsByIds(tx, rows.filter((row) => row.state === 'confirmed').map((row) => row.expertId))
    const committee = rows.filter((row) => row.state === 'confirmed').map((row) => ({ pseudonym: row.pseudonym, line: row.line, name: people.get(row.expertId)!.fullName, code: people.get(row.expertId)!.code }))
    const { secret, publishedAt } = revealed(drawing)
    await disarmPublication(tx, drawing)
    return move(tx, actor, drawing, 'published', { secret, publishedAt }, {
      secret,
      listSha256: drawing.listSha256,
      list: rows.map((row) => ({ line: row.line, position: row.position, role: row.role, pseudonym: row.pseudonym, state: row.state })),
      committee
    })
  }

  async function publishByOperator (actor: Actor, drawingId: string) {
    await db.transaction(async (tx) => {
      const { drawing, capacity } = await load(actor.principal, drawingId, tx, { drawing: 'update' })
      if (capacity === 'party') throw new DrawingNotFound(drawingId)
      if (drawing.state !== 'drawn') throw new DrawingStateInvalid(drawing.state, 'only a drawn list is published')
      if (clock.now().getTime() < drawing.evaluationAt.getTime()) throw new PublicationTooEarly(drawing.evaluationAt.toISOString())
      await publish(tx, actor, drawing)
    })
  }

  /** The evaluation starts (issue 14): the tender's drawn list is published, once; its committee is returned. */
  async function publishForEvaluation (tenderId: string): Promise<CommitteeMember[]> {
    await db.transaction(async (tx) => {
      const [drawing] = await repo.drawingsOfTender(tx, tenderId, ['drawn'], 'update')
      if (drawing) await publish(tx, null, drawing)
    })
    return committeeFor(tenderId)
  }

  /** The confirmed members of the tender's drawn or published drawing (empty when there is none). */
  async function committeeFor (tenderId: string): Promise<CommitteeMember[]> {
    const [drawing] = await repo.drawingsOfTender(db, tenderId, ['drawn', 'published'])
    if (!drawing) return []
    const request = requestOf(drawing)
    const rows = (await repo.drawnOf(db, drawing.id)).filter((row) => row.state === 'confirmed')
    const people = await repo.expertsByIds(db, rows.map((row) => row.expertId))
    return rows.map((row) => ({
      expertId: row.expertId,
      accountId: people.get(row.expertId)!.accountId,
      line: row.line,
      side: request.lines[row.line]!.side,
      specialtyCode: request.lines[row.line]!.specialtyCode
    }))
  }

  /**
   * The published record anyone may re-compute (`npm run verify-draw -- --record …`): from the
   * evaluation, or from the moment a drawn drawing is called off (then without a committee, as
   * nobody evaluates); 404 before.
   */
  async function record (drawingId: string): Promise<DrawingRecord> {
    const drawing = await repo.findDrawing(db, drawingId)
    const state = drawing?.state
    if (!drawing || !(state === 'published' || (state === 'cancelled' && drawing.secret !== null))) throw new DrawingNotFound(drawingId)
    const evaluated = state === 'published'
    const { tender } = await tenders.visibleTender(null, drawing.tenderId)
    const request = requestOf(drawing)
    const [snapshots, rows] = await Promise.all([repo.snapshotsOf(db, drawingId), repo.drawnOf(db, drawingId)])
    const confirmed = evaluated ? rows.filter((row) => row.state === 'confirmed') : []
    const people = await repo.expertsByIds(db, confirmed.map((row) => row.expertId))
    const pseudonymOf = new Map(rows.map((row) => [row.expertId, row.pseudonym]))
    const ofLine = (line: number, role: 'member' | 'reserve') => rows.filter((row) => row.line === line && row.role === role).map((row) => row.pseudonym)
    return {
      format: 'openhall-drawing-record',
      version: 1,
      state,
      drawingId,
      tenderId: drawing.tenderId,
      tenderCode: tender.code,
      evaluationAt: drawing.evaluationAt.toISOString(),
      remote: drawing.evaluationPlace === null,
      committeeSize: request.committeeSize,
      tendererRepresentatives: request.tendererRepresentatives,
      commitment: drawing.commitment!,
      secret: drawing.secret!,
      nonce: drawing.nonce!,
      context: drawingContext(drawingId),
      drawnAt: drawing.drawnAt!.toISOString(),
      snapshot: {
        format: SNAPSHOT_FORMAT,
        drawingId,
        lines: request.lines.map((line, index) => ({ line: index, specialtyCode: line.specialtyCode, side: line.side, count: line.count, reserves: line.reserves, eligible: unpackPseudonyms(snapshots[index]!.eligible) }))
      },
      snapshotSha256: drawing.poolSha256!,
      drawn: request.lines.map((line, index) => ({ line: index, specialtyCode: line.specialtyCode, members: ofLine(index, 'member'), reserves: ofLine(index, 'reserve') })),
      listSha256: drawing.listSha256!,
      committee: confirmed.map((row) => ({
        pseudonym: row.pseudonym, name: people.get(row.expertId)!.fullName, code: people.get(row.expertId)!.code, line: row.line, specialtyCode: request.lines[row.line]!.specialtyCode, side: request.lines[row.line]!.side
      })),
      outcomes: rows.map((row) => ({
        pseudonym: row.pseudonym,
        line: row.line,
        role: row.role,
        state: row.state,
        replacedBy: row.replacedBy ? pseudonymOf.get(row.replacedBy) ?? null : null,
        // the rules that recused an expert are published; what a declining expert wrote is theirs
        reason: row.state === 'recused' ? row.reason : null
      })),
      publishedAt: drawing.publishedAt!.toISOString()
    }
  }

  timers.define(PUBLISH_TIMER, async (tx, timer) => {
    const { drawingId } = timer.payload as { drawingId: string }
    const drawing = await repo.findDrawing(tx, drawingId, 'update')
    if (drawing?.state !== 'drawn') return
    if (clock.now().getTime() < drawing.evaluationAt.getTime()) {
      // fired a moment early (another instance's clock): a timer moved to the instant it fired at would count as fired
      await timers.schedule(tx, { kind: PUBLISH_TIMER, key: publishTimerKey(drawingId), fireAt: new Date(Math.max(drawing.evaluationAt.getTime(), clock.now().getTime() + 1000)), payload: { drawingId } })
      return
    }
    await publish(tx, null, drawing)
  })

  return { armPublication, disarmPublication, revealed, publishByOperator, publishForEvaluation, committeeFor, record }
}

export type DrawingPublication = ReturnType<typeof createDrawingPublication>
