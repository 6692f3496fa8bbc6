/** The shell: home per role (with the work waiting for it), sign-in and sign-out, language switch, the user's own account. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { isStrongPassword } from '../../lib/password.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { ChangePasswordSchema } from '../../modules/accounts/accounts.schemas.ts'
import { SignedChallengeSchema } from '../../modules/pki/pki.schemas.ts'
import { assertNoProblems, formErrors, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, safeNext } from '../forms.ts'
import { workFor } from '../home-work.ts'
import { LANGUAGE_COOKIE } from '../i18n.ts'
import { navigationFor } from '../navigation.ts'
import { pageContext, renderPage } from '../render.ts'
import { scopeNames } from './scope-names.ts'

const USERNAME_MAX = 64
const PASSWORD_MAX = 256
/** Whatever a person may type into a field whose browser check was bypassed; the page checks the real limit. */
const Typed = Type.Optional(Type.String({ maxLength: 2000 }))

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
    schema: { body: StrictObject({ username: Typed, password: Typed, next: Type.Optional(Type.String({ maxLength: 500 })) }) }
  }, async (request, reply) => {
    const { next } = request.body
    const username = request.body.username ?? ''
    const password = request.body.password ?? ''
    try {
      const { t } = pageContext(request)
      assertNoProblems([
        ...(username.trim() && username.length <= USERNAME_MAX ? [] : [{ field: 'username', message: t(username.trim() ? 'login.error.usernameLong' : 'login.error.username', { max: USERNAME_MAX }) }]),
        ...(password && password.length <= PASSWORD_MAX ? [] : [{ field: 'password', message: t(password ? 'login.error.passwordLong' : 'login.error.password', { max: PASSWORD_MAX }) }])
      ])
      const session = await sessions.signIn({ username, password, ip: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) })
      reply.setCookie(options.cookieName, session.token, { ...cookie, expires: new Date(session.expiresAt) })
      return reply.redirect(session.account.mustChangePassword ? '/account/password' : safeNext(next))
    } catch (error) {
      // wrong either way: the name stays, the password is typed again beside its message
      const problems = signInProblems(request, error)
      reply.code((error as { statusCode: number }).statusCode)
      return renderPage(request, reply, 'login', { titleKey: 'login.title', next: safeNext(next), values: { username }, ...formErrors(problems) })
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

  async function showAccount (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { messageKey?: string } = {}) {
    const actor = actorOf(request)
    return renderPage(request, reply, 'account', {
      titleKey: 'account.title',
      account: await accounts.getAccount(actor.principal.accountId),
      sessions: await sessions.listOwnSessions(actor),
      ...extra
    })
  }

  app.get('/account', {
    config: { policy: 'authenticated' },
    schema: { querystring: StrictObject({ done: Type.Optional(Type.Enum(['password'])) }) }
  }, async (request, reply) => showAccount(request, reply, request.query.done === 'password' ? { messageKey: 'password.changed' } : {}))

  app.post('/account/sessions/:sessionId/revoke', {
    config: { policy: 'authenticated' },
    schema: { params: StrictObject({ sessionId: Uuid }) }
  }, async (request, reply) => {
    try {
      await sessions.revokeOwnSession(actorOf(request), request.params.sessionId)
      return reply.redirect('/account')
    } catch (error) {
      // a session ended meanwhile: said above the list, which is current
      const problems = refusalProblems(request, error, {}, 'account.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showAccount(request, reply, formErrors(problems))
    }
  })

  app.get('/account/password', { config: { policy: 'authenticated', allowPendingPasswordChange: true } }, async (request, reply) =>
    renderPage(request, reply, 'password', { titleKey: 'password.title' }))

  /** Passwords are never sent back: a refused change shows only where and why. */
  app.post('/account/password', {
    config: { policy: 'authenticated', allowPendingPasswordChange: true },
    schema: { body: StrictObject({ currentPassword: Typed, newPassword: Typed }) }
  }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      const currentPassword = request.body.currentPassword ?? ''
      const newPassword = request.body.newPassword ?? ''
      const problems: FormProblem[] = []
      if (!currentPassword || currentPassword.length > PASSWORD_MAX) problems.push({ field: 'currentPassword', message: t(currentPassword ? 'password.error.long' : 'password.error.current', { max: PASSWORD_MAX }) })
      if (newPassword.length > PASSWORD_MAX) problems.push({ field: 'newPassword', message: t('password.error.long', { max: PASSWORD_MAX }) })
      else if (!isStrongPassword(newPassword)) problems.push({ field: 'newPassword', message: t('password.error.new') })
      assertNoProblems(problems)
      await accounts.changeOwnPassword(actorOf(request), checked(ChangePasswordSchema, { currentPassword, newPassword }))
      return reply.redirect('/account?done=password')
    } catch (error) {
      const problems = refusalProblems(request, error, { CURRENT_PASSWORD_WRONG: 'currentPassword', PASSWORD_UNCHANGED: 'newPassword', WEAK_PASSWORD: 'newPassword' }, 'password.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return renderPage(request, reply, 'password', { titleKey: 'password.title', ...formErrors(problems) })
    }
  })
}

/** A refused sign-in, beside the field to type again; a throttled one says how long to wait. */
function signInProblems (request: FastifyRequest, error: unknown): FormProblem[] {
  const seconds = (error as { code?: string, retryAfterSeconds?: unknown }).code === 'SIGN_IN_THROTTLED' ? (error as { retryAfterSeconds: number }).retryAfterSeconds : null
  if (seconds !== null) return [{ field: null, message: pageContext(request).t('login.error.throttled', { seconds }) }]
  return refusalProblems(request, error, { INVALID_CREDENTIALS: 'password' }, 'login.errors.')
}
