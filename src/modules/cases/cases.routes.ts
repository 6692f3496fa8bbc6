import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  ApplicationFieldsSchema, CaseListQuery, CaseParams, CaseSchema, CorrectionNoticeSchema, CreateLetterSchema, DashboardSchema, DecisionSchema, DeliverySchema,
  FiledCaseSchema, LetterParams, LetterReplySchema, LetterSchema, MaterialParams, OwnRatingSchema, PauseSchema, ProgressQuery, ProgressSchema, RatingSchema, RectificationParams,
  RectificationReportSchema, RectificationSchema, RefuseSchema, ResultDraftSchema, ResultSignatureSchema, SubtaskOpinionSchema, SubtaskParams, WithdrawSchema,
  type ApplicationFields
} from './cases.schemas.ts'
import { ApplicationInvalid } from './cases.errors.ts'
import type { CasesService } from './cases.service.ts'
import { discardUploads, readMaterials } from './cases.uploads.ts'

const DOCUMENT_KINDS = Type.Union([Type.Literal('acceptance'), Type.Literal('refusal'), Type.Literal('correction'), Type.Literal('result')])

/** Multipart fields as the application schema types them: `applicant.name` → applicant.name, `majorProject=true` → true. */
function applicationFields (raw: Record<string, string>): ApplicationFields {
  const fields: Record<string, unknown> = {}
  const applicant: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith('applicant.')) applicant[name.slice('applicant.'.length)] = value
    else if (name === 'majorProject') fields.majorProject = value === 'true' ? true : value === 'false' ? false : value
    else fields[name] = value
  }
  if (Object.keys(applicant).length) fields.applicant = applicant
  if (!Value.Check(ApplicationFieldsSchema, fields)) {
    const first = [...Value.Errors(ApplicationFieldsSchema, fields)][0]
    throw new ApplicationInvalid(`valid fields itemId, request (and at a window windowId, applicant.name, applicant.idNumber)${first ? `: ${first.instancePath || '/'} ${first.message}` : ''}`)
  }
  return fields as ApplicationFields
}

