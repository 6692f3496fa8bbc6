/**
 * Random expert drawing (随机抽取评标专家) for a tender:
 *
 *   requested (by the tender's agency or tenderer; committee rules checked, drawings.rules.ts)
 *     → approved (the hall: the server commits to a secret sealed under the master key; the
 *       commitment is published in the room `drawing:<id>`)
 *     → drawn (the supervisor's nonce, from drawFrom = evaluationAt − DRAWING_LEAD_HOURS: the
 *       eligible pool is snapshotted through the named recusal rules, drawings.recusal.rules.ts,
 *       the committee drawn by src/lib/expert-draw.ts, the list sealed with its hash in the audit
 *       chain, the members invited)
 *     → published (the evaluation starts: names, secret and record are published)
 *   requested → refused | cancelled; approved → cancelled | failed (too few eligible experts:
 *   the shortfall per line, nothing drawn); drawn → cancelled (the hall calls the evaluation off,
 *   or the tender is cancelled or fails: its drawing under way goes with it, the experts
 *   invited or confirmed are told, and the draw's record is published without names). A drawing
 *   runs once; an ended one stays on record.
 *
 * Drawn experts: standby (reserve) | invited → confirmed | declined | no_answer, and recused
 * when the recheck at the bid deadline finds a conflict with a bidder; a decline, silence past
 * the answer deadline (DRAWING_ANSWER_MINUTES, never past evaluationAt) or a recusal calls the
 * line's next reserve; no reserve left raises `drawing.line_short`.
 *
 * Secrecy until publication: supervisors alone see names (the list, the exclusions and the
 * rooms' `*_names` events); the hall sees counts and confirmations; audit entries and public room
 * events name drawn experts by pseudonym (the expert id encrypted under a per-drawing key), never by account. An
 * invitation tells the expert the time, the place (or remote) and the specialty, not the tender:
 * knowing the tender is knowing whom to approach, and whose documents (and bidders, once public)
 * to look up before the evaluation; the evaluation itself tells them.
 *
 * The seam for remote evaluation (issue 14): `app.services.drawings`
 *   - committeeFor(tenderId): the confirmed members { expertId, accountId, line, side,
 *     specialtyCode } of the tender's drawn or published drawing ([] when there is none);
 *   - publishForEvaluation(tenderId): the evaluation starts: the list and the secret are
 *     published (once; later calls change nothing) and the committee is returned.
 * Until the evaluation module calls it, a timer at evaluationAt publishes, and the hall may
 * publish at or after evaluationAt (POST /api/drawings/:id/publish).
 */
import type { FastifyPluginAsync } from 'fastify'
import type { MasterKey } from '../../lib/master-key.ts'
import { drawingsRoutes } from './drawings.routes.ts'
import { createDrawingsService, type DrawingSettings, type DrawingsService } from './drawings.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { drawings: DrawingsService }
}

export interface DrawingsModuleOptions { masterKey: MasterKey, settings: DrawingSettings }

export const drawingsModule: FastifyPluginAsync<DrawingsModuleOptions> = async (app, options) => {
  const { tenders, projects, bids, accounts, departments, notifier } = app.services
  const service = createDrawingsService({
    db: app.db,
    audit: app.audit,
    clock: app.clock,
    live: app.live,
    timers: app.timers,
    log: app.log,
    masterKey: options.masterKey,
    settings: options.settings,
    tenders,
    projects,
    bids,
    accounts,
    departments,
    notifier
  })
  app.services.drawings = service
  // the tender's parties and the officials over it; each event's audience decides what they see
  app.live.defineRoomKind('drawing', { canJoin: async (principal, roomId) => service.mayWatch(principal, roomId.slice('drawing:'.length)) })
  await app.register(drawingsRoutes, { service })
}
