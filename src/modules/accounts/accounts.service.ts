import type { Actor } from '../../lib/actor.ts'
import { decoyPasswordHash, generatePassword, hashPassword, isStrongPassword, verifyPassword } from '../../lib/password.ts'
import type { Grant, ScopeType } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { AuthService } from '../../plugins/auth.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import {
  AccountNotFound, CreditCodeInvalid, CreditCodeNotForPersons, CreditCodeRequired, CreditCodeTaken,
  CurrentPasswordWrong, GrantExists, GrantInvalid, GrantNotFound, InvalidCredentials, LastAdministrator,
  PasswordUnchanged, ScopeNotFound, UsernameTaken, WeakPassword
} from './accounts.errors.ts'
import * as repo from './accounts.repository.ts'
import { creditCodeProblem, grantProblem, normaliseUsername } from './accounts.rules.ts'
import type { SignInThrottles } from './accounts.throttles.ts'
import type { AccountListFilter, AccountView, ChangePassword, CreateAccount, GrantInput, GrantView, UpdateAccount } from './accounts.schemas.ts'

export interface AccountsDeps {
  db: Database
  audit: Audit
  auth: AuthService
  throttles: SignInThrottles
}

/** Answers whether a department, window or project with this id exists; modules owning a scope register one. */
export type ScopeResolver = (scopeId: string) => Promise<boolean>

export function toGrantView (row: repo.GrantViewRow): GrantView {
  return { id: row.id, role: row.role, scopeType: row.scopeType, scopeId: row.scopeId, grantedAt: row.grantedAt.toISOString() }
}

export function toAccountView (row: repo.AccountViewRow, grants: repo.GrantViewRow[]): AccountView {
  return {
    id: row.id,
    kind: row.kind,
    username: row.username,
    displayName: row.displayName,
    creditCode: row.creditCode,
    email: row.email,
    phone: row.phone,
    status: row.status,
    mustChangePassword: row.mustChangePassword,
    createdAt: row.createdAt.toISOString(),
    grants: grants.filter((grant) => grant.accountId === row.id).map(toGrantView)
  }
}

function assertCreditCode (kind: 'person' | 'organisation', creditCode: string | undefined) {
  switch (creditCodeProblem(kind, creditCode)) {
    case 'required': throw new CreditCodeRequired()
    case 'not_for_persons': throw new CreditCodeNotForPersons()
    case 'invalid': throw new CreditCodeInvalid(creditCode ?? '')
  }
}

