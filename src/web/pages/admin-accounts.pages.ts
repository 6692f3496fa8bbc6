/**
 * Accounts and their roles, in pages (registered by admin.pages.ts): the list with the form that
 * creates an account, and an account's page with its roles, disabling and enabling it, and a new
 * one-time password. Every form checks again what the browser checks (required, lengths,
 * patterns), so a refused form, the page's own refusal or the service's, shows each problem
 * beside its field with what was typed kept (form-problems.ts). Revoking a role, disabling an
 * account and resetting its password lock someone out of something: each first says what will
 * happen and asks once more (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ACCOUNT_KINDS } from '../../../schema/index.ts'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt, ROLE_SCOPES, ROLES, type Role } from '../../lib/policy.ts'
import { GrantNotFound } from '../../modules/accounts/accounts.errors.ts'
import { creditCodeProblem, USERNAME_PATTERN } from '../../modules/accounts/accounts.rules.ts'
import { CreateAccountSchema, GrantInputSchema, type AccountView, type GrantInput } from '../../modules/accounts/accounts.schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { scopeNames } from './scope-names.ts'

/** Whatever a person may type into a field whose browser check was bypassed; the page checks the real limit. */
const Typed = Type.Optional(Type.String({ maxLength: 2000 }))
const AccountParams = StrictObject({ accountId: Uuid })
const usernamePattern = new RegExp(USERNAME_PATTERN)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const CREDIT_CODE_SHAPE = /^[0-9A-Z]{18}$/
const SEARCH_MAX = 100

/** Where a service's refusal of these forms belongs; the words are under `accounts.errors.`, then `errors.`. */
const FIELD_OF: Record<string, string> = {
  USERNAME_TAKEN: 'username',
  CREDIT_CODE_TAKEN: 'creditCode',
  CREDIT_CODE_INVALID: 'creditCode',
  CREDIT_CODE_REQUIRED: 'creditCode',
  CREDIT_CODE_NOT_FOR_PERSONS: 'creditCode',
  GRANT_INVALID: 'scope',
  SCOPE_NOT_FOUND: 'scope',
  GRANT_EXISTS: 'role'
}

type Translate = ReturnType<typeof pageContext>['t']
type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]>, oneTimePassword?: string | null }

/** A scope select's value as a grant's scope, or null when it is none of hall, department:<id>, window:<id>. */
function scopeOf (value: string | undefined): Pick<GrantInput, 'scopeType' | 'scopeId'> | null {
  if (!value || value === 'hall') return { scopeType: 'hall', scopeId: null }
  const [type, id, ...rest] = value.split(':')
  return (type === 'department' || type === 'window') && id && UUID.test(id) && rest.length === 0 ? { scopeType: type, scopeId: id } : null
}

/** The role and scope of a grant form, or its problems beside the two selects. */
function grantOf (t: Translate, role: string | undefined, scope: string | undefined): { grant: GrantInput | null, problems: FormProblem[] } {
  if (!role || !(ROLES as readonly string[]).includes(role)) return { grant: null, problems: [{ field: 'role', message: t('accounts.error.role') }] }
  const where = scopeOf(scope)
  if (!where) return { grant: null, problems: [{ field: 'scope', message: t('accounts.error.scope') }] }
  const allowed = ROLE_SCOPES[role as Role]
  if (!allowed.includes(where.scopeType)) {
    const scopes = allowed.filter((type) => type !== 'project').map((type) => t(`scope.${type}`)).join('、')
    return { grant: null, problems: [{ field: 'scope', message: t('accounts.error.scopeNotAllowed', { role: t(`role.${role}`), scopes }) }] }
  }
  return { grant: { role: role as Role, ...where }, problems: [] }
}