export const casesRoutes: FastifyPluginAsyncTypebox<{ service: CasesService, queriesPerMinute: number }> = async (app, { service, queriesPerMinute }) => {
  const tags = ['cases']
  const multipart = 'multipart/form-data: the fields, then one file part per material, named by its code (streamed, SHA-256 on the way in).'

  /** Both filings take the same multipart body; a refused body leaves no file behind. */
  const fileThrough = (channel: 'online' | 'window') => async (request: FastifyRequest, reply: FastifyReply) => {
    const { raw, uploads } = await readMaterials(request, service.newMaterialKey)
    let fields: ApplicationFields
    try {
      fields = applicationFields(raw)
    } catch (error) {
      await discardUploads(app.store, uploads)
      throw error
    }
    return reply.code(201).send(await service.file(actorOf(request), channel, fields, uploads))
  }

  app.post('/cases', {
    config: { policy: 'cases.apply' },
    schema: { tags, operationId: 'applyOnline', summary: 'Apply online', description: `${multipart} Fields: itemId, request, optional majorProject. Every required material comes with the application: one left out is refused (422 APPLICATION_MATERIALS_MISSING, each named in errors as /materials/<code>) and nothing is kept.`, consumes: ['multipart/form-data'], response: { 201: FiledCaseSchema, ...problems(401, 403, 404, 413, 422) } }
  }, fileThrough('online'))

  app.post('/cases/window', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'fileAtWindow', summary: 'Register an application handed in at a window', description: `${multipart} Fields: itemId, request, windowId, applicant.name, applicant.idNumber, optional applicant.phone, majorProject.`, consumes: ['multipart/form-data'], response: { 201: FiledCaseSchema, ...problems(401, 403, 404, 413, 422) } }
  }, fileThrough('window'))

  app.get('/cases', {
    config: { policy: 'cases.read' },
    schema: { tags, operationId: 'listCases', summary: 'The workbench queue: cases in the caller\'s departments and windows, most urgent first', querystring: CaseListQuery, response: { 200: Type.Array(CaseSchema), ...problems(401, 403) } }
  }, async (request) => service.listCases(request.principal!, request.query))

  app.get('/cases/mine', {
    config: { policy: 'cases.apply' },
    schema: { tags, operationId: 'myCases', summary: 'The applicant\'s own cases', response: { 200: Type.Array(CaseSchema), ...problems(401, 403) } }
  }, async (request) => service.myCases(actorOf(request)))

  app.get('/cases/:caseId', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getCase', params: CaseParams, response: { 200: CaseSchema, ...problems(401, 404) } }
  }, async (request) => service.getCase(request.principal!, request.params.caseId))

  app.get('/cases/:caseId/events', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'caseEvents', params: CaseParams, response: { 200: Type.Array(Type.Object({ at: Type.String(), kind: Type.String(), detail: Type.Record(Type.String(), Type.Unknown()) })), ...problems(401, 404) } }
  }, async (request) => service.events(request.principal!, request.params.caseId))

  app.get('/cases/:caseId/materials/:materialId', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'downloadMaterial', params: MaterialParams, response: { 200: Type.Unknown(), ...problems(401, 404) } }
  }, async (request, reply) => {
    const found = await service.material(request.principal!, request.params.caseId, request.params.materialId)
    return reply.type('application/octet-stream').header('content-length', found.size)
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(found.fileName)}`).send(found.stream)
  })

  app.get('/cases/:caseId/documents/:kind', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'caseDocument', summary: 'A receipt, the correction notice or the result, as PDF', params: Type.Object({ caseId: CaseParams.properties.caseId, kind: DOCUMENT_KINDS }, { additionalProperties: false }), produces: ['application/pdf'], response: { 200: Type.Unknown(), ...problems(401, 404) } }
  }, async (request, reply) => reply.type('application/pdf').send(await service.document(request.principal!, request.params.caseId, request.params.kind)))

  app.get('/cases/:caseId/result', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'signedResult', summary: 'The result as signed: its JSON and the seal\'s detached CMS signature', params: CaseParams, response: { 200: Type.Object({ json: Type.String(), signature: Type.String(), signer: Type.String() }), ...problems(401, 404) } }
  }, async (request) => service.signedResult(request.principal!, request.params.caseId))

  app.post('/cases/:caseId/acceptance', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'acceptCase', summary: 'Accept (受理): every required material is there', params: CaseParams, response: { 200: CaseSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.accept(actorOf(request), request.params.caseId))

  app.post('/cases/:caseId/refusal', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'refuseCase', summary: 'Refuse to accept (不予受理), with reasons, within the acceptance limit', params: CaseParams, body: RefuseSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.refuse(actorOf(request), request.params.caseId, request.body.reasons))

  app.post('/cases/:caseId/correction-notice', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'noticeCorrection', summary: 'The one correction notice (一次性告知): before acceptance every missing material at once, in review the materials at fault', params: CaseParams, body: CorrectionNoticeSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.noticeCorrection(actorOf(request), request.params.caseId, request.body))

  app.post('/cases/:caseId/correction', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'answerCorrection', summary: 'Hand in the materials the correction notice listed', description: multipart, params: CaseParams, consumes: ['multipart/form-data'], response: { 200: CaseSchema, ...problems(401, 404, 409, 413, 422) } }
  }, async (request) => {
    const { uploads } = await readMaterials(request, service.newMaterialKey)
    return service.answerCorrection(actorOf(request), request.params.caseId, uploads)
  })

  app.post('/cases/:caseId/review', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'startReview', params: CaseParams, response: { 200: CaseSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.startReview(actorOf(request), request.params.caseId))

  app.post('/cases/:caseId/pauses', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'pauseCase', summary: 'A special procedure (hearing, testing, appraisal, expert review): the clock stops for at most its announced working days', params: CaseParams, body: PauseSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.pause(actorOf(request), request.params.caseId, request.body))

  app.post('/cases/:caseId/pauses/current/end', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'resumeCase', params: CaseParams, response: { 200: CaseSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.endPause(actorOf(request), request.params.caseId))

  app.post('/cases/:caseId/decision', {
    config: { policy: 'cases.decide' },
    schema: { tags, operationId: 'decideCase', summary: 'The chief representative\'s decision, within the recorded delegation', params: CaseParams, body: DecisionSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.decide(actorOf(request), request.params.caseId, request.body))

  app.post('/cases/:caseId/subtasks/:departmentId/opinion', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'answerSubtask', summary: 'A participating department answers its part of a joint case', params: SubtaskParams, body: SubtaskOpinionSchema, response: { 200: CaseSchema, ...problems(401, 404, 409) } }
  }, async (request) => service.answerSubtask(actorOf(request), request.params.caseId, request.params.departmentId, request.body))

  app.post('/cases/:caseId/subtasks/:departmentId/takeover', {
    config: { policy: 'cases.coordinate' },
    schema: { tags, operationId: 'takeOverSubtask', summary: 'The hall takes over the coordination of a stalled department', params: SubtaskParams, body: WithdrawSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.takeOverSubtask(actorOf(request), request.params.caseId, request.params.departmentId, request.body.reason))

  app.get('/cases/:caseId/result-draft', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'resultDraft', summary: 'The result JSON the department\'s seal signs (detached CMS)', params: CaseParams, response: { 200: ResultDraftSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.resultDraft(actorOf(request), request.params.caseId))

  app.post('/cases/:caseId/result', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'issueResult', summary: 'Issue the result signed with the department\'s seal certificate', params: CaseParams, body: ResultSignatureSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.issueResult(actorOf(request), request.params.caseId, request.body.signature))

  app.post('/cases/:caseId/delivery', {
    config: { policy: 'cases.handle' },
    schema: { tags, operationId: 'deliverResult', summary: 'The receiving window hands over the result; the case is closed', params: CaseParams, body: DeliverySchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.deliver(actorOf(request), request.params.caseId, request.body.method))

  app.post('/cases/:caseId/withdrawal', {
    config: { policy: 'cases.apply' },
    schema: { tags, operationId: 'withdrawCase', params: CaseParams, body: WithdrawSchema, response: { 200: CaseSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.withdraw(actorOf(request), request.params.caseId, request.body.reason))

  app.post('/cases/:caseId/rating', {
    config: { policy: 'cases.apply' },
    schema: { tags, operationId: 'rateOwnCase', summary: '好差评 by the applicant signed in: its closed case, once (1–5); 1 or 2 opens a rectification due in 15 working days', params: CaseParams, body: OwnRatingSchema, response: { 200: CaseSchema, ...problems(400, 401, 403, 404, 409) } }
  }, async (request) => service.rateOwn(actorOf(request), request.params.caseId, request.body))

  // the public side: no sign-in, the receipt's number and query code; guessing codes is limited like guessing passwords
  app.get('/public/case-progress', {
    config: { policy: 'public', rateLimit: { max: queriesPerMinute, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'caseProgress', summary: 'Progress by case number and query code', querystring: ProgressQuery, response: { 200: ProgressSchema, ...problems(404, 429) } }
  }, async (request) => service.progress(request.query.number, request.query.queryCode))

  app.get('/public/case-result', {
    config: { policy: 'public', rateLimit: { max: queriesPerMinute, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'publicCaseResult', summary: 'The result PDF by case number and query code', querystring: ProgressQuery, produces: ['application/pdf'], response: { 200: Type.Unknown(), ...problems(404, 429) } }
  }, async (request, reply) => reply.type('application/pdf').send(await service.publicResult(request.query.number, request.query.queryCode)))

  app.post('/public/case-ratings', {
    config: { policy: 'public', rateLimit: { max: queriesPerMinute, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'rateCase', summary: '好差评: rate a closed case once (1–5); 1 or 2 opens a rectification due in 15 working days', body: RatingSchema, response: { 200: ProgressSchema, ...problems(404, 409, 429) } }
  }, async (request) => service.rate(request.body))

  // supervision
  app.get('/supervision/dashboard', {
    config: { policy: 'supervision.read' },
    schema: { tags: ['supervision'], operationId: 'supervisionDashboard', summary: 'Open cases by department and window and colour, now', response: { 200: DashboardSchema, ...problems(401, 403) } }
  }, async (request) => service.dashboard(request.principal!))

  app.get('/supervision/letters', {
    config: { policy: 'supervision.read' },
    schema: { tags: ['supervision'], operationId: 'listLetters', response: { 200: Type.Array(LetterSchema), ...problems(401, 403) } }
  }, async (request) => service.listLetters(request.principal!))

  app.post('/supervision/letters', {
    config: { policy: 'supervision.letters' },
    schema: { tags: ['supervision'], operationId: 'issueLetter', summary: 'A supervision letter (督办函) with a reply deadline in working days', body: CreateLetterSchema, response: { 201: LetterSchema, ...problems(401, 403, 404) } }
  }, async (request, reply) => reply.code(201).send(await service.issueLetter(actorOf(request), request.body)))

  app.post('/supervision/letters/:letterId/reply', {
    config: { policy: 'supervision.reply' },
    schema: { tags: ['supervision'], operationId: 'replyLetter', params: LetterParams, body: LetterReplySchema, response: { 200: LetterSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.replyLetter(actorOf(request), request.params.letterId, request.body.reply))

  app.get('/rectifications', {
    config: { policy: 'supervision.read' },
    schema: { tags: ['supervision'], operationId: 'listRectifications', response: { 200: Type.Array(RectificationSchema), ...problems(401, 403) } }
  }, async (request) => service.listRectifications(request.principal!))

  app.post('/rectifications/:rectificationId/report', {
    config: { policy: 'rectifications.handle' },
    schema: { tags: ['supervision'], operationId: 'reportRectification', params: RectificationParams, body: RectificationReportSchema, response: { 200: RectificationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.reportRectification(actorOf(request), request.params.rectificationId, request.body.report))
}
