/**
 * The officials' catalogue: departments draft items and request changes, the hall administrator
 * approves or rejects them (never their own). Item content is edited as the JSON the API takes;
 * a refused form comes back with its problems beside its fields, in plain words, and what was
 * typed kept (form-problems.ts, catalogue-forms.ts). Binding steps ask once more (confirm.ts):
 * a decision, which publishes, amends or retires the item, and a request to retire one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt } from '../../lib/policy.ts'
import type { ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { ChangeDecided, ChangeKindNotAllowed, ChangePending, ChangeSelfApproval, ItemRetired } from '../../modules/catalogue/catalogue.errors.ts'
import type { ChangeView, ManagedItemView } from '../../modules/catalogue/catalogue.schemas.ts'
import { CONTENT_CHOICES, exampleContent, itemCodeOf, NOTE_MAX, readContent, REASON_MAX } from '../catalogue-forms.ts'
import { ConfirmField, isConfirmed, showConfirmation, type Confirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblem, FormRefused, type FormErrors, type FormProblem } from '../form-problems.ts'
import type { Translate } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'

/** Bounds what a post may carry; the form's own limits are checked in the handler, beside their fields. */
const TEXT_CAP = 10_000
const CONTENT_CAP = 200_000
const pretty = (content: unknown) => JSON.stringify(content, null, 2)

type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]>, done?: string }

/** The problems of a reason (the request's or the retirement's) beside its field. */
function reasonProblems (t: Translate, field: string, reason: string, missingKey: string): FormProblem[] {
  const text = reason.trim()
  if (!text) return [{ field, message: t(missingKey) }]
  return text.length > REASON_MAX ? [{ field, message: t('catalogue.form.reasonTooLong', { max: REASON_MAX }) }] : []
}

