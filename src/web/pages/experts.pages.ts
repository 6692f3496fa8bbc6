/**
 * The hall's expert pool (专家库): the list with its filters, and an expert's page with the
 * management forms (facts and specialties, a new employer, penalties and their lifting,
 * withdrawal) and the review of a proposed change. Forms refuse in place (form-problems.ts);
 * withdrawing an expert, approving or refusing a change confirm first (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { EXPERT_STATUSES, EXPERT_TITLES, PENALTY_KINDS, RELATION_KINDS } from '../../../schema/index.ts'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { isRegionCode, splitSpecialties } from '../../modules/experts/experts.rules.ts'
import {
  ExpertListQuery, RecordEmploymentSchema, RecordPenaltySchema, UpdateExpertSchema, type ProfileChangeInput
} from '../../modules/experts/experts.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { expertsImportPages } from './experts-import.pages.ts'
import { expertsSelfPages } from './experts-self.pages.ts'
import { describeChange } from './experts-shared.ts'

const expertIdOf = (request: FastifyRequest) => (request.params as { expertId: string }).expertId
const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode ?? 500
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))

/** Where a service's refusal is shown on the expert's page. */
const FIELDS: Record<string, string> = {
  SPECIALTY_UNKNOWN: 'edit-specialties',
  SPECIALTIES_REQUIRED: 'edit-specialties',
  REGION_CODE_INVALID: 'edit-region',
  PRACTICE_YEAR_INVALID: 'edit-since',
  CREDIT_CODE_INVALID: 'employment-credit',
  EMPLOYMENT_START_INVALID: 'employment-from',
  EXPERT_DATES_INVALID: 'penalty-from',
  REFUSAL_REASON_REQUIRED: 'refusal-reason'
}

