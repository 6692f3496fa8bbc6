/**
 * The agency's workspace (tenderers and their agencies): register a project, draft and edit a
 * tender, issue its documents, publish it, answer questions and objections, cancel. Each form
 * refuses in place (form-problems.ts); publishing and issuing a document bind, so the agency
 * first reads what follows and confirms (confirm.ts). The same services as the API act.
 */
import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { RegisterProjectSchema } from '../../modules/projects/projects.schemas.ts'
import { TenderStateInvalid } from '../../modules/tenders/tenders.errors.ts'
import { earliestLawfulTimetable } from '../../modules/tenders/tenders.rules.ts'
import { CreateTenderSchema, DocumentFieldsSchema, TenderInputSchema, type DocumentFields, type TenderInput, type TenderView } from '../../modules/tenders/tenders.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import {
  changeProblems, documentField, documentKindsFor, feeProblem, publicationProblems, readDocumentFields, readProjectForm, readTenderForm
} from './trading-agency-forms.ts'
import { DETAIL_FIELDS, fieldIds, shanghaiInstant, textWithin, tradingHelpers, unless } from './trading-shared.ts'

/** Form text: bounded for the parser, generously; each field's own limit is checked in place. */
const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const TenderParams = StrictObject({ tenderId: Uuid })
const Done = StrictObject({ done: FormText(20) })
const statusOf = (error: unknown) => (error as { statusCode: number }).statusCode

// the usual opening record of a works tender; other field sets through the API
const WORKS_OPENING_FIELDS: TenderInput['openingFields'] = [
  { key: 'priceFen', label: '投标报价', kind: 'fen', required: true },
  { key: 'durationDays', label: '工期（日历天）', kind: 'days', required: true },
  { key: 'quality', label: '质量标准', kind: 'text', required: false }
]

/** A document's file between the form and its confirmation (the confirmation page cannot carry it). */
const pendingKey = (tenderId: string, id: string) => `pending/tender-documents/${tenderId}/${id}`

