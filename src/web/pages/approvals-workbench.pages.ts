/**
 * The approvals workbench of clerks and chief representatives: filing at a window for an
 * applicant in person, the case page with every handling step as a form, and the chief
 * representative's decision, which asks once more (confirm.ts) saying what it decides for whom
 * and what follows. A refused form comes back with its problems beside its fields and what was
 * typed kept (form-problems.ts). The same cases service as the API, so the same rules and policy.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { createError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt, type Principal } from '../../lib/policy.ts'
import { promisedLimitOf, type ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { ItemNotFound } from '../../modules/catalogue/catalogue.errors.ts'
import { CaseStateInvalid } from '../../modules/cases/cases.errors.ts'
import { SPECIAL_PROCEDURES } from '../../modules/cases/cases.rules.ts'
import { ApplicantSchema, type ApplicationFields } from '../../modules/cases/cases.schemas.ts'
import type { CasesService } from '../../modules/cases/cases.service.ts'
import { discardUploads, MATERIAL_CODE, readMaterials } from '../../modules/cases/cases.uploads.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, type FormErrors, type FormProblem } from '../form-problems.ts'
import { optional } from '../forms.ts'
import { messagesWithPrefix } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import { applicationProblems, approvalsHelpers, CaseParams, clockBadge, CodeParams, documentsOf, FormText, linesOf } from './approvals-shared.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const TakeOverReasonRequired = createError('TAKEOVER_REASON_REQUIRED', 'Taking over a sub-task states why the hall steps in', 400)
const CorrectionFormInvalid = createError('CORRECTION_FORM_INVALID', 'Tick every material the applicant must hand in', 400)

type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]>, done?: string }

/** The reasons typed in a textarea as the service takes them: a line each, at most 20 of 1000 characters. */
const reasonsOf = (text: string | undefined) => linesOf(text).slice(0, 20).map((line) => line.slice(0, 1000))

