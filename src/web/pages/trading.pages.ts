/**
 * Public-resource trading pages: the public announcements, their documents and the trading
 * schedule; the bidder's workspace (obtain documents, ask, object, bond, submit a bid sealed in
 * the browser, receipts); the agency's workspace (register projects, draft, issue documents,
 * publish, answer); the hall's project entry desk (accept into a room slot). Every page calls the
 * same services as the API, so the same rules and the same policy apply.
 */
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { TRADE_TYPES } from '../../../schema/trading.ts'
import { RegisterProjectSchema, TradeTypeSchema } from '../../modules/projects/projects.schemas.ts'
import { NothingToWithdraw } from '../../modules/bids/bids.errors.ts'
import { TenderStateInvalid } from '../../modules/tenders/tenders.errors.ts'
import { earliestLawfulTimetable } from '../../modules/tenders/tenders.rules.ts'
import { CreateTenderSchema, DocumentFieldsSchema, TenderInputSchema, type TenderInput } from '../../modules/tenders/tenders.schemas.ts'
import { serveBundle } from '../bundles.ts'
import { feeViewHelpers, yuanToFen } from '../fee-format.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { messagesWithPrefix } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import { bidReceiptsPages } from './bid-receipts.pages.ts'
import { orShowError, type ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const TenderParams = StrictObject({ tenderId: Uuid })

/** `YYYY-MM-DDTHH:mm` typed in the hall's time zone → RFC 3339. */
function shanghaiInstant (value: string | undefined): string {
  const text = value?.trim() ?? ''
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) return ''
  const instant = new Date(`${text}:00+08:00`)
  return Number.isNaN(instant.getTime()) ? '' : instant.toISOString()
}

/** RFC 3339 → the `datetime-local` value in the hall's time zone. */
function localInput (value: string | Date): string {
  return new Date(new Date(value).getTime() + 8 * 3_600_000).toISOString().slice(0, 16)
}

const DETAIL_FIELDS: Record<string, Array<{ name: string, kind: 'text' | 'integer' }>> = {
  construction_works: [{ name: 'site', kind: 'text' }, { name: 'scale', kind: 'text' }, { name: 'qualification', kind: 'text' }, { name: 'plannedDays', kind: 'integer' }],
  procurement: [{ name: 'method', kind: 'text' }, { name: 'budgetReference', kind: 'text' }, { name: 'deliveryPlace', kind: 'text' }],
  land_use_rights: [{ name: 'parcelNumber', kind: 'text' }, { name: 'location', kind: 'text' }, { name: 'areaSqm', kind: 'text' }, { name: 'landUse', kind: 'text' }, { name: 'tenureYears', kind: 'integer' }],
  mining_rights: [{ name: 'mineral', kind: 'text' }, { name: 'location', kind: 'text' }, { name: 'areaSqKm', kind: 'text' }, { name: 'licenceYears', kind: 'integer' }],
  state_property: [{ name: 'assetDescription', kind: 'text' }, { name: 'holder', kind: 'text' }, { name: 'appraisalReport', kind: 'text' }]
}
const detailGroup = (tradeType: string) => (tradeType.startsWith('procurement_') ? 'procurement' : tradeType)

