import type { Actor } from '../../lib/actor.ts'
import { decoyPasswordHash, generatePassword, hashPassword, isStrongPassword, verifyPassword } from '../../lib/password.ts'
import type { Grant, ScopeType } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { AuthService } from '../../plugins/auth.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import {
  AccountLocked, AccountNotFound, CreditCodeInvalid, CreditCodeNotForPersons, CreditCodeRequired, CreditCodeTaken,
  CurrentPasswordWrong, GrantExists, GrantInvalid, GrantNotFound, InvalidCredentials, LastAdministrator,
  PasswordUnchanged, ScopeNotFound, UsernameTaken, WeakPassword
} from './accounts.errors.ts'
import * as repo from './accounts.repository.ts'
import { afterFailedSignIn, creditCodeProblem, grantProblem, isLocked, normaliseUsername, type LockoutPolicy } from './accounts.rules.ts'
import type { AccountListFilter, AccountView, ChangePassword, CreateAccount, GrantInput, GrantView, UpdateAccount } from './accounts.schemas.ts'

export interface AccountsDeps {
  db: Database
  audit: Audit
  auth: AuthService
  clock: Clock
  lockout: LockoutPolicy
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
    lockedUntil: row.lockedUntil?.toISOString() ?? null,
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

export function createAccountsService ({ db, audit, auth, clock, lockout }: AccountsDeps) {
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
      await repo.updateAccount(tx, accountId, changes)
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
      const account = await repo.updateAccount(tx, accountId, { passwordHash, mustChangePassword: true, failedLogins: 0, lockedUntil: null })
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
   * Checks a username and password. Failures are counted (and audited) even though the sign-in
   * is refused; an unknown username costs the same scrypt time as a known one.
   */
  async function authenticate (input: { username: string, password: string, requestId: string }): Promise<repo.AccountRow> {
    const now = clock.now()
    const account = await repo.findAccountByUsername(db, normaliseUsername(input.username))
    if (!account?.passwordHash) {
      await verifyPassword(input.password, await decoyPasswordHash())
      throw new InvalidCredentials()
    }
    if (isLocked(account.lockedUntil, now)) throw new AccountLocked(account.lockedUntil!.toISOString())
    if (await verifyPassword(input.password, account.passwordHash)) {
      if (account.status !== 'active') throw new InvalidCredentials()
      return account
    }
    const locked = await db.transaction(async (tx) => {
      const current = await repo.findAccount(tx, account.id, { forUpdate: true })
      const next = afterFailedSignIn({ failedLogins: current!.failedLogins, lockedUntil: current!.lockedUntil }, now, lockout)
      await repo.setSignInState(tx, account.id, next)
      await audit.append(tx, {
        actorId: null,
        requestId: input.requestId,
        action: 'account.sign_in_failed',
        subjectType: 'account',
        subjectId: account.id,
        payload: { failedLogins: next.failedLogins, lockedUntil: next.lockedUntil?.toISOString() ?? null }
      })
      return next.lockedUntil
    })
    if (isLocked(locked, now)) throw new AccountLocked(locked!.toISOString())
    throw new InvalidCredentials()
  }

  /** Certificate sign-in skips the password, not the account's state. */
  async function assertCanSignIn (tx: Queryable, accountId: string) {
    const account = await repo.findAccount(tx, accountId)
    if (!account || account.status !== 'active') throw new InvalidCredentials()
  }

  /** Called inside the sign-in transaction: a successful sign-in clears the failure counter. */
  async function recordSignIn (tx: Queryable, accountId: string) {
    await repo.setSignInState(tx, accountId, { failedLogins: 0, lockedUntil: null })
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
    ensureAdministrator
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>