export const approvalsWorkbenchPages: FastifyPluginAsyncTypebox = async (app) => {
  // resolved per request: the pages may be registered before the modules they show
  const cases = (): CasesService => app.services.cases
  const { departments } = app.services
  const { departmentNames, itemByCode, refused } = approvalsHelpers(app)

  // filing at a window: a clerk registers an application handed in by the applicant in person ------

  /** The active windows an official receives cases at: its department's windows, or the one window granted. */
  async function servedWindows (principal: Principal) {
    return (await departments.listWindows()).filter((window) => window.active && canAccess(principal, 'cases.handle', { windowId: window.id, departmentId: window.departmentId }))
  }

  /** The published items offered in the picker: those of the departments whose windows the clerk serves, all for a hall window. */
  async function fileableItems (windows: Awaited<ReturnType<typeof servedWindows>>) {
    const catalogue = app.services.catalogue
    if (windows.some((window) => window.departmentId === null)) return (await catalogue.listPublished({ limit: 200 })).items
    const departmentIds = [...new Set(windows.map((window) => window.departmentId!))]
    return (await Promise.all(departmentIds.map(async (departmentId) => (await catalogue.listPublished({ departmentId, limit: 200 })).items))).flat()
  }

  async function showFiling (request: FastifyRequest, reply: FastifyReply, code: string | undefined, extra: PageExtra = {}) {
    const principal = actorOf(request).principal
    const windows = await servedWindows(principal)
    const names = await departmentNames(request)
    const item = code ? await itemByCode(code) : null
    if (code && !item) {
      // a code typed at the counter that names nothing: the picker again, with the reason beside the code
      reply.code(404)
      extra = { ...formErrors([{ field: 'filing-code', message: pageContext(request).t('approvals.errors.ITEM_NOT_FOUND') }]), ...extra }
    }
    const content: ItemContent | null = item ? item.content : null
    return renderPage(request, reply, 'approvals/filing', {
      titleKey: 'approvals.filing.title',
      item,
      c: content,
      departmentName: item ? names[item.departmentId] ?? '' : '',
      items: item ? [] : await fileableItems(windows),
      // the windows that may receive this item; the service checks again when the form is posted
      windows: !item || !content
        ? []
        : windows.filter((window) => window.kind === 'department' ? window.departmentId === item.departmentId : window.kind === 'agency' ? content.agencyWindow : content.mode === 'promised'),
      majorProjectDays: content?.mode === 'promised' ? promisedLimitOf(content, true) : null,
      names,
      code: code ?? '',
      values: {},
      ...extra
    })
  }

  app.get('/workbench/filing', {
    config: { policy: 'cases.handle' },
    schema: { querystring: StrictObject({ code: FormText(32) }) }
  }, async (request, reply) => showFiling(request, reply, optional(request.query.code)))

  /**
   * The fields of a filing at a window as the service takes them, or the problems of the form,
   * field by field. The item comes from the address, never from the form; ID numbers are read in
   * upper case (the X of a resident ID).
   */
  function windowFilingFields (request: FastifyRequest, itemId: string, raw: Record<string, string>): ApplicationFields {
    const { t } = pageContext(request)
    const phone = optional(raw['applicant.phone'])
    const applicant = { name: raw['applicant.name']?.trim() ?? '', idNumber: (raw['applicant.idNumber'] ?? '').trim().toUpperCase(), ...(phone ? { phone } : {}) }
    const text = raw.request?.trim() ?? ''
    const problems: FormProblem[] = []
    if (!UUID.test(raw.windowId ?? '')) problems.push({ field: 'filing-window', message: t('approvals.filing.error.window') })
    if (!applicant.name || applicant.name.length > 200) problems.push({ field: 'filing-name', message: t('approvals.filing.error.name') })
    if (!Value.Check(ApplicantSchema.properties.idNumber, applicant.idNumber)) problems.push({ field: 'filing-id', message: t('approvals.filing.error.idNumber') })
    if (phone && !Value.Check(ApplicantSchema.properties.phone, phone)) problems.push({ field: 'filing-phone', message: t('approvals.filing.error.phone') })
    if (!text || text.length > 4000) problems.push({ field: 'filing-request', message: t('approvals.apply.error.request') })
    assertNoProblems(problems)
    return { itemId, request: text, windowId: raw.windowId!, applicant, ...(raw.majorProject === 'true' ? { majorProject: true } : {}) }
  }

  app.post('/workbench/filing/:code', { config: { policy: 'cases.handle' }, schema: { params: CodeParams } }, async (request, reply) => {
    const code = request.params.code
    const item = await itemByCode(code)
    if (!item) throw new ItemNotFound(code)
    let values: Record<string, string> = {}
    try {
      const { raw, uploads } = await readMaterials(request, cases().newMaterialKey)
      values = raw
      let fields: ApplicationFields
      try {
        fields = windowFilingFields(request, item.id, raw)
      } catch (error) {
        await discardUploads(app.store, uploads)
        throw error
      }
      const filed = await cases().file(actorOf(request), 'window', fields, uploads)
      request.log.info({ caseId: filed.case.id, windowId: fields.windowId }, 'case filed at a window through the page')
      // the query code exists only in this answer: the clerk hands it to the applicant on the receipt
      return renderPage(request, reply, 'approvals/filed', {
        titleKey: 'approvals.filed.title', filed: filed.case, queryCode: filed.queryCode, atWindow: true, followHref: `/workbench/cases/${filed.case.id}`
      })
    } catch (error) {
      const problems = applicationProblems(request, error, item.content, { WINDOW_NOT_SERVING: 'filing-window' }, 'material')
      reply.code((error as { statusCode: number }).statusCode)
      return showFiling(request, reply, code, { ...formErrors(problems), values })
    }
  })

  // the case page and its steps ------------------------------------------------------------------------

  async function showWorkbenchCase (request: FastifyRequest, reply: FastifyReply, caseId: string, extra: PageExtra = {}) {
    const principal = actorOf(request).principal
    const view = await cases().getCase(principal, caseId)
    const handles = canAccess(principal, 'cases.handle', { departmentId: view.departmentId, windowId: view.windowId })
    const ownDepartment = canAccess(principal, 'cases.handle', { departmentId: view.departmentId })
    const coordinates = canAccess(principal, 'cases.coordinate', {})
    const openSubtasks = view.subtasks.filter((subtask) => subtask.state === 'open')
    const { lang } = pageContext(request)
    return renderPage(request, reply, 'approvals/case', {
      title: `${view.number} · ${view.itemName}`,
      c: view,
      events: await cases().events(principal, caseId),
      documents: documentsOf(view),
      names: await departmentNames(request),
      materialName: (materialCode: string) => view.requiredMaterials.find((material) => material.code === materialCode)?.name ?? materialCode,
      may: {
        handle: handles,
        decide: canAccess(principal, 'cases.decide', { departmentId: view.departmentId }),
        // the seal belongs to the department: only its own officials issue the result
        issue: ownDepartment && view.state === 'decided',
        deliver: handles && view.state === 'result_issued',
        supervise: mayAttempt(principal, 'supervision.letters')
      },
      // sub-tasks of a joint case this official answers: for its department, or for the hall once it took one over
      answerable: openSubtasks.flatMap((subtask) => canAccess(principal, 'cases.handle', { departmentId: subtask.departmentId })
        ? [{ ...subtask, byHall: false }]
        : coordinates && subtask.takenOverAt !== null ? [{ ...subtask, byHall: true }] : []),
      // the hall takes over the coordination of a stalled department's sub-task, once
      takeable: coordinates ? openSubtasks.filter((subtask) => subtask.takenOverAt === null) : [],
      openPause: view.pauses.find((pause) => pause.endedAt === null) ?? null,
      procedures: SPECIAL_PROCEDURES,
      sealMessages: { ...messagesWithPrefix(lang, 'approvals.seal.'), ...messagesWithPrefix(lang, 'approvals.errors.') },
      clockBadge,
      values: {},
      ...extra
    })
  }

  app.get('/workbench/cases/:caseId', {
    config: { policy: 'cases.read' },
    schema: { params: CaseParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showWorkbenchCase(request, reply, request.params.caseId, { done: request.query.done }))

  type StepRequest<B> = FastifyRequest & { body: B, params: { caseId: string, departmentId?: string } }

  /**
   * A handling step posted by a form: back to the case with `done`, or the case again with the
   * refusal beside the form's field (`fieldOf` its codes), the form open and what was typed kept.
   */
  function caseAction<B> (path: string, policy: 'cases.handle' | 'cases.decide' | 'cases.coordinate' | 'authenticated', body: ReturnType<typeof StrictObject> | null,
    form: (request: StepRequest<B>) => { id: string, fieldOf: Record<string, string> }, act: (request: StepRequest<B>) => Promise<unknown>, done: string) {
    app.post(`/workbench/cases/:caseId/${path}`, {
      config: { policy },
      schema: { params: path.includes(':departmentId') ? StrictObject({ caseId: Uuid, departmentId: Uuid }) : CaseParams, ...(body ? { body } : {}) }
    }, async (request, reply) => {
      const typed = request as unknown as StepRequest<B>
      try {
        await act(typed)
        return reply.redirect(`/workbench/cases/${typed.params.caseId}?done=${done}`)
      } catch (error) {
        const { id, fieldOf } = form(typed)
        return refused(request, reply, error, fieldOf, (errors) => showWorkbenchCase(request, reply, typed.params.caseId, { ...errors, values: keptValues(typed.body) }), id)
      }
    })
  }

  const plain = (id: string, fieldOf: Record<string, string> = {}) => () => ({ id, fieldOf })

  caseAction('acceptance', 'cases.handle', null, plain('accept'), (request) => cases().accept(actorOf(request), request.params.caseId), 'accepted')
  caseAction<{ reasons: string }>('refusal', 'cases.handle', StrictObject({ reasons: Type.String({ maxLength: 8000 }) }),
    plain('refusal', { REFUSAL_REASONS_REQUIRED: 'refusal-reasons' }),
    (request) => cases().refuse(actorOf(request), request.params.caseId, reasonsOf(request.body.reasons)), 'refused')
  caseAction<{ materials?: string | string[], note?: string }>('correction-notice', 'cases.handle',
    StrictObject({ materials: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Array(Type.String({ maxLength: 32 }), { maxItems: 50 })])), note: FormText(2000) }),
    plain('correction', Object.fromEntries(['CORRECTION_FORM_INVALID', 'CORRECTION_INCOMPLETE', 'CORRECTION_NOT_NEEDED', 'MATERIAL_NOT_REQUIRED'].map((code) => [code, 'correction-materials']))),
    (request) => {
      const listed = request.body.materials === undefined ? [] : [request.body.materials].flat()
      if (listed.length === 0 || !listed.every((code) => MATERIAL_CODE.test(code))) throw new CorrectionFormInvalid()
      return cases().noticeCorrection(actorOf(request), request.params.caseId, { materials: [...new Set(listed)], note: request.body.note?.trim() ?? '' })
    }, 'corrected')
  caseAction('review', 'cases.handle', null, plain('review'), (request) => cases().startReview(actorOf(request), request.params.caseId), 'review')
  caseAction<{ kind: string, reason?: string, limitWorkingDays?: string }>('pause', 'cases.handle',
    StrictObject({ kind: Type.String({ maxLength: 20 }), reason: FormText(1000), limitWorkingDays: FormText(4) }),
    plain('pause', { PAUSE_REASON_REQUIRED: 'pause-reason', PAUSE_LIMIT_INVALID: 'pause-limit' }),
    (request) => {
      const { t } = pageContext(request)
      const kind = SPECIAL_PROCEDURES.find((procedure) => procedure === request.body.kind)
      const reason = request.body.reason?.trim() ?? ''
      const limit = (request.body.limitWorkingDays ?? '').trim()
      const problems: FormProblem[] = []
      if (!kind) problems.push({ field: 'pause-kind', message: t('approvals.action.pauseKindMissing') })
      if (!reason) problems.push({ field: 'pause-reason', message: t('approvals.errors.PAUSE_REASON_REQUIRED') })
      if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 120) problems.push({ field: 'pause-limit', message: t('approvals.errors.PAUSE_LIMIT_INVALID') })
      assertNoProblems(problems, 422)
      return cases().pause(actorOf(request), request.params.caseId, { kind: kind!, reason, limitWorkingDays: Number(limit) })
    }, 'paused')
  caseAction('pause-end', 'cases.handle', null, plain('resume'), (request) => cases().endPause(actorOf(request), request.params.caseId), 'resumed')
  caseAction<{ agree: 'true' | 'false', opinion: string }>('subtasks/:departmentId/opinion', 'authenticated',
    StrictObject({ agree: Type.Union([Type.Literal('true'), Type.Literal('false')]), opinion: Type.String({ maxLength: 1000 }) }),
    (request) => ({ id: `opinion-${request.params.departmentId}`, fieldOf: {} }),
    (request) => {
      const opinion = request.body.opinion.trim()
      assertNoProblems(opinion ? [] : [{ field: `opinion-${request.params.departmentId}`, message: pageContext(request).t('approvals.subtask.opinionMissing') }])
      return cases().answerSubtask(actorOf(request), request.params.caseId, request.params.departmentId!, { agree: request.body.agree === 'true', opinion })
    }, 'answered')
  caseAction<{ reason: string }>('subtasks/:departmentId/takeover', 'cases.coordinate', StrictObject({ reason: Type.String({ maxLength: 1000 }) }),
    (request) => ({ id: `takeover-${request.params.departmentId}`, fieldOf: { TAKEOVER_REASON_REQUIRED: `takeover-${request.params.departmentId}` } }),
    (request) => {
      const reason = request.body.reason.trim()
      if (!reason) throw new TakeOverReasonRequired()
      return cases().takeOverSubtask(actorOf(request), request.params.caseId, request.params.departmentId!, reason)
    }, 'takenOver')
  caseAction<{ method: 'window' | 'post' | 'online' }>('delivery', 'cases.handle',
    StrictObject({ method: Type.Union([Type.Literal('window'), Type.Literal('post'), Type.Literal('online')]) }),
    plain('delivery'), (request) => cases().deliver(actorOf(request), request.params.caseId, request.body.method), 'delivered')

  // the decision: binding, so the chief representative reads what it decides and confirms ------------

  const DecisionForm = StrictObject({ decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]), reasons: FormText(8000), ...ConfirmField })

  app.post('/workbench/cases/:caseId/decision', { config: { policy: 'cases.decide' }, schema: { params: CaseParams, body: DecisionForm } }, async (request, reply) => {
    const { caseId } = request.params
    const { decision } = request.body
    const reasons = reasonsOf(request.body.reasons)
    try {
      if (!isConfirmed(request.body)) {
        const view = await cases().getCase(actorOf(request).principal, caseId)
        const { t } = pageContext(request)
        if (view.state !== 'review') throw new CaseStateInvalid(view.state, 'decided')
        // a denial states its reasons (Art. 38): said beside the field before anything is asked
        assertNoProblems(decision === 'deny' && reasons.length === 0 ? [{ field: 'decision-reasons', message: t('approvals.errors.DECISION_REASONS_REQUIRED') }] : [], 422)
        const delivery = view.channel === 'online' ? t('approvals.decide.deliveredOnline') : t('approvals.decide.deliveredAtWindow')
        return showConfirmation(request, reply, {
          title: t(`approvals.decide.title.${decision}`),
          facts: [
            [t('approvals.number'), view.number],
            [t('approvals.decide.item'), view.itemName],
            [t('approvals.decide.applicant'), view.applicant.name],
            [t('approvals.decision'), t(`approvals.decision.${decision}`)],
            ...(reasons.length > 0 ? [[t('approvals.decide.reasons'), reasons.join('；')] as [string, string]] : [])
          ],
          consequences: [
            t(`approvals.decide.effect.${decision}`, { number: view.number }),
            t(`approvals.decide.issue.${decision}`, { delivery }),
            t('approvals.decide.final')
          ],
          action: `/workbench/cases/${caseId}/decision`,
          fields: { decision, reasons: request.body.reasons },
          confirmLabel: t(`approvals.decide.confirm.${decision}`),
          backHref: `/workbench/cases/${caseId}`,
          destructive: decision === 'deny'
        })
      }
      await cases().decide(actorOf(request), caseId, { decision, reasons })
      return reply.redirect(`/workbench/cases/${caseId}?done=decided`)
    } catch (error) {
      return refused(request, reply, error, { DECISION_REASONS_REQUIRED: 'decision-reasons' },
        (errors) => showWorkbenchCase(request, reply, caseId, { ...errors, values: keptValues(request.body) }), 'decision')
    }
  })
}
