/**
 * Approval cases (办件) in pages. The applicant: apply online with the item's materials (the case
 * number and query code shown once), follow one's cases, answer the one correction notice,
 * withdraw (after reading what withdrawing ends), download receipts and the result. Anyone
 * holding a receipt: the public progress query and the rating. Clerks and chief
 * representatives: the workbench queue with its colours; filing at a window and the handling
 * steps are in approvals-workbench.pages.ts. Supervisors: the live dashboard and supervision
 * letters; the departments reply and report their rectifications. Every page calls the same
 * cases service as the API, so the same rules and the same policy apply; forms work without
 * JavaScript except the seal signature, and a refused form shows each problem beside its field
 * with what was typed kept (form-problems.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt, scopesFor, type Principal } from '../../lib/policy.ts'
import { promisedLimitOf, type ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { requiredCodes } from '../../modules/cases/cases.acceptance.ts'
import { CaseNotFound, CaseStateInvalid } from '../../modules/cases/cases.errors.ts'
import { CASE_STATES, missingAtFiling, OPEN_STATES } from '../../modules/cases/cases.rules.ts'
import type { CasesService } from '../../modules/cases/cases.service.ts'
import { discardUploads, readMaterials } from '../../modules/cases/cases.uploads.ts'
import { serveBundle } from '../bundles.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, type FormErrors, type FormProblem } from '../form-problems.ts'
import { optional } from '../forms.ts'
import { messagesWithPrefix } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import { approvalsWorkbenchPages } from './approvals-workbench.pages.ts'
import { applicationProblems, approvalsHelpers, CaseParams, clockBadge, CodeParams, documentsOf, FormText, materialProblems } from './approvals-shared.ts'

const COLOURS = ['green', 'yellow', 'red'] as const
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]>, done?: string }

export const approvalsPages: FastifyPluginAsyncTypebox<{ production: boolean, queriesPerMinute: number }> = async (app, { production, queriesPerMinute }) => {
  // guessing query codes is limited like guessing passwords, as on the API
  const PUBLIC_LIMIT = { max: queriesPerMinute, timeWindow: '1 minute' }
  // resolved per request: the pages may be registered before the modules they show
  const cases = (): CasesService => app.services.cases
  const { departments } = app.services
  const { departmentNames, uploadMessages, itemByCode, refused } = approvalsHelpers(app)

  serveBundle(app, 'seal-result', production)
  await app.register(approvalsWorkbenchPages)

  // the applicant ---------------------------------------------------------------------------------

  async function showApply (request: FastifyRequest, reply: FastifyReply, code: string, extra: PageExtra = {}) {
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

  app.get('/apply/:code', { config: { policy: 'cases.apply' }, schema: { params: CodeParams } }, async (request, reply) => showApply(request, reply, request.params.code))

  app.post('/apply/:code', { config: { policy: 'cases.apply' }, schema: { params: CodeParams } }, async (request, reply) => {
    const code = request.params.code
    const item = await itemByCode(code)
    if (!item) throw new CaseNotFound(code)
    let values: Record<string, string> = {}
    try {
      const { raw: fields, uploads } = await readMaterials(request, cases().newMaterialKey)
      values = fields
      // every problem at once: the request text and each required material left out (the service checks the materials again)
      const text = optional(fields.request)
      const missing = missingAtFiling('online', requiredCodes(item.content), uploads.map((upload) => upload.code))
      const problems: FormProblem[] = [
        ...(!text || text.length > 4000 ? [{ field: 'apply-request', message: pageContext(request).t('approvals.apply.error.request') }] : []),
        ...materialProblems(request, item.content, missing, 'material')
      ]
      if (problems.length > 0) await discardUploads(app.store, uploads)
      assertNoProblems(problems, missing.length > 0 ? 422 : 400)
      const filed = await cases().file(actorOf(request), 'online', { itemId: item.id, request: text!, ...(fields.majorProject === 'true' ? { majorProject: true } : {}) }, uploads)
      request.log.info({ caseId: filed.case.id }, 'case filed through the page')
      // the query code exists only in this answer: it is shown here once and never again
      return renderPage(request, reply, 'approvals/filed', { titleKey: 'approvals.filed.title', filed: filed.case, queryCode: filed.queryCode })
    } catch (error) {
      const problems = applicationProblems(request, error, item.content, {}, 'material')
      reply.code((error as { statusCode: number }).statusCode)
      return showApply(request, reply, code, { ...formErrors(problems), values })
    }
  })

  app.get('/my/cases', { config: { policy: 'cases.apply' } }, async (request, reply) => renderPage(request, reply, 'approvals/my-cases', {
    titleKey: 'approvals.mine.title',
    cases: await cases().myCases(actorOf(request)),
    clockBadge
  }))

  async function showMyCase (request: FastifyRequest, reply: FastifyReply, caseId: string, extra: PageExtra = {}) {
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
      values: {},
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
      const view = await cases().getCase(actorOf(request).principal, caseId)
      const { uploads } = await readMaterials(request, cases().newMaterialKey)
      // each material the notice listed and the answer left out, beside its file input
      const listed = view.correction?.answeredAt === null ? view.correction.materials : []
      const { t } = pageContext(request)
      const problems = listed.filter((code) => !uploads.some((upload) => upload.code === code)).map((code) => ({
        field: `correction-${code}`, message: t('approvals.apply.materialMissing', { name: view.requiredMaterials.find((material) => material.code === code)?.name ?? code })
      }))
      if (problems.length > 0) await discardUploads(app.store, uploads)
      assertNoProblems(problems, 422)
      await cases().answerCorrection(actorOf(request), caseId, uploads)
      return reply.redirect(`/my/cases/${caseId}?done=corrected`)
    } catch (error) {
      return refused(request, reply, error, {}, (errors) => showMyCase(request, reply, caseId, errors), 'correction')
    }
  })

  app.post('/my/cases/:caseId/withdrawal', {
    config: { policy: 'cases.apply' },
    schema: { params: CaseParams, body: StrictObject({ reason: FormText(1000), ...ConfirmField }) }
  }, async (request, reply) => {
    const { caseId } = request.params
    const reason = request.body.reason?.trim() ?? ''
    try {
      if (!isConfirmed(request.body)) {
        // withdrawing ends the application: the applicant reads that before it happens
        const view = await cases().getCase(actorOf(request).principal, caseId)
        if (!OPEN_STATES.includes(view.state)) throw new CaseStateInvalid(view.state, 'withdrawn')
        const { t } = pageContext(request)
        return showConfirmation(request, reply, {
          title: t('approvals.withdraw.confirmTitle'),
          facts: [[t('approvals.number'), view.number], [t('approvals.decide.item'), view.itemName], [t('approvals.withdraw.reasonShort'), reason || t('approvals.withdraw.noReason')]],
          consequences: [t('approvals.withdraw.effect', { number: view.number }), t('approvals.withdraw.again')],
          action: `/my/cases/${caseId}/withdrawal`,
          fields: { reason: request.body.reason },
          confirmLabel: t('approvals.withdraw.confirm'),
          backHref: `/my/cases/${caseId}`,
          destructive: true
        })
      }
      await cases().withdraw(actorOf(request), caseId, reason)
      return reply.redirect(`/my/cases/${caseId}?done=withdrawn`)
    } catch (error) {
      return refused(request, reply, error, {}, (errors) => showMyCase(request, reply, caseId, { ...errors, values: keptValues(request.body) }), 'withdraw')
    }
  })

  // the public progress query (the receipt's number and query code; no sign-in) ----------------------

  const ProgressForm = StrictObject({ number: Type.String({ maxLength: 60 }), queryCode: Type.String({ maxLength: 30 }) })
  const PROGRESS_FIELDS = { CASE_QUERY_FAILED: 'progress-code' }

  function showProgress (request: FastifyRequest, reply: FastifyReply, data: { number?: string, queryCode?: string, progress?: Awaited<ReturnType<CasesService['progress']>> | null, done?: string } & PageExtra) {
    return renderPage(request, reply, 'approvals/progress', { titleKey: 'approvals.progress.title', progress: null, number: '', queryCode: '', values: {}, ...data })
  }

  /** The number and the query code, both given, or the problems beside their fields. */
  function assertQuery (request: FastifyRequest, number: string, queryCode: string): void {
    const { t } = pageContext(request)
    assertNoProblems([
      ...(number.trim() ? [] : [{ field: 'progress-number', message: t('approvals.progress.numberMissing') }]),
      ...(queryCode.trim() ? [] : [{ field: 'progress-code', message: t('approvals.progress.codeMissing') }])
    ])
  }

  app.get('/progress', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ number: FormText(60) }) }
  }, async (request, reply) => showProgress(request, reply, { number: request.query.number ?? '' }))

  // a POST keeps the query code out of addresses, histories and access logs
  app.post('/progress', { config: { policy: 'public', rateLimit: PUBLIC_LIMIT }, schema: { body: ProgressForm } }, async (request, reply) => {
    const { number, queryCode } = request.body
    try {
      assertQuery(request, number, queryCode)
      return showProgress(request, reply, { number, queryCode, progress: await cases().progress(number, queryCode) })
    } catch (error) {
      return refused(request, reply, error, PROGRESS_FIELDS, (errors) => showProgress(request, reply, { number, ...errors }), 'progress')
    }
  })

  app.post('/progress/result', { config: { policy: 'public', rateLimit: PUBLIC_LIMIT }, schema: { body: ProgressForm } }, async (request, reply) => {
    const { number, queryCode } = request.body
    try {
      assertQuery(request, number, queryCode)
      const pdf = await cases().publicResult(number, queryCode)
      return reply.type('application/pdf').header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${number.replace(/[^A-Za-z0-9-]/g, '')}-result.pdf"`).send(pdf)
    } catch (error) {
      return refused(request, reply, error, PROGRESS_FIELDS, (errors) => showProgress(request, reply, { number, ...errors }), 'progress')
    }
  })

  app.post('/progress/rating', {
    config: { policy: 'public', rateLimit: PUBLIC_LIMIT },
    schema: { body: StrictObject({ ...ProgressForm.properties, level: FormText(1), comment: FormText(2000) }) }
  }, async (request, reply) => {
    const { number, queryCode, level, comment } = request.body
    try {
      const rated = Number(level)
      assertNoProblems(Number.isInteger(rated) && rated >= 1 && rated <= 5 ? [] : [{ field: 'rating-level', message: pageContext(request).t('approvals.rating.levelMissing') }])
      const progress = await cases().rate({ number, queryCode, level: rated, ...(optional(comment) ? { comment: comment!.trim() } : {}) })
      return showProgress(request, reply, { number, queryCode, progress, done: 'rated' })
    } catch (error) {
      return refused(request, reply, error, {}, async (errors) => showProgress(request, reply, {
        number, queryCode, progress: await cases().progress(number, queryCode).catch(() => null), ...errors, values: keptValues(request.body)
      }), 'rating')
    }
  })

  // the workbench queue: clerks, chief representatives (and readers of the department's cases) ------

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

  // supervision ---------------------------------------------------------------------------------------

  /** The rooms that keep this principal's dashboard live: the hall's, or each supervised department's. */
  function roomsFor (principal: Principal): string[] {
    const scopes = scopesFor(principal, 'supervision.read')
    return scopes === null ? ['supervision:hall'] : scopes.departmentIds.map((id) => `supervision:dept:${id}`)
  }

  async function showSupervision (request: FastifyRequest, reply: FastifyReply, extra: PageExtra = {}) {
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
      const { t } = pageContext(request)
      const caseId = optional(form.caseId)
      const days = form.replyWorkingDays.trim()
      assertNoProblems([
        ...(UUID.test(form.departmentId) ? [] : [{ field: 'letter-department', message: t('approvals.supervision.error.department') }]),
        ...(/^\d{1,2}$/.test(days) && Number(days) >= 1 && Number(days) <= 30 ? [] : [{ field: 'letter-days', message: t('approvals.supervision.error.days') }]),
        ...(form.subject.trim() ? [] : [{ field: 'letter-subject', message: t('approvals.supervision.error.subject') }]),
        ...(form.body.trim() ? [] : [{ field: 'letter-body', message: t('approvals.supervision.error.body') }]),
        ...(caseId === undefined || UUID.test(caseId) ? [] : [{ field: null, message: t('approvals.errors.CASE_NOT_FOUND') }])
      ])
      await cases().issueLetter(actorOf(request), {
        departmentId: form.departmentId, ...(caseId ? { caseId } : {}), subject: form.subject.trim(), body: form.body.trim(), replyWorkingDays: Number(days)
      })
      return reply.redirect('/supervision?done=letter')
    } catch (error) {
      return refused(request, reply, error, { LETTER_NOT_FOUND: 'letter-department' }, (errors) => showSupervision(request, reply, { ...errors, values: keptValues(form) }), 'letter')
    }
  })

  app.post('/supervision/letters/:letterId/reply', {
    config: { policy: 'supervision.reply' },
    schema: { params: StrictObject({ letterId: Uuid }), body: StrictObject({ reply: Type.String({ maxLength: 8000 }) }) }
  }, async (request, reply) => {
    const field = `reply-${request.params.letterId}`
    try {
      const text = request.body.reply.trim()
      assertNoProblems(text ? [] : [{ field, message: pageContext(request).t('approvals.errors.LETTER_REPLY_REQUIRED') }])
      await cases().replyLetter(actorOf(request), request.params.letterId, text)
      return reply.redirect('/supervision?done=replied')
    } catch (error) {
      return refused(request, reply, error, {}, (errors) => showSupervision(request, reply, { ...errors, values: keptValues(request.body) }), field)
    }
  })

  app.post('/supervision/rectifications/:rectificationId/report', {
    config: { policy: 'rectifications.handle' },
    schema: { params: StrictObject({ rectificationId: Uuid }), body: StrictObject({ report: Type.String({ maxLength: 8000 }) }) }
  }, async (request, reply) => {
    const field = `report-${request.params.rectificationId}`
    try {
      const text = request.body.report.trim()
      assertNoProblems(text ? [] : [{ field, message: pageContext(request).t('approvals.errors.RECTIFICATION_REPORT_REQUIRED') }])
      await cases().reportRectification(actorOf(request), request.params.rectificationId, text)
      return reply.redirect('/supervision?done=reported')
    } catch (error) {
      return refused(request, reply, error, {}, (errors) => showSupervision(request, reply, { ...errors, values: keptValues(request.body) }), field)
    }
  })
}
