/**
 * The random coefficient K of an opening (commit-reveal, src/lib/commit-reveal.ts), so that it is
 * never stranded and never chosen:
 *
 *   freeze: secret committed, nonce deadline published with the commitment
 *     → (deadline − K_WARNING_MINUTES) yellow warning → deadline: red alarm
 *   draw: an overseeing supervisor gives the nonce at any time; once the deadline has passed the
 *     host may give it instead. Neither knows the secret (sealed under the master key until this
 *     draw reveals it), so whoever gives the nonce cannot choose K, and the record names who did.
 *
 * The alarms go to the room and the audit chain, announced once per colour by one timer that
 * moves itself from the warning to the deadline (as the cases' colour timers do).
 */
import { randomBytes } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { commitmentOf, drawCoefficient, seedOf, type CoefficientRange } from '../../lib/commit-reveal.ts'
import type { MasterKey } from '../../lib/master-key.ts'
import { hasRole, type Principal } from '../../lib/policy.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import type { TendersService } from '../tenders/tenders.service.ts'
import { DrawSupervisorFirst, NoCoefficient, OpeningNotFound, OpeningStateInvalid } from './openings.errors.ts'
import * as repo from './openings.repository.ts'
import { drawColour, kNonceDeadline, kWarningAt, mayGiveNonce, type OpeningState } from './openings.rules.ts'

export const K_TIMER = 'openings.k_draw'

export const kContext = (tenderId: string) => `tender:${tenderId}:k`
const secretPurpose = (tenderId: string) => `opening-k:${tenderId}`
const timerKey = (tenderId: string) => `${K_TIMER}:${tenderId}`

export function coefficientRangeOf (tender: TenderRow): CoefficientRange | undefined {
  return (tender.evaluationMethod as { coefficientK?: CoefficientRange }).coefficientK
}

/** The nonce deadline of an opening frozen before deadlines were stored is the rule's. */
export function kDeadlineOf (opening: repo.OpeningRow): Date | null {
  return opening.kDeadlineAt ?? (opening.frozenAt ? kNonceDeadline(opening.frozenAt) : null)
}

export interface CoefficientDeps {
  db: Database
  clock: Clock
  timers: Timers
  masterKey: MasterKey
  tenders: TendersService
  loadTender: (principal: Principal | null, tenderId: string, on?: Queryable) => Promise<{ tender: TenderRow, project: ProjectRow }>
  emit: (tx: Transaction, actor: Actor | null, tenderId: string, type: string, data: Record<string, unknown>) => Promise<void>
  move: (tx: Transaction, actor: Actor | null, opening: repo.OpeningRow, to: OpeningState, values: Partial<repo.OpeningRow>, data?: Record<string, unknown>) => Promise<repo.OpeningRow>
  notPaused: (opening: repo.OpeningRow) => void
  openWindow: (tx: Transaction, opening: repo.OpeningRow, tender: TenderRow) => Promise<repo.OpeningRow>
}

