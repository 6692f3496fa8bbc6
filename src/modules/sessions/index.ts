/**
 * Sessions: password sign-in, sign-out, and a user's view of its own sessions.
 * Session states: active → revoked (sign-out, revoked by the user, password change, account
 * disabled) or expired (SESSION_TTL_HOURS). Tokens are opaque; only their hash is stored
 * (src/plugins/auth.ts). Certificate sign-in (PKI) issues the same kind of session.
 */
import type { FastifyPluginAsync } from 'fastify'
import { sessionsRoutes } from './sessions.routes.ts'
import { createSessionsService, type SessionsService } from './sessions.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { sessions: SessionsService }
}

export const sessionsModule: FastifyPluginAsync<{ signInPerMinute: number }> = async (app, options) => {
  const service = createSessionsService({ db: app.db, audit: app.audit, auth: app.auth, accounts: app.services.accounts, pki: app.services.pki })
  app.services.sessions = service
  await app.register(sessionsRoutes, { service, signInPerMinute: options.signInPerMinute, cookieName: app.auth.cookieName })
}
