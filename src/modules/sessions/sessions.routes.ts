import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { SignedChallengeSchema } from '../pki/pki.schemas.ts'
import { CurrentSessionSchema, LoginResultSchema, LoginSchema, SessionParams, SessionSchema } from './sessions.schemas.ts'
import { describePrincipal, type SessionsService } from './sessions.service.ts'

export interface SessionsRoutesOptions { service: SessionsService, signInPerMinute: number, cookieName: string }

export const sessionsRoutes: FastifyPluginAsyncTypebox<SessionsRoutesOptions> = async (app, { service, signInPerMinute, cookieName }) => {
  const tags = ['sessions']

  app.post('/auth/login', {
    config: { policy: 'public', rateLimit: { max: signInPerMinute, timeWindow: '1 minute' } },
    schema: {
      tags,
      operationId: 'signIn',
      summary: 'Password sign-in; returns a bearer token',
      description: 'After repeated failures on an account name or from a client address, attempts answer 429 SIGN_IN_THROTTLED with Retry-After until the delay has passed (the same for every name, known or not).',
      security: [],
      body: LoginSchema,
      response: { 200: LoginResultSchema, ...problems(401, 429) }
    }
  }, async (request) => service.signIn({ ...request.body, ip: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) }))

  app.post('/auth/certificate', {
    config: { policy: 'public', rateLimit: { max: signInPerMinute, timeWindow: '1 minute' } },
    schema: {
      tags,
      operationId: 'signInWithCertificate',
      summary: 'Certificate sign-in: sign a challenge from POST /api/pki/challenges with the certificate\'s key (CMS)',
      security: [],
      body: SignedChallengeSchema,
      response: { 200: LoginResultSchema, ...problems(401, 422, 429) }
    }
  }, async (request) => service.signInWithCertificate({ ...request.body, ip: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) }))

  app.post('/auth/logout', {
    config: { policy: 'authenticated', allowPendingPasswordChange: true },
    schema: { tags, operationId: 'signOut', response: { 204: Type.Null(), ...problems(401) } }
  }, async (request, reply) => {
    await service.signOut(actorOf(request))
    return reply.clearCookie(cookieName, { path: '/' }).code(204).send(null)
  })

  app.get('/auth/session', {
    config: { policy: 'authenticated', allowPendingPasswordChange: true },
    schema: { tags, operationId: 'getCurrentSession', response: { 200: CurrentSessionSchema, ...problems(401) } }
  }, async (request) => {
    const principal = actorOf(request).principal
    return { sessionId: principal.sessionId, method: principal.authMethod, account: describePrincipal(principal) }
  })

  app.get('/auth/sessions', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listOwnSessions', response: { 200: Type.Array(SessionSchema), ...problems(401) } }
  }, async (request) => service.listOwnSessions(actorOf(request)))

  app.delete('/auth/sessions/:sessionId', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'revokeOwnSession', params: SessionParams, response: { 204: Type.Null(), ...problems(401, 404) } }
  }, async (request, reply) => {
    await service.revokeOwnSession(actorOf(request), request.params.sessionId)
    return reply.code(204).send(null)
  })
}