export const catalogueAdminPages: FastifyPluginAsyncTypebox = async (app) => {
  const { catalogue, departments, accounts } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    return Object.fromEntries((await departments.listDepartments()).map((department) => [department.id, (lang === 'en' && department.nameEn) || department.name]))
  }

  async function accountNames (ids: Iterable<string | null>): Promise<Record<string, string>> {
    const names: Record<string, string> = {}
    for (const id of new Set(ids)) if (id) names[id] = (await accounts.getAccount(id).catch(() => null))?.displayName ?? id
    return names
  }

  async function draftableDepartments (request: FastifyRequest) {
    const actor = actorOf(request)
    return (await departments.listDepartments()).filter((department) => canAccess(actor.principal, 'catalogue.draft', { departmentId: department.id }))
  }

  /**
   * A refusal as the problems of a form. A content naming a fee without a standard in force, or a
   * department that does not exist, is told which one (the service's detail is not for readers).
   */
  async function refused (request: FastifyRequest, reply: FastifyReply, error: unknown, fieldOf: Record<string, string>, show: (errors: FormErrors) => unknown, options: { failedForm?: string, content?: ItemContent } = {}) {
    const problems = error instanceof FormRefused ? error.problems : [await refusalOf(request, error, fieldOf, options.content)]
    reply.code((error as { statusCode: number }).statusCode)
    return show(formErrors(problems, options.failedForm))
  }

  async function refusalOf (request: FastifyRequest, error: unknown, fieldOf: Record<string, string>, content: ItemContent | undefined): Promise<FormProblem> {
    const problem = refusalProblem(request, error, fieldOf, 'catalogue.errors.')
    const { t } = pageContext(request)
    const code = (error as { code: string }).code
    if (code === 'ITEM_FEE_UNKNOWN' && content) {
      const inForce = new Set((await app.services.fees.listStandards()).map((standard) => standard.code))
      const unknown = content.fees.map((fee) => fee.feeCode).filter((feeCode) => !inForce.has(feeCode))
      if (unknown.length > 0) return { ...problem, message: t('catalogue.content.feeUnknown', { codes: unknown.join('、') }) }
    }
    if (code === 'ITEM_JOINT_DEPARTMENT_UNKNOWN' && content) {
      const existing = new Set((await departments.listDepartments()).map((department) => department.id))
      const unknown = content.jointDepartments.filter((id) => !existing.has(id))
      if (unknown.length > 0) return { ...problem, message: t('catalogue.content.departmentUnknown', { ids: unknown.join('、') }) }
    }
    return problem
  }

  async function showItems (request: FastifyRequest, reply: FastifyReply, extra: PageExtra = {}) {
    const actor = actorOf(request)
    const items = await catalogue.listManaged(actor)
    return renderPage(request, reply, 'catalogue/admin-items', {
      titleKey: 'catalogue.admin.title',
      items,
      departmentNames: await departmentNames(request),
      departments: await draftableDepartments(request),
      canApprove: mayAttempt(actor.principal, 'catalogue.approve'),
      pendingCount: items.filter((item) => item.pendingChange).length,
      contentChoices: CONTENT_CHOICES,
      values: { content: pretty(exampleContent()) },
      ...extra
    })
  }

  async function showItem (request: FastifyRequest, reply: FastifyReply, itemId: string, extra: PageExtra = {}) {
    const actor = actorOf(request)
    const item = await catalogue.getManaged(actor, itemId)
    const history = await catalogue.listChanges(actor, { itemId })
    const content = pretty(item.draft ?? item.current ?? exampleContent())
    return renderPage(request, reply, 'catalogue/admin-item', {
      title: `${item.code} · ${item.name}`,
      item,
      history,
      names: await accountNames(history.flatMap((change) => [change.requestedBy, change.decidedBy])),
      departmentNames: await departmentNames(request),
      canApprove: mayAttempt(actor.principal, 'catalogue.approve'),
      me: actor.principal.accountId,
      contentChoices: CONTENT_CHOICES,
      // what each form holds unless it is the one refused (then what was typed: it.values)
      defaults: { draft: content, content },
      values: {},
      ...extra
    })
  }

  app.get('/admin/catalogue', { config: { policy: 'catalogue.draft' } }, async (request, reply) => showItems(request, reply))

  app.post('/admin/catalogue', {
    config: { policy: 'catalogue.draft' },
    schema: { body: StrictObject({ code: Type.String({ maxLength: TEXT_CAP }), departmentId: Type.String({ maxLength: TEXT_CAP }), content: Type.String({ maxLength: CONTENT_CAP }) }) }
  }, async (request, reply) => {
    const { code, departmentId } = request.body
    let content: ItemContent | undefined
    try {
      const { t } = pageContext(request)
      const normalised = itemCodeOf(code)
      const ownDepartment = (await draftableDepartments(request)).some((department) => department.id === departmentId)
      const read = readContent(t, request.body.content, ownDepartment ? departmentId : null)
      content = read.content
      assertNoProblems([
        ...(normalised ? [] : [{ field: 'new-code', message: t(code.trim() ? 'catalogue.form.codeInvalid' : 'catalogue.form.codeRequired') }]),
        ...(ownDepartment ? [] : [{ field: 'new-department', message: t('catalogue.form.department') }]),
        ...(read.problems ?? []).map((message) => ({ field: 'new-content', message }))
      ], read.status)
      const item = await catalogue.createItem(actorOf(request), { code: normalised!, departmentId, content: content! })
      return reply.redirect(`/admin/catalogue/${item.id}?done=created`)
    } catch (error) {
      const fieldOf = { ITEM_CODE_TAKEN: 'new-code', DEPARTMENT_NOT_FOUND: 'new-department', ITEM_CONTENT_INVALID: 'new-content', ITEM_FEE_UNKNOWN: 'new-content', ITEM_JOINT_DEPARTMENT_UNKNOWN: 'new-content' }
      return refused(request, reply, error, fieldOf, (errors) => showItems(request, reply, { ...errors, values: keptValues(request.body) }), content ? { content } : {})
    }
  })

  // the hall administrator's queue (declared before /:itemId so the static path is clear to readers)
  app.get('/admin/catalogue/changes', {
    config: { policy: 'catalogue.approve' },
    schema: { querystring: StrictObject({ done: Type.Optional(Type.Enum(['approved', 'rejected'])) }) }
  }, async (request, reply) => showQueue(request, reply, { done: request.query.done }))

  async function showQueue (request: FastifyRequest, reply: FastifyReply, extra: PageExtra = {}) {
    const actor = actorOf(request)
    const pending = await catalogue.listChanges(actor, { status: 'pending' })
    const current = new Map<string, ItemContent | null>()
    for (const change of pending) current.set(change.itemId, (await catalogue.getManaged(actor, change.itemId)).current)
    return renderPage(request, reply, 'catalogue/changes', {
      titleKey: 'catalogue.changes.title',
      pending,
      current,
      pretty,
      names: await accountNames(pending.map((change) => change.requestedBy)),
      departmentNames: await departmentNames(request),
      me: actor.principal.accountId,
      values: {},
      ...extra
    })
  }

  /**
   * A decision binds: an approved publication or amendment becomes a version in force at once (and
   * stays one), an approved retirement ends the item for good. The administrator reads which and
   * confirms; what the service would refuse (decided already, one's own request, a rejection
   * without a note) is refused beside the note before anything is asked.
   */
  app.post('/admin/catalogue/changes/:changeId/decision', {
    config: { policy: 'catalogue.approve' },
    schema: {
      params: StrictObject({ changeId: Uuid }),
      body: StrictObject({ decision: Type.Enum(['approve', 'reject']), note: Type.Optional(Type.String({ maxLength: TEXT_CAP })), ...ConfirmField })
    }
  }, async (request, reply) => {
    const { changeId } = request.params
    const { decision } = request.body
    const noteField = `note-${changeId}`
    try {
      const { t } = pageContext(request)
      const actor = actorOf(request)
      const note = (request.body.note ?? '').trim()
      assertNoProblems([
        ...(note.length > NOTE_MAX ? [{ field: noteField, message: t('catalogue.form.noteTooLong', { max: NOTE_MAX }) }] : []),
        ...(decision === 'reject' && !note ? [{ field: noteField, message: t('catalogue.errors.CHANGE_NOTE_REQUIRED') }] : [])
      ], 422)
      if (!isConfirmed(request.body)) {
        const change = await catalogue.getChange(actor, changeId)
        if (change.status !== 'pending') throw new ChangeDecided()
        if (decision === 'approve' && change.requestedBy === actor.principal.accountId) throw new ChangeSelfApproval()
        const item = await catalogue.getManaged(actor, change.itemId)
        const requester = (await accountNames([change.requestedBy]))[change.requestedBy] ?? ''
        return showConfirmation(request, reply, decisionConfirmation(t, { change, item, requester, approve: decision === 'approve', note }))
      }
      await catalogue.decideChange(actor, changeId, { approve: decision === 'approve', ...(note ? { note } : {}) })
      return reply.redirect(`/admin/catalogue/changes?done=${decision === 'approve' ? 'approved' : 'rejected'}`)
    } catch (error) {
      return refused(request, reply, error, { CHANGE_NOTE_REQUIRED: noteField }, (errors) => showQueue(request, reply, { ...errors, values: keptValues(request.body) }), { failedForm: changeId })
    }
  })

  const ItemParams = StrictObject({ itemId: Uuid })

  app.get('/admin/catalogue/:itemId', {
    config: { policy: 'catalogue.draft' },
    schema: { params: ItemParams, querystring: StrictObject({ done: Type.Optional(Type.Enum(['created', 'saved', 'requested'])) }) }
  }, async (request, reply) => showItem(request, reply, request.params.itemId, { done: request.query.done }))

  app.post('/admin/catalogue/:itemId/draft', {
    config: { policy: 'catalogue.draft' },
    schema: { params: ItemParams, body: StrictObject({ draft: Type.String({ maxLength: CONTENT_CAP }) }) }
  }, async (request, reply) => {
    const { itemId } = request.params
    let content: ItemContent | undefined
    try {
      const actor = actorOf(request)
      const item = await catalogue.getManaged(actor, itemId)
      const read = readContent(pageContext(request).t, request.body.draft, item.departmentId)
      content = read.content
      assertNoProblems((read.problems ?? []).map((message) => ({ field: 'draft-content', message })), read.status)
      await catalogue.updateDraft(actor, itemId, content!)
      return reply.redirect(`/admin/catalogue/${itemId}?done=saved`)
    } catch (error) {
      const fieldOf = { ITEM_CONTENT_INVALID: 'draft-content', ITEM_FEE_UNKNOWN: 'draft-content', ITEM_JOINT_DEPARTMENT_UNKNOWN: 'draft-content' }
      return refused(request, reply, error, fieldOf, (errors) => showItem(request, reply, itemId, { ...errors, values: keptValues(request.body) }), { failedForm: 'draft', ...(content ? { content } : {}) })
    }
  })

  /**
   * A publication takes the saved draft, an amendment the edited content, a retirement none. A
   * retirement, once approved, ends the item for good: the department reads so and confirms.
   */
  app.post('/admin/catalogue/:itemId/changes', {
    config: { policy: 'catalogue.draft' },
    schema: {
      params: ItemParams,
      body: StrictObject({ kind: Type.Enum(['publish', 'amend', 'retire']), reason: Type.String({ maxLength: TEXT_CAP }), content: Type.Optional(Type.String({ maxLength: CONTENT_CAP })), ...ConfirmField })
    }
  }, async (request, reply) => {
    const { itemId } = request.params
    const { kind } = request.body
    // the saved draft's problems show beside the draft, an amendment's beside its own content
    const contentField = kind === 'amend' ? 'amend-content' : 'draft-content'
    let content: ItemContent | undefined
    try {
      const { t } = pageContext(request)
      const actor = actorOf(request)
      const item = await catalogue.getManaged(actor, itemId)
      const read = kind === 'amend' ? readContent(t, request.body.content ?? '', item.departmentId) : null
      content = read?.content ?? (kind === 'publish' ? item.draft ?? undefined : undefined)
      assertNoProblems([
        ...(read?.problems ?? []).map((message) => ({ field: contentField, message })),
        ...reasonProblems(t, `${kind}-reason`, request.body.reason, kind === 'retire' ? 'catalogue.form.retireReason' : 'catalogue.form.reason')
      ], read?.status)
      const reason = request.body.reason.trim()
      if (kind === 'retire' && !isConfirmed(request.body)) {
        if (item.status === 'retired') throw new ItemRetired()
        if (item.status !== 'published') throw new ChangeKindNotAllowed(kind, item.status)
        if (item.pendingChange) throw new ChangePending()
        return showConfirmation(request, reply, retirementConfirmation(t, item, reason))
      }
      await catalogue.requestChange(actor, itemId, kind === 'amend' ? { kind, reason, content: content! } : { kind, reason })
      return reply.redirect(`/admin/catalogue/${itemId}?done=requested`)
    } catch (error) {
      const fieldOf = { ITEM_CONTENT_INVALID: contentField, ITEM_FEE_UNKNOWN: contentField, ITEM_JOINT_DEPARTMENT_UNKNOWN: contentField, CHANGE_NO_DIFFERENCE: contentField }
      return refused(request, reply, error, fieldOf, (errors) => showItem(request, reply, itemId, { ...errors, values: keptValues(request.body) }), { failedForm: kind, ...(content ? { content } : {}) })
    }
  })
}

