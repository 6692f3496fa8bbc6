/**
 * The chief representative's delegations (首席代表授权) of a department, in pages: the history,
 * newest first, and the form recording a new one, which ends the one running at its start. The
 * hall administrator reaches every department, a department administrator its own; another
 * department's page does not exist. The departments service decides, as for the API; the page
 * first checks each field as the browser does and as the service will (the chief representative,
 * each item code, the period), so every problem shows beside its field with what was typed kept
 * (form-problems.ts). A delegation cannot be taken back once recorded and ends the one in force:
 * the page says so and asks once more (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { delegationPeriodProblem } from '../../modules/departments/departments.rules.ts'
import { RecordDelegationSchema, type DelegationView, type RecordDelegation } from '../../modules/departments/departments.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'

/** Whatever a person may type into a field whose browser check was bypassed; the page checks the real limit. */
const Typed = (maxLength = 2000) => Type.Optional(Type.String({ maxLength }))
const DepartmentParams = StrictObject({ departmentId: Uuid })
const DECISIONS = ['approve', 'deny'] as const
const ITEM_CODE = /^[A-Z0-9][A-Z0-9-]{1,31}$/
const ITEM_CODES_MAX = 500
const ITEM_CODES_LENGTH = 4000
const REFERENCE_MAX = 100

/** The fields of the form, by the ids the error summary links to. */
const FIELD = { chief: 'delegation-chief', reference: 'delegation-reference', items: 'delegation-items', decisions: 'delegation-decisions', from: 'delegation-from', until: 'delegation-until' }

/** Where a service's refusal belongs (its words are under approvals.errors.). */
const FIELD_OF: Record<string, string> = {
  CHIEF_REP_NOT_GRANTED: FIELD.chief,
  DELEGATION_ITEM_UNKNOWN: FIELD.items,
  DELEGATION_PERIOD_INVALID: FIELD.until,
  DELEGATION_BACKDATED: FIELD.from,
  DELEGATION_OUT_OF_ORDER: FIELD.from
}