export function createAccountsService ({ db, audit, auth, throttles }: AccountsDeps) {
  const scopeResolvers = new Map<Exclude<ScopeType, 'hall'>, ScopeResolver>()

  function registerScope (scopeType: Exclude<ScopeType, 'hall'>, resolver: ScopeResolver) {
    scopeResolvers.set(scopeType, resolver)
  }

  async function view (tx: Queryable, accountId: string): Promise<AccountView> {
    const found = await repo.findAccountWithGrants(tx, accountId)
    if (!found) throw new AccountNotFound(accountId)
    return toAccountView(found.account, found.grants)
  }

  async function assertGrantable (grant: GrantInput): Promise<Grant> {
    const normalised: Grant = { role: grant.role, scopeType: grant.scopeType, scopeId: grant.scopeId ?? null }
    const problem = grantProblem(normalised)
    if (problem) throw new GrantInvalid(problem)
    const resolver = normalised.scopeType === 'hall' ? undefined : scopeResolvers.get(normalised.scopeType)
    if (normalised.scopeType !== 'hall' && !await resolver?.(normalised.scopeId!)) {
      throw new ScopeNotFound(normalised.scopeType, normalised.scopeId!)
    }
    return normalised
  }

  /** Creates an account; without a password a one-time password is generated and returned once. */
  async function createAccount (actor: Actor | null, input: CreateAccount) {
    const username = normaliseUsername(input.username)
    assertCreditCode(input.kind, input.creditCode)
    if (input.password !== undefined && !isStrongPassword(input.password)) throw new WeakPassword()
    const grants = await Promise.all((input.grants ?? []).map(assertGrantable))
    const oneTimePassword = input.password === undefined ? generatePassword() : null
    const passwordHash = await hashPassword(input.password ?? oneTimePassword!)
    const account = await db.transaction(async (tx) => {
      if (input.creditCode && await repo.findAccountByCreditCode(tx, input.creditCode)) throw new CreditCodeTaken(input.creditCode)
      const row = await repo.insertAccount(tx, {
        kind: input.kind,
        username,
        displayName: input.displayName,
        creditCode: input.creditCode ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        passwordHash,
        mustChangePassword: oneTimePassword !== null
      })
      if (!row) throw new UsernameTaken(username)
      for (const grant of grants) {
        await repo.insertGrant(tx, { accountId: row.id, ...grant, grantedBy: actor?.principal.accountId ?? null })
      }
      await audit.append(tx, auditRecord(actor, 'account.created', 'account', row.id, {
        username, kind: input.kind, creditCode: input.creditCode ?? null, grants, oneTimePassword: oneTimePassword !== null
      }))
      return view(tx, row.id)
    })
    return { account, oneTimePassword }
  }

  async function getAccount (accountId: string) {
    return view(db, accountId)
  }

  async function listAccounts (filter: AccountListFilter) {
    const { items, total } = await repo.listAccounts(db, { q: filter.q, role: filter.role, limit: filter.limit ?? 50, offset: filter.offset ?? 0 })
    const grants = await repo.activeGrants(db, items.map((row) => row.id))
    return { items: items.map((row) => toAccountView(row, grants)), total }
  }

  async function assertNotLastAdministrator (tx: Queryable, accountId: string) {
    const grants = await repo.activeGrants(tx, [accountId])
    if (grants.some((grant) => grant.role === 'hall_admin') && await repo.countOtherActiveAdministrators(tx, accountId) === 0) {
      throw new LastAdministrator()
    }
  }

  async function updateAccount (actor: Actor, accountId: string, changes: UpdateAccount) {
    return db.transaction(async (tx) => {
      const existing = await repo.findAccount(tx, accountId, { forUpdate: true })
      if (!existing) throw new AccountNotFound(accountId)
      const disabling = changes.status === 'disabled' && existing.status !== 'disabled'
      if (disabling) await assertNotLastAdministrator(tx, accountId)
      // a new number is not confirmed: no SMS reaches it until its owner confirms it
      const phoneChanged = changes.phone !== undefined && changes.phone !== existing.phone
      await repo.updateAccount(tx, accountId, phoneChanged ? { ...changes, phoneConfirmedAt: null } : changes)
      // a disabled account's sessions end now, on every instance
      if (disabling) await auth.revokeAccountSessions(tx, accountId)
      await audit.append(tx, auditRecord(actor, 'account.updated', 'account', accountId, { changes }))
      return view(tx, accountId)
    })
  }

  async function grantRole (actor: Actor, accountId: string, input: GrantInput) {
    const grant = await assertGrantable(input)
    return db.transaction(async (tx) => {
      if (!await repo.findAccount(tx, accountId)) throw new AccountNotFound(accountId)
      const row = await repo.insertGrant(tx, { accountId, ...grant, grantedBy: actor.principal.accountId })
      if (!row) throw new GrantExists()
      await auth.invalidateAccount(tx, accountId)
      await audit.append(tx, auditRecord(actor, 'account.role_granted', 'account', accountId, { grantId: row.id, ...grant }))
      return view(tx, accountId)
    })
  }

  async function revokeGrant (actor: Actor, accountId: string, grantId: string) {
    return db.transaction(async (tx) => {
      if (!await repo.findAccount(tx, accountId, { forUpdate: true })) throw new AccountNotFound(accountId)
      const grants = await repo.activeGrants(tx, [accountId])
      const target = grants.find((grant) => grant.id === grantId)
      if (!target) throw new GrantNotFound(grantId)
      if (target.role === 'hall_admin' && !grants.some((grant) => grant.id !== grantId && grant.role === 'hall_admin')) {
        await assertNotLastAdministrator(tx, accountId)
      }
      await repo.revokeGrant(tx, accountId, grantId)
      await auth.invalidateAccount(tx, accountId)
      await audit.append(tx, auditRecord(actor, 'account.role_revoked', 'account', accountId, {
        grantId, role: target.role, scopeType: target.scopeType, scopeId: target.scopeId
      }))
      return view(tx, accountId)
    })
  }

  /** An administrator issues a new one-time password; existing sessions end. */
  async function resetPassword (actor: Actor, accountId: string) {
    const oneTimePassword = generatePassword()
    const passwordHash = await hashPassword(oneTimePassword)
    await db.transaction(async (tx) => {
      const account = await repo.updateAccount(tx, accountId, { passwordHash, mustChangePassword: true })
      if (!account) throw new AccountNotFound(accountId)
      await auth.revokeAccountSessions(tx, accountId)
      await audit.append(tx, auditRecord(actor, 'account.password_reset', 'account', accountId))
    })
    return { oneTimePassword }
  }

  /** The signed-in user replaces its password; its other sessions end. */
  async function changeOwnPassword (actor: Actor, input: ChangePassword) {
    const accountId = actor.principal.accountId
    const account = await repo.findAccount(db, accountId)
    if (!account?.passwordHash || !await verifyPassword(input.currentPassword, account.passwordHash)) throw new CurrentPasswordWrong()
    if (input.newPassword === input.currentPassword) throw new PasswordUnchanged()
    if (!isStrongPassword(input.newPassword)) throw new WeakPassword()
    const passwordHash = await hashPassword(input.newPassword)
    await db.transaction(async (tx) => {
      await repo.updateAccount(tx, accountId, { passwordHash, mustChangePassword: false })
      await auth.revokeAccountSessions(tx, accountId, actor.principal.sessionId)
      await audit.append(tx, auditRecord(actor, 'account.password_changed', 'account', accountId))
    })
  }

  /**
   * Checks a username and password, unless the name or the client must wait (429). A known and
   * an unknown name take the same path: the same throttles, answers and scrypt time; a failure
   * on a real account is also audited on the account. See accounts.throttles.ts.
   */
  async function authenticate (input: { username: string, password: string, ip: string, requestId: string }): Promise<repo.AccountRow> {
    const attempt = { username: normaliseUsername(input.username), ip: input.ip, requestId: input.requestId }
    await throttles.assertMayAttempt(attempt)
    const account = await repo.findAccountByUsername(db, attempt.username)
    const passwordMatches = await verifyPassword(input.password, account?.passwordHash ?? await decoyPasswordHash())
    if (account?.passwordHash && passwordMatches) {
      if (account.status !== 'active') throw new InvalidCredentials()
      return account
    }
    await db.transaction(async (tx) => {
      await throttles.recordFailure(tx, attempt)
      if (account) {
        await audit.append(tx, {
          actorId: null, requestId: input.requestId, action: 'account.sign_in_failed', subjectType: 'account', subjectId: account.id, payload: { ip: input.ip }
        })
      }
    })
    throw new InvalidCredentials()
  }

  /** Certificate sign-in skips the password, not the account's state. */
  async function assertCanSignIn (tx: Queryable, accountId: string): Promise<repo.AccountRow> {
    const account = await repo.findAccount(tx, accountId)
    if (!account || account.status !== 'active') throw new InvalidCredentials()
    return account
  }

  /** Called inside the sign-in transaction: a successful sign-in forgets the name's failures. */
  async function recordSignIn (tx: Queryable, account: Pick<repo.AccountRow, 'username'>) {
    await throttles.forgetAccount(tx, account.username)
  }

  /**
   * First start: make sure the hall has an administrator. Uses the configured password, or
   * generates a one-time password that must be changed at first sign-in.
   */
  async function ensureAdministrator (input: { username: string, password: string | undefined }) {
    const existing = await repo.listAccounts(db, { role: 'hall_admin', limit: 1, offset: 0 })
    if (existing.total > 0) return { created: false as const }
    try {
      const { account, oneTimePassword } = await createAccount(null, {
        kind: 'person',
        username: input.username,
        displayName: '大厅管理员 Hall administrator',
        password: input.password,
        grants: [{ role: 'hall_admin', scopeType: 'hall' }]
      })
      return { created: true as const, username: account.username, oneTimePassword }
    } catch (error) {
      // another instance starting at the same moment created it
      if (error instanceof UsernameTaken) return { created: false as const }
      throw error
    }
  }

  return {
    registerScope,
    createAccount,
    getAccount,
    listAccounts,
    updateAccount,
    grantRole,
    revokeGrant,
    resetPassword,
    changeOwnPassword,
    authenticate,
    assertCanSignIn,
    recordSignIn,
    ensureAdministrator,
    listThrottles: throttles.listThrottles,
    liftThrottle: throttles.liftThrottle
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>