/** What approving or rejecting a change request does, in the words of the catalogue. */
function decisionConfirmation (t: Translate, { change, item, requester, approve, note }: { change: ChangeView, item: ManagedItemView, requester: string, approve: boolean, note: string }): Confirmation {
  const kind = t(`catalogue.kind.${change.kind}`)
  const name = change.content?.name ?? item.name
  const version = Math.max(0, ...item.versions.map((one) => one.version)) + 1
  const consequences = !approve
    ? [t('catalogue.confirm.rejectEffect', { kind }), t('catalogue.confirm.noteRecorded')]
    : change.kind === 'retire'
      ? [t('catalogue.confirm.retireEffect', { code: item.code, name }), t('catalogue.confirm.retireFinal')]
      : [t(`catalogue.confirm.${change.kind}Effect`, { code: item.code, name, version }), t('catalogue.confirm.versionFinal')]
  return {
    title: t(approve ? 'catalogue.confirm.approveTitle' : 'catalogue.confirm.rejectTitle', { kind }),
    facts: [
      [t('catalogue.code'), item.code],
      [t('catalogue.name'), name],
      [t('catalogue.kind'), kind],
      [t('catalogue.admin.reason'), change.reason],
      [t('catalogue.requestedBy'), requester],
      [t('catalogue.decisionNote'), note || t('catalogue.confirm.noNote')]
    ],
    consequences,
    action: `/admin/catalogue/changes/${change.id}/decision`,
    fields: { decision: approve ? 'approve' : 'reject', note },
    confirmLabel: t(approve ? 'catalogue.confirm.approve' : 'catalogue.confirm.reject'),
    backHref: `/admin/catalogue/changes#change-${change.id}`,
    destructive: !approve || change.kind === 'retire'
  }
}

/** What a request to retire an item leads to, once approved. */
function retirementConfirmation (t: Translate, item: ManagedItemView, reason: string): Confirmation {
  return {
    title: t('catalogue.confirm.retireRequestTitle'),
    facts: [[t('catalogue.code'), item.code], [t('catalogue.name'), item.name], [t('catalogue.admin.retireReason'), reason]],
    consequences: [
      t('catalogue.confirm.retireRequestEffect', { code: item.code, name: item.name }),
      t('catalogue.confirm.retireCases'),
      t('catalogue.confirm.retireBlocks')
    ],
    action: `/admin/catalogue/${item.id}/changes`,
    fields: { kind: 'retire', reason },
    confirmLabel: t('catalogue.confirm.retireRequest'),
    backHref: `/admin/catalogue/${item.id}#retire-reason`,
    destructive: true
  }
}