export const adminAccountsPages: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, departments } = app.services

  /** What the grant fields offer (both account pages): the roles, the departments and windows to scope them to. */
  async function grantChoices (request: FastifyRequest) {
    const [departmentList, windows] = await Promise.all([departments.listDepartments(), departments.listWindows()])
    return { roles: ROLES, departments: departmentList, windows, canManage: mayAttempt(actorOf(request).principal, 'accounts.manage') }
  }

  async function showAccounts (request: FastifyRequest, reply: FastifyReply, extra: PageExtra & { q?: string } = {}) {
    const list = await accounts.listAccounts({ q: extra.q, limit: 200, offset: 0 })
    return renderPage(request, reply, 'admin/accounts', {
      titleKey: 'nav.accounts',
      accounts: list.items,
      total: list.total,
      ...await grantChoices(request),
      values: {},
      ...extra
    })
  }

  app.get('/admin/accounts', {
    config: { policy: 'accounts.read' },
    schema: { querystring: StrictObject({ q: Typed }) }
  }, async (request, reply) => {
    const q = optional(request.query.q)
    if (q && q.length > SEARCH_MAX) {
      reply.code(400)
      return showAccounts(request, reply, { ...formErrors([{ field: 'accounts-q', message: pageContext(request).t('accounts.error.search', { max: SEARCH_MAX }) }]), values: { q } })
    }
    return showAccounts(request, reply, { q, values: q ? { q } : {} })
  })

  app.post('/admin/accounts', {
    config: { policy: 'accounts.manage' },
    schema: { body: StrictObject({ kind: Typed, username: Typed, displayName: Typed, creditCode: Typed, role: Typed, scope: Typed }) }
  }, async (request, reply) => {
    const body = request.body
    try {
      const { t } = pageContext(request)
      const kind = ACCOUNT_KINDS.find((one) => one === body.kind)
      const username = (body.username ?? '').trim()
      const displayName = (body.displayName ?? '').trim()
      const creditCode = optional(body.creditCode)
      const role = optional(body.role)
      const { grant, problems: grantProblems } = role ? grantOf(t, role, body.scope) : { grant: null, problems: [] }
      const creditCodeWords = (): string | null => {
        const problem = kind ? creditCodeProblem(kind, creditCode) : null
        if (problem === 'required') return t('errors.CREDIT_CODE_REQUIRED')
        if (problem === 'not_for_persons') return t('accounts.errors.CREDIT_CODE_NOT_FOR_PERSONS')
        if (problem === 'invalid') return t(CREDIT_CODE_SHAPE.test(creditCode ?? '') ? 'accounts.errors.CREDIT_CODE_INVALID' : 'accounts.error.creditCode')
        return null
      }
      const creditCodeMessage = creditCodeWords()
      assertNoProblems([
        ...(kind ? [] : [{ field: 'kind', message: t('accounts.error.kind') }]),
        ...(usernamePattern.test(username) ? [] : [{ field: 'username', message: t('accounts.error.username') }]),
        ...(displayName && displayName.length <= 100 ? [] : [{ field: 'displayName', message: t('accounts.error.displayName') }]),
        ...(creditCodeMessage ? [{ field: 'creditCode', message: creditCodeMessage }] : []),
        ...grantProblems
      ])
      const input = checked(CreateAccountSchema, {
        kind,
        username,
        displayName,
        ...(creditCode ? { creditCode } : {}),
        ...(grant ? { grants: [grant] } : {})
      })
      const created = await accounts.createAccount(actorOf(request), input)
      return showAccounts(request, reply, { oneTimePassword: created.oneTimePassword })
    } catch (error) {
      const problems = refusalProblems(request, error, FIELD_OF, 'accounts.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showAccounts(request, reply, { ...formErrors(problems, 'create-account'), values: keptValues(body) })
    }
  })

  async function showAccount (request: FastifyRequest, reply: FastifyReply, accountId: string, extra: PageExtra = {}) {
    const account = await accounts.getAccount(accountId)
    const names = await scopeNames(departments)
    return renderPage(request, reply, 'admin/account', {
      title: account.displayName,
      account,
      grants: account.grants.map((grant) => ({ ...grant, scopeName: grant.scopeId ? names[grant.scopeId] : undefined })),
      ...await grantChoices(request),
      values: {},
      ...extra
    })
  }

  /** Shows the account again with a refusal: beside the grant form's field its code belongs to, else in the summary. */
  async function refusedOnAccount (request: FastifyRequest, reply: FastifyReply, accountId: string, error: unknown, values: Record<string, string | string[]> = {}) {
    const problems = refusalProblems(request, error, FIELD_OF, 'accounts.errors.')
    reply.code((error as { statusCode: number }).statusCode)
    return showAccount(request, reply, accountId, { ...formErrors(problems), values })
  }

  /** How the confirmation pages name the account: in their sentences, and as facts. */
  const who = (account: AccountView) => `${account.displayName}（${account.username}）`
  const accountFacts = (t: Translate, account: AccountView): Array<[string, string]> => [[t('accounts.displayName'), account.displayName], [t('accounts.username'), account.username]]

  app.get('/admin/accounts/:accountId', { config: { policy: 'accounts.read' }, schema: { params: AccountParams } },
    async (request, reply) => showAccount(request, reply, request.params.accountId))

  app.post('/admin/accounts/:accountId/grants', {
    config: { policy: 'accounts.manage' },
    schema: { params: AccountParams, body: StrictObject({ role: Typed, scope: Typed }) }
  }, async (request, reply) => {
    const { accountId } = request.params
    try {
      const { grant, problems } = grantOf(pageContext(request).t, optional(request.body.role), request.body.scope)
      assertNoProblems(problems)
      await accounts.grantRole(actorOf(request), accountId, checked(GrantInputSchema, grant))
      return reply.redirect(`/admin/accounts/${accountId}`)
    } catch (error) {
      return refusedOnAccount(request, reply, accountId, error, keptValues(request.body))
    }
  })

  app.post('/admin/accounts/:accountId/grants/:grantId/revoke', {
    config: { policy: 'accounts.manage' },
    schema: { params: StrictObject({ accountId: Uuid, grantId: Uuid }), body: StrictObject(ConfirmField) }
  }, async (request, reply) => {
    const { accountId, grantId } = request.params
    try {
      if (!isConfirmed(request.body)) {
        const { t } = pageContext(request)
        const account = await accounts.getAccount(accountId)
        const grant = account.grants.find((one) => one.id === grantId)
        if (!grant) throw new GrantNotFound(grantId)
        const scopeName = grant.scopeId ? (await scopeNames(departments))[grant.scopeId] : undefined
        const scope = `${t(`scope.${grant.scopeType}`)}${scopeName ? ` · ${scopeName}` : ''}`
        const role = t(`role.${grant.role}`)
        return showConfirmation(request, reply, {
          title: t('accounts.confirm.revoke.title'),
          facts: [...accountFacts(t, account), [t('accounts.roles'), role], [t('accounts.scope'), scope]],
          consequences: [t('accounts.confirm.revoke.effect', { name: account.displayName, role, scope }), t('accounts.confirm.revoke.undo')],
          action: `/admin/accounts/${accountId}/grants/${grantId}/revoke`,
          fields: {},
          confirmLabel: t('accounts.confirm.revoke.button'),
          backHref: `/admin/accounts/${accountId}`,
          destructive: true
        })
      }
      await accounts.revokeGrant(actorOf(request), accountId, grantId)
      return reply.redirect(`/admin/accounts/${accountId}`)
    } catch (error) {
      return refusedOnAccount(request, reply, accountId, error)
    }
  })

  app.post('/admin/accounts/:accountId/status', {
    config: { policy: 'accounts.manage' },
    schema: { params: AccountParams, body: StrictObject({ status: Type.Enum(['active', 'disabled']), ...ConfirmField }) }
  }, async (request, reply) => {
    const { accountId } = request.params
    const { status } = request.body
    try {
      // enabling gives back; disabling ends every session of someone at once: that one asks first
      if (status === 'disabled' && !isConfirmed(request.body)) {
        const { t } = pageContext(request)
        const account = await accounts.getAccount(accountId)
        return showConfirmation(request, reply, {
          title: t('accounts.confirm.disable.title'),
          facts: [...accountFacts(t, account), [t('accounts.roles'), account.grants.map((grant) => t(`role.${grant.role}`)).join('、') || t('common.none')]],
          consequences: [t('accounts.confirm.disable.effect', { name: who(account) }), t('accounts.confirm.disable.undo')],
          action: `/admin/accounts/${accountId}/status`,
          fields: { status },
          confirmLabel: t('accounts.confirm.disable.button'),
          backHref: `/admin/accounts/${accountId}`,
          destructive: true
        })
      }
      await accounts.updateAccount(actorOf(request), accountId, { status })
      return reply.redirect(`/admin/accounts/${accountId}`)
    } catch (error) {
      return refusedOnAccount(request, reply, accountId, error)
    }
  })

  app.post('/admin/accounts/:accountId/password-reset', {
    config: { policy: 'accounts.manage' },
    schema: { params: AccountParams, body: StrictObject(ConfirmField) }
  }, async (request, reply) => {
    const { accountId } = request.params
    try {
      if (!isConfirmed(request.body)) {
        const { t } = pageContext(request)
        const account = await accounts.getAccount(accountId)
        return showConfirmation(request, reply, {
          title: t('accounts.confirm.reset.title'),
          facts: accountFacts(t, account),
          consequences: [t('accounts.confirm.reset.effect', { name: who(account) }), t('accounts.confirm.reset.next')],
          action: `/admin/accounts/${accountId}/password-reset`,
          fields: {},
          confirmLabel: t('accounts.confirm.reset.button'),
          backHref: `/admin/accounts/${accountId}`,
          destructive: true
        })
      }
      const { oneTimePassword } = await accounts.resetPassword(actorOf(request), accountId)
      return showAccount(request, reply, accountId, { oneTimePassword })
    } catch (error) {
      return refusedOnAccount(request, reply, accountId, error)
    }
  })
}
