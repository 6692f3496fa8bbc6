import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { DocumentPartMissing } from './tenders.errors.ts'
import {
  AnswerSchema, AskSchema, CancelTenderSchema, CreateTenderSchema, DocumentFieldsSchema, DocumentParams, DocumentSchema, MyTenderSchema,
  ObjectSchema, ObjectionAnswerSchema, ObjectionParams, ObjectionSchema, ParticipationSchema, QuestionParams, QuestionSchema,
  RegistrationSchema, TenderInputSchema, TenderListQuery, TenderParams, TenderSchema, type DocumentFields
} from './tenders.schemas.ts'
import type { TendersService } from './tenders.service.ts'

/** Multipart text fields arrive as strings; booleans are spelled true/false. */
function documentFields (raw: Record<string, string>): DocumentFields {
  const fields: Record<string, unknown> = { ...raw }
  if ('affectsBids' in raw) fields.affectsBids = raw.affectsBids === 'true' ? true : raw.affectsBids === 'false' ? false : raw.affectsBids
  if (!Value.Check(DocumentFieldsSchema, fields)) {
    const first = [...Value.Errors(DocumentFieldsSchema, fields)][0]
    throw new DocumentPartMissing(`valid fields kind, title (and optionally body, affectsBids, newBidDeadline)${first ? `: ${first.instancePath || '/'} ${first.message}` : ''}`)
  }
  return fields as DocumentFields
}

