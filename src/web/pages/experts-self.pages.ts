/**
 * The expert's own page (我的专家信息): the record the hall keeps, dates unavailable (in force at
 * once), and a proposal to change the employer or a declared relation, which waits for the hall.
 * Withdrawing a proposal asks once more (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { RELATION_KINDS } from '../../../schema/index.ts'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { DeclareUnavailabilitySchema, ProfileChangeInputSchema, type ProfileChangeInput } from '../../modules/experts/experts.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { describeChange } from './experts-shared.ts'

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode ?? 500
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const DATE = /^\d{4}-\d{2}-\d{2}$/

const FIELDS: Record<string, string> = {
  UNAVAILABILITY_IN_PAST: 'unavailable-from',
  UNAVAILABILITY_TOO_FAR: 'unavailable-to',
  UNAVAILABILITY_OVERLAPS: 'unavailable-from',
  EXPERT_DATES_INVALID: 'unavailable-to',
  PROFILE_CHANGE_PENDING: 'change-kind',
  CREDIT_CODE_INVALID: 'change-credit',
  EMPLOYMENT_START_INVALID: 'change-from',
  RELATION_NOT_FOUND: 'change-relation'
}

export const expertsSelfPages: FastifyPluginAsyncTypebox = async (app) => {
  const experts = app.services.experts

  async function showProfile (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { values?: Record<string, string | string[]>, done?: string } = {}) {
    const expert = await experts.getOwnProfile(actorOf(request))
    const { t } = pageContext(request)
    return renderPage(request, reply, 'experts/profile', {
      titleKey: 'experts.profile.title',
      expert,
      pending: expert.changes.find((change) => change.state === 'pending') ?? null,
      describe: (change: ProfileChangeInput) => describeChange(t, change, expert),
      relationKinds: RELATION_KINDS,
      openRelations: expert.relations.filter((relation) => relation.endedAt === null),
      canManage: false,
      today: shanghaiDate(app.clock.now()),
      values: {},
      ...extra
    })
  }

  app.get('/my/expert', {
    config: { policy: 'experts.self' },
    schema: { querystring: StrictObject({ done: Text(40) }) }
  }, async (request, reply) => {
    try {
      return await showProfile(request, reply, { done: request.query.done })
    } catch (error) {
      // an account given the expert role before the hall made its profile: an ordinary state of a
      // new expert (the page is theirs; nothing is missing from the address), said in words
      if ((error as { code?: string }).code !== 'EXPERT_PROFILE_NOT_FOUND') throw error
      return renderPage(request, reply, 'error', { titleKey: 'experts.profile.title', message: pageContext(request).t('errors.EXPERT_PROFILE_NOT_FOUND') })
    }
  })

  async function act (request: FastifyRequest, reply: FastifyReply, form: string, done: string, work: () => Promise<{ page: unknown } | unknown>) {
    try {
      const result = await work()
      if (result && typeof result === 'object' && 'page' in result) return result.page
      return reply.redirect(`/my/expert?done=${done}`)
    } catch (error) {
      const problems = refusalProblems(request, error, FIELDS)
      reply.code(statusOf(error))
      return showProfile(request, reply, { ...formErrors(problems, form), values: keptValues(request.body) })
    }
  }

  app.post('/my/expert/unavailability', {
    config: { policy: 'experts.self' },
    schema: { body: StrictObject({ fromDate: Text(20), toDate: Text(20), reason: Text(200) }) }
  }, async (request, reply) => act(request, reply, 'unavailability', 'unavailable', async () => {
    const { t } = pageContext(request)
    const fromDate = (request.body.fromDate ?? '').trim()
    const toDate = (request.body.toDate ?? '').trim() || fromDate
    assertNoProblems([
      ...(DATE.test(fromDate) ? [] : [{ field: 'unavailable-from', message: t('experts.error.date') }]),
      ...(DATE.test(toDate) ? [] : [{ field: 'unavailable-to', message: t('experts.error.date') }])
    ])
    const reason = optional(request.body.reason)
    await experts.declareUnavailability(actorOf(request), checked(DeclareUnavailabilitySchema, { fromDate, toDate, ...(reason ? { reason } : {}) }))
  }))

  app.post('/my/expert/unavailability/:unavailabilityId/remove', {
    config: { policy: 'experts.self' },
    schema: { params: StrictObject({ unavailabilityId: Uuid }) }
  }, async (request, reply) => act(request, reply, 'unavailability-remove', 'unavailableRemoved', async () => {
    await experts.removeUnavailability(actorOf(request), request.params.unavailabilityId)
  }))

  app.post('/my/expert/changes', {
    config: { policy: 'experts.self' },
    schema: {
      body: StrictObject({
        kind: Text(20), organisationName: Text(200), creditCode: Text(30), fromDate: Text(20), relationKind: Text(20), note: Text(500), relationId: Text(40)
      })
    }
  }, async (request, reply) => act(request, reply, 'change', 'proposed', async () => {
    const { t } = pageContext(request)
    const body = request.body
    const name = (body.organisationName ?? '').trim()
    const creditCode = (body.creditCode ?? '').trim().toUpperCase()
    const problems: FormProblem[] = []
    let change: unknown = null
    const organisation = () => {
      if (!name) problems.push({ field: 'change-name', message: t('experts.error.organisation') })
      if (creditCode.length !== 18) problems.push({ field: 'change-credit', message: t('errors.CREDIT_CODE_INVALID') })
    }
    switch (body.kind) {
      case 'employment': {
        organisation()
        const fromDate = (body.fromDate ?? '').trim()
        if (!DATE.test(fromDate)) problems.push({ field: 'change-from', message: t('experts.error.date') })
        change = { kind: 'employment', employment: { organisationName: name, creditCode, fromDate } }
        break
      }
      case 'relation_added': {
        organisation()
        if (!(RELATION_KINDS as readonly string[]).includes(body.relationKind ?? '')) problems.push({ field: 'change-relation-kind', message: t('experts.error.relationKind') })
        const note = optional(body.note)
        change = { kind: 'relation_added', relation: { kind: body.relationKind, organisationName: name, creditCode, ...(note ? { note } : {}) } }
        break
      }
      case 'relation_ended':
        if (!body.relationId) problems.push({ field: 'change-relation', message: t('experts.error.relation') })
        change = { kind: 'relation_ended', relationId: body.relationId }
        break
      default:
        problems.push({ field: 'change-kind', message: t('experts.error.changeKind') })
    }
    assertNoProblems(problems)
    await experts.proposeChange(actorOf(request), checked(ProfileChangeInputSchema, change))
  }))

  app.post('/my/expert/changes/:changeId/withdraw', {
    config: { policy: 'experts.self' },
    schema: { params: StrictObject({ changeId: Uuid }), body: Type.Optional(StrictObject({ ...ConfirmField })) }
  }, async (request, reply) => act(request, reply, 'withdraw', 'withdrawn', async () => {
    const { changeId } = request.params
    if (!isConfirmed(request.body)) {
      const { t } = pageContext(request)
      const expert = await experts.getOwnProfile(actorOf(request))
      const change = expert.changes.find((candidate) => candidate.id === changeId && candidate.state === 'pending')
      if (change) {
        return {
          page: await showConfirmation(request, reply, {
            title: t('experts.profile.withdrawTitle'),
            facts: [[t('experts.review.change'), describeChange(t, change.change, expert)], [t('experts.profile.submitted'), pageContext(request).time(change.submittedAt)]],
            consequences: [t('experts.profile.withdrawEffect')],
            action: `/my/expert/changes/${changeId}/withdraw`,
            fields: {},
            confirmLabel: t('experts.profile.withdrawButton'),
            backHref: '/my/expert',
            destructive: true
          })
        }
      }
    }
    await experts.withdrawChange(actorOf(request), changeId)
  }))
}
