import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  CreateDepartmentSchema, CreateWindowSchema, DelegationSchema, DepartmentParams, DepartmentSchema, RecordDelegationSchema, UpdateDepartmentSchema,
  UpdateWindowSchema, WindowListQuery, WindowParams, WindowSchema
} from './departments.schemas.ts'
import type { DepartmentsService } from './departments.service.ts'

export const departmentsRoutes: FastifyPluginAsyncTypebox<{ service: DepartmentsService }> = async (app, { service }) => {
  const tags = ['departments']

  app.get('/departments', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listDepartments', summary: 'The hall\'s departments', response: { 200: Type.Array(DepartmentSchema), ...problems() } }
  }, async () => service.listDepartments())

  app.post('/departments', {
    config: { policy: 'departments.manage' },
    schema: { tags, operationId: 'createDepartment', body: CreateDepartmentSchema, response: { 201: DepartmentSchema, ...problems(401, 403, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.createDepartment(actorOf(request), request.body)))

  app.get('/departments/:departmentId', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getDepartment', params: DepartmentParams, response: { 200: DepartmentSchema, ...problems(404) } }
  }, async (request) => service.getDepartment(request.params.departmentId))

  app.patch('/departments/:departmentId', {
    config: { policy: 'departments.manage' },
    schema: { tags, operationId: 'updateDepartment', params: DepartmentParams, body: UpdateDepartmentSchema, response: { 200: DepartmentSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.updateDepartment(actorOf(request), request.params.departmentId, request.body))

  app.get('/windows', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listWindows', querystring: WindowListQuery, response: { 200: Type.Array(WindowSchema), ...problems() } }
  }, async (request) => service.listWindows(request.query.departmentId))

  app.post('/windows', {
    config: { policy: 'windows.manage' },
    schema: { tags, operationId: 'createWindow', body: CreateWindowSchema, response: { 201: WindowSchema, ...problems(401, 403, 404, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.createWindow(actorOf(request), request.body)))

  app.get('/windows/:windowId', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getWindow', params: WindowParams, response: { 200: WindowSchema, ...problems(404) } }
  }, async (request) => service.getWindow(request.params.windowId))

  app.patch('/windows/:windowId', {
    config: { policy: 'windows.manage' },
    schema: { tags, operationId: 'updateWindow', params: WindowParams, body: UpdateWindowSchema, response: { 200: WindowSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.updateWindow(actorOf(request), request.params.windowId, request.body))

  app.post('/departments/:departmentId/delegations', {
    config: { policy: 'delegations.manage' },
    schema: {
      tags,
      operationId: 'recordDelegation',
      summary: 'Record the chief representative\'s delegation (ends the one running at its start)',
      params: DepartmentParams,
      body: RecordDelegationSchema,
      response: { 201: DelegationSchema, ...problems(401, 403, 404, 409, 422) }
    }
  }, async (request, reply) => reply.code(201).send(await service.recordDelegation(actorOf(request), request.params.departmentId, request.body)))

  app.get('/departments/:departmentId/delegations', {
    config: { policy: 'delegations.manage' },
    schema: { tags, operationId: 'listDelegations', summary: 'The department\'s delegations, newest first', params: DepartmentParams, response: { 200: Type.Array(DelegationSchema), ...problems(401, 403, 404) } }
  }, async (request) => service.listDelegations(actorOf(request), request.params.departmentId))
}