export const expertsPoolPages: FastifyPluginAsyncTypebox = async (app) => {
  const experts = app.services.experts

  async function classification () {
    return experts.specialtyTree()
  }

  app.get('/hall/experts', {
    config: { policy: 'experts.read' },
    schema: {
      querystring: StrictObject({ q: Text(100), specialty: Text(10), region: Text(10), status: Text(20), pending: Text(5), page: Text(6) })
    }
  }, async (request, reply) => {
    const { t } = pageContext(request)
    const query = request.query
    const values = { q: query.q ?? '', specialty: query.specialty ?? '', region: query.region ?? '', status: query.status ?? '', pending: query.pending ?? '' }
    const problems: FormProblem[] = []
    const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1)
    const filter = {
      q: optional(query.q),
      specialty: optional(query.specialty)?.toUpperCase(),
      region: optional(query.region),
      status: (EXPERT_STATUSES as readonly string[]).includes(query.status ?? '') ? query.status as 'active' | 'withdrawn' : undefined,
      pendingChange: query.pending === '1' ? true : undefined,
      limit: 50,
      offset: (page - 1) * 50
    }
    if (filter.region && !/^[0-9]{2,6}$/.test(filter.region)) { problems.push({ field: 'filter-region', message: t('experts.error.regionFilter') }); filter.region = undefined }
    const result = await experts.listExperts(actorOf(request), checked(ExpertListQuery, Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined))))
    if (problems.length > 0) reply.code(400)
    return renderPage(request, reply, 'experts/pool', {
      titleKey: 'experts.pool.title',
      ...result,
      page,
      pages: Math.max(1, Math.ceil(result.total / 50)),
      tree: await classification(),
      statuses: EXPERT_STATUSES,
      canManage: request.principal !== null && mayAttempt(request.principal, 'experts.manage'),
      values,
      ...formErrors(problems)
    })
  })

  async function showExpert (request: FastifyRequest, reply: FastifyReply, expertId: string, extra: Partial<FormErrors> & { values?: Record<string, string | string[]>, done?: string, oneTimePassword?: string } = {}) {
    const expert = await experts.getExpert(actorOf(request), expertId)
    const { t } = pageContext(request)
    return renderPage(request, reply, 'experts/expert', {
      title: `${expert.fullName}（${expert.code}）`,
      expert,
      pending: expert.changes.find((change) => change.state === 'pending') ?? null,
      describe: (change: ProfileChangeInput) => describeChange(t, change, expert),
      tree: await classification(),
      titles: EXPERT_TITLES,
      penaltyKinds: PENALTY_KINDS,
      relationKinds: RELATION_KINDS,
      canManage: request.principal !== null && mayAttempt(request.principal, 'experts.manage'),
      values: {},
      ...extra
    })
  }

  const ExpertPageParams = StrictObject({ expertId: Uuid })
  app.get('/hall/experts/:expertId', {
    config: { policy: 'experts.read' },
    schema: { params: ExpertPageParams, querystring: StrictObject({ done: Text(40) }) }
  }, async (request, reply) => showExpert(request, reply, request.params.expertId, { done: request.query.done }))

  /** A management form: the work, then back to the expert's page; a refusal beside its field, values kept. */
  async function act (request: FastifyRequest, reply: FastifyReply, form: string, done: string, work: () => Promise<{ page: unknown } | unknown>, fields: Record<string, string> = FIELDS) {
    try {
      // a confirmation page stands in for the action until it is confirmed
      const result = await work()
      if (result && typeof result === 'object' && 'page' in result) return result.page
      return reply.redirect(`/hall/experts/${expertIdOf(request)}?done=${done}`)
    } catch (error) {
      const problems = refusalProblems(request, error, fields)
      reply.code(statusOf(error))
      return showExpert(request, reply, expertIdOf(request), { ...formErrors(problems, form), values: keptValues(request.body) })
    }
  }

  app.post('/hall/experts/:expertId/facts', {
    config: { policy: 'experts.manage' },
    schema: { params: ExpertPageParams, body: StrictObject({ title: Text(30), practiceSince: Text(10), regionCode: Text(10), specialties: Text(400) }) }
  }, async (request, reply) => act(request, reply, 'facts', 'facts', async () => {
    const { t } = pageContext(request)
    const body = request.body
    const practiceSince = Number(body.practiceSince)
    const specialties = splitSpecialties(body.specialties ?? '')
    assertNoProblems([
      ...((EXPERT_TITLES as readonly string[]).includes(body.title ?? '') ? [] : [{ field: 'edit-title', message: t('experts.error.title') }]),
      ...(/^[0-9]{4}$/.test(body.practiceSince ?? '') ? [] : [{ field: 'edit-since', message: t('errors.PRACTICE_YEAR_INVALID') }]),
      ...(isRegionCode((body.regionCode ?? '').trim()) ? [] : [{ field: 'edit-region', message: t('errors.REGION_CODE_INVALID') }]),
      ...(specialties.length > 0 && specialties.every((code) => /^[ABC][0-9]{6}$/.test(code)) ? [] : [{ field: 'edit-specialties', message: t('experts.error.specialties') }])
    ])
    await experts.updateExpert(actorOf(request), request.params.expertId, checked(UpdateExpertSchema, {
      title: body.title, practiceSince, regionCode: body.regionCode!.trim(), specialties
    }))
  }))

  app.post('/hall/experts/:expertId/employment', {
    config: { policy: 'experts.manage' },
    schema: { params: ExpertPageParams, body: StrictObject({ organisationName: Text(200), creditCode: Text(30), fromDate: Text(20) }) }
  }, async (request, reply) => act(request, reply, 'employment', 'employment', async () => {
    const { t } = pageContext(request)
    const body = { organisationName: (request.body.organisationName ?? '').trim(), creditCode: (request.body.creditCode ?? '').trim().toUpperCase(), fromDate: (request.body.fromDate ?? '').trim() }
    assertNoProblems([
      ...(body.organisationName ? [] : [{ field: 'employment-name', message: t('experts.error.organisation') }]),
      ...(body.creditCode.length === 18 ? [] : [{ field: 'employment-credit', message: t('errors.CREDIT_CODE_INVALID') }]),
      ...(/^\d{4}-\d{2}-\d{2}$/.test(body.fromDate) ? [] : [{ field: 'employment-from', message: t('experts.error.date') }])
    ])
    await experts.recordEmployment(actorOf(request), request.params.expertId, checked(RecordEmploymentSchema, body))
  }))

  app.post('/hall/experts/:expertId/penalties', {
    config: { policy: 'experts.manage' },
    schema: { params: ExpertPageParams, body: StrictObject({ kind: Text(20), reason: Text(500), fromDate: Text(20), toDate: Text(20) }) }
  }, async (request, reply) => act(request, reply, 'penalty', 'penalty', async () => {
    const { t } = pageContext(request)
    const body = request.body
    const reason = (body.reason ?? '').trim()
    const toDate = optional(body.toDate)
    assertNoProblems([
      ...((PENALTY_KINDS as readonly string[]).includes(body.kind ?? '') ? [] : [{ field: 'penalty-kind', message: t('experts.error.penaltyKind') }]),
      ...(reason ? [] : [{ field: 'penalty-reason', message: t('experts.error.reason') }]),
      ...(/^\d{4}-\d{2}-\d{2}$/.test(body.fromDate ?? '') ? [] : [{ field: 'penalty-from', message: t('experts.error.date') }]),
      ...(toDate === undefined || /^\d{4}-\d{2}-\d{2}$/.test(toDate) ? [] : [{ field: 'penalty-to', message: t('experts.error.date') }])
    ])
    await experts.recordPenalty(actorOf(request), request.params.expertId, checked(RecordPenaltySchema, { kind: body.kind, reason, fromDate: body.fromDate, ...(toDate ? { toDate } : {}) }))
  }))

  app.post('/hall/experts/:expertId/penalties/:penaltyId/end', {
    config: { policy: 'experts.manage' },
    schema: { params: StrictObject({ expertId: Uuid, penaltyId: Uuid }), body: StrictObject({ toDate: Text(20) }) }
  }, async (request, reply) => {
    // each penalty has its own lifting field
    const field = `penalty-end-${request.params.penaltyId}`
    return act(request, reply, 'penalty-end', 'penaltyEnded', async () => {
      const toDate = (request.body.toDate ?? '').trim()
      assertNoProblems(/^\d{4}-\d{2}-\d{2}$/.test(toDate) ? [] : [{ field, message: pageContext(request).t('experts.error.date') }])
      await experts.endPenalty(actorOf(request), request.params.expertId, request.params.penaltyId, toDate)
    }, { ...FIELDS, PENALTY_END_INVALID: field, PENALTY_NOT_FOUND: field })
  })

  app.post('/hall/experts/:expertId/status', {
    config: { policy: 'experts.manage' },
    schema: { params: ExpertPageParams, body: StrictObject({ action: Type.Enum(['withdraw', 'reinstate']), ...ConfirmField }) }
  }, async (request, reply) => act(request, reply, 'status', request.body.action === 'withdraw' ? 'withdrawn' : 'reinstated', async () => {
    const { expertId } = request.params
    if (request.body.action === 'reinstate') return experts.reinstateExpert(actorOf(request), expertId)
    if (!isConfirmed(request.body)) {
      const { t } = pageContext(request)
      const expert = await experts.getExpert(actorOf(request), expertId)
      return {
        page: await showConfirmation(request, reply, {
          title: t('experts.withdrawConfirm.title'),
          facts: [[t('experts.name'), expert.fullName], [t('experts.code'), expert.code]],
          consequences: [t('experts.withdrawConfirm.effect'), t('experts.withdrawConfirm.kept')],
          action: `/hall/experts/${expertId}/status`,
          fields: { action: 'withdraw' },
          confirmLabel: t('experts.withdrawConfirm.button'),
          backHref: `/hall/experts/${expertId}`,
          destructive: true
        })
      }
    }
    return experts.withdrawExpert(actorOf(request), expertId)
  }))

  app.post('/hall/experts/:expertId/changes/:changeId', {
    config: { policy: 'experts.manage' },
    schema: { params: StrictObject({ expertId: Uuid, changeId: Uuid }), body: StrictObject({ decision: Type.Enum(['approve', 'refuse']), reason: Text(500), ...ConfirmField }) }
  }, async (request, reply) => {
    const { expertId, changeId } = request.params
    const { decision } = request.body
    const reason = (request.body.reason ?? '').trim()
    return act(request, reply, 'review', decision === 'approve' ? 'approved' : 'refused', async () => {
      const { t } = pageContext(request)
      if (decision === 'refuse') assertNoProblems(reason ? [] : [{ field: 'refusal-reason', message: t('errors.REFUSAL_REASON_REQUIRED') }])
      if (!isConfirmed(request.body)) {
        const expert = await experts.getExpert(actorOf(request), expertId)
        const change = expert.changes.find((candidate) => candidate.id === changeId && candidate.state === 'pending')
        if (change) {
          return {
            page: await showConfirmation(request, reply, {
              title: t(decision === 'approve' ? 'experts.review.approveTitle' : 'experts.review.refuseTitle'),
              facts: [[t('experts.name'), expert.fullName], [t('experts.review.change'), describeChange(t, change.change, expert)], ...(decision === 'refuse' ? [[t('experts.review.reason'), reason] as [string, string]] : [])],
              consequences: [t(decision === 'approve' ? `experts.review.approveEffect.${change.change.kind}` : 'experts.review.refuseEffect')],
              action: `/hall/experts/${expertId}/changes/${changeId}`,
              fields: { decision, reason: reason || undefined },
              confirmLabel: t(decision === 'approve' ? 'experts.review.approve' : 'experts.review.refuse'),
              backHref: `/hall/experts/${expertId}`,
              destructive: decision === 'refuse'
            })
          }
        }
      }
      return decision === 'approve' ? experts.approveChange(actorOf(request), expertId, changeId) : experts.refuseChange(actorOf(request), expertId, changeId, reason)
    })
  })
}

/** The pool's pages, the import and the expert's own page: one registration in src/web/index.ts. */
export const expertsPages: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(expertsPoolPages)
  await app.register(expertsImportPages)
  await app.register(expertsSelfPages)
}
