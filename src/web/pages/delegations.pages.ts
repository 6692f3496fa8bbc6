/**
 * The chief representative's delegations (首席代表授权) of a department, in pages: the history,
 * newest first, and the form recording a new one, which ends the one running at its start. The
 * hall administrator reaches every department, a department administrator its own; another
 * department's page does not exist. The departments service decides, as for the API.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { createError, isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { RecordDelegationSchema, type RecordDelegation } from '../../modules/departments/departments.schemas.ts'
import { optional } from '../forms.ts'
import { hasMessage } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import type { ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const DepartmentParams = StrictObject({ departmentId: Uuid })
const DECISIONS = ['approve', 'deny'] as const

const DelegationFormInvalid = createError('DELEGATION_FORM_INVALID', 'A delegation names its chief representative, item codes, at least one decision and its document number', 400)

/** Refusals whose service words name what is at fault (which item code, which date). */
const DETAILED = new Set(['DELEGATION_ITEM_UNKNOWN', 'DELEGATION_OUT_OF_ORDER', 'DELEGATION_BACKDATED', 'DELEGATION_PERIOD_INVALID'])

const DelegationForm = StrictObject({
  chiefRepId: Type.String({ maxLength: 36 }),
  itemCodes: Type.String({ maxLength: 4000 }),
  decisions: Type.Optional(Type.Union([Type.String({ maxLength: 10 }), Type.Array(Type.String({ maxLength: 10 }), { maxItems: 2 })])),
  reference: Type.String({ maxLength: 100 }),
  validFrom: FormText(20),
  validUntil: FormText(20)
})
type DelegationFormBody = Static<typeof DelegationForm>

/**
 * A `datetime-local` value read on the hall's clock (Asia/Shanghai, no daylight saving), as an
 * ISO instant; undefined when left empty, null when it is no such value.
 */
function hallInstant (value: string | undefined): string | undefined | null {
  const given = optional(value)
  if (!given) return undefined
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(given)) return null
  const instant = new Date(`${given.length === 16 ? `${given}:00` : given}+08:00`)
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString()
}

/** The form as the service's input, or null when it is incomplete. */
function delegationInput (form: DelegationFormBody): RecordDelegation | null {
  const itemCodes = [...new Set(form.itemCodes.split(/[\s,，、;；]+/).map((code) => code.trim().toUpperCase()).filter(Boolean))]
  const ticked = form.decisions === undefined ? [] : [form.decisions].flat()
  const decisions = DECISIONS.filter((decision) => ticked.includes(decision))
  const validFrom = hallInstant(form.validFrom)
  const validUntil = hallInstant(form.validUntil)
  if (validFrom === null || validUntil === null || decisions.length !== new Set(ticked).size) return null
  const input = {
    chiefRepId: form.chiefRepId,
    itemCodes,
    decisions,
    reference: form.reference.trim(),
    ...(validFrom ? { validFrom } : {}),
    ...(validUntil ? { validUntil } : {})
  }
  return Value.Check(RecordDelegationSchema, input) ? input : null
}

export const delegationsPages: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, departments } = app.services

  function shownError (request: FastifyRequest, error: Error & { code?: string }): ShownError {
    const { t } = pageContext(request)
    const own = `approvals.errors.${error.code ?? ''}`
    const common = `errors.${error.code ?? ''}`
    const message = hasMessage(own) ? t(own) : hasMessage(common) ? t(common) : error.message
    return { error: message, ...(error.code && DETAILED.has(error.code) && message !== error.message ? { errorDetail: error.message } : {}) }
  }

  /** The department's chief representatives: accounts holding an active chief_rep grant on it. */
  async function chiefRepsOf (departmentId: string) {
    const { items } = await accounts.listAccounts({ role: 'chief_rep', limit: 200 })
    return items.filter((account) => account.status === 'active' &&
      account.grants.some((grant) => grant.role === 'chief_rep' && grant.scopeType === 'department' && grant.scopeId === departmentId))
  }

  async function showDelegations (request: FastifyRequest, reply: FastifyReply, departmentId: string, extra: Partial<ShownError> & { done?: string, values?: Record<string, unknown> } = {}) {
    // the service answers 404 for a department outside the caller's scope, before anything is shown
    const history = await departments.listDelegations(actorOf(request), departmentId)
    const [department, chiefs, published] = await Promise.all([
      departments.getDepartment(departmentId),
      chiefRepsOf(departmentId),
      app.services.catalogue.listPublished({ departmentId, limit: 200 })
    ])
    const names: Record<string, string> = Object.fromEntries(chiefs.map((account) => [account.id, account.displayName]))
    const unnamed = [...new Set(history.flatMap((delegation) => [delegation.chiefRepId, delegation.recordedBy]))].filter((id) => !(id in names))
    for (const account of await Promise.all(unnamed.map((id) => accounts.getAccount(id).catch(() => null)))) {
      if (account) names[account.id] = account.displayName
    }
    const { lang } = pageContext(request)
    return renderPage(request, reply, 'admin/delegations', {
      title: `${(lang === 'en' && department.nameEn) || department.name} · ${pageContext(request).t('approvals.delegations.title')}`,
      department,
      history,
      chiefs,
      items: published.items,
      names,
      decisions: DECISIONS,
      values: {},
      ...extra
    })
  }

  app.get('/admin/departments/:departmentId/delegations', {
    config: { policy: 'delegations.manage' },
    schema: { params: DepartmentParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showDelegations(request, reply, request.params.departmentId, { done: request.query.done }))

  app.post('/admin/departments/:departmentId/delegations', {
    config: { policy: 'delegations.manage' },
    schema: { params: DepartmentParams, body: DelegationForm }
  }, async (request, reply) => {
    const { departmentId } = request.params
    try {
      const input = delegationInput(request.body)
      if (!input) throw new DelegationFormInvalid()
      const recorded = await departments.recordDelegation(actorOf(request), departmentId, input)
      request.log.info({ departmentId, delegationId: recorded.id }, 'delegation recorded through the page')
      return reply.redirect(`/admin/departments/${departmentId}/delegations?done=recorded`)
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      const form = request.body
      const values = { ...form, decisions: form.decisions === undefined ? [] : [form.decisions].flat() }
      return showDelegations(request, reply, departmentId, { ...shownError(request, error), values })
    }
  })
}
