/** The shell: home per role (with the work waiting for it), sign-in and sign-out, language switch, the user's own account. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { ChangePasswordSchema } from '../../modules/accounts/accounts.schemas.ts'
import { SignedChallengeSchema } from '../../modules/pki/pki.schemas.ts'
import { checked, safeNext } from '../forms.ts'
import { workFor } from '../home-work.ts'
import { LANGUAGE_COOKIE } from '../i18n.ts'
import { navigationFor } from '../navigation.ts'
import { messageFor, renderPage } from '../render.ts'
import { scopeNames } from './scope-names.ts'

export interface ShellPagesOptions { cookieName: string, secureCookie: boolean, signInPerMinute: number }

export const shellPages: FastifyPluginAsyncTypebox<ShellPagesOptions> = async (app, options) => {
  const { accounts, sessions, notices, departments, calendar } = app.services
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: options.secureCookie }

  app.get('/', { config: { policy: 'public' } }, async (request, reply) => {
    const principal = request.principal
    const names = principal ? await scopeNames(departments) : {}
    return renderPage(request, reply, 'home', {
      titleKey: 'nav.home',
      // what waits for each of the user's roles, counted in the user's scope (home-work.ts)
      work: principal ? await workFor(app, actorOf(request)) : [],
      notices: await notices.listVisible(principal, 10),
      grants: principal?.grants.map((grant) => ({ ...grant, scopeName: grant.scopeId ? names[grant.scopeId] : undefined })) ?? [],
      tasks: principal ? [...navigationFor(principal).filter((item) => item.actions || item.signedIn), { href: '/account', labelKey: 'nav.account' }] : [],
      // the one who can enter a missing year of the working-day calendar is reminded here too
      calendarStatus: principal && mayAttempt(principal, 'calendar.manage') ? calendar.status() : null
    })
  })

  app.get('/login', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ next: Type.Optional(Type.String({ maxLength: 500 })), done: Type.Optional(Type.Enum(['registered', 'reset', 'activated'])) }) }
  }, async (request, reply) => {
    if (request.principal) return reply.redirect(safeNext(request.query.next))
    // after self-registration or a password reset (registration.pages.ts) the page says so
    const messageKey = request.query.done ? `login.done.${request.query.done}` : undefined
    return renderPage(request, reply, 'login', { titleKey: 'login.title', next: safeNext(request.query.next), messageKey })
  })

  app.post('/login', {
    config: { policy: 'public', rateLimit: { max: options.signInPerMinute, timeWindow: '1 minute' } },
    schema: {
      body: StrictObject({
        username: Type.String({ maxLength: 64 }),
        password: Type.String({ maxLength: 256 }),
        next: Type.Optional(Type.String({ maxLength: 500 }))
      })
    }
  }, async (request, reply) => {
    const { username, password, next } = request.body
    try {
      const session = await sessions.signIn({ username, password, ip: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) })
      reply.setCookie(options.cookieName, session.token, { ...cookie, expires: new Date(session.expiresAt) })
      return reply.redirect(session.account.mustChangePassword ? '/account/password' : safeNext(next))
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      return renderPage(request, reply, 'login', { titleKey: 'login.title', next: safeNext(next), username, error: messageFor(request, error) })
    }
  })

  // certificate sign-in from a page (the opening room): the page signs the challenge with the key
  // file the user picks (WebCrypto, non-extractable) and the session becomes a cookie like any other
  app.post('/login/certificate', {
    config: { policy: 'public', rateLimit: { max: options.signInPerMinute, timeWindow: '1 minute' } },
    schema: { body: SignedChallengeSchema }
  }, async (request, reply) => {
    const session = await sessions.signInWithCertificate({ ...request.body, ip: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) })
    reply.setCookie(options.cookieName, session.token, { ...cookie, expires: new Date(session.expiresAt) })
    return reply.code(204).send()
  })

  app.post('/logout', { config: { policy: 'authenticated', allowPendingPasswordChange: true } }, async (request, reply) => {
    await sessions.signOut(actorOf(request))
    return reply.clearCookie(options.cookieName, { path: '/' }).redirect('/')
  })

  app.get('/lang/:lang', {
    config: { policy: 'public' },
    schema: {
      params: StrictObject({ lang: Type.Enum(['zh-CN', 'en']) }),
      querystring: StrictObject({ next: Type.Optional(Type.String({ maxLength: 500 })) })
    }
  }, async (request, reply) => {
    reply.setCookie(LANGUAGE_COOKIE, request.params.lang, { path: '/', sameSite: 'lax', maxAge: 365 * 24 * 3600 })
    return reply.redirect(safeNext(request.query.next))
  })

  app.get('/account', {
    config: { policy: 'authenticated' },
    schema: { querystring: StrictObject({ done: Type.Optional(Type.Enum(['password'])) }) }
  }, async (request, reply) => {
    const actor = actorOf(request)
    return renderPage(request, reply, 'account', {
      titleKey: 'account.title',
      account: await accounts.getAccount(actor.principal.accountId),
      sessions: await sessions.listOwnSessions(actor),
      messageKey: request.query.done === 'password' ? 'password.changed' : undefined
    })
  })

  app.post('/account/sessions/:sessionId/revoke', {
    config: { policy: 'authenticated' },
    schema: { params: StrictObject({ sessionId: Uuid }) }
  }, async (request, reply) => {
    await sessions.revokeOwnSession(actorOf(request), request.params.sessionId)
    return reply.redirect('/account')
  })

  app.get('/account/password', { config: { policy: 'authenticated', allowPendingPasswordChange: true } }, async (request, reply) =>
    renderPage(request, reply, 'password', { titleKey: 'password.title' }))

  app.post('/account/password', {
    config: { policy: 'authenticated', allowPendingPasswordChange: true },
    schema: { body: StrictObject({ currentPassword: Type.String({ maxLength: 256 }), newPassword: Type.String({ maxLength: 256 }) }) }
  }, async (request, reply) => {
    try {
      await accounts.changeOwnPassword(actorOf(request), checked(ChangePasswordSchema, request.body))
      return reply.redirect('/account?done=password')
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      return renderPage(request, reply, 'password', { titleKey: 'password.title', error: messageFor(request, error) })
    }
  })
}
