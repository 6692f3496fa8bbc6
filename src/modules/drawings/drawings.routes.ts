import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  CreateDrawingSchema, DeclineInput, DrawingListQuery, DrawingParams, DrawingRecordSchema, DrawingSchema, DrawInput, EligibilitySchema, InvitationParams, InvitationSchema, ReasonInput,
  SealedListSchema, TenderParams
} from './drawings.schemas.ts'
import type { DrawingsService } from './drawings.service.ts'

export const drawingsRoutes: FastifyPluginAsyncTypebox<{ service: DrawingsService }> = async (app, { service }) => {
  const tags = ['drawings']
  const answers = { 200: DrawingSchema, ...problems(401, 403, 404, 409, 422) }

  app.post('/tenders/:tenderId/drawings', {
    config: { policy: 'drawings.request' },
    schema: {
      tags,
      operationId: 'requestDrawing',
      summary: 'The tender\'s agency or tenderer: ask for experts to be drawn (specialties with counts and reserves, committee size checked by named rules, evaluation time and place or remote, regions)',
      description: 'Refusals: DRAWING_COMMITTEE_INVALID (422, each broken rule in `errors`), DRAWING_SPECIALTY_UNKNOWN, DRAWING_EVALUATION_TIME_INVALID, DRAWING_ALREADY_LIVE (409), DRAWING_TENDER_CLOSED (409).',
      params: TenderParams,
      body: CreateDrawingSchema,
      response: { 201: DrawingSchema, ...problems(401, 403, 404, 409, 422) }
    }
  }, async (request, reply) => reply.code(201).send(await service.requestDrawing(actorOf(request), request.params.tenderId, request.body)))

  app.get('/drawings', {
    config: { policy: 'drawings.read' },
    schema: { tags, operationId: 'listDrawings', summary: 'Drawings the caller may see (the hall and supervisors: all; agency and tenderer: their projects\'), newest first; counts only', querystring: DrawingListQuery, response: { 200: Type.Array(DrawingSchema), ...problems(401, 403) } }
  }, async (request) => service.listDrawings(actorOf(request).principal, request.query))

  app.get('/drawings/:id', {
    config: { policy: 'drawings.read' },
    schema: { tags, operationId: 'getDrawing', summary: 'A drawing: state, request, commitment, per-line counts (invited, confirmed, declined, …); never names before publication. Live events: room `drawing:<id>`', params: DrawingParams, response: { 200: DrawingSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getDrawing(request.principal, request.params.id))

  app.get('/drawings/:id/eligibility', {
    config: { policy: 'drawings.read' },
    schema: { tags, operationId: 'getDrawingEligibility', summary: 'The hall and supervisors: eligible experts per line now, excluded counts per rule, and the shortfall; no names', params: DrawingParams, response: { 200: EligibilitySchema, ...problems(401, 403, 404) } }
  }, async (request) => service.eligibility(actorOf(request).principal, request.params.id))

  app.get('/drawings/:id/list', {
    config: { policy: 'drawings.read' },
    schema: {
      tags,
      operationId: 'getDrawnList',
      summary: 'The drawn list. Supervisors: every drawn expert by name, state and replacement, and the excluded experts with the rules that excluded them. Others: 403 DRAWING_LIST_SEALED until publication, then the confirmed committee',
      params: DrawingParams,
      response: { 200: SealedListSchema, ...problems(401, 403, 404) }
    }
  }, async (request) => service.sealedList(actorOf(request).principal, request.params.id))

  app.get('/drawings/:id/record', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getDrawingRecord', summary: 'The published record (format openhall-drawing-record): re-compute it with `npm run verify-draw -- --record drawing-record.json`; 404 until the list is published', params: DrawingParams, response: { 200: DrawingRecordSchema, ...problems(404) } }
  }, async (request) => service.record(request.params.id))

  app.post('/drawings/:id/approve', {
    config: { policy: 'drawings.operate' },
    schema: { tags, operationId: 'approveDrawing', summary: 'The hall: approve a request; the server commits to its secret and the commitment is published in the room', params: DrawingParams, response: answers }
  }, async (request) => service.approve(actorOf(request), request.params.id))

  app.post('/drawings/:id/refuse', {
    config: { policy: 'drawings.operate' },
    schema: { tags, operationId: 'refuseDrawing', summary: 'The hall: refuse a request, saying why', params: DrawingParams, body: ReasonInput, response: answers }
  }, async (request) => service.refuse(actorOf(request), request.params.id, request.body.reason))

  app.post('/drawings/:id/cancel', {
    config: { policy: 'drawings.operate' },
    schema: { tags, operationId: 'cancelDrawing', summary: 'The hall: cancel a drawing before its evaluation (a drawn one tells its invited experts); it stays on record', params: DrawingParams, body: ReasonInput, response: answers }
  }, async (request) => service.cancel(actorOf(request), request.params.id, request.body.reason))

  app.post('/drawings/:id/draw', {
    config: { policy: 'drawings.supervise' },
    schema: {
      tags,
      operationId: 'drawExperts',
      summary: 'The supervisor, from drawFrom: give the nonce; the committee is drawn (commit-reveal), sealed and invited',
      description: 'Refusals: DRAWING_POOL_SHORT (422; the drawing is recorded as failed, each short line in `errors`), DRAWING_ALREADY_DRAWN (409), DRAWING_NONCE_REUSED (409), DRAWING_TOO_EARLY (409), DRAWING_STATE_INVALID (409).',
      params: DrawingParams,
      body: DrawInput,
      response: answers
    }
  }, async (request) => service.draw(actorOf(request), request.params.id, request.body.nonce))

  app.post('/drawings/:id/publish', {
    config: { policy: 'drawings.operate' },
    schema: { tags, operationId: 'publishDrawnList', summary: 'The hall, at or after the evaluation\'s start: publish the list and the secret (a timer does it at evaluationAt; remote evaluation does it when it starts)', params: DrawingParams, response: answers }
  }, async (request) => {
    await service.publish(actorOf(request), request.params.id)
    return service.getDrawing(request.principal, request.params.id)
  })

  app.get('/me/invitations', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'listMyInvitations', summary: 'An expert\'s invitations: time, place or remote, specialty and the answer deadline; never the tender nor its bidders', response: { 200: Type.Array(InvitationSchema), ...problems(401, 403) } }
  }, async (request) => service.myInvitations(actorOf(request)))

  app.post('/me/invitations/:drawingId/confirm', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'confirmInvitation', summary: 'An expert confirms they will sit, before the answer deadline', params: InvitationParams, response: { 200: InvitationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.answer(actorOf(request), request.params.drawingId, 'confirm'))

  app.post('/me/invitations/:drawingId/decline', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'declineInvitation', summary: 'An expert declines; the next reserve of the line is called', params: InvitationParams, body: DeclineInput, response: { 200: InvitationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.answer(actorOf(request), request.params.drawingId, 'decline', request.body.reason))
}