const DelegationForm = StrictObject({
  chiefRepId: Typed(),
  itemCodes: Typed(100_000),
  decisions: Type.Optional(Type.Union([Type.String({ maxLength: 10 }), Type.Array(Type.String({ maxLength: 10 }), { maxItems: 10 })])),
  reference: Typed(),
  validFrom: Typed(),
  validUntil: Typed(),
  ...ConfirmField
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

/** The item codes typed, upper-cased, each once, in the order typed. */
const itemCodesOf = (text: string) => [...new Set(text.split(/[\s,，、;；]+/).map((code) => code.trim().toUpperCase()).filter(Boolean))]

export const delegationsPages: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, departments } = app.services

  /** The department's chief representatives: accounts holding an active chief_rep grant on it. */
  async function chiefRepsOf (departmentId: string) {
    const { items } = await accounts.listAccounts({ role: 'chief_rep', limit: 200 })
    return items.filter((account) => account.status === 'active' &&
      account.grants.some((grant) => grant.role === 'chief_rep' && grant.scopeType === 'department' && grant.scopeId === departmentId))
  }

  async function showDelegations (request: FastifyRequest, reply: FastifyReply, departmentId: string, extra: Partial<FormErrors> & { done?: string, values?: Record<string, string | string[]> } = {}) {
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

  /**
   * The form as the service's input, or every problem of it beside its field: what the browser
   * checks, and what the service would refuse (a chief representative not of the department, an
   * item code it has not, a period that ends before it starts or starts in the past or before the
   * latest delegation).
   */
  async function delegationInput (request: FastifyRequest, departmentId: string, form: DelegationFormBody, chiefs: Array<{ id: string }>, history: DelegationView[]): Promise<RecordDelegation> {
    const { t, time } = pageContext(request)
    const problems: FormProblem[] = []
    // what the browser checks is a 400; what only the service's rules refuse (not the department's
    // chief representative, an item code it has not, a period the rules forbid) is its 422
    let malformedForm = false
    const refuse = (field: string, message: string, rule = false) => {
      problems.push({ field, message })
      malformedForm ||= !rule
    }
    const chiefRepId = form.chiefRepId ?? ''
    if (!chiefs.some((chief) => chief.id === chiefRepId)) refuse(FIELD.chief, t('approvals.delegations.error.chief'), chiefRepId !== '')
    const reference = (form.reference ?? '').trim()
    if (!reference || reference.length > REFERENCE_MAX) refuse(FIELD.reference, t('approvals.delegations.error.reference', { max: REFERENCE_MAX }))
    const text = form.itemCodes ?? ''
    const itemCodes = itemCodesOf(text)
    const malformed = itemCodes.filter((code) => !ITEM_CODE.test(code))
    if (itemCodes.length === 0) refuse(FIELD.items, t('approvals.delegations.error.items'))
    else if (text.length > ITEM_CODES_LENGTH || itemCodes.length > ITEM_CODES_MAX) refuse(FIELD.items, t('approvals.delegations.error.itemsTooMany', { max: ITEM_CODES_MAX, length: ITEM_CODES_LENGTH }))
    else if (malformed.length > 0) refuse(FIELD.items, t('approvals.delegations.error.itemsFormat', { codes: malformed.join('、') }))
    else {
      const unknown = await app.services.catalogue.unknownItemCodes(departmentId, itemCodes)
      if (unknown.length > 0) refuse(FIELD.items, t('approvals.delegations.error.itemsUnknown', { codes: unknown.join('、') }), true)
    }
    const ticked = form.decisions === undefined ? [] : [form.decisions].flat()
    const decisions = DECISIONS.filter((decision) => ticked.includes(decision))
    if (decisions.length === 0 || decisions.length !== new Set(ticked).size) refuse(FIELD.decisions, t('approvals.delegations.error.decisions'))
    const validFrom = hallInstant(form.validFrom)
    const validUntil = hallInstant(form.validUntil)
    if (validFrom === null) refuse(FIELD.from, t('approvals.delegations.error.from'))
    if (validUntil === null) refuse(FIELD.until, t('approvals.delegations.error.until'))
    if (validFrom !== null && validUntil !== null) {
      const latestFrom = history.reduce<Date | null>((latest, one) => (!latest || Date.parse(one.validFrom) > latest.getTime() ? new Date(one.validFrom) : latest), null)
      const now = app.clock.now()
      const period = delegationPeriodProblem({ from: validFrom ? new Date(validFrom) : now, until: validUntil ? new Date(validUntil) : null, now, latestFrom })
      if (period?.code === 'period') refuse(FIELD.until, t('approvals.errors.DELEGATION_PERIOD_INVALID'), true)
      if (period?.code === 'backdated') refuse(FIELD.from, t('approvals.delegations.error.backdated'), true)
      if (period?.code === 'out_of_order') refuse(FIELD.from, t('approvals.delegations.error.outOfOrder', { time: time(latestFrom) }), true)
    }
    assertNoProblems(problems, malformedForm ? 400 : 422)
    return checked(RecordDelegationSchema, {
      chiefRepId,
      itemCodes,
      decisions,
      reference,
      ...(validFrom ? { validFrom } : {}),
      ...(validUntil ? { validUntil } : {})
    })
  }

  app.get('/admin/departments/:departmentId/delegations', {
    config: { policy: 'delegations.manage' },
    schema: { params: DepartmentParams, querystring: StrictObject({ done: Typed(20) }) }
  }, async (request, reply) => showDelegations(request, reply, request.params.departmentId, { done: request.query.done }))

  app.post('/admin/departments/:departmentId/delegations', {
    config: { policy: 'delegations.manage' },
    schema: { params: DepartmentParams, body: DelegationForm }
  }, async (request, reply) => {
    const { departmentId } = request.params
    const actor = actorOf(request)
    try {
      // the service answers 404 for a department outside the caller's scope, before anything is checked
      const history = await departments.listDelegations(actor, departmentId)
      const chiefs = await chiefRepsOf(departmentId)
      const input = await delegationInput(request, departmentId, request.body, chiefs, history)
      if (!isConfirmed(request.body)) return confirmDelegation(request, reply, departmentId, request.body, input, chiefs, history)
      const recorded = await departments.recordDelegation(actor, departmentId, input)
      request.log.info({ departmentId, delegationId: recorded.id }, 'delegation recorded through the page')
      return reply.redirect(`/admin/departments/${departmentId}/delegations?done=recorded`)
    } catch (error) {
      const problems = refusalProblems(request, error, FIELD_OF, 'approvals.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showDelegations(request, reply, departmentId, { ...formErrors(problems), values: { ...keptValues(request.body), decisions: [request.body.decisions ?? []].flat() } })
    }
  })

  /** What recording will do: who decides what from when, and which delegation in force it ends. */
  async function confirmDelegation (request: FastifyRequest, reply: FastifyReply, departmentId: string, form: DelegationFormBody, input: RecordDelegation, chiefs: Array<{ id: string, displayName: string }>, history: DelegationView[]) {
    const { t, time } = pageContext(request)
    const department = await departments.getDepartment(departmentId)
    const chief = chiefs.find((one) => one.id === input.chiefRepId)?.displayName ?? ''
    const from = input.validFrom ?? app.clock.now().toISOString()
    const running = history.filter((one) => one.validUntil === null || Date.parse(one.validUntil) > Date.parse(from))
    const decisions = input.decisions.map((decision) => t(`approvals.decision.${decision}`)).join('、')
    const codes = input.itemCodes.join('、')
    const fromWords = input.validFrom ? time(input.validFrom) : t('approvals.delegations.confirm.now')
    return showConfirmation(request, reply, {
      title: t('approvals.delegations.confirm.title'),
      facts: [
        [t('departments.department'), department.name],
        [t('approvals.delegations.chiefRep'), chief],
        [t('approvals.delegations.items'), codes],
        [t('approvals.delegations.decisions'), decisions],
        [t('approvals.delegations.reference'), input.reference],
        [t('approvals.delegations.period'), `${fromWords} — ${input.validUntil ? time(input.validUntil) : t('approvals.delegations.open')}`]
      ],
      consequences: [
        t('approvals.delegations.confirm.permanent'),
        t('approvals.delegations.confirm.effect', { from: fromWords, chief, decisions, codes }),
        ...running.map((one) => t('approvals.delegations.confirm.ends', { reference: one.reference, from: fromWords })),
        t('approvals.delegations.confirm.before')
      ],
      action: `/admin/departments/${departmentId}/delegations`,
      fields: {
        chiefRepId: input.chiefRepId,
        itemCodes: input.itemCodes.join(','),
        decisions: [...input.decisions],
        reference: input.reference,
        validFrom: optional(form.validFrom),
        validUntil: optional(form.validUntil)
      },
      confirmLabel: t('approvals.delegations.confirm.button'),
      backHref: `/admin/departments/${departmentId}/delegations`
    })
  }
}
