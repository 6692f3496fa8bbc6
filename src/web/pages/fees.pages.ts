/**
 * Fee standards: the public list of the standards in force (any day) with a quote form, and the
 * administrators' fee items — create, propose a new version, approve or reject (four eyes: the
 * proposer never approves their own version).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf, type Actor } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt } from '../../lib/policy.ts'
import { isIsoDate } from '../../lib/working-days.ts'
import { CreateFeeItemSchema, FeeLineInputSchema, FeeVersionInputSchema, type FeeItemView, type FeeStandardView, type FeeVersionView } from '../../modules/fees/fees.schemas.ts'
import type { QuotedLine } from '../../modules/fees/fees.service.ts'
import { feeViewHelpers } from '../fee-format.ts'
import { versionFormProperties, versionFormValues, versionInputFromForm, type VersionFormFields } from '../fee-forms.ts'
import { checked, FormInvalid, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { orShowError, type ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const PARAMETER_PREFIX = 'param_'

export const feesPages: FastifyPluginAsyncTypebox = async (app) => {
  const { fees, departments, accounts } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    return Object.fromEntries((await departments.listDepartments()).map((department) => [department.id, (lang === 'en' && department.nameEn) || department.name]))
  }

  // public standards and quotes ----------------------------------------------------------------

  /** The query of /fees: the day, and the quote being filled in (parameters as param_<name>). */
  const StandardsQuery = Type.Object({
    on: FormText(10),
    code: FormText(32),
    quantity: FormText(40),
    calculate: FormText(1)
  }, { additionalProperties: Type.String({ maxLength: 40 }), maxProperties: 16 })

  app.get('/fees', {
    config: { policy: 'public' },
    schema: { querystring: StandardsQuery }
  }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>
    const today = app.calendar.today()
    const requested = optional(query.on)
    const on = requested && isIsoDate(requested) ? requested : today
    const shown: Partial<ShownError> = requested && requested !== on ? { error: pageContext(request).t('fees.dateInvalid') } : {}
    const standards = await fees.listStandards(on)
    const code = optional(query.code)
    const chosen = code ? standards.find((standard) => standard.code === code) ?? null : null
    const values: Record<string, string> = {}
    for (const [key, value] of Object.entries(query)) if (value !== undefined && (key === 'quantity' || key.startsWith(PARAMETER_PREFIX))) values[key] = value
    let quote: { lines: QuotedLine[], totalFen: bigint } | null = null
    if (code && !chosen && !shown.error) {
      reply.code(422)
      shown.error = pageContext(request).t('fees.notInForce', { code, on })
    } else if (chosen && query.calculate !== undefined) {
      try {
        const lines = await fees.quote([quoteLine(chosen, values)], on)
        quote = { lines, totalFen: lines.reduce((sum, line) => sum + line.amountFen, 0n) }
      } catch (error) {
        return orShowError(request, reply, error, (refusal) => showStandards(request, reply, { on, today, standards, chosen, values, shown: refusal }))
      }
    }
    return showStandards(request, reply, { on, today, standards, chosen, values, quote, shown })
  })

  function quoteLine (standard: FeeStandardView, values: Record<string, string>) {
    const line: Record<string, unknown> = { code: standard.code }
    if (standard.basis === 'per_unit') line.quantity = (values.quantity ?? '').trim()
    if (standard.basis === 'formula') {
      line.parameters = Object.fromEntries(standard.parameters
        .map((parameter) => [parameter.name, (values[PARAMETER_PREFIX + parameter.name] ?? '').trim()] as const)
        .filter(([, value]) => value !== ''))
    }
    return checked(FeeLineInputSchema, line)
  }

  async function showStandards (request: FastifyRequest, reply: FastifyReply, data: {
    on: string
    today: string
    standards: FeeStandardView[]
    chosen: FeeStandardView | null
    values: Record<string, string>
    quote?: { lines: QuotedLine[], totalFen: bigint } | null
    shown: Partial<ShownError>
  }) {
    const { shown, ...rest } = data
    return renderPage(request, reply, 'fees/standards', {
      titleKey: 'fees.title',
      ...rest,
      ...shown,
      departmentNames: await departmentNames(request),
      ...feeViewHelpers
    })
  }

  // administrators' fee items ---------------------------------------------------------------

  async function accountNames (ids: Iterable<string | null>): Promise<Record<string, string>> {
    const names: Record<string, string> = {}
    for (const id of new Set(ids)) {
      if (id) names[id] = (await accounts.getAccount(id).catch(() => null))?.displayName ?? id
    }
    return names
  }

  /** Departments whose fee items the administrator may create; `hall` when hall-wide items too. */
  async function creatableScopes (actor: Actor) {
    const all = await departments.listDepartments()
    return {
      hall: canAccess(actor.principal, 'fees.manage', { departmentId: null }),
      departments: all.filter((department) => canAccess(actor.principal, 'fees.manage', { departmentId: department.id }))
    }
  }

  async function showItems (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { values?: Record<string, string> } = {}) {
    const actor = actorOf(request)
    const items = await fees.listManaged(actor)
    const pending = items.flatMap((item) => item.versions.filter((version) => version.status === 'proposed').map((version) => ({ item, version })))
    return renderPage(request, reply, 'fees/admin-items', {
      titleKey: 'feeItems.title',
      items,
      pending,
      names: await accountNames(items.flatMap((item) => item.versions.flatMap((version) => [version.proposedBy, version.decidedBy]))),
      departmentNames: await departmentNames(request),
      scopes: await creatableScopes(actor),
      canApprove: mayAttempt(actor.principal, 'fees.approve'),
      me: actor.principal.accountId,
      today: app.calendar.today(),
      values: extra.values ?? { basis: 'fixed', category: 'non_tax', validFrom: app.calendar.today() },
      ...extra,
      ...feeViewHelpers
    })
  }

  async function showItem (request: FastifyRequest, reply: FastifyReply, feeItemId: string, extra: Partial<ShownError> & { values?: Record<string, string>, done?: string } = {}) {
    const actor = actorOf(request)
    const item = await fees.getItem(actor, feeItemId)
    const latest: FeeVersionView | undefined = item.versions[item.versions.length - 1]
    return renderPage(request, reply, 'fees/admin-item', {
      title: `${item.code} · ${latest?.name ?? ''}`,
      item,
      names: await accountNames(item.versions.flatMap((version) => [version.proposedBy, version.decidedBy])),
      departmentNames: await departmentNames(request),
      canApprove: mayAttempt(actor.principal, 'fees.approve'),
      me: actor.principal.accountId,
      today: app.calendar.today(),
      hasPending: item.versions.some((version) => version.status === 'proposed'),
      values: extra.values ?? { ...versionFormValues(latest), validFrom: app.calendar.today() },
      ...extra,
      ...feeViewHelpers
    })
  }

  app.get('/admin/fees', { config: { policy: 'fees.manage' } }, async (request, reply) => showItems(request, reply))

  const CreateItemBody = StrictObject({
    code: Type.String({ maxLength: 32 }),
    category: Type.String({ maxLength: 10 }),
    departmentId: FormText(36),
    ...versionFormProperties
  })

  app.post('/admin/fees', {
    config: { policy: 'fees.manage' },
    schema: { body: CreateItemBody }
  }, async (request, reply) => {
    const { code, category, departmentId, ...fields } = request.body
    try {
      if (category !== 'non_tax' && category !== 'deposit') throw new FormInvalid()
      const department = optional(departmentId)
      const item = await fees.createItem(actorOf(request), checked(CreateFeeItemSchema, {
        code: code.trim().toUpperCase(),
        category,
        ...(department ? { departmentId: department } : {}),
        version: versionInputFromForm(fields as VersionFormFields, category)
      }))
      return reply.redirect(`/admin/fees/${item.id}?done=proposed`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showItems(request, reply, { ...shown, values: stringValues(request.body) }))
    }
  })

  const ItemParams = StrictObject({ feeItemId: Uuid })

  app.get('/admin/fees/:feeItemId', {
    config: { policy: 'fees.manage' },
    schema: { params: ItemParams, querystring: StrictObject({ done: Type.Optional(Type.Enum(['proposed', 'approved', 'rejected'])) }) }
  }, async (request, reply) => showItem(request, reply, request.params.feeItemId, { done: request.query.done }))

  app.post('/admin/fees/:feeItemId/versions', {
    config: { policy: 'fees.manage' },
    schema: { params: ItemParams, body: StrictObject(versionFormProperties) }
  }, async (request, reply) => {
    const { feeItemId } = request.params
    try {
      const actor = actorOf(request)
      const item: FeeItemView = await fees.getItem(actor, feeItemId)
      await fees.proposeVersion(actor, feeItemId, checked(FeeVersionInputSchema, versionInputFromForm(request.body as VersionFormFields, item.category)))
      return reply.redirect(`/admin/fees/${feeItemId}?done=proposed`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showItem(request, reply, feeItemId, { ...shown, values: stringValues(request.body) }))
    }
  })

  app.post('/admin/fee-versions/:versionId/decision', {
    config: { policy: 'fees.approve' },
    schema: {
      params: StrictObject({ versionId: Uuid }),
      body: StrictObject({ decision: Type.Enum(['approve', 'reject']), note: FormText(1000), feeItemId: Type.Optional(Uuid) })
    }
  }, async (request, reply) => {
    const { decision, note, feeItemId } = request.body
    try {
      const noteText = optional(note)
      const item = await fees.decideVersion(actorOf(request), request.params.versionId, { decision, ...(noteText ? { note: noteText } : {}) })
      return reply.redirect(`/admin/fees/${item.id}?done=${decision === 'approve' ? 'approved' : 'rejected'}`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => feeItemId ? showItem(request, reply, feeItemId, shown) : showItems(request, reply, shown))
    }
  })
}

/** The submitted fields, to fill the form in again after a refusal. */
function stringValues (body: object): Record<string, string> {
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}
