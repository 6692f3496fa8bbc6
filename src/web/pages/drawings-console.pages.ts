/**
 * The drawing console of the hall (drawings.operate) and of the supervisors (drawings.supervise):
 * the list of drawings by state, and one drawing's console — its state, the published commitment,
 * when the draw may run (a server-synchronised countdown), the eligible pool in counts per line
 * and any shortfall, then the counts per line (drawn, confirmed, declined, waiting) and the
 * replacements as they happen. The hall approves, refuses or cancels a request and publishes a
 * drawn list once the evaluation starts; the supervisor gives the nonce and alone sees the drawn
 * list with names and the excluded experts with the rules that left them out. Every action
 * confirms first (confirm.ts). The page is live: /assets/bundles/drawing-room.js follows the room
 * `drawing:<id>` and re-reads the page, so what each reader sees is what the server lets them see.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { DRAWING_STATES } from '../../../schema/drawings.ts'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import type { DrawingView, SealedList } from '../../modules/drawings/drawings.schemas.ts'
import { serveBundle } from '../bundles.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import type { Translate } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import { eventLog, exclusionWords } from './drawings-forms.ts'

type View = 'operator' | 'supervisor'
const Params = StrictObject({ id: Uuid })
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode ?? 500
/** What the countdown shows before the page's clock script takes over (clock.js draws it alike). */
export function hms (milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000))
  return [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60].map((part) => String(part).padStart(2, '0')).join(':')
}

type Listed = SealedList['lines'][number]['experts'][number]

/** What became of a drawn expert, in words: their answer, the rules that recused them, who took their place. */
function noteOf (t: Translate, time: (value: string) => string, expert: Listed, line: Listed[]): string {
  const notes: string[] = []
  if (expert.state === 'confirmed' && expert.answeredAt) notes.push(t('drawings.note.confirmed', { at: time(expert.answeredAt) }))
  if (expert.state === 'declined') notes.push(expert.reason && expert.reason !== 'declined' ? t('drawings.note.declined', { reason: expert.reason }) : t('drawings.note.declinedNoReason'))
  if (expert.state === 'no_answer') notes.push(t('drawings.note.noAnswer'))
  if (expert.state === 'recused') notes.push(t('drawings.note.recused', { rules: (expert.reason ?? '').split(',').filter(Boolean).map((rule) => t(`drawings.exclusion.${rule}`)).join('、') }))
  const by = expert.replacedBy ? line.find((other) => other.pseudonym === expert.replacedBy) : undefined
  if (by) notes.push(t('drawings.note.replacedBy', { name: by.name }))
  return notes.join('；')
}

const HOME: Record<View, string> = { operator: '/hall/drawings', supervisor: '/supervise/drawings' }

/** Where a service's refusal is shown on the console. */
const FIELDS: Record<string, string> = {
  DRAWING_TOO_EARLY: 'draw-nonce',
  DRAWING_NONCE_REUSED: 'draw-nonce'
}

