/**
 * The administrators' fee items: create one with its first version, propose a new version,
 * approve or reject (four eyes: the proposer never approves their own version). A refused form
 * comes back with each problem beside its field and what was typed kept (fee-forms.ts,
 * form-problems.ts). A decision binds — an approved standard is charged from its first day and
 * never withdrawn — so it asks once more, saying from which day what is charged (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf, type Actor } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { amountInChineseWords } from '../../lib/money.ts'
import { canAccess, mayAttempt } from '../../lib/policy.ts'
import { FeeSelfApproval, FeeVersionDecided, FeeVersionNotFound, FeeVersionRetroactive } from '../../modules/fees/fees.errors.ts'
import type { FeeCategory } from '../../modules/fees/fees.rules.ts'
import type { FeeItemView, FeeVersionView } from '../../modules/fees/fees.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation, type Confirmation } from '../confirm.ts'
import { feeViewHelpers, money } from '../fee-format.ts'
import { createItemProblems, createItemProperties, versionFormProblems, versionFormProperties, versionFormValues, versionFromForm, type VersionFormFields } from '../fee-forms.ts'
import { feeInWords } from '../fee-words.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import type { Language, Translate } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'

const NOTE_MAX = 1000

/** A refused form's problems; what was typed in the version form (values) or in a decision (decisionValues). */
type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]>, decisionValues?: Record<string, string | string[]>, done?: string }

export const feesAdminPages: FastifyPluginAsyncTypebox = async (app) => {
  const { fees, departments, accounts } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    return Object.fromEntries((await departments.listDepartments()).map((department) => [department.id, (lang === 'en' && department.nameEn) || department.name]))
  }

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

  /** A refusal, the page's own or the service's, shown on the page again with its status. */
  function refused (request: FastifyRequest, reply: FastifyReply, error: unknown, fieldOf: Record<string, string>, show: (errors: FormErrors) => unknown, failedForm?: string) {
    const problems = refusalProblems(request, error, fieldOf)
    reply.code((error as { statusCode: number }).statusCode)
    return show(formErrors(problems, failedForm))
  }

  async function showItems (request: FastifyRequest, reply: FastifyReply, extra: PageExtra = {}) {
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
      values: { basis: 'fixed', category: 'non_tax', validFrom: app.calendar.today() },
      decisionValues: {},
      ...extra,
      ...feeViewHelpers
    })
  }

  async function showItem (request: FastifyRequest, reply: FastifyReply, feeItemId: string, extra: PageExtra = {}) {
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
      values: { ...versionFormValues(latest), validFrom: app.calendar.today() },
      decisionValues: {},
      ...extra,
      ...feeViewHelpers
    })
  }

  app.get('/admin/fees', { config: { policy: 'fees.manage' } }, async (request, reply) => showItems(request, reply))

  app.post('/admin/fees', {
    config: { policy: 'fees.manage' },
    schema: { body: StrictObject({ ...createItemProperties, ...versionFormProperties }) }
  }, async (request, reply) => {
    const { code, category, departmentId, ...fields } = request.body
    try {
      const { t } = pageContext(request)
      const scopes = await creatableScopes(actorOf(request))
      const itemCategory: FeeCategory = category === 'deposit' ? 'deposit' : 'non_tax'
      assertNoProblems([
        ...createItemProblems(t, request.body, { hall: scopes.hall, ids: scopes.departments.map((department) => department.id) }),
        ...versionFormProblems(t, fields as VersionFormFields, itemCategory, 'new', app.calendar.today())
      ])
      const department = departmentId?.trim()
      const item = await fees.createItem(actorOf(request), {
        code: code.trim().toUpperCase(),
        category: itemCategory,
        ...(department ? { departmentId: department } : {}),
        version: versionFromForm(fields as VersionFormFields, itemCategory)
      })
      return reply.redirect(`/admin/fees/${item.id}?done=proposed`)
    } catch (error) {
      const fieldOf = { FEE_CODE_TAKEN: 'new-code', DEPARTMENT_NOT_FOUND: 'new-department', FEE_VERSION_BACKDATED: 'new-validFrom' }
      return refused(request, reply, error, fieldOf, (errors) => showItems(request, reply, { ...errors, values: keptValues(request.body) }))
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
      const fields = request.body as VersionFormFields
      assertNoProblems(versionFormProblems(pageContext(request).t, fields, item.category, 'next', app.calendar.today()))
      await fees.proposeVersion(actor, feeItemId, versionFromForm(fields, item.category))
      return reply.redirect(`/admin/fees/${feeItemId}?done=proposed`)
    } catch (error) {
      return refused(request, reply, error, { FEE_VERSION_BACKDATED: 'next-validFrom' }, (errors) => showItem(request, reply, feeItemId, { ...errors, values: keptValues(request.body) }), 'propose')
    }
  })

  /**
   * What the service would refuse (decided already, one's own proposal, a start already past) is
   * refused before anything is asked; a rejection states its reason, as the note's label asks.
   */
  app.post('/admin/fee-versions/:versionId/decision', {
    config: { policy: 'fees.approve' },
    schema: {
      params: StrictObject({ versionId: Uuid }),
      body: StrictObject({ decision: Type.Enum(['approve', 'reject']), note: Type.Optional(Type.String({ maxLength: 10_000 })), feeItemId: Type.Optional(Uuid), ...ConfirmField })
    }
  }, async (request, reply) => {
    const { versionId } = request.params
    const { decision, feeItemId } = request.body
    const noteField = `note-${versionId}`
    try {
      const { t, lang } = pageContext(request)
      const actor = actorOf(request)
      const note = (request.body.note ?? '').trim()
      assertNoProblems([
        ...(note.length > NOTE_MAX ? [{ field: noteField, message: t('feeItems.error.noteTooLong', { max: NOTE_MAX }) }] : []),
        ...(decision === 'reject' && !note ? [{ field: noteField, message: t('feeItems.error.rejectNote') }] : [])
      ], 422)
      if (!isConfirmed(request.body)) {
        const found = (await fees.listManaged(actor)).flatMap((item) => item.versions.map((version) => ({ item, version }))).find(({ version }) => version.id === versionId)
        if (!found) throw new FeeVersionNotFound(versionId)
        const { item, version } = found
        if (version.status !== 'proposed') throw new FeeVersionDecided()
        if (version.proposedBy === actor.principal.accountId) throw new FeeSelfApproval()
        const today = app.calendar.today()
        if (decision === 'approve' && version.validFrom < today) throw new FeeVersionRetroactive(version.validFrom)
        const proposer = (await accountNames([version.proposedBy]))[version.proposedBy] ?? ''
        return showConfirmation(request, reply, decisionConfirmation(t, lang, { item, version, proposer, approve: decision === 'approve', note, today, feeItemId }))
      }
      const item = await fees.decideVersion(actor, versionId, { decision, ...(note ? { note } : {}) })
      return reply.redirect(`/admin/fees/${item.id}?done=${decision === 'approve' ? 'approved' : 'rejected'}`)
    } catch (error) {
      const show = (errors: FormErrors) => {
        const extra = { ...errors, decisionValues: keptValues(request.body) }
        return feeItemId ? showItem(request, reply, feeItemId, extra) : showItems(request, reply, extra)
      }
      return refused(request, reply, error, {}, show, versionId)
    }
  })
}

