/**
 * The host's controls of a running room: pause and resume (resuming gives back the paused time),
 * the video link, and, for the overseeing officials, who is present.
 */
import type { Actor } from '../../lib/actor.ts'
import { hasRole } from '../../lib/policy.ts'
import type { createCoefficientDraw } from './openings.coefficient.ts'
import { CONFIRM_TIMER, WINDOW_TIMER, openingRoom } from './openings.constants.ts'
import { OpeningNotFound, OpeningNotPaused, OpeningStateInvalid } from './openings.errors.ts'
import * as repo from './openings.repository.ts'
import { RUNNING_STATES } from './openings.rules.ts'
import type { OpeningView } from './openings.schemas.ts'
import type { OpeningHelpers, OpeningsDeps } from './openings.service.ts'

type CoefficientDraw = ReturnType<typeof createCoefficientDraw>

export type OpeningHostDeps = Pick<OpeningsDeps, 'db' | 'clock' | 'timers' | 'live' | 'tenders'>
  & Pick<OpeningHelpers, 'officials' | 'emit' | 'notPaused' | 'loadTender' | 'hosted' | 'getOpening'>
  & { coefficient: Pick<CoefficientDraw, 'postponeDeadline'> }

export function createOpeningHostActions ({ db, clock, timers, live, tenders, officials, emit, notPaused, loadTender, hosted, getOpening, coefficient }: OpeningHostDeps) {
  async function pause (actor: Actor, tenderId: string, reason: string): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { opening } = await hosted(tx, actor, tenderId)
      if (!RUNNING_STATES.includes(opening.state)) throw new OpeningStateInvalid(opening.state, 'only a running opening can pause')
      notPaused(opening)
      await repo.updateOpening(tx, tenderId, { pausedAt: clock.now(), pauseReason: reason })
      await emit(tx, actor, tenderId, 'paused', { reason, state: opening.state })
    })
    return getOpening(actor.principal, tenderId)
  }

  /** Resuming gives back the paused time: the nonce deadline, the window or the confirmation period ends that much later. */
  async function resume (actor: Actor, tenderId: string, reason: string | undefined): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { opening } = await hosted(tx, actor, tenderId)
      if (!opening.pausedAt) throw new OpeningNotPaused()
      const pausedMs = clock.now().getTime() - opening.pausedAt.getTime()
      const later = (at: Date | null) => at === null ? null : new Date(at.getTime() + pausedMs)
      const windowEndsAt = opening.state === 'decrypting' ? later(opening.windowEndsAt) : opening.windowEndsAt
      const confirmUntil = opening.state === 'confirming' ? later(opening.confirmUntil) : opening.confirmUntil
      const k = await coefficient.postponeDeadline(tx, opening, pausedMs)
      await repo.updateOpening(tx, tenderId, { pausedAt: null, pauseReason: null, windowEndsAt, confirmUntil, ...k })
      if (opening.state === 'decrypting') await timers.schedule(tx, { kind: WINDOW_TIMER, key: `${WINDOW_TIMER}:${tenderId}`, fireAt: windowEndsAt!, payload: { tenderId } })
      if (opening.state === 'confirming') await timers.schedule(tx, { kind: CONFIRM_TIMER, key: `${CONFIRM_TIMER}:${tenderId}`, fireAt: confirmUntil!, payload: { tenderId } })
      await emit(tx, actor, tenderId, 'resumed', { reason: reason ?? null, pausedSeconds: Math.round(pausedMs / 1000), windowEndsAt: windowEndsAt?.toISOString() ?? null, confirmUntil: confirmUntil?.toISOString() ?? null, kDeadline: k?.kDeadlineAt.toISOString() ?? null })
    })
    return getOpening(actor.principal, tenderId)
  }

  async function setVideo (actor: Actor, tenderId: string, url: string | null): Promise<OpeningView> {
    await db.transaction(async (tx) => {
      const { project } = await loadTender(actor.principal, tenderId, tx)
      if (!tenders.isParty(actor.principal, project) && !(hasRole(actor.principal, 'hall_admin') && tenders.oversees(actor.principal, project))) throw new OpeningNotFound(tenderId)
      await repo.ensureOpening(tx, tenderId)
      await repo.updateOpening(tx, tenderId, { videoUrl: url })
      await emit(tx, actor, tenderId, 'video', { url }, officials(project))
    })
    return getOpening(actor.principal, tenderId)
  }

  async function presence (actor: Actor, tenderId: string) {
    const { project } = await loadTender(actor.principal, tenderId)
    if (!tenders.oversees(actor.principal, project)) throw new OpeningNotFound(tenderId)
    return live.presence(openingRoom(tenderId))
  }

  return { pause, resume, setVideo, presence }
}
