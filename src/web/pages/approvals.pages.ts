/**
 * Approval cases (办件) in pages. The applicant: apply online with the item's materials (the case
 * number and query code shown once), follow one's cases, answer the one correction notice,
 * withdraw, download receipts and the result. Anyone holding a receipt: the public progress
 * query and the rating. Clerks and chief representatives: the workbench queue with its colours,
 * filing at a window for an applicant in person, and every handling step; the result is signed
 * with the department's seal in the browser (/assets/bundles/seal-result.js), the key never
 * leaves the page. The hall administrator takes over a stalled sub-task of a joint case and
 * answers it. Supervisors: the live dashboard and supervision letters; the departments reply and
 * report their rectifications. Every page calls the same cases service as the API, so the
 * same rules and the same policy apply; forms work without JavaScript except the seal signature.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { createError, isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt, scopesFor, type Principal } from '../../lib/policy.ts'
import { promisedLimitOf, type ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { ItemNotFound } from '../../modules/catalogue/catalogue.errors.ts'
import { ItemCode } from '../../modules/catalogue/catalogue.schemas.ts'
import { CaseNotFound } from '../../modules/cases/cases.errors.ts'
import { CASE_STATES, OPEN_STATES, SPECIAL_PROCEDURES } from '../../modules/cases/cases.rules.ts'
import { ApplicationFieldsSchema, CreateLetterSchema, PauseSchema, type ApplicationFields, type CaseView } from '../../modules/cases/cases.schemas.ts'
import type { CasesService } from '../../modules/cases/cases.service.ts'
import { discardUploads, MATERIAL_CODE, readMaterials } from '../../modules/cases/cases.uploads.ts'
import { serveBundle } from '../bundles.ts'
import { checked, optional } from '../forms.ts'
import { hasMessage, messagesWithPrefix } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import type { ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const CaseParams = StrictObject({ caseId: Uuid })
const COLOURS = ['green', 'yellow', 'red'] as const
const DOCUMENT_KINDS = ['acceptance', 'refusal', 'correction', 'result'] as const

const ApplicationFormInvalid = createError('APPLICATION_FORM_INVALID', 'The application needs its request text', 400)
const WindowFilingInvalid = createError('WINDOW_FILING_INVALID', 'A window filing names its window, the applicant (name and ID number) and the request', 400)

/** Refusals whose service words name what is at fault (which material, which delegation gap). */
const DETAILED = new Set([
  'MATERIALS_MISSING', 'CORRECTION_INCOMPLETE', 'MATERIAL_NOT_REQUIRED', 'MATERIAL_UNKNOWN', 'OUTSIDE_DELEGATION', 'SUBTASKS_OPEN',
  'CASE_STATE_INVALID', 'WINDOW_NOT_SERVING', 'CASE_AWAITING_PAYMENT', 'RESULT_SIGNATURE_INVALID'
])

/**
 * The fields of a filing at a window as the service takes them, or null when the form is
 * incomplete. The item comes from the address, never from the form; ID numbers are read in
 * upper case (the X of a resident ID).
 */
function windowFilingFields (itemId: string, raw: Record<string, string>): ApplicationFields | null {
  const phone = optional(raw['applicant.phone'])
  const fields = {
    itemId,
    request: raw.request?.trim() ?? '',
    windowId: raw.windowId ?? '',
    applicant: { name: raw['applicant.name']?.trim() ?? '', idNumber: (raw['applicant.idNumber'] ?? '').trim().toUpperCase(), ...(phone ? { phone } : {}) },
    ...(raw.majorProject === 'true' ? { majorProject: true } : {})
  }
  return Value.Check(ApplicationFieldsSchema, fields) ? fields : null
}

/** Lines of a textarea, one reason each. */
const linesOf = (text: string | undefined) => (text ?? '').split(/\r?\n/).map((line) => line.trim()).filter(Boolean)

/** The documents a case has to download, in the order they arise. */
function documentsOf (view: CaseView): Array<typeof DOCUMENT_KINDS[number]> {
  return DOCUMENT_KINDS.filter((kind) => kind === 'acceptance'
    ? view.acceptedAt !== null
    : kind === 'refusal' ? view.state === 'refused' : kind === 'correction' ? view.correction !== null : view.result !== null)
}

/** The badge of a case's clock: its colour while it runs, `paused` while a pause holds it. */
function clockBadge (view: CaseView): 'green' | 'yellow' | 'red' | 'paused' | null {
  if (!view.clock) return null
  return view.clock.paused ? 'paused' : view.clock.colour
}

