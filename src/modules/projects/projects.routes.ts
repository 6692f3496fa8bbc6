import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  BookingSchema, CreateVenueSchema, ProjectDecisionSchema, ProjectListQuery, ProjectParams, ProjectSchema, RegisterProjectSchema, ScheduleQuery,
  SlotSchema, VenueSchema
} from './projects.schemas.ts'
import type { ProjectsService } from './projects.service.ts'

export const projectsRoutes: FastifyPluginAsyncTypebox<{ service: ProjectsService }> = async (app, { service }) => {
  const tags = ['projects']

  app.post('/projects', {
    config: { policy: 'projects.register' },
    schema: { tags, operationId: 'registerProject', summary: 'Register a project for entry into the hall (统一进场)', body: RegisterProjectSchema, response: { 201: ProjectSchema, ...problems(401, 403, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.registerProject(actorOf(request), request.body)))

  app.get('/projects', {
    config: { policy: 'projects.read' },
    schema: { tags, operationId: 'listProjects', summary: 'Projects the caller registered or oversees', querystring: ProjectListQuery, response: { 200: Type.Array(ProjectSchema), ...problems(401, 403) } }
  }, async (request) => service.listProjects(actorOf(request), request.query))

  app.get('/projects/:projectId', {
    config: { policy: 'projects.read' },
    schema: { tags, operationId: 'getProject', params: ProjectParams, response: { 200: ProjectSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getProject(actorOf(request), request.params.projectId))

  app.post('/projects/:projectId/decision', {
    config: { policy: 'projects.accept' },
    schema: { tags, operationId: 'decideProject', summary: 'Accept into the trading schedule (with an opening room and slot) or reject', params: ProjectParams, body: ProjectDecisionSchema, response: { 200: ProjectSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.decideProject(actorOf(request), request.params.projectId, request.body))

  app.post('/projects/:projectId/bookings', {
    config: { policy: 'projects.accept' },
    schema: { tags, operationId: 'bookVenue', summary: 'Book another room slot for an accepted project (e.g. a further lot)', params: ProjectParams, body: SlotSchema, response: { 201: BookingSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.addBooking(actorOf(request), request.params.projectId, request.body)))

  app.get('/venues', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listVenues', response: { 200: Type.Array(VenueSchema) } }
  }, async () => service.listVenues())

  app.post('/venues', {
    config: { policy: 'venues.manage' },
    schema: { tags, operationId: 'createVenue', body: CreateVenueSchema, response: { 201: VenueSchema, ...problems(401, 403, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.createVenue(actorOf(request), request.body)))

  app.get('/schedule', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'tradingSchedule', summary: 'The public trading schedule: rooms, slots and projects', querystring: ScheduleQuery, response: { 200: Type.Array(BookingSchema) } }
  }, async (request) => service.schedule(request.query))
}
