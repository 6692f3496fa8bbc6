/**
 * An expert's invitations (抽取邀请, experts.self): what the drawing tells them — the time, the
 * place or remote, the specialty and the answer deadline with a countdown by server time —
 * and never the tender nor its bidders (knowing them is knowing whom to approach). They confirm
 * or decline (saying why) before the deadline, each confirmed first; a decline or silence calls
 * the next reserve, which the page says before they decide.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { InvitationNotFound } from '../../modules/drawings/drawings.errors.ts'
import type { InvitationView } from '../../modules/drawings/drawings.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import { pageContext, renderPage } from '../render.ts'
import { hms } from './drawings-console.pages.ts'

const Params = StrictObject({ drawingId: Uuid })
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode ?? 500
/** Open invitations first, then by evaluation time. */
const ORDER: Record<InvitationView['state'], number> = { invited: 0, confirmed: 1, declined: 2, no_answer: 2, released: 2, cancelled: 2 }

export const drawingsInvitationsPages: FastifyPluginAsyncTypebox = async (app) => {
  const drawings = app.services.drawings

  type Extra = Partial<FormErrors> & { done?: string, values?: Record<string, string | string[]> }

  async function showInvitations (request: FastifyRequest, reply: FastifyReply, extra: Extra = {}) {
    const now = app.clock.now().getTime()
    const invitations = (await drawings.myInvitations(actorOf(request)))
      .sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.evaluationAt.localeCompare(b.evaluationAt))
      .map((invitation) => ({
        ...invitation,
        open: invitation.state === 'invited' && invitation.answerBy !== null && Date.parse(invitation.answerBy) > now,
        left: invitation.answerBy ? hms(Date.parse(invitation.answerBy) - now) : ''
      }))
    return renderPage(request, reply, 'drawings/invitations', { titleKey: 'drawings.invitations.title', invitations, values: {}, ...extra })
  }

  app.get('/my/invitations', { config: { policy: 'experts.self' }, schema: { querystring: StrictObject({ done: Text(20) }) } },
    async (request, reply) => showInvitations(request, reply, { done: request.query.done }))

  /** The caller's invitation of this drawing; someone else's is as if it did not exist (404 page). */
  async function invitationOf (request: FastifyRequest, drawingId: string): Promise<InvitationView> {
    const found = (await drawings.myInvitations(actorOf(request))).find((invitation) => invitation.drawingId === drawingId)
    if (!found) throw new InvitationNotFound(drawingId)
    return found
  }

  /** A refusal of the answer: the list again with the words; an invitation that is not theirs is the 404 page. */
  function answerRefused (request: FastifyRequest, reply: FastifyReply, error: unknown, form: string) {
    if ((error as { statusCode?: number }).statusCode === 404) throw error
    reply.code(statusOf(error))
    return showInvitations(request, reply, { ...formErrors(refusalProblems(request, error, {}, 'drawings.error.'), form), values: keptValues(request.body) })
  }

  function factsOf (t: (key: string, params?: Record<string, string | number>) => string, time: (value: string) => string, invitation: InvitationView): Array<[string, string]> {
    return [
      [t('drawings.invitations.specialty'), `${invitation.specialtyName}（${t(`drawings.side.${invitation.side}`)}）`],
      [t('drawings.evaluationAt'), time(invitation.evaluationAt)],
      [t('drawings.place'), invitation.remote ? t('drawings.remote') : invitation.evaluationPlace ?? ''],
      [t('drawings.invitations.answerBy'), invitation.answerBy ? time(invitation.answerBy) : '—']
    ]
  }

  const Confirm = StrictObject({ ...ConfirmField })
  app.post('/my/invitations/:drawingId/confirm', { config: { policy: 'experts.self' }, schema: { params: Params, body: Confirm } }, async (request, reply) => {
    const { drawingId } = request.params
    const { t, time } = pageContext(request)
    try {
      if (!isConfirmed(request.body)) {
        const invitation = await invitationOf(request, drawingId)
        return showConfirmation(request, reply, {
          title: t('drawings.invitations.confirmTitle'),
          facts: factsOf(t, time, invitation),
          consequences: [t('drawings.invitations.confirmBinds'), t('drawings.invitations.confirmDeclare'), t('drawings.invitations.secrecy')],
          action: `/my/invitations/${drawingId}/confirm`,
          fields: {},
          confirmLabel: t('drawings.invitations.confirmButton'),
          backHref: '/my/invitations'
        })
      }
      await drawings.answer(actorOf(request), drawingId, 'confirm')
      return reply.redirect('/my/invitations?done=confirmed')
    } catch (error) {
      return answerRefused(request, reply, error, `confirm-${drawingId}`)
    }
  })

  const Decline = StrictObject({ reason: Text(2000), ...ConfirmField })
  app.post('/my/invitations/:drawingId/decline', { config: { policy: 'experts.self' }, schema: { params: Params, body: Decline } }, async (request, reply) => {
    const { drawingId } = request.params
    const { t, time } = pageContext(request)
    const field = `decline-reason-${drawingId}`
    try {
      const reason = request.body.reason?.trim() ?? ''
      assertNoProblems(reason.length >= 1 && reason.length <= 500 ? [] : [{ field, message: t('drawings.invitations.reasonMissing') }])
      if (!isConfirmed(request.body)) {
        const invitation = await invitationOf(request, drawingId)
        return showConfirmation(request, reply, {
          title: t('drawings.invitations.declineTitle'),
          facts: [...factsOf(t, time, invitation), [t('drawings.reason'), reason]],
          consequences: [t('drawings.invitations.declineFinal'), t('drawings.invitations.declineReserve')],
          action: `/my/invitations/${drawingId}/decline`,
          fields: { reason },
          confirmLabel: t('drawings.invitations.declineButton'),
          backHref: '/my/invitations',
          destructive: true
        })
      }
      await drawings.answer(actorOf(request), drawingId, 'decline', reason)
      return reply.redirect('/my/invitations?done=declined')
    } catch (error) {
      return answerRefused(request, reply, error, `decline-${drawingId}`)
    }
  })
}
