/**
 * 好差评 from 我的办件: the applicant signed in rates its own closed case once, without the query
 * code (the receipt's holder still rates on the public progress page). The form sits at the foot
 * of the case's page (approvals/_rating.eta); a refused form is shown again on its own page with
 * the error summary, the message beside the field and what was typed kept.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { hasMessage } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import { shownError } from './page-errors.ts'
import { formState, type FieldProblem } from './registration.pages.ts'

const CaseParams = StrictObject({ caseId: Uuid })
const COMMENT_MAX = 2000

/** A refusal of the cases service in the page's words (the cases' own catalogue first), beside the level when it is about the level. */
function refusal (request: FastifyRequest, error: Error & { code?: string }): FieldProblem {
  const { t } = pageContext(request)
  const code = error.code ?? ''
  const own = `approvals.errors.${code}`
  return { field: code === 'RATING_INVALID' ? 'level' : null, message: hasMessage(own) ? t(own) : shownError(request, error).error }
}

export const approvalsRatingsPages: FastifyPluginAsyncTypebox = async (app) => {
  async function showRating (request: FastifyRequest, reply: FastifyReply, caseId: string, values: Record<string, string> = {}, problems: FieldProblem[] = []) {
    const c = await app.services.cases.getCase(actorOf(request).principal, caseId)
    return renderPage(request, reply, 'approvals/rate', { title: `${c.number} · ${pageContext(request).t('approvals.rating')}`, c, values, ...formState(problems) })
  }

  app.get('/my/cases/:caseId/rating', { config: { policy: 'cases.apply' }, schema: { params: CaseParams } }, async (request, reply) => {
    // the applicant's own case only: anyone else's answers 404 as on the case's page
    const c = await app.services.cases.getCase(actorOf(request).principal, request.params.caseId)
    if (c.state !== 'closed' && !c.rating) return reply.redirect(`/my/cases/${c.id}`)
    return showRating(request, reply, request.params.caseId)
  })

  app.post('/my/cases/:caseId/rating', {
    config: { policy: 'cases.apply' },
    schema: { params: CaseParams, body: StrictObject({ level: Type.Optional(Type.String({ maxLength: 2 })), comment: Type.Optional(Type.String({ maxLength: 4000 })) }) }
  }, async (request, reply) => {
    const { caseId } = request.params
    const { t } = pageContext(request)
    const values = { level: request.body.level ?? '', comment: request.body.comment ?? '' }
    const level = Number(values.level)
    const comment = values.comment.trim()
    const problems: FieldProblem[] = []
    if (!/^[1-5]$/.test(values.level)) problems.push({ field: 'level', message: t('approvals.rating.error.level') })
    if (comment.length > COMMENT_MAX) problems.push({ field: 'comment', message: t('approvals.rating.error.comment', { max: COMMENT_MAX }) })
    if (problems.length > 0) {
      reply.code(400)
      return showRating(request, reply, caseId, values, problems)
    }
    try {
      await app.services.cases.rateOwn(actorOf(request), caseId, { level, ...(comment ? { comment } : {}) })
      return reply.redirect(`/my/cases/${caseId}?done=rated`)
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      return showRating(request, reply, caseId, values, [refusal(request, error)])
    }
  })
}