export const drawingsConsolePages: FastifyPluginAsyncTypebox<{ production: boolean }> = async (app, { production }) => {
  const drawings = app.services.drawings
  serveBundle(app, 'drawing-room', production)

  async function showList (request: FastifyRequest, reply: FastifyReply, view: View, state: string | undefined) {
    const known = (DRAWING_STATES as readonly string[]).includes(state ?? '') ? state as DrawingView['state'] : undefined
    const list = await drawings.listDrawings(actorOf(request).principal, { state: known, limit: 100 })
    return renderPage(request, reply, 'drawings/list', { titleKey: 'drawings.list.title', view, home: HOME[view], list, state: known ?? '', states: DRAWING_STATES })
  }

  type Extra = Partial<FormErrors> & { done?: string, values?: Record<string, string | string[]> }

  async function showConsole (request: FastifyRequest, reply: FastifyReply, id: string, view: View, extra: Extra = {}) {
    const principal = actorOf(request).principal
    const { t, time } = pageContext(request)
    const drawing = await drawings.getDrawing(principal, id)
    const before = drawing.state === 'requested' || drawing.state === 'approved'
    // the eligible pool as the draw would see it now; the drawn list for the supervisors alone
    const eligibility = before ? await drawings.eligibility(principal, id) : null
    const list = view === 'supervisor' && ['drawn', 'failed', 'published'].includes(drawing.state) ? await drawings.sealedList(principal, id) : null
    const room = await app.live.read(principal, `drawing:${id}`, 0, 500)
    const now = app.clock.now().getTime()
    return renderPage(request, reply, 'drawings/console', {
      title: `${t('drawings.console.title')} · ${drawing.tenderTitle}`,
      view,
      home: HOME[view],
      drawing,
      eligibility,
      list: list ? { ...list, lines: list.lines.map((line) => ({ ...line, experts: line.experts.map((expert) => ({ ...expert, note: noteOf(t, time, expert, line.experts) })) })) } : null,
      excluded: list ? list.lines.map((line) => line.excluded.map((entry) => ({ ...entry, words: entry.rules.map((rule) => exclusionWords(t, rule)) }))) : [],
      log: eventLog(t, room?.events ?? []),
      since: room?.head ?? 0,
      drawOpen: now >= Date.parse(drawing.drawFrom),
      untilDraw: hms(Date.parse(drawing.drawFrom) - now),
      publishOpen: drawing.state === 'drawn' && now >= Date.parse(drawing.evaluationAt),
      values: {},
      ...extra
    })
  }

  const ListQuery = StrictObject({ state: Text(20) })
  const ConsoleQuery = StrictObject({ done: Text(20) })

  app.get('/hall/drawings', { config: { policy: 'drawings.operate' }, schema: { querystring: ListQuery } }, async (request, reply) => showList(request, reply, 'operator', request.query.state))
  app.get('/supervise/drawings', { config: { policy: 'drawings.supervise' }, schema: { querystring: ListQuery } }, async (request, reply) => showList(request, reply, 'supervisor', request.query.state))
  app.get('/hall/drawings/:id', { config: { policy: 'drawings.operate' }, schema: { params: Params, querystring: ConsoleQuery } },
    async (request, reply) => showConsole(request, reply, request.params.id, 'operator', { done: request.query.done }))
  app.get('/supervise/drawings/:id', { config: { policy: 'drawings.supervise' }, schema: { params: Params, querystring: ConsoleQuery } },
    async (request, reply) => showConsole(request, reply, request.params.id, 'supervisor', { done: request.query.done }))

  // the messages the module sends link to /drawings/<id>: each reader lands on their own page
  app.get('/drawings/:id', { config: { policy: 'drawings.read' }, schema: { params: Params } }, async (request, reply) => {
    const principal = actorOf(request).principal
    const drawing = await drawings.getDrawing(principal, request.params.id)
    const where = mayAttempt(principal, 'drawings.supervise') ? 'supervise' : mayAttempt(principal, 'drawings.operate') ? 'hall' : 'agency'
    return reply.redirect(`/${where}/drawings/${drawing.id}`)
  })

  /** A refused action: the console again, its words in the summary (and beside the field it concerns). */
  async function refused (request: FastifyRequest, reply: FastifyReply, id: string, view: View, error: unknown, form: string) {
    const problems = refusalProblems(request, error, FIELDS, 'drawings.error.')
    reply.code(statusOf(error))
    return showConsole(request, reply, id, view, { ...formErrors(problems, form), values: keptValues(request.body) })
  }

  function factsOf (t: (key: string) => string, time: (value: string) => string, drawing: DrawingView): Array<[string, string]> {
    return [
      [t('drawings.tender'), `${drawing.tenderTitle}（${drawing.tenderCode}）`],
      [t('drawings.evaluationAt'), time(drawing.evaluationAt)],
      [t('drawings.place'), drawing.remote ? t('drawings.remote') : drawing.evaluationPlace ?? ''],
      [t('drawings.state'), t(`drawings.state.${drawing.state}`)]
    ]
  }

  // the hall: approve, refuse, cancel, publish ------------------------------------------------------

  // approving commits the server to its secret; publishing reveals the list and the secret: both bind, both confirmed
  const Confirmed = StrictObject({ ...ConfirmField })
  const binding = {
    approve: {
      done: 'approved',
      facts: (drawing: DrawingView, t: Translate, time: (at: string) => string): Array<[string, string]> => [[t('drawings.drawFrom'), time(drawing.drawFrom)]],
      consequences: (drawing: DrawingView, t: Translate, time: (at: string) => string) => [t('drawings.approve.commit'), t('drawings.approve.when', { from: time(drawing.drawFrom) }), t('drawings.approve.final')]
    },
    publish: {
      done: 'published',
      facts: (): Array<[string, string]> => [],
      consequences: (_drawing: DrawingView, t: Translate) => [t('drawings.publish.names'), t('drawings.publish.secret'), t('drawings.publish.final')]
    }
  } as const
  for (const action of ['approve', 'publish'] as const) {
    app.post(`/hall/drawings/:id/${action}`, { config: { policy: 'drawings.operate' }, schema: { params: Params, body: Confirmed } }, async (request, reply) => {
      const { id } = request.params
      const { t, time } = pageContext(request)
      try {
        if (!isConfirmed(request.body)) {
          const drawing = await drawings.getDrawing(actorOf(request).principal, id)
          return showConfirmation(request, reply, {
            title: t(`drawings.${action}.title`),
            facts: [...factsOf(t, time, drawing), ...binding[action].facts(drawing, t, time)],
            consequences: binding[action].consequences(drawing, t, time),
            action: `/hall/drawings/${id}/${action}`,
            fields: {},
            confirmLabel: t(`drawings.${action}.button`),
            backHref: `/hall/drawings/${id}`
          })
        }
        await drawings[action](actorOf(request), id)
        return reply.redirect(`/hall/drawings/${id}?done=${binding[action].done}`)
      } catch (error) {
        return refused(request, reply, id, 'operator', error, action)
      }
    })
  }

  const WithReason = StrictObject({ reason: Text(2000), ...ConfirmField })
  for (const action of ['refuse', 'cancel'] as const) {
    app.post(`/hall/drawings/:id/${action}`, { config: { policy: 'drawings.operate' }, schema: { params: Params, body: WithReason } }, async (request, reply) => {
      const { id } = request.params
      const { t, time } = pageContext(request)
      try {
        const reason = request.body.reason?.trim() ?? ''
        assertNoProblems(reason.length >= 1 && reason.length <= 500 ? [] : [{ field: `${action}-reason`, message: t('drawings.error.reason') }])
        if (!isConfirmed(request.body)) {
          const drawing = await drawings.getDrawing(actorOf(request).principal, id)
          return showConfirmation(request, reply, {
            title: t(`drawings.${action}.title`),
            facts: [...factsOf(t, time, drawing), [t('drawings.reason'), reason]],
            consequences: [t(`drawings.${action}.effect`), ...(action === 'cancel' && drawing.state === 'drawn' ? [t('drawings.cancel.effectDrawn')] : []), t('drawings.endedStays')],
            action: `/hall/drawings/${id}/${action}`,
            fields: { reason },
            confirmLabel: t(`drawings.${action}.button`),
            backHref: `/hall/drawings/${id}`,
            destructive: true
          })
        }
        await drawings[action](actorOf(request), id, reason)
        return reply.redirect(`/hall/drawings/${id}?done=${action === 'refuse' ? 'refused' : 'cancelled'}`)
      } catch (error) {
        return refused(request, reply, id, 'operator', error, action)
      }
    })
  }

  // the supervisor: the nonce ---------------------------------------------------------------------------

  const Draw = StrictObject({ nonce: Text(1000), ...ConfirmField })
  app.post('/supervise/drawings/:id/draw', { config: { policy: 'drawings.supervise' }, schema: { params: Params, body: Draw } }, async (request, reply) => {
    const { id } = request.params
    const { t, time } = pageContext(request)
    try {
      const nonce = request.body.nonce?.trim() ?? ''
      assertNoProblems(nonce.length >= 8 && nonce.length <= 128 ? [] : [{ field: 'draw-nonce', message: t('drawings.error.nonce') }])
      if (!isConfirmed(request.body)) {
        const drawing = await drawings.getDrawing(actorOf(request).principal, id)
        return showConfirmation(request, reply, {
          title: t('drawings.draw.title'),
          facts: [...factsOf(t, time, drawing), [t('drawings.commitment'), drawing.commitment ?? ''], [t('drawings.nonce'), nonce]],
          consequences: [t('drawings.draw.binds'), t('drawings.draw.once'), t('drawings.draw.sealed'), t('drawings.draw.invited')],
          action: `/supervise/drawings/${id}/draw`,
          fields: { nonce },
          confirmLabel: t('drawings.draw.button'),
          backHref: `/supervise/drawings/${id}`
        })
      }
      await drawings.draw(actorOf(request), id, nonce)
      return reply.redirect(`/supervise/drawings/${id}?done=drawn`)
    } catch (error) {
      return refused(request, reply, id, 'supervisor', error, 'draw')
    }
  })
}
