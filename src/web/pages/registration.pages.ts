/**
 * Self-registration and password recovery pages: /register (a person or an organisation),
 * /register/verify (the SMS code), /register/organisation/:id (a pending organisation activates
 * itself with its certificate), /forgot-password and /reset-password. Every refusal shows the
 * form again with an error summary linking to the fields, the message beside each field, and
 * what was typed (never a password or a code) kept.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { isValidCreditCode } from '../../lib/credit-code.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { isStrongPassword } from '../../lib/password.ts'
import type { RegistrationView } from '../../modules/accounts/accounts.registration.schemas.ts'
import { USERNAME_PATTERN } from '../../modules/accounts/accounts.rules.ts'
import { isMobileNumber } from '../../modules/notifier/notifier.rules.ts'
import { pageContext, renderPage } from '../render.ts'
import { shownError } from './page-errors.ts'

/** A refusal as a form shows it: beside its field (or above the form when it belongs to none). */
export interface FieldProblem { field: string | null, message: string }

/** Which field a service's refusal belongs to. */
const FIELD_OF: Record<string, string> = {
  USERNAME_TAKEN: 'username',
  WEAK_PASSWORD: 'password',
  PHONE_INVALID: 'phone',
  CODE_RATE_LIMITED: 'code',
  CREDIT_CODE_INVALID: 'creditCode',
  CREDIT_CODE_TAKEN: 'creditCode',
  CODE_INVALID: 'code',
  CODE_EXPIRED: 'code',
  CODE_ATTEMPTS_EXHAUSTED: 'code',
  RECOVERY_CODE_INVALID: 'code',
  REFUSAL_REASON_REQUIRED: 'reason'
}

/** The form's model: problems for the summary and, by field, for the fields. */
export function formState (problems: FieldProblem[]) {
  const fieldErrors: Record<string, string> = {}
  for (const problem of problems) if (problem.field && !fieldErrors[problem.field]) fieldErrors[problem.field] = problem.message
  return { summary: problems, fieldErrors }
}

/** A service's refusal as a problem of a field; anything not the user's doing is rethrown. */
export function problemOf (request: FastifyRequest, error: unknown, fieldOverride?: Record<string, string>): FieldProblem {
  if (!isClientError(error)) throw error
  const code = (error as { code?: string }).code ?? ''
  const field = fieldOverride?.[code] ?? FIELD_OF[code] ?? null
  return { field, message: shownError(request, error).error }
}

/** Problems in the order of the fields on the page, as the summary lists them. */
function inFieldOrder (problems: FieldProblem[], order: string[]): FieldProblem[] {
  return problems.sort((a, b) => order.indexOf(a.field ?? '') - order.indexOf(b.field ?? ''))
}

const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }))

/** The refusals an organisation's certificate activation may meet, each with its own words on the page. */
const ACTIVATION_REFUSALS = [
  'CERTIFICATE_SUBJECT_MISMATCH', 'CERTIFICATE_UNTRUSTED', 'CERTIFICATE_EXPIRED', 'CERTIFICATE_NOT_YET_VALID', 'CERTIFICATE_REVOKED', 'CERTIFICATE_INVALID',
  'SIGNATURE_INVALID', 'CMS_MALFORMED', 'CMS_UNSUPPORTED', 'CHALLENGE_INVALID', 'CHALLENGE_MISMATCH', 'REGISTRATION_DECIDED', 'REGISTRATION_NOT_FOUND', 'RATE_LIMITED'
] as const
const usernamePattern = new RegExp(USERNAME_PATTERN)

