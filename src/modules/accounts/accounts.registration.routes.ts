import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { SignedChallengeSchema } from '../pki/pki.schemas.ts'
import {
  CodeSentSchema, RecoveryRequestedSchema, RecoveryRequestSchema, RecoveryResetSchema, RefuseRegistrationSchema, RegisterOrganisationSchema,
  RegisterPersonSchema, RegistrationListQuery, RegistrationParams, RegistrationSchema, VerifyCodeSchema
} from './accounts.registration.schemas.ts'
import type { Registration } from './accounts.registration.ts'

export interface RegistrationRoutesOptions { registration: Registration, perMinute: number }

export const registrationRoutes: FastifyPluginAsyncTypebox<RegistrationRoutesOptions> = async (app, { registration, perMinute }) => {
  const tags = ['registration']
  const client = (request: { ip: string, id: unknown }) => ({ ip: request.ip, requestId: String(request.id) })
  // per client address in this instance; the limits per number and address that hold across
  // instances are in the database (accounts.rules.ts CODE_POLICY)
  const limited = { policy: 'public' as const, rateLimit: { max: perMinute, timeWindow: '1 minute' } }

  app.post('/registrations/person', {
    config: limited,
    schema: {
      tags,
      operationId: 'registerPerson',
      security: [],
      summary: 'A person registers with a mobile number; a six-digit code is texted to it (valid 10 minutes)',
      body: RegisterPersonSchema,
      response: { 201: CodeSentSchema, ...problems(409, 429, 503) }
    }
  }, async (request, reply) => reply.code(201).send(await registration.registerPerson(request.body, client(request))))

  app.post('/registrations/person/:registrationId/code', {
    config: limited,
    schema: { tags, operationId: 'resendRegistrationCode', security: [], summary: 'A new code (at most one a minute, five an hour per number)', params: RegistrationParams, response: { 201: CodeSentSchema, ...problems(404, 429, 503) } }
  }, async (request, reply) => reply.code(201).send(await registration.resendRegistrationCode(request.params.registrationId, client(request))))

  app.post('/registrations/person/:registrationId/verify', {
    config: limited,
    schema: { tags, operationId: 'verifyRegistration', security: [], summary: 'Confirms the number with the code; the account becomes active', params: RegistrationParams, body: VerifyCodeSchema, response: { 200: Type.Object({ accountId: Type.String(), username: Type.String() }), ...problems(404, 429) } }
  }, async (request) => registration.verifyRegistration(request.params.registrationId, request.body.code, client(request)))

  app.post('/registrations/organisation', {
    config: limited,
    schema: {
      tags,
      operationId: 'registerOrganisation',
      security: [],
      summary: 'An organisation registers with its unified social credit code; active once the hall approves or a certificate naming the code signs in',
      body: RegisterOrganisationSchema,
      response: { 201: RegistrationSchema, ...problems(409, 429) }
    }
  }, async (request, reply) => reply.code(201).send(await registration.registerOrganisation(request.body, client(request))))

  app.post('/registrations/organisation/:registrationId/certificate', {
    config: limited,
    schema: {
      tags,
      operationId: 'activateRegistrationByCertificate',
      security: [],
      summary: 'Activates a pending organisation: a challenge (POST /api/pki/challenges) signed by a trusted certificate whose subject names the credit code',
      params: RegistrationParams,
      body: SignedChallengeSchema,
      response: { 200: RegistrationSchema, ...problems(401, 404, 409, 422, 429) }
    }
  }, async (request) => registration.activateByCertificate(request.params.registrationId, request.body, client(request)))

  app.get('/registrations/organisation', {
    config: { policy: 'registrations.review' },
    schema: { tags, operationId: 'listOrganisationRegistrations', querystring: RegistrationListQuery, response: { 200: Type.Array(RegistrationSchema), ...problems(401, 403) } }
  }, async (request) => registration.listRegistrations(request.query))

  app.post('/registrations/organisation/:registrationId/approve', {
    config: { policy: 'registrations.review' },
    schema: { tags, operationId: 'approveRegistration', params: RegistrationParams, response: { 200: RegistrationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => registration.approveRegistration(actorOf(request), request.params.registrationId))

  app.post('/registrations/organisation/:registrationId/refuse', {
    config: { policy: 'registrations.review' },
    schema: { tags, operationId: 'refuseRegistration', params: RegistrationParams, body: RefuseRegistrationSchema, response: { 200: RegistrationSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => registration.refuseRegistration(actorOf(request), request.params.registrationId, request.body.reason))

  app.post('/password-recovery', {
    config: limited,
    schema: {
      tags,
      operationId: 'requestPasswordRecovery',
      security: [],
      summary: 'Texts a recovery code to the account\'s confirmed mobile number; the same answer for every name',
      body: RecoveryRequestSchema,
      response: { 202: RecoveryRequestedSchema, ...problems(429) }
    }
  }, async (request, reply) => reply.code(202).send(await registration.requestRecovery(request.body, client(request))))

  app.post('/password-recovery/reset', {
    config: limited,
    schema: {
      tags,
      operationId: 'resetPasswordWithCode',
      security: [],
      summary: 'A new password with the recovery code; every session of the account ends',
      body: RecoveryResetSchema,
      response: { 204: Type.Null(), ...problems(429) }
    }
  }, async (request, reply) => {
    await registration.resetWithCode(request.body, client(request))
    return reply.code(204).send(null)
  })
}