/** A version's standard in a sentence: the amount in figures and capitals, the unit price, or the formula in words. */
function standardText (t: Translate, lang: Language, version: FeeVersionView): string {
  if (version.basis === 'fixed') return t('feeItems.confirm.fixed', { amount: money(version.amountFen), capitals: amountInChineseWords(BigInt(version.amountFen ?? 0)) })
  if (version.basis === 'per_unit') return t('fees.perUnitPrice', { price: money(version.unitPriceFen), unit: version.unitName ?? '' })
  const words = feeInWords(version.formula ?? '', version.parameters, t, lang)
  return words ? [words.sentence, ...words.notes].join(' ') : `${t('fees.basis.formula')}：${version.formula ?? ''}`
}

/** What approving or rejecting a proposed version does: from which day what is charged, for good. */
function decisionConfirmation (t: Translate, lang: Language, data: { item: FeeItemView, version: FeeVersionView, proposer: string, approve: boolean, note: string, today: string, feeItemId: string | undefined }): Confirmation {
  const { item, version, approve, note, today } = data
  const standard = standardText(t, lang, version)
  const current = item.inForce
  const consequences = approve
    ? [
        t(version.validFrom === today ? 'feeItems.confirm.approveToday' : 'feeItems.confirm.approveFrom', { code: item.code, name: version.name, version: version.version, from: version.validFrom, standard }),
        ...(version.validTo ? [t('feeItems.confirm.until', { to: version.validTo })] : []),
        ...(current ? [t(version.validFrom === today ? 'feeItems.confirm.replacesToday' : 'feeItems.confirm.replacesFrom', { version: current.version, from: version.validFrom, standard: standardText(t, lang, current) })] : []),
        t('feeItems.confirm.final')
      ]
    : [t('feeItems.confirm.rejectEffect', { version: version.version }), t('feeItems.confirm.rejectAgain')]
  return {
    title: t(approve ? 'feeItems.confirm.approveTitle' : 'feeItems.confirm.rejectTitle', { code: item.code, version: version.version }),
    facts: [
      [t('fees.item'), `${item.code} ${version.name}`],
      [t('feeItems.version'), t('feeItems.confirm.versionNumber', { version: version.version })],
      [t('fees.category'), t(`fees.category.${item.category}`)],
      [t('fees.standard'), standard],
      [t('fees.legalBasis'), `${version.legalBasis} ${version.standardDocument}`],
      [t('fees.receivingAccount'), version.receivingAccount],
      [t('feeItems.validFrom'), version.validFrom],
      [t('feeItems.confirm.validTo'), version.validTo ?? t('fees.openEnded')],
      ...(version.refundWorkingDays !== null ? [[t('fees.refundDays'), t('fees.refundWithin', { days: version.refundWorkingDays })] as [string, string]] : []),
      [t('feeItems.proposedBy'), data.proposer],
      [t('feeItems.confirm.note'), note || t('feeItems.confirm.noNote')]
    ],
    consequences,
    action: `/admin/fee-versions/${version.id}/decision`,
    fields: { decision: approve ? 'approve' : 'reject', note, feeItemId: data.feeItemId },
    confirmLabel: t(approve ? 'feeItems.confirm.approve' : 'feeItems.confirm.reject'),
    backHref: data.feeItemId ? `/admin/fees/${data.feeItemId}` : '/admin/fees',
    destructive: !approve
  }
}