export const approvalsPages: FastifyPluginAsyncTypebox<{ production: boolean, queriesPerMinute: number }> = async (app, { production, queriesPerMinute }) => {
  // guessing query codes is limited like guessing passwords, as on the API
  const PUBLIC_LIMIT = { max: queriesPerMinute, timeWindow: '1 minute' }
  // resolved per request: the pages may be registered before the modules they show
  const cases = (): CasesService => app.services.cases
  const { departments } = app.services

  serveBundle(app, 'seal-result', production)

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    const [all, windows] = await Promise.all([departments.listDepartments(), departments.listWindows()])
    const names: Record<string, string> = {}
    for (const department of all) names[department.id] = (lang === 'en' && department.nameEn) || department.name
    for (const window of windows) names[window.id] = window.name
    return names
  }

  function shownError (request: FastifyRequest, error: Error & { code?: string }): ShownError {
    const { t } = pageContext(request)
    const own = `approvals.errors.${error.code ?? ''}`
    const common = `errors.${error.code ?? ''}`
    const message = hasMessage(own) ? t(own) : hasMessage(common) ? t(common) : error.message
    return { error: message, ...(error.code && DETAILED.has(error.code) && message !== error.message ? { errorDetail: error.message } : {}) }
  }

  /** What the upload script says while it sends, and how it names a refusal. */
  function uploadMessages (request: FastifyRequest) {
    const { lang, t } = pageContext(request)
    const errors = Object.fromEntries(Object.entries(messagesWithPrefix(lang, 'approvals.errors.')).map(([key, value]) => [key.slice('approvals.errors.'.length), value]))
    return { uploading: t('approvals.upload.uploading'), done: t('approvals.upload.done'), failed: t('approvals.upload.failed'), errors }
  }

  /** Shows the page again with the refusal (and its status); anything not the user's doing goes on to the error page. */
  async function orShow (request: FastifyRequest, reply: FastifyReply, error: unknown, show: (shown: ShownError) => unknown) {
    if (!isClientError(error)) throw error
    reply.code(error.statusCode)
    return show(shownError(request, error))
  }

  // the applicant ---------------------------------------------------------------------------------

  async function itemByCode (code: string) {
    const normalised = code.toUpperCase()
    const found = Value.Check(ItemCode, normalised) ? await app.services.catalogue.findByCode(normalised) : null
    if (!found || found.status !== 'published') return null
    return app.services.catalogue.publicItem(found.id).catch((error: unknown) => {
      if (isClientError(error) && error.statusCode === 404) return null
      throw error
    })
  }

  async function showApply (request: FastifyRequest, reply: FastifyReply, code: string, extra: Partial<ShownError> & { values?: Record<string, string> } = {}) {
    const item = await itemByCode(code)
    if (!item) throw new CaseNotFound(code)
    const content: ItemContent = item.content
    return renderPage(request, reply, 'approvals/apply', {
      title: content.name,
      item,
      c: content,
      departmentName: (await departmentNames(request))[item.departmentId] ?? '',
      // the major-project window promises a shorter limit; an instant item has nothing to shorten
      majorProjectDays: content.mode === 'promised' ? promisedLimitOf(content, true) : null,
      messages: uploadMessages(request),
      values: {},
      ...extra
    })
  }

  const CodeParams = StrictObject({ code: Type.String({ maxLength: 32 }) })

  app.get('/apply/:code', { config: { policy: 'cases.apply' }, schema: { params: CodeParams } }, async (request, reply) => showApply(request, reply, request.params.code))

  app.post('/apply/:code', { config: { policy: 'cases.apply' }, schema: { params: CodeParams } }, async (request, reply) => {
    const code = request.params.code
    let values: Record<string, string> = {}
    try {
      const item = await itemByCode(code)
      if (!item) throw new CaseNotFound(code)
      const { raw: fields, uploads } = await readMaterials(request, cases().newMaterialKey)
      values = fields
      const text = optional(fields.request)
      if (!text || text.length > 4000) {
        await discardUploads(app.store, uploads)
        throw new ApplicationFormInvalid()
      }
      const filed = await cases().file(actorOf(request), 'online', { itemId: item.id, request: text, ...(fields.majorProject === 'true' ? { majorProject: true } : {}) }, uploads)
      request.log.info({ caseId: filed.case.id }, 'case filed through the page')
      // the query code exists only in this answer: it is shown here once and never again
      return renderPage(request, reply, 'approvals/filed', { titleKey: 'approvals.filed.title', filed: filed.case, queryCode: filed.queryCode })
    } catch (error) {
      return orShow(request, reply, error, (shown) => showApply(request, reply, code, { ...shown, values }))
    }
  })

  app.get('/my/cases', { config: { policy: 'cases.apply' } }, async (request, reply) => renderPage(request, reply, 'approvals/my-cases', {
    titleKey: 'approvals.mine.title',
    cases: await cases().myCases(actorOf(request)),
    clockBadge
  }))

  async function showMyCase (request: FastifyRequest, reply: FastifyReply, caseId: string, extra: Partial<ShownError> & { done?: string } = {}) {
    const actor = actorOf(request)
    const view = await cases().getCase(actor.principal, caseId)
    return renderPage(request, reply, 'approvals/my-case', {
      title: `${view.number} · ${view.itemName}`,
      c: view,
      events: await cases().events(actor.principal, caseId),
      documents: documentsOf(view),
      materialName: (materialCode: string) => view.requiredMaterials.find((material) => material.code === materialCode)?.name ?? materialCode,
      correctionOpen: view.correction !== null && view.correction.answeredAt === null && ['correction', 'review'].includes(view.state),
      withdrawable: OPEN_STATES.includes(view.state),
      messages: uploadMessages(request),
      clockBadge,
      ...extra
    })
  }

  app.get('/my/cases/:caseId', {
    config: { policy: 'cases.apply' },
    schema: { params: CaseParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showMyCase(request, reply, request.params.caseId, { done: request.query.done }))

  app.post('/my/cases/:caseId/correction', { config: { policy: 'cases.apply' }, schema: { params: CaseParams } }, async (request, reply) => {
    const { caseId } = request.params
    try {
      // the service sees the case before any file is stored: someone else's case is 404 at once
      await cases().getCase(actorOf(request).principal, caseId)
      const { uploads } = await readMaterials(request, cases().newMaterialKey)
      await cases().answerCorrection(actorOf(request), caseId, uploads)
      return reply.redirect(`/my/cases/${caseId}?done=corrected`)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showMyCase(request, reply, caseId, shown))
    }
  })

  app.post('/my/cases/:caseId/withdrawal', {
    config: { policy: 'cases.apply' },
    schema: { params: CaseParams, body: StrictObject({ reason: FormText(1000) }) }
  }, async (request, reply) => {
    const { caseId } = request.params
    try {
      await cases().withdraw(actorOf(request), caseId, request.body.reason?.trim() ?? '')
      return reply.redirect(`/my/cases/${caseId}?done=withdrawn`)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showMyCase(request, reply, caseId, shown))
    }
  })

  // the public progress query (the receipt's number and query code; no sign-in) ----------------------

  const ProgressForm = StrictObject({ number: Type.String({ maxLength: 60 }), queryCode: Type.String({ maxLength: 30 }) })

  function showProgress (request: FastifyRequest, reply: FastifyReply, data: { number?: string, queryCode?: string, progress?: Awaited<ReturnType<CasesService['progress']>> | null, done?: string } & Partial<ShownError>) {
    return renderPage(request, reply, 'approvals/progress', { titleKey: 'approvals.progress.title', progress: null, number: '', queryCode: '', ...data })
  }

  app.get('/progress', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ number: FormText(60) }) }
  }, async (request, reply) => showProgress(request, reply, { number: request.query.number ?? '' }))

  // a POST keeps the query code out of addresses, histories and access logs
  app.post('/progress', { config: { policy: 'public', rateLimit: PUBLIC_LIMIT }, schema: { body: ProgressForm } }, async (request, reply) => {
    const { number, queryCode } = request.body
    try {
      return showProgress(request, reply, { number, queryCode, progress: await cases().progress(number, queryCode) })
    } catch (error) {
      return orShow(request, reply, error, (shown) => showProgress(request, reply, { number, ...shown }))
    }
  })

  app.post('/progress/result', { config: { policy: 'public', rateLimit: PUBLIC_LIMIT }, schema: { body: ProgressForm } }, async (request, reply) => {
    const { number, queryCode } = request.body
    try {
      const pdf = await cases().publicResult(number, queryCode)
      return reply.type('application/pdf').header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${number.replace(/[^A-Za-z0-9-]/g, '')}-result.pdf"`).send(pdf)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showProgress(request, reply, { number, ...shown }))
    }
  })

  app.post('/progress/rating', {
    config: { policy: 'public', rateLimit: PUBLIC_LIMIT },
    schema: { body: StrictObject({ ...ProgressForm.properties, level: Type.String({ maxLength: 1 }), comment: FormText(2000) }) }
  }, async (request, reply) => {
    const { number, queryCode, level, comment } = request.body
    try {
      const rated = Number(level)
      if (!Number.isInteger(rated) || rated < 1 || rated > 5) throw new ApplicationFormInvalid()
      const progress = await cases().rate({ number, queryCode, level: rated, ...(optional(comment) ? { comment: comment!.trim() } : {}) })
      return showProgress(request, reply, { number, queryCode, progress, done: 'rated' })
    } catch (error) {
      return orShow(request, reply, error, async (shown) => showProgress(request, reply, { number, queryCode, progress: await cases().progress(number, queryCode).catch(() => null), ...shown }))
    }
  })

  // the workbench: clerks, chief representatives (and readers of the department's cases) ------------

  app.get('/workbench', {
    config: { policy: 'cases.read' },
    schema: { querystring: StrictObject({ state: FormText(20), colour: FormText(10) }) }
  }, async (request, reply) => {
    const state = CASE_STATES.find((candidate) => candidate === request.query.state)
    const colour = COLOURS.find((candidate) => candidate === request.query.colour)
    const principal = actorOf(request).principal
    const queue = await cases().listCases(principal, { ...(state ? { state } : {}), ...(colour ? { colour } : {}), limit: 200 })
    return renderPage(request, reply, 'approvals/workbench', {
      titleKey: 'approvals.workbench.title',
      cases: queue,
      filter: { state: state ?? '', colour: colour ?? '' },
      states: CASE_STATES,
      colours: COLOURS,
      names: await departmentNames(request),
      mayFile: mayAttempt(principal, 'cases.handle'),
      clockBadge
    })
  })

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

  async function showFiling (request: FastifyRequest, reply: FastifyReply, code: string | undefined, extra: Partial<ShownError> & { values?: Record<string, string> } = {}) {
    const principal = actorOf(request).principal
    const windows = await servedWindows(principal)
    const names = await departmentNames(request)
    const item = code ? await itemByCode(code) : null
    if (code && !item) {
      // a code typed at the counter that names nothing: the picker again, with the reason
      reply.code(404)
      extra = { ...shownError(request, new ItemNotFound(code)), ...extra }
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

  app.post('/workbench/filing/:code', { config: { policy: 'cases.handle' }, schema: { params: CodeParams } }, async (request, reply) => {
    const code = request.params.code
    let values: Record<string, string> = {}
    try {
      const item = await itemByCode(code)
      if (!item) throw new ItemNotFound(code)
      const { raw, uploads } = await readMaterials(request, cases().newMaterialKey)
      values = raw
      const fields = windowFilingFields(item.id, raw)
      if (!fields) {
        await discardUploads(app.store, uploads)
        throw new WindowFilingInvalid()
      }
      const filed = await cases().file(actorOf(request), 'window', fields, uploads)
      request.log.info({ caseId: filed.case.id, windowId: fields.windowId }, 'case filed at a window through the page')
      // the query code exists only in this answer: the clerk hands it to the applicant on the receipt
      return renderPage(request, reply, 'approvals/filed', {
        titleKey: 'approvals.filed.title', filed: filed.case, queryCode: filed.queryCode, atWindow: true, followHref: `/workbench/cases/${filed.case.id}`
      })
    } catch (error) {
      return orShow(request, reply, error, (shown) => showFiling(request, reply, code, { ...shown, values }))
    }
  })

  async function showWorkbenchCase (request: FastifyRequest, reply: FastifyReply, caseId: string, extra: Partial<ShownError> & { done?: string } = {}) {
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
      ...extra
    })
  }

  app.get('/workbench/cases/:caseId', {
    config: { policy: 'cases.read' },
    schema: { params: CaseParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showWorkbenchCase(request, reply, request.params.caseId, { done: request.query.done }))

  /** A handling step posted by a form: back to the case with `done`, or the case again with the refusal. */
  function caseAction<B> (path: string, policy: 'cases.handle' | 'cases.decide' | 'cases.coordinate' | 'authenticated', body: ReturnType<typeof StrictObject> | null, act: (request: FastifyRequest & { body: B, params: { caseId: string, departmentId?: string } }) => Promise<unknown>, done: string) {
    app.post(`/workbench/cases/:caseId/${path}`, {
      config: { policy },
      schema: { params: path.includes(':departmentId') ? StrictObject({ caseId: Uuid, departmentId: Uuid }) : CaseParams, ...(body ? { body } : {}) }
    }, async (request, reply) => {
      const typed = request as unknown as FastifyRequest & { body: B, params: { caseId: string, departmentId?: string } }
      try {
        await act(typed)
        return reply.redirect(`/workbench/cases/${typed.params.caseId}?done=${done}`)
      } catch (error) {
        return orShow(request, reply, error, (shown) => showWorkbenchCase(request, reply, typed.params.caseId, shown))
      }
    })
  }

  caseAction('acceptance', 'cases.handle', null, (request) => cases().accept(actorOf(request), request.params.caseId), 'accepted')
  caseAction<{ reasons: string }>('refusal', 'cases.handle', StrictObject({ reasons: Type.String({ maxLength: 8000 }) }),
    (request) => cases().refuse(actorOf(request), request.params.caseId, linesOf(request.body.reasons).slice(0, 20).map((line) => line.slice(0, 1000))), 'refused')
  caseAction<{ materials?: string | string[], note?: string }>('correction-notice', 'cases.handle',
    StrictObject({ materials: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Array(Type.String({ maxLength: 32 }), { maxItems: 50 })])), note: FormText(2000) }),
    (request) => {
      const listed = request.body.materials === undefined ? [] : [request.body.materials].flat()
      if (listed.length === 0 || !listed.every((code) => MATERIAL_CODE.test(code))) throw new CorrectionFormInvalid()
      return cases().noticeCorrection(actorOf(request), request.params.caseId, { materials: [...new Set(listed)], note: request.body.note?.trim() ?? '' })
    }, 'corrected')
  caseAction('review', 'cases.handle', null, (request) => cases().startReview(actorOf(request), request.params.caseId), 'review')
  caseAction<{ kind: string, reason?: string, limitWorkingDays?: string }>('pause', 'cases.handle',
    StrictObject({ kind: Type.String({ maxLength: 20 }), reason: FormText(1000), limitWorkingDays: FormText(4) }),
    (request) => cases().pause(actorOf(request), request.params.caseId, checked(PauseSchema, {
      kind: request.body.kind, reason: request.body.reason?.trim() ?? '', limitWorkingDays: Number(request.body.limitWorkingDays ?? '')
    })), 'paused')
  caseAction('pause-end', 'cases.handle', null, (request) => cases().endPause(actorOf(request), request.params.caseId), 'resumed')
  caseAction<{ decision: 'approve' | 'deny', reasons?: string }>('decision', 'cases.decide',
    StrictObject({ decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]), reasons: FormText(8000) }),
    (request) => cases().decide(actorOf(request), request.params.caseId, { decision: request.body.decision, reasons: linesOf(request.body.reasons).slice(0, 20).map((line) => line.slice(0, 1000)) }), 'decided')
  caseAction<{ agree: 'true' | 'false', opinion: string }>('subtasks/:departmentId/opinion', 'authenticated',
    StrictObject({ agree: Type.Union([Type.Literal('true'), Type.Literal('false')]), opinion: Type.String({ minLength: 1, maxLength: 1000 }) }),
    (request) => cases().answerSubtask(actorOf(request), request.params.caseId, request.params.departmentId!, { agree: request.body.agree === 'true', opinion: request.body.opinion.trim() }), 'answered')
  caseAction<{ reason: string }>('subtasks/:departmentId/takeover', 'cases.coordinate', StrictObject({ reason: Type.String({ maxLength: 1000 }) }),
    (request) => {
      const reason = request.body.reason.trim()
      if (!reason) throw new TakeOverReasonRequired()
      return cases().takeOverSubtask(actorOf(request), request.params.caseId, request.params.departmentId!, reason)
    }, 'takenOver')
  caseAction<{ method: 'window' | 'post' | 'online' }>('delivery', 'cases.handle',
    StrictObject({ method: Type.Union([Type.Literal('window'), Type.Literal('post'), Type.Literal('online')]) }),
    (request) => cases().deliver(actorOf(request), request.params.caseId, request.body.method), 'delivered')

  // supervision ---------------------------------------------------------------------------------------

  /** The rooms that keep this principal's dashboard live: the hall's, or each supervised department's. */
  function roomsFor (principal: Principal): string[] {
    const scopes = scopesFor(principal, 'supervision.read')
    return scopes === null ? ['supervision:hall'] : scopes.departmentIds.map((id) => `supervision:dept:${id}`)
  }

  async function showSupervision (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { done?: string, values?: Record<string, string> } = {}) {
    const principal = actorOf(request).principal
    const [dashboard, letters, rectifications, names] = await Promise.all([
      cases().dashboard(principal), cases().listLetters(principal), cases().listRectifications(principal), departmentNames(request)
    ])
    const { lang } = pageContext(request)
    const allDepartments = await departments.listDepartments()
    return renderPage(request, reply, 'approvals/supervision', {
      titleKey: 'approvals.supervision.title',
      dashboard,
      letters,
      rectifications,
      names,
      rooms: roomsFor(principal),
      labels: { ...messagesWithPrefix(lang, 'approvals.supervision.'), ...messagesWithPrefix(lang, 'approvals.state.') },
      mayIssue: mayAttempt(principal, 'supervision.letters'),
      mayReply: (departmentId: string) => canAccess(principal, 'supervision.reply', { departmentId }),
      mayReport: (departmentId: string) => canAccess(principal, 'rectifications.handle', { departmentId }),
      letterDepartments: allDepartments.filter((department) => canAccess(principal, 'supervision.letters', { departmentId: department.id })),
      values: {},
      ...extra
    })
  }

  app.get('/supervision', {
    config: { policy: 'supervision.read' },
    schema: { querystring: StrictObject({ done: FormText(20), caseId: FormText(36), departmentId: FormText(36) }) }
  }, async (request, reply) => showSupervision(request, reply, {
    done: request.query.done,
    values: { caseId: request.query.caseId ?? '', departmentId: request.query.departmentId ?? '' }
  }))

  app.post('/supervision/letters', {
    config: { policy: 'supervision.letters' },
    schema: { body: StrictObject({ departmentId: Type.String({ maxLength: 36 }), caseId: FormText(36), subject: Type.String({ maxLength: 200 }), body: Type.String({ maxLength: 8000 }), replyWorkingDays: Type.String({ maxLength: 3 }) }) }
  }, async (request, reply) => {
    const form = request.body
    try {
      const input = checked(CreateLetterSchema, {
        departmentId: form.departmentId,
        ...(optional(form.caseId) ? { caseId: optional(form.caseId) } : {}),
        subject: form.subject.trim(),
        body: form.body.trim(),
        replyWorkingDays: Number(form.replyWorkingDays)
      })
      await cases().issueLetter(actorOf(request), input)
      return reply.redirect('/supervision?done=letter')
    } catch (error) {
      return orShow(request, reply, error, (shown) => showSupervision(request, reply, { ...shown, values: form as unknown as Record<string, string> }))
    }
  })

  app.post('/supervision/letters/:letterId/reply', {
    config: { policy: 'supervision.reply' },
    schema: { params: StrictObject({ letterId: Uuid }), body: StrictObject({ reply: Type.String({ maxLength: 8000 }) }) }
  }, async (request, reply) => {
    try {
      const text = request.body.reply.trim()
      if (!text) throw new ReplyRequired()
      await cases().replyLetter(actorOf(request), request.params.letterId, text)
      return reply.redirect('/supervision?done=replied')
    } catch (error) {
      return orShow(request, reply, error, (shown) => showSupervision(request, reply, shown))
    }
  })

  app.post('/supervision/rectifications/:rectificationId/report', {
    config: { policy: 'rectifications.handle' },
    schema: { params: StrictObject({ rectificationId: Uuid }), body: StrictObject({ report: Type.String({ maxLength: 8000 }) }) }
  }, async (request, reply) => {
    try {
      const text = request.body.report.trim()
      if (!text) throw new RectificationReportRequired()
      await cases().reportRectification(actorOf(request), request.params.rectificationId, text)
      return reply.redirect('/supervision?done=reported')
    } catch (error) {
      return orShow(request, reply, error, (shown) => showSupervision(request, reply, shown))
    }
  })
}

const TakeOverReasonRequired = createError('TAKEOVER_REASON_REQUIRED', 'Taking over a sub-task states why the hall steps in', 400)
const RectificationReportRequired = createError('RECTIFICATION_REPORT_REQUIRED', 'A rectification report states what the department changed', 400)
const CorrectionFormInvalid = createError('CORRECTION_FORM_INVALID', 'Tick every material the applicant must hand in', 400)
const ReplyRequired = createError('LETTER_REPLY_REQUIRED', 'A reply states what the department did', 400)