export const tendersRoutes: FastifyPluginAsyncTypebox<{ service: TendersService }> = async (app, { service }) => {
  const tags = ['tenders']

  app.get('/tenders', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listTenders', summary: 'Published tenders (announcements); `mine=true`: the caller\'s own, drafts included', querystring: TenderListQuery, response: { 200: Type.Array(TenderSchema) } }
  }, async (request) => service.listTenders(request.principal, request.query))

  app.post('/tenders', {
    config: { policy: 'tenders.manage' },
    schema: { tags, operationId: 'draftTender', body: CreateTenderSchema, response: { 201: TenderSchema, ...problems(401, 403, 404, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.createTender(actorOf(request), request.body)))

  app.get('/tenders/:tenderId', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getTender', params: TenderParams, response: { 200: TenderSchema, ...problems(404) } }
  }, async (request) => service.getTender(request.principal, request.params.tenderId))

  app.put('/tenders/:tenderId', {
    config: { policy: 'tenders.manage' },
    schema: { tags, operationId: 'updateDraftTender', params: TenderParams, body: TenderInputSchema, response: { 200: TenderSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.updateDraft(actorOf(request), request.params.tenderId, request.body))

  app.post('/tenders/:tenderId/publication', {
    config: { policy: 'tenders.manage' },
    schema: {
      tags,
      operationId: 'publishTender',
      summary: 'Publish: statutory timing is enforced for mandatory tendering (422 with every finding) and recorded as warnings otherwise',
      params: TenderParams,
      response: { 200: TenderSchema, ...problems(401, 403, 404, 409, 422) }
    }
  }, async (request) => service.publish(actorOf(request), request.params.tenderId))

  app.post('/tenders/:tenderId/cancellation', {
    config: { policy: 'tenders.manage' },
    schema: { tags, operationId: 'cancelTender', params: TenderParams, body: CancelTenderSchema, response: { 200: TenderSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.cancel(actorOf(request), request.params.tenderId, request.body.reason))

  app.post('/tenders/:tenderId/documents', {
    config: { policy: 'tenders.manage' },
    schema: {
      tags,
      operationId: 'issueTenderDocument',
      summary: 'Issue the tender documents (draft) or a clarification / amendment (after publication)',
      description: 'multipart/form-data: fields `kind`, `title`, optional `body`, `affectsBids`, `newBidDeadline`, then an optional `file` part (streamed, SHA-256 on the way in).',
      params: TenderParams,
      consumes: ['multipart/form-data'],
      response: { 201: DocumentSchema, ...problems(401, 403, 404, 409, 413, 422) }
    }
  }, async (request, reply) => {
    const raw: Record<string, string> = {}
    let issued: Awaited<ReturnType<TendersService['issueDocument']>> | undefined
    for await (const part of request.parts({ limits: { files: 1, fields: 10, fieldSize: 64 * 1024 } })) {
      if (part.type === 'field') {
        raw[part.fieldname] = String(part.value)
        continue
      }
      const file = part as MultipartFile
      if (file.fieldname !== 'file') throw new DocumentPartMissing('its file in a part named "file"')
      issued = await service.issueDocument(actorOf(request), request.params.tenderId, documentFields(raw), { name: file.filename.slice(0, 200), stream: file.file })
    }
    issued ??= await service.issueDocument(actorOf(request), request.params.tenderId, documentFields(raw), null)
    return reply.code(201).send(issued)
  })

  app.get('/tenders/:tenderId/documents/:documentId/file', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'downloadTenderDocument', summary: 'For bidders who obtained the documents, and the tender\'s parties and officials', params: DocumentParams, response: { 200: Type.Unknown(), ...problems(401, 402, 404, 409) } }
  }, async (request, reply) => {
    const document = await service.openDocument(actorOf(request), request.params.tenderId, request.params.documentId)
    reply.header('content-type', 'application/octet-stream')
    reply.header('content-length', document.size)
    reply.header('x-content-sha256', document.sha256)
    reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(document.fileName)}`)
    return reply.send(document.stream)
  })

  app.post('/tenders/:tenderId/registration', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'obtainTenderDocuments', summary: 'Obtain the documents during the sale period (a fee issues a payment notice)', params: TenderParams, response: { 200: RegistrationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.register(actorOf(request), request.params.tenderId))

  app.get('/tenders/:tenderId/registration', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'myTenderRegistration', params: TenderParams, response: { 200: RegistrationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.myRegistration(actorOf(request), request.params.tenderId))

  app.get('/bidder/tenders', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'myTenders', summary: 'The tenders whose documents the caller obtained', response: { 200: Type.Array(MyTenderSchema), ...problems(401, 403) } }
  }, async (request) => service.myTenders(actorOf(request)))

  app.get('/tenders/:tenderId/participation', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'tenderParticipation', summary: 'Who obtained and downloaded the documents: only after the bid deadline (Art. 20)', params: TenderParams, response: { 200: ParticipationSchema, ...problems(401, 404, 409) } }
  }, async (request) => service.participation(actorOf(request), request.params.tenderId))

  app.get('/tenders/:tenderId/questions', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listTenderQuestions', params: TenderParams, response: { 200: Type.Array(QuestionSchema), ...problems(401, 404, 409) } }
  }, async (request) => service.listQuestions(actorOf(request), request.params.tenderId))

  app.post('/tenders/:tenderId/questions', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'askTenderQuestion', summary: 'Ask anonymously: the tenderer and its agency never learn who asked', params: TenderParams, body: AskSchema, response: { 201: QuestionSchema, ...problems(401, 402, 403, 404, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.ask(actorOf(request), request.params.tenderId, request.body.question)))

  app.post('/questions/:questionId/answer', {
    config: { policy: 'tenders.manage' },
    schema: { tags, operationId: 'answerTenderQuestion', summary: 'Answer as a clarification to every registered bidder', params: QuestionParams, body: AnswerSchema, response: { 200: QuestionSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.answerQuestion(actorOf(request), request.params.questionId, request.body))

  app.get('/tenders/:tenderId/objections', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listTenderObjections', params: TenderParams, response: { 200: Type.Array(ObjectionSchema), ...problems(401, 404) } }
  }, async (request) => service.listObjections(actorOf(request), request.params.tenderId))

  app.post('/tenders/:tenderId/objections', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'objectToTenderDocuments', summary: 'Object to the documents (at least 10 days before the deadline); the procedure pauses until answered', params: TenderParams, body: ObjectSchema, response: { 201: ObjectionSchema, ...problems(401, 402, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.object(actorOf(request), request.params.tenderId, request.body.text)))

  app.post('/objections/:objectionId/answer', {
    config: { policy: 'tenders.manage' },
    schema: { tags, operationId: 'answerTenderObjection', params: ObjectionParams, body: ObjectionAnswerSchema, response: { 200: ObjectionSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.answerObjection(actorOf(request), request.params.objectionId, request.body.answer))
}