export const tradingAgencyPages: FastifyPluginAsyncTypebox = async (app) => {
  const { projects, tenders, bids } = app.services

  type Extra = Partial<FormErrors> & { done?: string, values?: Record<string, string | string[]>, reselect?: boolean }

  async function showAgency (request: FastifyRequest, reply: FastifyReply, extra: Extra = {}) {
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
      ...tradingHelpers
    })
  }

  async function showAgencyTender (request: FastifyRequest, reply: FastifyReply, tenderId: string, extra: Extra = {}) {
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
      documentKinds: documentKindsFor(tender.status),
      values: {},
      ...extra,
      ...tradingHelpers
    })
  }

  app.get('/agency', { config: { policy: 'tenders.manage' }, schema: { querystring: Done } }, async (request, reply) => showAgency(request, reply, { done: request.query.done }))

  app.get('/agency/tenders/:tenderId', { config: { policy: 'tenders.manage' }, schema: { params: TenderParams, querystring: Done } },
    async (request, reply) => showAgencyTender(request, reply, request.params.tenderId, { done: request.query.done }))

  // project entry -----------------------------------------------------------------------------------

  const ProjectForm = StrictObject({
    tradeType: FormText(40),
    name: FormText(1000),
    tendererName: FormText(1000),
    tendererCreditCode: FormText(100),
    agencyName: FormText(1000),
    estimateYuan: FormText(100),
    priceCeilingYuan: FormText(100),
    fundingSource: FormText(1000),
    mandatoryTendering: Type.Optional(Type.Literal('true')),
    ...Object.fromEntries(Object.values(DETAIL_FIELDS).flat().map((field) => [`detail_${field.name}`, FormText(2000)]))
  })

  app.post('/agency/projects', { config: { policy: 'projects.register' }, schema: { body: ProjectForm } }, async (request, reply) => {
    try {
      const { problems, rules, input } = readProjectForm(pageContext(request).t, request.body as Record<string, string | undefined>)
      assertNoProblems([...problems, ...rules], problems.length > 0 ? 400 : 422)
      await projects.registerProject(actorOf(request), checked(RegisterProjectSchema, input))
      return reply.redirect('/agency?done=registered')
    } catch (error) {
      const problems = refusalProblems(request, error, {})
      reply.code(statusOf(error))
      return showAgency(request, reply, { ...formErrors(problems, 'project'), values: keptValues(request.body) })
    }
  })

  // drafting --------------------------------------------------------------------------------------------

  const DraftForm = {
    title: FormText(1000),
    announcement: FormText(40_000),
    documentsFrom: FormText(40),
    saleUntil: FormText(40),
    bidDeadline: FormText(40),
    bondYuan: FormText(100),
    bondFeeCode: FormText(100),
    documentFeeCode: FormText(100),
    maxBidMegabytes: FormText(40),
    evaluationMethod: FormText(40)
  }

  /** The draft's fields refused: the form's own problems, a fee item beside its field, any other refusal. */
  function draftProblems (request: FastifyRequest, error: unknown, form: Record<string, string | undefined>, id: (name: string) => string): FormProblem[] {
    const fee = feeProblem(pageContext(request).t, error, form, id)
    return fee ? [fee] : refusalProblems(request, error, {})
  }

  app.post('/agency/tenders', { config: { policy: 'tenders.manage' }, schema: { body: StrictObject({ projectId: Uuid, ...DraftForm }) } }, async (request, reply) => {
    const form = request.body
    const prefix = `draft-${form.projectId}`
    try {
      const { problems, input } = readTenderForm(pageContext(request).t, form, fieldIds(prefix))
      assertNoProblems(problems)
      const tender = await tenders.createTender(actorOf(request), checked(CreateTenderSchema, { projectId: form.projectId, ...input, openingFields: WORKS_OPENING_FIELDS }))
      return reply.redirect(`/agency/tenders/${tender.id}`)
    } catch (error) {
      const problems = draftProblems(request, error, form, fieldIds(prefix))
      reply.code(statusOf(error))
      return showAgency(request, reply, { ...formErrors(problems, prefix), values: keptValues(form) })
    }
  })

  app.post('/agency/tenders/:tenderId/draft', { config: { policy: 'tenders.manage' }, schema: { params: TenderParams, body: StrictObject(DraftForm) } }, async (request, reply) => {
    const actor = actorOf(request)
    const { tenderId } = request.params
    try {
      const { problems, input } = readTenderForm(pageContext(request).t, request.body, fieldIds('draft'))
      assertNoProblems(problems)
      const current = await tenders.getTender(actor.principal, tenderId)
      await tenders.updateDraft(actor, tenderId, checked(TenderInputSchema, { ...input, openingFields: current.openingFields }))
      return reply.redirect(`/agency/tenders/${tenderId}?done=saved`)
    } catch (error) {
      const problems = draftProblems(request, error, request.body, fieldIds('draft'))
      reply.code(statusOf(error))
      return showAgencyTender(request, reply, tenderId, { ...formErrors(problems, 'draft'), values: keptValues(request.body) })
    }
  })

  // publication ----------------------------------------------------------------------------------------

  /**
   * Publishing binds: the announcement and documents become public and the timetable holds. What
   * would refuse it is said first, beside the draft's fields; then the agency reads what follows
   * (and any timing it publishes with as a warning) and confirms.
   */
  app.post('/agency/tenders/:tenderId/publish', {
    config: { policy: 'tenders.manage' },
    schema: { params: TenderParams, body: Type.Optional(StrictObject({ ...ConfirmField })) }
  }, async (request, reply) => {
    const { tenderId } = request.params
    const actor = actorOf(request)
    const { t, lang } = pageContext(request)
    try {
      const tender = await tenders.getTender(actor.principal, (await tenders.ownTender(actor, tenderId)).tender.id)
      if (tender.status !== 'draft') throw new TenderStateInvalid(tender.status, 'only a draft can be published')
      const { problems, warnings } = publicationProblems(t, app.calendar.current(), tender, app.clock.now(), fieldIds('draft'), documentField('file'))
      assertNoProblems(problems, 422)
      if (!isConfirmed(request.body)) {
        const when = (value: string) => tradingHelpers.deadline(value, lang)
        const latest = tender.documents.filter((document) => document.kind === 'tender_documents').at(-1)!
        return showConfirmation(request, reply, {
          title: t('agency.publishConfirm.title'),
          facts: [
            [t('agency.cancelConfirm.tender'), tender.title],
            [t('agency.cancelConfirm.code'), tender.code],
            [t('tender.documentsFrom'), when(tender.documentsFrom)],
            [t('agency.saleUntil'), when(tender.saleUntil)],
            [t('tender.bidDeadline'), when(tender.bidDeadline)],
            [t('tender.bond'), tender.bondFen > 0 ? tradingHelpers.money(tender.bondFen) : t('tender.none')],
            [t('agency.publishConfirm.documents'), t('agency.publishConfirm.documentsValue', { title: latest.title, version: latest.version })]
          ],
          consequences: [
            t('agency.publishConfirm.public'),
            t('agency.publishConfirm.timetable', { from: when(tender.documentsFrom), sale: when(tender.saleUntil), deadline: when(tender.bidDeadline) }),
            t('agency.publishConfirm.changes'),
            ...(warnings.length > 0 ? [t('agency.publishConfirm.warnings', { list: warnings.join(' ') })] : [])
          ],
          action: `/agency/tenders/${tenderId}/publish`,
          fields: {},
          confirmLabel: t('agency.publishConfirm.button'),
          backHref: `/agency/tenders/${tenderId}`
        })
      }
      await tenders.publish(actor, tenderId)
      return reply.redirect(`/agency/tenders/${tenderId}?done=published`)
    } catch (error) {
      const problems = refusalProblems(request, error, { TENDER_DOCUMENTS_MISSING: documentField('file') })
      reply.code(statusOf(error))
      return showAgencyTender(request, reply, tenderId, formErrors(problems, 'publish'))
    }
  })

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
      reply.code(statusOf(error))
      return showAgencyTender(request, reply, tenderId, { ...formErrors(problems, 'cancel'), values: keptValues(request.body) })
    }
  })

  // answers ------------------------------------------------------------------------------------------------

  /** Timing of an answer that goes out as a clarification, judged before the service judges it again. */
  async function answerTiming (request: FastifyRequest, tenderId: string, change: { affectsBids: boolean, newBidDeadline?: string }, field: string) {
    const tender = await tenders.getTender(actorOf(request).principal, tenderId)
    if (!['published', 'bidding'].includes(tender.status)) return
    assertNoProblems(changeProblems(pageContext(request).t, app.calendar.current(), tender, change, app.clock.now(), field), 422)
  }

  app.post('/agency/questions/:questionId/answer', {
    config: { policy: 'tenders.manage' },
    schema: {
      params: StrictObject({ questionId: Uuid }),
      body: StrictObject({ tenderId: Uuid, answer: FormText(16_000), affectsBids: Type.Optional(Type.Literal('true')), newBidDeadline: FormText(40) })
    }
  }, async (request, reply) => {
    const { questionId } = request.params
    const { tenderId } = request.body
    const answerId = `answer-${questionId}`
    const deadlineId = `answer-deadline-${questionId}`
    try {
      const { t } = pageContext(request)
      const answer = textWithin(request.body.answer, 8000)
      const deadlineGiven = (request.body.newBidDeadline ?? '').trim() !== ''
      const newBidDeadline = shanghaiInstant(request.body.newBidDeadline)
      assertNoProblems([
        ...unless(answer !== null, answerId, t('agency.error.answer')),
        ...unless(!deadlineGiven || newBidDeadline !== '', deadlineId, t('agency.error.newBidDeadline'))
      ])
      const change = { affectsBids: request.body.affectsBids === 'true', ...(newBidDeadline ? { newBidDeadline } : {}) }
      await answerTiming(request, tenderId, change, deadlineId)
      const answered = await tenders.answerQuestion(actorOf(request), questionId, { answer: answer!, ...change })
      return reply.redirect(`/agency/tenders/${answered.tenderId}?done=answered`)
    } catch (error) {
      const problems = refusalProblems(request, error, { DEADLINE_MAY_ONLY_MOVE_LATER: deadlineId, CLARIFICATION_TOO_LATE: deadlineId, DEADLINE_IN_PAST: deadlineId })
      reply.code(statusOf(error))
      return showAgencyTender(request, reply, tenderId, { ...formErrors(problems, answerId), values: keptValues(request.body) })
    }
  })

  app.post('/agency/objections/:objectionId/answer', {
    config: { policy: 'tenders.manage' },
    schema: { params: StrictObject({ objectionId: Uuid }), body: StrictObject({ tenderId: Uuid, answer: FormText(16_000) }) }
  }, async (request, reply) => {
    const { objectionId } = request.params
    const { tenderId } = request.body
    const answerId = `objection-answer-${objectionId}`
    try {
      const answer = textWithin(request.body.answer, 8000)
      assertNoProblems(unless(answer !== null, answerId, pageContext(request).t('agency.error.answer')))
      const answered = await tenders.answerObjection(actorOf(request), objectionId, answer!)
      return reply.redirect(`/agency/tenders/${answered.tenderId}?done=answered`)
    } catch (error) {
      const problems = refusalProblems(request, error, {})
      reply.code(statusOf(error))
      return showAgencyTender(request, reply, tenderId, { ...formErrors(problems, answerId), values: keptValues(request.body) })
    }
  })

  // documents --------------------------------------------------------------------------------------------

  /**
   * Documents arrive as multipart forms (a file of up to 512 MB streams to the store). Issuing one
   * binds: its version and SHA-256 stay for good, and after publication it goes out to every
   * bidder at once. The first post checks the fields, keeps the file aside and shows what will be
   * issued (the file's fingerprint included); the confirmation posts the fields again with the
   * file's pending id, or a client posts the file itself with confirm=1.
   */
  app.post('/agency/tenders/:tenderId/documents', { config: { policy: 'tenders.manage' }, schema: { params: TenderParams } }, async (request, reply) => {
    const { tenderId } = request.params
    const actor = actorOf(request)
    const { t } = pageContext(request)
    const raw: Record<string, string> = {}
    let pending: { id: string, name: string, size: number, sha256: string } | null = null
    let chosen = false
    let issued = false
    try {
      const tender = await tenders.getTender(actor.principal, (await tenders.ownTender(actor, tenderId)).tender.id)
      /** The fields, read once a file came (or it is known none comes); with the timing of a change. */
      const fieldsOf = (withFile: boolean): DocumentFields => {
        const { problems, fields } = readDocumentFields(t, tender.status, raw, withFile)
        assertNoProblems(problems)
        if (tender.status !== 'draft') assertNoProblems(changeProblems(t, app.calendar.current(), tender, { affectsBids: fields.affectsBids ?? false, newBidDeadline: fields.newBidDeadline }, app.clock.now(), documentField('deadline')), 422)
        return checked(DocumentFieldsSchema, fields)
      }
      for await (const part of request.parts({ limits: { files: 1, fields: 12, fieldSize: 64 * 1024 } })) {
        if (part.type === 'field') {
          raw[part.fieldname] = String(part.value)
          continue
        }
        const file = part as MultipartFile
        if (!file.filename) {
          file.file.resume()
          continue
        }
        chosen = true
        let fields: DocumentFields
        try {
          fields = fieldsOf(true)
        } catch (error) {
          file.file.resume()
          throw error
        }
        const name = file.filename.slice(0, 200)
        if (raw.confirm === '1') {
          await tenders.issueDocument(actor, tenderId, fields, { name, stream: file.file })
          issued = true
          continue
        }
        const id = randomUUID()
        const stored = await app.store.put(pendingKey(tenderId, id), file.file, { contentType: 'application/octet-stream', maxBytes: 512 * 1024 * 1024 })
        pending = { id, name, size: stored.size, sha256: stored.sha256 }
      }
      if (issued) return reply.redirect(`/agency/tenders/${tenderId}?done=issued`)
      const pendingId = Value.Check(Uuid, raw.pending) ? raw.pending! : null
      const fields = fieldsOf(chosen || pendingId !== null)
      if (raw.confirm === '1') {
        const file = pendingId ? { name: (raw.fileName ?? '').slice(0, 200) || pendingId, stream: await pendingFile(request, tenderId, pendingId) } : null
        await tenders.issueDocument(actor, tenderId, fields, file)
        if (pendingId) await app.store.delete(pendingKey(tenderId, pendingId)).catch(() => {})
        return reply.redirect(`/agency/tenders/${tenderId}?done=issued`)
      }
      return confirmDocument(request, reply, tender, fields, pending)
    } catch (error) {
      if (pending) await app.store.delete(pendingKey(tenderId, pending.id)).catch(() => {})
      if (Value.Check(Uuid, raw.pending)) await app.store.delete(pendingKey(tenderId, raw.pending!)).catch(() => {})
      const problems = refusalProblems(request, error, { DEADLINE_MAY_ONLY_MOVE_LATER: documentField('deadline'), CLARIFICATION_TOO_LATE: documentField('deadline'), DEADLINE_IN_PAST: documentField('deadline') })
      reply.code(statusOf(error))
      return showAgencyTender(request, reply, tenderId, { ...formErrors(problems, 'document'), values: raw, reselect: chosen || Value.Check(Uuid, raw.pending) })
    }
  })

  /** The file kept aside for a confirmation; gone (an old page, or used) → choose it again. */
  async function pendingFile (request: FastifyRequest, tenderId: string, id: string): Promise<Readable> {
    if (!await app.store.stat(pendingKey(tenderId, id))) assertNoProblems([{ field: documentField('file'), message: pageContext(request).t('agency.error.pendingGone') }], 409)
    return app.store.get(pendingKey(tenderId, id))
  }

  function confirmDocument (request: FastifyRequest, reply: FastifyReply, tender: TenderView, fields: DocumentFields, pending: { id: string, name: string, size: number, sha256: string } | null) {
    const { t, lang } = pageContext(request)
    const kind = t(`docKind.${fields.kind}`)
    const version = tender.documents.length + 1
    const when = (value: string) => tradingHelpers.deadline(value, lang)
    const consequences = tender.status === 'draft'
      ? [t('agency.documentConfirm.draftVersion', { title: fields.title, version }), t('agency.documentConfirm.draftPublish')]
      : [
          t('agency.documentConfirm.public', { kind, title: fields.title }),
          ...(fields.affectsBids ? [t('agency.documentConfirm.affects', { kind })] : []),
          ...(fields.newBidDeadline ? [t('agency.documentConfirm.deadline', { from: when(tender.bidDeadline), to: when(fields.newBidDeadline) })] : [])
        ]
    return showConfirmation(request, reply, {
      title: t('agency.documentConfirm.title', { kind }),
      facts: [
        [t('agency.cancelConfirm.tender'), tender.title],
        [t('document.kind'), kind],
        [t('document.title'), fields.title],
        ...(pending ? [[t('document.file'), `${pending.name} · ${Math.ceil(pending.size / 1024)} KB`], ['SHA-256', pending.sha256]] as Array<[string, string]> : []),
        ...(fields.newBidDeadline ? [[t('agency.newBidDeadline'), when(fields.newBidDeadline)]] as Array<[string, string]> : [])
      ],
      consequences: [...consequences, t('agency.documentConfirm.final')],
      action: `/agency/tenders/${tender.id}/documents`,
      fields: {
        kind: fields.kind,
        title: fields.title,
        body: fields.body,
        affectsBids: fields.affectsBids ? 'true' : undefined,
        newBidDeadline: fields.newBidDeadline ? tradingHelpers.localInput(fields.newBidDeadline) : undefined,
        pending: pending?.id,
        fileName: pending?.name
      },
      multipart: true,
      confirmLabel: t('agency.documentConfirm.button'),
      backHref: `/agency/tenders/${tender.id}`
    })
  }
}