export function createCoefficientDraw ({ db, clock, timers, masterKey, tenders, loadTender, emit, move, notPaused, openWindow }: CoefficientDeps) {
  async function armAlarm (tx: Queryable, tenderId: string, deadline: Date) {
    const warning = kWarningAt(deadline)
    await timers.schedule(tx, { kind: K_TIMER, key: timerKey(tenderId), fireAt: clock.now().getTime() < warning.getTime() ? warning : deadline, payload: { tenderId } })
  }

  /**
   * At the freeze: a fresh secret, its commitment and the nonce deadline (the opening row's values
   * and what the room publishes), the alarm armed. The secret itself leaves sealed only.
   */
  async function commit (tx: Queryable, tender: TenderRow, range: CoefficientRange, frozenAt: Date) {
    const secret = randomBytes(32)
    const commitment = commitmentOf(secret)
    const deadline = kNonceDeadline(frozenAt)
    const values = { kCommitment: commitment, kSecretSealed: masterKey.seal(secret, secretPurpose(tender.id)), kDeadlineAt: deadline }
    secret.fill(0)
    await armAlarm(tx, tender.id, deadline)
    return { values, published: { range, context: kContext(tender.id), commitment, deadline: deadline.toISOString() } }
  }

  /** The alarm timer: announces yellow, then red, once each, while no nonce is given. */
  async function announceAlarm (tx: Transaction, tenderId: string) {
    const opening = await repo.findOpening(tx, tenderId, 'update')
    const deadline = opening && kDeadlineOf(opening)
    // a pause holds the alarm; resuming re-arms it for the moved deadline
    if (opening?.state !== 'frozen' || !opening.kCommitment || !deadline || opening.pausedAt) return
    const now = clock.now()
    const colour = drawColour(deadline, now)
    // fired a moment early (another instance's clock): look again a second later; a timer moved to
    // the instant it fired at would be counted as fired
    const next = colour === 'yellow' ? deadline : new Date(Math.max(kWarningAt(deadline).getTime(), now.getTime() + 1000))
    if (colour !== 'red') await timers.schedule(tx, { kind: K_TIMER, key: timerKey(tenderId), fireAt: next, payload: { tenderId } })
    if (colour === 'green' || colour === opening.kAlarm) return
    await repo.updateOpening(tx, tenderId, { kAlarm: colour })
    await emit(tx, null, tenderId, colour === 'red' ? 'k_draw_overdue' : 'k_draw_warning', {
      colour, deadline: deadline.toISOString(), hostMayDraw: colour === 'red'
    })
  }

  /** Resuming a paused frozen opening gives the supervisor back the paused time. */
  async function postponeDeadline (tx: Transaction, opening: repo.OpeningRow, pausedMs: number): Promise<{ kDeadlineAt: Date, kAlarm: string | null } | null> {
    const deadline = kDeadlineOf(opening)
    if (opening.state !== 'frozen' || !opening.kCommitment || !deadline) return null
    const kDeadlineAt = new Date(deadline.getTime() + pausedMs)
    const colour = drawColour(kDeadlineAt, clock.now())
    // a deadline moved back out of the warning is warned about anew
    const kAlarm = colour === 'green' ? null : opening.kAlarm
    await armAlarm(tx, opening.tenderId, kDeadlineAt)
    return { kDeadlineAt, kAlarm }
  }

  async function cancelAlarm (tx: Queryable, tenderId: string) {
    await timers.cancel(tx, timerKey(tenderId))
  }

  /** The nonce is given: K is drawn, the secret revealed with it, and the window opens. */
  async function drawK (actor: Actor, tenderId: string, nonce: string): Promise<void> {
    await db.transaction(async (tx) => {
      const { tender, project } = await loadTender(actor.principal, tenderId, tx)
      const capacity = hasRole(actor.principal, 'supervisor') && tenders.oversees(actor.principal, project)
        ? 'supervisor' as const
        : tenders.isParty(actor.principal, project) ? 'host' as const : null
      if (!capacity) throw new OpeningNotFound(tenderId)
      const range = coefficientRangeOf(tender)
      if (!range) throw new NoCoefficient()
      const opening = await repo.findOpening(tx, tenderId, 'update')
      if (opening?.state !== 'frozen') throw new OpeningStateInvalid(opening?.state ?? 'scheduled', 'K is drawn once bids are frozen, before decryption')
      notPaused(opening)
      const now = clock.now()
      const deadline = kDeadlineOf(opening)!
      if (!mayGiveNonce(capacity, deadline, now)) throw new DrawSupervisorFirst(deadline.toISOString())
      const secret = masterKey.open(opening.kSecretSealed!, secretPurpose(tenderId))
      const value = drawCoefficient(seedOf(secret, nonce, kContext(tenderId)), range)
      const drawn = await move(tx, actor, opening, 'k_drawn', {
        kNonce: nonce, kSecret: secret.toString('hex'), kValue: value, kDrawnBy: actor.principal.accountId, kDrawnAt: now, kDrawnAs: capacity
      }, {
        commitment: opening.kCommitment,
        nonce,
        secret: secret.toString('hex'),
        context: kContext(tenderId),
        range,
        value,
        drawnBy: actor.principal.displayName,
        drawnAs: capacity,
        deadline: deadline.toISOString(),
        late: now.getTime() >= deadline.getTime()
      })
      secret.fill(0)
      await cancelAlarm(tx, tenderId)
      await openWindow(tx, drawn, tender)
    })
  }

  timers.define(K_TIMER, async (tx, timer) => { await announceAlarm(tx, (timer.payload as { tenderId: string }).tenderId) })

  return { commit, drawK, postponeDeadline, cancelAlarm }
}
