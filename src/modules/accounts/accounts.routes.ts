import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  AccountListQuery, AccountListSchema, AccountParams, AccountSchema, ChangePasswordSchema, CreateAccountSchema,
  CreatedAccountSchema, GrantInputSchema, GrantParams, OneTimePasswordSchema, ThrottleParams, ThrottleSchema, UpdateAccountSchema
} from './accounts.schemas.ts'
import type { AccountsService } from './accounts.service.ts'

export const accountsRoutes: FastifyPluginAsyncTypebox<{ service: AccountsService }> = async (app, { service }) => {
  const tags = ['accounts']

  app.get('/accounts/me', {
    config: { policy: 'authenticated', allowPendingPasswordChange: true },
    schema: { tags, operationId: 'getOwnAccount', summary: 'The signed-in account with its roles', response: { 200: AccountSchema, ...problems(401) } }
  }, async (request) => service.getAccount(actorOf(request).principal.accountId))

  app.post('/accounts/me/password', {
    config: { policy: 'authenticated', allowPendingPasswordChange: true },
    schema: { tags, operationId: 'changeOwnPassword', body: ChangePasswordSchema, response: { 204: Type.Null(), ...problems(401) } }
  }, async (request, reply) => {
    await service.changeOwnPassword(actorOf(request), request.body)
    return reply.code(204).send(null)
  })

  app.get('/accounts', {
    config: { policy: 'accounts.read' },
    schema: { tags, operationId: 'listAccounts', querystring: AccountListQuery, response: { 200: AccountListSchema, ...problems(401, 403) } }
  }, async (request) => service.listAccounts(request.query))

  app.post('/accounts', {
    config: { policy: 'accounts.manage' },
    schema: { tags, operationId: 'createAccount', body: CreateAccountSchema, response: { 201: CreatedAccountSchema, ...problems(401, 403, 404, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.createAccount(actorOf(request), request.body)))

  app.get('/accounts/:accountId', {
    config: { policy: 'accounts.read' },
    schema: { tags, operationId: 'getAccount', params: AccountParams, response: { 200: AccountSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getAccount(request.params.accountId))

  app.patch('/accounts/:accountId', {
    config: { policy: 'accounts.manage' },
    schema: { tags, operationId: 'updateAccount', params: AccountParams, body: UpdateAccountSchema, response: { 200: AccountSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.updateAccount(actorOf(request), request.params.accountId, request.body))

  app.post('/accounts/:accountId/grants', {
    config: { policy: 'accounts.manage' },
    schema: { tags, operationId: 'grantRole', params: AccountParams, body: GrantInputSchema, response: { 201: AccountSchema, ...problems(401, 403, 404, 409) } }
  }, async (request, reply) => reply.code(201).send(await service.grantRole(actorOf(request), request.params.accountId, request.body)))

  app.delete('/accounts/:accountId/grants/:grantId', {
    config: { policy: 'accounts.manage' },
    schema: { tags, operationId: 'revokeRole', params: GrantParams, response: { 200: AccountSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.revokeGrant(actorOf(request), request.params.accountId, request.params.grantId))

  app.post('/accounts/:accountId/password-reset', {
    config: { policy: 'accounts.manage' },
    schema: { tags, operationId: 'resetPassword', params: AccountParams, response: { 200: OneTimePasswordSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.resetPassword(actorOf(request), request.params.accountId))

  app.get('/sign-in-throttles', {
    config: { policy: 'accounts.throttles' },
    schema: { tags, operationId: 'listSignInThrottles', summary: 'Remembered failed sign-ins per account name and client address, the ones in force first', response: { 200: Type.Array(ThrottleSchema), ...problems(401, 403) } }
  }, async () => service.listThrottles())

  app.delete('/sign-in-throttles/:throttleId', {
    config: { policy: 'accounts.throttles' },
    schema: { tags, operationId: 'liftSignInThrottle', summary: 'Forgets the failures of one account name or client address (audited)', params: ThrottleParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } }
  }, async (request, reply) => {
    await service.liftThrottle(actorOf(request), request.params.throttleId)
    return reply.code(204).send(null)
  })
}