export const registrationPages: FastifyPluginAsyncTypebox<{ perMinute: number }> = async (app, options) => {
  const { registration } = app.services
  // per client address, like sign-in; codes have their own limits per number and address (CODE_POLICY)
  const limited = { policy: 'public' as const, rateLimit: { max: options.perMinute, timeWindow: '1 minute' } }

  function checkAccountFields (request: FastifyRequest, body: { username?: string, displayName?: string, password?: string }, problems: FieldProblem[]) {
    const { t } = pageContext(request)
    const username = (body.username ?? '').trim().toLowerCase()
    if (!usernamePattern.test(username)) problems.push({ field: 'username', message: t('register.error.username') })
    if (!(body.displayName ?? '').trim()) problems.push({ field: 'displayName', message: t('register.error.displayName') })
    if (!isStrongPassword(body.password ?? '')) problems.push({ field: 'password', message: t('errors.WEAK_PASSWORD') })
    return username
  }

  async function showRegister (request: FastifyRequest, reply: FastifyReply, kind: 'person' | 'organisation' | undefined, values: Record<string, unknown> = {}, problems: FieldProblem[] = []) {
    return renderPage(request, reply, 'register/register', { titleKey: 'register.title', kind, values, ...formState(problems) })
  }

  app.get('/register', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ kind: Type.Optional(Type.Enum(['person', 'organisation'])) }) }
  }, async (request, reply) => showRegister(request, reply, request.query.kind))

  app.post('/register/person', {
    config: limited,
    schema: { body: StrictObject({ username: Text(64), displayName: Text(100), phone: Text(20), password: Text(256) }) }
  }, async (request, reply) => {
    const body = request.body
    const values = { username: body.username ?? '', displayName: body.displayName ?? '', phone: (body.phone ?? '').trim() }
    const problems: FieldProblem[] = []
    const username = checkAccountFields(request, body, problems)
    if (!isMobileNumber(values.phone)) problems.push({ field: 'phone', message: pageContext(request).t('errors.PHONE_INVALID') })
    if (problems.length > 0) {
      reply.code(400)
      return showRegister(request, reply, 'person', values, inFieldOrder(problems, ['username', 'displayName', 'phone', 'password']))
    }
    try {
      const sent = await registration.registerPerson({ username, displayName: values.displayName.trim(), phone: values.phone, password: body.password! }, { ip: request.ip, requestId: String(request.id) })
      return reply.redirect(`/register/verify?id=${sent.registrationId}`)
    } catch (error) {
      const problem = problemOf(request, error, { CODE_RATE_LIMITED: 'phone' })
      reply.code((error as { statusCode: number }).statusCode)
      return showRegister(request, reply, 'person', values, [problem])
    }
  })

  app.post('/register/organisation', {
    config: limited,
    schema: { body: StrictObject({ username: Text(64), displayName: Text(100), creditCode: Text(40), role: Text(20), email: Text(254), phone: Text(20), password: Text(256) }) }
  }, async (request, reply) => {
    const body = request.body
    const { t } = pageContext(request)
    const values = {
      username: body.username ?? '',
      displayName: body.displayName ?? '',
      creditCode: (body.creditCode ?? '').trim().toUpperCase(),
      role: body.role ?? '',
      email: (body.email ?? '').trim(),
      phone: (body.phone ?? '').trim()
    }
    const problems: FieldProblem[] = []
    const username = checkAccountFields(request, body, problems)
    if (!isValidCreditCode(values.creditCode)) problems.push({ field: 'creditCode', message: t('errors.CREDIT_CODE_INVALID') })
    if (values.role !== 'bidder' && values.role !== 'agency') problems.push({ field: 'role', message: t('register.error.role') })
    if (values.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) problems.push({ field: 'email', message: t('register.error.email') })
    if (values.phone && !isMobileNumber(values.phone)) problems.push({ field: 'phone', message: t('errors.PHONE_INVALID') })
    if (problems.length > 0) {
      reply.code(400)
      return showRegister(request, reply, 'organisation', values, inFieldOrder(problems, ['displayName', 'creditCode', 'role', 'username', 'email', 'phone', 'password']))
    }
    try {
      const registered = await registration.registerOrganisation({
        username,
        displayName: values.displayName.trim(),
        creditCode: values.creditCode,
        role: values.role as 'bidder' | 'agency',
        ...(values.email ? { email: values.email } : {}),
        ...(values.phone ? { phone: values.phone } : {}),
        password: body.password!
      }, { ip: request.ip, requestId: String(request.id) })
      return showReceived(request, reply, registered, true)
    } catch (error) {
      const problem = problemOf(request, error)
      reply.code((error as { statusCode: number }).statusCode)
      return showRegister(request, reply, 'organisation', values, [problem])
    }
  })

  /** The words the certificate client shows for each refusal of the activation (client/certificate-sign-in.ts). */
  function activationErrors (request: FastifyRequest): Record<string, string> {
    const { t } = pageContext(request)
    return Object.fromEntries(ACTIVATION_REFUSALS.map((code) => [code, t(`register.activate.error.${code}`)]))
  }

  /**
   * The organisation's registration: while pending, it may prove itself with its certificate
   * here (the key never leaves the page); once decided, what became of it. `fresh`: just sent,
   * the user name shown once more.
   */
  function showReceived (request: FastifyRequest, reply: FastifyReply, registration: RegistrationView, fresh: boolean) {
    return renderPage(request, reply, 'register/received', {
      titleKey: registration.state === 'pending' ? 'register.received.title' : 'register.activate.decidedTitle',
      registration,
      fresh,
      activationErrors: activationErrors(request)
    })
  }

  // the page of one registration, reached by its unguessable number (the page after sending links to itself)
  app.get('/register/organisation/:registrationId', {
    config: { policy: 'public' },
    schema: { params: StrictObject({ registrationId: Uuid }) }
  }, async (request, reply) => showReceived(request, reply, await registration.getRegistration(request.params.registrationId), false))

  async function showVerify (request: FastifyRequest, reply: FastifyReply, id: string, problems: FieldProblem[] = [], extra: Record<string, unknown> = {}) {
    return renderPage(request, reply, 'register/verify', { titleKey: 'register.verify.title', id, values: {}, ...formState(problems), ...extra })
  }

  app.get('/register/verify', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ id: Uuid, resent: Type.Optional(Type.Enum(['1'])) }) }
  }, async (request, reply) => showVerify(request, reply, request.query.id, [], { resent: request.query.resent === '1' }))

  app.post('/register/verify', {
    config: limited,
    schema: { body: StrictObject({ id: Uuid, code: Text(20) }) }
  }, async (request, reply) => {
    const code = (request.body.code ?? '').trim()
    if (!/^[0-9]{6}$/.test(code)) {
      reply.code(400)
      return showVerify(request, reply, request.body.id, [{ field: 'code', message: pageContext(request).t('register.error.code') }])
    }
    try {
      await registration.verifyRegistration(request.body.id, code, { ip: request.ip, requestId: String(request.id) })
      return reply.redirect('/login?done=registered')
    } catch (error) {
      const problem = problemOf(request, error)
      reply.code((error as { statusCode: number }).statusCode)
      return showVerify(request, reply, request.body.id, [problem])
    }
  })

  app.post('/register/verify/resend', {
    config: limited,
    schema: { body: StrictObject({ id: Uuid }) }
  }, async (request, reply) => {
    try {
      await registration.resendRegistrationCode(request.body.id, { ip: request.ip, requestId: String(request.id) })
      return reply.redirect(`/register/verify?id=${request.body.id}&resent=1`)
    } catch (error) {
      const problem = problemOf(request, error)
      reply.code((error as { statusCode: number }).statusCode)
      return showVerify(request, reply, request.body.id, [problem])
    }
  })

  app.get('/forgot-password', { config: { policy: 'public' } }, async (request, reply) =>
    renderPage(request, reply, 'register/forgot', { titleKey: 'recovery.title', values: {}, ...formState([]) }))

  app.post('/forgot-password', {
    config: limited,
    schema: { body: StrictObject({ username: Text(64) }) }
  }, async (request, reply) => {
    const username = (request.body.username ?? '').trim()
    if (!username) {
      reply.code(400)
      return renderPage(request, reply, 'register/forgot', { titleKey: 'recovery.title', values: {}, ...formState([{ field: 'username', message: pageContext(request).t('recovery.error.username') }]) })
    }
    await registration.requestRecovery({ username }, { ip: request.ip, requestId: String(request.id) })
    return reply.redirect(`/reset-password?username=${encodeURIComponent(username)}&sent=1`)
  })

  async function showReset (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, problems: FieldProblem[] = [], extra: Record<string, unknown> = {}) {
    return renderPage(request, reply, 'register/reset', { titleKey: 'recovery.reset.title', values, ...formState(problems), ...extra })
  }

  app.get('/reset-password', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ username: Text(64), sent: Type.Optional(Type.Enum(['1'])) }) }
  }, async (request, reply) => showReset(request, reply, { username: request.query.username ?? '' }, [], { sent: request.query.sent === '1' }))

  app.post('/reset-password', {
    config: limited,
    schema: { body: StrictObject({ username: Text(64), code: Text(20), newPassword: Text(256) }) }
  }, async (request, reply) => {
    const { t } = pageContext(request)
    const values = { username: (request.body.username ?? '').trim() }
    const code = (request.body.code ?? '').trim()
    const problems: FieldProblem[] = []
    if (!values.username) problems.push({ field: 'username', message: t('recovery.error.username') })
    if (!/^[0-9]{6}$/.test(code)) problems.push({ field: 'code', message: t('register.error.code') })
    if (!isStrongPassword(request.body.newPassword ?? '')) problems.push({ field: 'newPassword', message: t('errors.WEAK_PASSWORD') })
    if (problems.length > 0) {
      reply.code(400)
      return showReset(request, reply, values, problems)
    }
    try {
      await registration.resetWithCode({ username: values.username, code, newPassword: request.body.newPassword! }, { ip: request.ip, requestId: String(request.id) })
      return reply.redirect('/login?done=reset')
    } catch (error) {
      const problem = problemOf(request, error, { WEAK_PASSWORD: 'newPassword' })
      reply.code((error as { statusCode: number }).statusCode)
      return showReset(request, reply, values, [problem])
    }
  })
}