export const tradingPages: FastifyPluginAsyncTypebox<{ production: boolean }> = async (app, { production }) => {
  const { projects, tenders, bids } = app.services
  const helpers = { ...feeViewHelpers, localInput, tradeTypes: TRADE_TYPES, detailFields: DETAIL_FIELDS, detailGroup }

  // the bid sealer: the shared sealed-bid format code bundled for the browser
  serveBundle(app, 'bid-sealer', production)
  // receipts of what the sealer sent, and their public verifier
  await app.register(bidReceiptsPages)

  // public ------------------------------------------------------------------------------------

  app.get('/tenders', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ tradeType: Type.Optional(TradeTypeSchema) }) }
  }, async (request, reply) => renderPage(request, reply, 'trading/tenders', {
    titleKey: 'tenders.title',
    tenders: await tenders.listTenders(null, { tradeType: request.query.tradeType, limit: 100 }),
    tradeType: request.query.tradeType ?? '',
    ...helpers
  }))

  app.get('/tenders/:tenderId', { config: { policy: 'public' }, schema: { params: TenderParams } }, async (request, reply) => {
    const tender = await tenders.getTender(request.principal, request.params.tenderId)
    const principal = request.principal
    return renderPage(request, reply, 'trading/tender', {
      title: tender.title,
      tender,
      isBidder: principal !== null && mayAttempt(principal, 'tenders.participate'),
      ...helpers
    })
  })

  app.get('/schedule', { config: { policy: 'public' } }, async (request, reply) => renderPage(request, reply, 'trading/schedule', {
    titleKey: 'schedule.title',
    bookings: await projects.schedule({ days: 31 }),
    ...helpers
  }))

  // bidders -----------------------------------------------------------------------------------

  app.get('/bidder', { config: { policy: 'tenders.participate' } }, async (request, reply) => renderPage(request, reply, 'trading/bidder-home', {
    titleKey: 'bidder.title',
    mine: await tenders.myTenders(actorOf(request)),
    ...helpers
  }))

  app.post('/tenders/:tenderId/register', { config: { policy: 'tenders.participate' }, schema: { params: TenderParams } }, async (request, reply) => {
    try {
      await tenders.register(actorOf(request), request.params.tenderId)
      return reply.redirect(`/bidder/tenders/${request.params.tenderId}`)
    } catch (error) {
      return orShowError(request, reply, error, async (shown) => renderPage(request, reply, 'trading/tender', {
        title: '', tender: await tenders.getTender(request.principal, request.params.tenderId), isBidder: true, ...shown, ...helpers
      }))
    }
  })

  /** What the sealer says in the page's language, and its words for every refusal the API may give. */
  function sealerMessages (request: FastifyRequest): Record<string, string> {
    const { lang, t } = pageContext(request)
    return { ...messagesWithPrefix(lang, 'sealer.'), ...messagesWithPrefix(lang, 'errors.'), 'form.errorSummary': t('form.errorSummary') }
  }

  async function showWorkspace (request: FastifyRequest, reply: FastifyReply, tenderId: string, extra: Partial<ShownError> & { done?: string } = {}) {
    const actor = actorOf(request)
    const tender = await tenders.getTender(actor.principal, tenderId)
    const registration = await tenders.myRegistration(actor, tenderId)
    const open = registration.documentsOpen
    return renderPage(request, reply, 'trading/bidder-tender', {
      title: tender.title,
      tender,
      registration,
      questions: open ? await tenders.listQuestions(actor, tenderId) : [],
      objections: open ? await tenders.listObjections(actor, tenderId) : [],
      bond: open && tender.bondFen > 0 ? await bids.myBond(actor, tenderId) : null,
      submissions: await bids.mySubmissions(actor, tenderId),
      withdrawKey: `withdraw-${crypto.randomUUID()}`,
      sealerMessages: sealerMessages(request),
      ...extra,
      ...helpers
    })
  }

  app.get('/bidder/tenders/:tenderId', {
    config: { policy: 'tenders.participate' },
    schema: { params: TenderParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showWorkspace(request, reply, request.params.tenderId, { done: request.query.done }))

  /** A bidder's form action: on refusal the workspace shows again with the reason. */
  function bidderAction<B> (url: string, body: ReturnType<typeof StrictObject>, act: (request: FastifyRequest & { body: B, params: { tenderId: string } }) => Promise<unknown>, done: string) {
    app.post(url, { config: { policy: 'tenders.participate' }, schema: { params: TenderParams, body } }, async (request, reply) => {
      const typed = request as unknown as FastifyRequest & { body: B, params: { tenderId: string } }
      try {
        await act(typed)
        return reply.redirect(`/bidder/tenders/${typed.params.tenderId}?done=${done}`)
      } catch (error) {
        return orShowError(request, reply, error, (shown) => showWorkspace(request, reply, typed.params.tenderId, shown))
      }
    })
  }

  bidderAction<{ question: string }>('/bidder/tenders/:tenderId/questions', StrictObject({ question: Type.String({ maxLength: 4000 }) }),
    (request) => tenders.ask(actorOf(request), request.params.tenderId, request.body.question.trim()), 'asked')
  bidderAction<{ text: string }>('/bidder/tenders/:tenderId/objections', StrictObject({ text: Type.String({ maxLength: 8000 }) }),
    (request) => tenders.object(actorOf(request), request.params.tenderId, request.body.text.trim()), 'objected')
  bidderAction<Record<string, never>>('/bidder/tenders/:tenderId/bond', StrictObject({}),
    (request) => bids.requestBondNotice(actorOf(request), request.params.tenderId), 'bond')

  // withdrawing a bid is binding: the bidder first reads what it ends and what stays possible (confirm.ts)
  app.post('/bidder/tenders/:tenderId/withdraw', {
    config: { policy: 'tenders.participate' },
    schema: { params: TenderParams, body: StrictObject({ idempotencyKey: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }), ...ConfirmField }) }
  }, async (request, reply) => {
    const { tenderId } = request.params
    const { idempotencyKey } = request.body
    try {
      if (!isConfirmed(request.body)) {
        const actor = actorOf(request)
        const [tender, submissions] = await Promise.all([tenders.getTender(actor.principal, tenderId), bids.mySubmissions(actor, tenderId)])
        const latest = submissions.at(-1)
        if (!latest || latest.kind !== 'bid' || tender.status !== 'bidding') throw new NothingToWithdraw()
        const { t, lang } = pageContext(request)
        const deadline = feeViewHelpers.deadline(tender.bidDeadline, lang)
        return showConfirmation(request, reply, {
          title: t('bidder.withdrawConfirm.title'),
          facts: [[t('bidder.withdrawConfirm.tender'), tender.title], [t('bidder.withdrawConfirm.code'), tender.code], [t('bidder.withdrawConfirm.version'), t('bidder.withdrawConfirm.versionValue', { version: latest.version, time: pageContext(request).time(latest.receivedAt) })], [t('tender.bidDeadline'), deadline]],
          consequences: [t('bidder.withdrawConfirm.effect', { title: tender.title }), t('bidder.withdrawConfirm.again', { deadline }), t('bidder.withdrawConfirm.receipt')],
          action: `/bidder/tenders/${tenderId}/withdraw`,
          fields: { idempotencyKey },
          confirmLabel: t('bidder.withdrawConfirm.button'),
          backHref: `/bidder/tenders/${tenderId}#submissions`,
          destructive: true
        })
      }
      await bids.withdraw(actorOf(request), { tenderId, idempotencyKey })
      return reply.redirect(`/bidder/tenders/${tenderId}?done=withdrawn`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showWorkspace(request, reply, tenderId, shown))
    }
  })

  // agencies and tenderers ----------------------------------------------------------------------

  async function showAgency (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { values?: Record<string, string> } = {}) {
    const actor = actorOf(request)
    return renderPage(request, reply, 'trading/agency-home', {
      titleKey: 'agency.title',
      projects: await projects.listProjects(actor, { limit: 100 }),
      tenders: await tenders.listTenders(actor.principal, { mine: true, limit: 100 }),
      canRegister: mayAttempt(actor.principal, 'projects.register'),
      // the draft form proposes the earliest lawful timetable from now
      lawful: earliestLawfulTimetable(app.calendar.current(), app.clock.now()),
      values: {},
      ...extra,
      ...helpers
    })
  }

  app.get('/agency', { config: { policy: 'tenders.manage' } }, async (request, reply) => showAgency(request, reply))

  const ProjectForm = StrictObject({
    tradeType: TradeTypeSchema,
    name: FormText(200),
    tendererName: FormText(200),
    tendererCreditCode: FormText(18),
    agencyName: FormText(200),
    estimateYuan: FormText(20),
    priceCeilingYuan: FormText(20),
    fundingSource: FormText(200),
    mandatoryTendering: Type.Optional(Type.Literal('true')),
    ...Object.fromEntries(Object.values(DETAIL_FIELDS).flat().map((field) => [`detail_${field.name}`, FormText(500)]))
  })

  app.post('/agency/projects', { config: { policy: 'projects.register' }, schema: { body: ProjectForm } }, async (request, reply) => {
    const form = request.body as Record<string, string | undefined>
    try {
      const details = Object.fromEntries(DETAIL_FIELDS[detailGroup(request.body.tradeType)]!.map((field) => {
        const value = optional(form[`detail_${field.name}`])
        return [field.name, field.kind === 'integer' && value !== undefined ? Number(value) : value]
      }).filter(([, value]) => value !== undefined))
      const input = checked(RegisterProjectSchema, {
        tradeType: request.body.tradeType,
        name: optional(request.body.name),
        tendererName: optional(request.body.tendererName),
        tendererCreditCode: optional(request.body.tendererCreditCode),
        ...(optional(request.body.agencyName) ? { agencyName: optional(request.body.agencyName) } : {}),
        estimateFen: yuanToFen(request.body.estimateYuan),
        ...(optional(request.body.priceCeilingYuan) ? { priceCeilingFen: yuanToFen(request.body.priceCeilingYuan) } : {}),
        fundingSource: optional(request.body.fundingSource),
        mandatoryTendering: request.body.mandatoryTendering === 'true',
        details
      })
      await projects.registerProject(actorOf(request), input)
      return reply.redirect('/agency?done=registered')
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showAgency(request, reply, { ...shown, values: form as Record<string, string> }))
    }
  })

  const DraftForm = StrictObject({
    title: FormText(200),
    announcement: FormText(20_000),
    documentsFrom: FormText(20),
    saleUntil: FormText(20),
    bidDeadline: FormText(20),
    bondYuan: FormText(20),
    bondFeeCode: FormText(32),
    documentFeeCode: FormText(32),
    maxBidMegabytes: FormText(5),
    evaluationMethod: Type.Union(['comprehensive', 'lowest_evaluated_price', 'reasonable_lowest_price', 'highest_price'].map((method) => Type.Literal(method)))
  })
  const TenderForm = StrictObject({ projectId: Uuid, ...DraftForm.properties })
  type DraftFormValues = Static<typeof DraftForm>

  /** The draft form's fields as the API's tender input (drafting and editing share the form). */
  function tenderInputOf (form: DraftFormValues, openingFields: TenderInput['openingFields']) {
    return {
      title: optional(form.title),
      announcement: optional(form.announcement),
      documentsFrom: shanghaiInstant(form.documentsFrom),
      saleUntil: shanghaiInstant(form.saleUntil),
      bidDeadline: shanghaiInstant(form.bidDeadline),
      ...(optional(form.bondYuan) ? { bond: { amountFen: yuanToFen(form.bondYuan), feeCode: optional(form.bondFeeCode) } } : {}),
      ...(optional(form.documentFeeCode) ? { documentFeeCode: optional(form.documentFeeCode) } : {}),
      ...(optional(form.maxBidMegabytes) ? { maxBidMegabytes: Number(form.maxBidMegabytes) } : {}),
      openingFields,
      evaluationMethod: { method: form.evaluationMethod }
    }
  }

  // the usual opening record of a works tender; other field sets through the API
  const WORKS_OPENING_FIELDS: TenderInput['openingFields'] = [
    { key: 'priceFen', label: '投标报价', kind: 'fen', required: true },
    { key: 'durationDays', label: '工期（日历天）', kind: 'days', required: true },
    { key: 'quality', label: '质量标准', kind: 'text', required: false }
  ]

  app.post('/agency/tenders', { config: { policy: 'tenders.manage' }, schema: { body: TenderForm } }, async (request, reply) => {
    const form = request.body
    try {
      const input = checked(CreateTenderSchema, { projectId: form.projectId, ...tenderInputOf(form, WORKS_OPENING_FIELDS) })
      const tender = await tenders.createTender(actorOf(request), input)
      return reply.redirect(`/agency/tenders/${tender.id}`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showAgency(request, reply, { ...shown, values: form as unknown as Record<string, string> }))
    }
  })

  app.post('/agency/tenders/:tenderId/draft', { config: { policy: 'tenders.manage' }, schema: { params: TenderParams, body: DraftForm } }, async (request, reply) => {
    const actor = actorOf(request)
    const tenderId = request.params.tenderId
    try {
      const current = await tenders.getTender(actor.principal, tenderId)
      const input = checked(TenderInputSchema, tenderInputOf(request.body, current.openingFields))
      await tenders.updateDraft(actor, tenderId, input)
      return reply.redirect(`/agency/tenders/${tenderId}?done=saved`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showAgencyTender(request, reply, tenderId, shown))
    }
  })

  async function showAgencyTender (request: FastifyRequest, reply: FastifyReply, tenderId: string, extra: Partial<ShownError> & Partial<FormErrors> & { done?: string, values?: Record<string, string | string[]> } = {}) {
    const actor = actorOf(request)
    const { tender: row } = await tenders.ownTender(actor, tenderId)
    const tender = await tenders.getTender(actor.principal, row.id)
    const afterDeadline = !['draft', 'published', 'bidding'].includes(tender.status)
    return renderPage(request, reply, 'trading/agency-tender', {
      title: tender.title,
      tender,
      questions: tender.status === 'draft' ? [] : await tenders.listQuestions(actor, tenderId),
      objections: tender.status === 'draft' ? [] : await tenders.listObjections(actor, tenderId),
      participation: afterDeadline ? await tenders.participation(actor, tenderId) : null,
      bids: afterDeadline ? await bids.tenderBids(actor, tenderId) : [],
      ...extra,
      ...helpers
    })
  }

  app.get('/agency/tenders/:tenderId', {
    config: { policy: 'tenders.manage' },
    schema: { params: TenderParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showAgencyTender(request, reply, request.params.tenderId, { done: request.query.done }))

  function agencyAction<P extends { tenderId: string } | { questionId: string } | { objectionId: string }, B> (
    url: string, params: ReturnType<typeof StrictObject>, body: ReturnType<typeof StrictObject> | null,
    act: (request: FastifyRequest & { body: B, params: P }) => Promise<{ tenderId: string }>, done: string
  ) {
    app.post(url, { config: { policy: 'tenders.manage' }, schema: { params, ...(body ? { body } : {}) } }, async (request, reply) => {
      const typed = request as unknown as FastifyRequest & { body: B, params: P }
      try {
        const { tenderId } = await act(typed)
        return reply.redirect(`/agency/tenders/${tenderId}?done=${done}`)
      } catch (error) {
        const tenderId = 'tenderId' in typed.params ? typed.params.tenderId : String((typed.body as { tenderId?: string } | undefined)?.tenderId ?? '')
        return orShowError(request, reply, error, (shown) => showAgencyTender(request, reply, tenderId, shown))
      }
    })
  }

  agencyAction<{ tenderId: string }, never>('/agency/tenders/:tenderId/publish', TenderParams, null,
    async (request) => tenders.publish(actorOf(request), request.params.tenderId).then((tender) => ({ tenderId: tender.id })), 'published')
  // cancelling a tender ends its procedure for every bidder: the agency reads what follows, then confirms (confirm.ts)
  app.post('/agency/tenders/:tenderId/cancel', {
    config: { policy: 'tenders.manage' },
    schema: { params: TenderParams, body: StrictObject({ reason: FormText(1000), ...ConfirmField }) }
  }, async (request, reply) => {
    const { tenderId } = request.params
    const reason = request.body.reason?.trim() ?? ''
    try {
      const { t } = pageContext(request)
      assertNoProblems(reason ? [] : [{ field: 'cancel-reason', message: t('agency.cancelConfirm.reasonMissing') }])
      if (!isConfirmed(request.body)) {
        const tender = await tenders.getTender(actorOf(request).principal, tenderId)
        if (!['draft', 'published', 'bidding'].includes(tender.status)) throw new TenderStateInvalid(tender.status, 'only a tender before its bid deadline can be cancelled')
        const stage = tender.status === 'draft' ? 'draft' : 'published'
        return showConfirmation(request, reply, {
          title: t('agency.cancelConfirm.title'),
          facts: [[t('agency.cancelConfirm.tender'), tender.title], [t('agency.cancelConfirm.code'), tender.code], [t('agency.cancelConfirm.status'), t(`tenderStatus.${tender.status}`)], [t('agency.cancelReason'), reason]],
          consequences: [...(stage === 'draft' ? ['agency.cancelConfirm.draft'] : ['agency.cancelConfirm.notice', 'agency.cancelConfirm.bids', 'agency.cancelConfirm.bonds']).map((key) => t(key)), t('agency.cancelConfirm.final')],
          action: `/agency/tenders/${tenderId}/cancel`,
          fields: { reason },
          confirmLabel: t('agency.cancelConfirm.button'),
          backHref: `/agency/tenders/${tenderId}`,
          destructive: true
        })
      }
      await tenders.cancel(actorOf(request), tenderId, reason)
      return reply.redirect(`/agency/tenders/${tenderId}?done=cancelled`)
    } catch (error) {
      const problems = refusalProblems(request, error, {})
      reply.code((error as { statusCode: number }).statusCode)
      return showAgencyTender(request, reply, tenderId, { ...formErrors(problems, 'cancel'), values: keptValues(request.body) })
    }
  })
  agencyAction<{ questionId: string }, { tenderId: string, answer: string, affectsBids?: 'true', newBidDeadline?: string }>('/agency/questions/:questionId/answer', StrictObject({ questionId: Uuid }),
    StrictObject({ tenderId: Uuid, answer: Type.String({ minLength: 1, maxLength: 8000 }), affectsBids: Type.Optional(Type.Literal('true')), newBidDeadline: FormText(20) }),
    async (request) => {
      const newBidDeadline = shanghaiInstant(request.body.newBidDeadline)
      const answered = await tenders.answerQuestion(actorOf(request), request.params.questionId, { answer: request.body.answer, affectsBids: request.body.affectsBids === 'true', ...(newBidDeadline ? { newBidDeadline } : {}) })
      return { tenderId: answered.tenderId }
    }, 'answered')
  agencyAction<{ objectionId: string }, { tenderId: string, answer: string }>('/agency/objections/:objectionId/answer', StrictObject({ objectionId: Uuid }),
    StrictObject({ tenderId: Uuid, answer: Type.String({ minLength: 1, maxLength: 8000 }) }),
    async (request) => tenders.answerObjection(actorOf(request), request.params.objectionId, request.body.answer).then((objection) => ({ tenderId: objection.tenderId })), 'answered')

  // documents arrive as multipart forms (a file of up to 512 MB streams straight to the store)
  app.post('/agency/tenders/:tenderId/documents', { config: { policy: 'tenders.manage' }, schema: { params: TenderParams } }, async (request, reply) => {
    const raw: Record<string, string> = {}
    const tenderId = request.params.tenderId
    try {
      let issued = false
      for await (const part of request.parts({ limits: { files: 1, fields: 10, fieldSize: 64 * 1024 } })) {
        if (part.type === 'field') {
          raw[part.fieldname] = String(part.value)
          continue
        }
        const file = part as MultipartFile
        const fields = documentFieldsOf(raw)
        if (!file.filename) {
          file.file.resume()
          await tenders.issueDocument(actorOf(request), tenderId, fields, null)
        } else {
          await tenders.issueDocument(actorOf(request), tenderId, fields, { name: file.filename.slice(0, 200), stream: file.file })
        }
        issued = true
      }
      if (!issued) await tenders.issueDocument(actorOf(request), tenderId, documentFieldsOf(raw), null)
      return reply.redirect(`/agency/tenders/${tenderId}?done=issued`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showAgencyTender(request, reply, tenderId, shown))
    }
  })

  function documentFieldsOf (raw: Record<string, string>) {
    const newBidDeadline = shanghaiInstant(raw.newBidDeadline)
    return checked(DocumentFieldsSchema, {
      kind: raw.kind,
      title: optional(raw.title),
      ...(optional(raw.body) ? { body: raw.body!.trim() } : {}),
      affectsBids: raw.affectsBids === 'true',
      ...(newBidDeadline ? { newBidDeadline } : {})
    })
  }

  // the hall's project entry desk -----------------------------------------------------------------

  async function showHall (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> = {}) {
    const actor = actorOf(request)
    return renderPage(request, reply, 'trading/hall-projects', {
      titleKey: 'hallProjects.title',
      pending: await projects.listProjects(actor, { status: 'registered', limit: 100 }),
      venues: await projects.listVenues(),
      bookings: await projects.schedule({ days: 31 }),
      canManageVenues: mayAttempt(actor.principal, 'venues.manage'),
      ...extra,
      ...helpers
    })
  }

  app.get('/hall/projects', { config: { policy: 'projects.accept' } }, async (request, reply) => showHall(request, reply))

  app.post('/hall/projects/:projectId/decision', {
    config: { policy: 'projects.accept' },
    schema: {
      params: StrictObject({ projectId: Uuid }),
      body: StrictObject({ decision: Type.Union([Type.Literal('accept'), Type.Literal('reject')]), venueId: Type.Optional(Uuid), startsAt: FormText(20), minutes: FormText(4), reason: FormText(1000) })
    }
  }, async (request, reply) => {
    const form = request.body
    try {
      const startsAt = shanghaiInstant(form.startsAt)
      const decision = form.decision === 'accept'
        ? { decision: 'accept' as const, slot: { venueId: form.venueId ?? '', startsAt, endsAt: startsAt ? new Date(Date.parse(startsAt) + Number(form.minutes ?? 120) * 60_000).toISOString() : '' } }
        : { decision: 'reject' as const, reason: form.reason?.trim() ?? '' }
      await projects.decideProject(actorOf(request), request.params.projectId, decision)
      return reply.redirect('/hall/projects?done=decided')
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showHall(request, reply, shown))
    }
  })

  app.post('/hall/venues', {
    config: { policy: 'venues.manage' },
    schema: { body: StrictObject({ code: Type.String({ maxLength: 16 }), name: Type.String({ maxLength: 100 }), seats: FormText(5) }) }
  }, async (request, reply) => {
    try {
      await projects.createVenue(actorOf(request), { code: request.body.code.trim().toUpperCase(), name: request.body.name.trim(), seats: Number(request.body.seats ?? 0) })
      return reply.redirect('/hall/projects')
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showHall(request, reply, shown))
    }
  })
}
