import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { ImportMediaType } from './experts.errors.ts'
import { MAX_IMPORT_BYTES } from './experts.rules.ts'
import {
  ChangeParams, CreatedExpertSchema, CreateExpertSchema, DeclareUnavailabilitySchema, EndPenaltySchema, ExpertListQuery, ExpertListSchema,
  ExpertParams, ExpertSchema, ImportProblemSchema, ImportSchema, OwnChangeParams, OwnUnavailabilityParams, PenaltyParams, ProfileChangeInputSchema,
  ProfileChangeSchema, RecordEmploymentSchema, RecordPenaltySchema, RecordRelationSchema, RefuseChangeSchema, RelationParams, SpecialtyNodeSchema,
  UpdateExpertSchema
} from './experts.schemas.ts'
import type { ExpertsService } from './experts.service.ts'

export const expertsRoutes: FastifyPluginAsyncTypebox<{ service: ExpertsService }> = async (app, { service }) => {
  const tags = ['experts']
  // the import file is read whole (bounded: 2 MB) and checked before anything is written
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (_request, body, done) => { done(null, body) })

  app.get('/specialties', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listSpecialties', summary: 'The specialty classification (works, goods, services; three levels)', response: { 200: Type.Array(SpecialtyNodeSchema), ...problems() } }
  }, async () => service.specialtyTree())

  // the hall's management of the pool
  app.get('/experts', {
    config: { policy: 'experts.read' },
    schema: { tags, operationId: 'listExperts', summary: 'Searches the pool (specialty of any level, region prefix, status, name)', querystring: ExpertListQuery, response: { 200: ExpertListSchema, ...problems(401, 403) } }
  }, async (request) => service.listExperts(actorOf(request), request.query))

  app.post('/experts', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'createExpert', body: CreateExpertSchema, response: { 201: CreatedExpertSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.createExpert(actorOf(request), request.body)))

  app.post('/experts/imports', {
    config: { policy: 'experts.manage' },
    schema: {
      tags,
      operationId: 'importExperts',
      summary: 'Imports experts from a UTF-8 CSV file (README "Expert import format"): all rows or none',
      consumes: ['text/csv'],
      response: { 201: ImportSchema, ...problems(401, 403, 413, 415), 422: ImportProblemSchema }
    }
  }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) throw new ImportMediaType()
    return reply.code(201).send(await service.importExperts(actorOf(request), request.body))
  })

  app.get('/experts/:expertId', {
    config: { policy: 'experts.read' },
    schema: { tags, operationId: 'getExpert', params: ExpertParams, response: { 200: ExpertSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getExpert(actorOf(request), request.params.expertId))

  app.patch('/experts/:expertId', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'updateExpert', summary: 'Edits name, title, year practice began, region or specialties', params: ExpertParams, body: UpdateExpertSchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 422) } }
  }, async (request) => service.updateExpert(actorOf(request), request.params.expertId, request.body))

  app.post('/experts/:expertId/employments', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'recordExpertEmployment', summary: 'A new employer; the current employment ends the day before', params: ExpertParams, body: RecordEmploymentSchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 422) } }
  }, async (request) => service.recordEmployment(actorOf(request), request.params.expertId, request.body))

  app.post('/experts/:expertId/relations', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'recordExpertRelation', params: ExpertParams, body: RecordRelationSchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 422) } }
  }, async (request) => service.recordRelation(actorOf(request), request.params.expertId, request.body))

  app.delete('/experts/:expertId/relations/:relationId', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'endExpertRelation', summary: 'Ends a declared relation (it stays on record)', params: RelationParams, response: { 200: ExpertSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.endRelation(actorOf(request), request.params.expertId, request.params.relationId))

  app.post('/experts/:expertId/penalties', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'recordExpertPenalty', summary: 'A penalty or suspension with its dates (no end date: until lifted)', params: ExpertParams, body: RecordPenaltySchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 422) } }
  }, async (request) => service.recordPenalty(actorOf(request), request.params.expertId, request.body))

  app.put('/experts/:expertId/penalties/:penaltyId/end', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'endExpertPenalty', summary: 'Lifts or shortens a penalty: sets its last day', params: PenaltyParams, body: EndPenaltySchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 422) } }
  }, async (request) => service.endPenalty(actorOf(request), request.params.expertId, request.params.penaltyId, request.body.toDate))

  app.post('/experts/:expertId/withdrawal', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'withdrawExpert', summary: 'The expert leaves the pool (kept on record)', params: ExpertParams, response: { 200: ExpertSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.withdrawExpert(actorOf(request), request.params.expertId))

  app.post('/experts/:expertId/reinstatement', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'reinstateExpert', params: ExpertParams, response: { 200: ExpertSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.reinstateExpert(actorOf(request), request.params.expertId))

  app.post('/experts/:expertId/changes/:changeId/approval', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'approveExpertChange', summary: 'Approves a proposed change and applies it', params: ChangeParams, response: { 200: ExpertSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.approveChange(actorOf(request), request.params.expertId, request.params.changeId))

  app.post('/experts/:expertId/changes/:changeId/refusal', {
    config: { policy: 'experts.manage' },
    schema: { tags, operationId: 'refuseExpertChange', params: ChangeParams, body: RefuseChangeSchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.refuseChange(actorOf(request), request.params.expertId, request.params.changeId, request.body.reason))

  // the expert's own profile
  app.get('/me/expert', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'getOwnExpertProfile', response: { 200: ExpertSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getOwnProfile(actorOf(request)))

  app.post('/me/expert/unavailability', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'declareUnavailability', summary: 'Dates the expert cannot serve (from today, within a year; takes effect at once)', body: DeclareUnavailabilitySchema, response: { 200: ExpertSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.declareUnavailability(actorOf(request), request.body))

  app.delete('/me/expert/unavailability/:unavailabilityId', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'removeUnavailability', summary: 'Takes back unavailable dates that have not begun', params: OwnUnavailabilityParams, response: { 200: ExpertSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.removeUnavailability(actorOf(request), request.params.unavailabilityId))

  app.post('/me/expert/changes', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'proposeExpertChange', summary: 'Asks the hall to change the employer or a declared relation (one proposal at a time)', body: ProfileChangeInputSchema, response: { 201: ProfileChangeSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.proposeChange(actorOf(request), request.body)))

  app.delete('/me/expert/changes/:changeId', {
    config: { policy: 'experts.self' },
    schema: { tags, operationId: 'withdrawExpertChange', params: OwnChangeParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } }
  }, async (request, reply) => {
    await service.withdrawChange(actorOf(request), request.params.changeId)
    return reply.code(204).send(null)
  })
}
