/**
 * The experts' accounts. The accounts service creates an account in a transaction of its own,
 * but an expert and their account must commit together — and an import of thousands of rows
 * all or nothing — so these helpers do what `accounts.createAccount` does (insert the account,
 * grant the role, write the same `account.created` audit entry) inside the caller's transaction,
 * through the accounts module's repository and rules. They are the only place the pool touches
 * the accounts module's persistence; a transaction-taking creation in the accounts service
 * would replace them.
 *
 * First sign-in: the hall registers an expert with their mobile number, which it has checked
 * as part of admitting them, so the number counts as confirmed: the expert signs in the first
 * time through 忘记密码 (a code texted to that number) and chooses a password. A hall that
 * creates one expert may instead get a one-time password to hand over (must be changed at first
 * sign-in), or set a password (demo data, tests).
 */
import type { Actor } from '../../lib/actor.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { AuthService } from '../../plugins/auth.ts'
import type { Queryable } from '../../plugins/db.ts'
import { findAccount, findAccountByUsername, insertAccount, insertGrant, type AccountRow } from '../accounts/accounts.repository.ts'
import { normaliseUsername } from '../accounts/accounts.rules.ts'
import { AccountNotFound, AccountNotAPerson, UsernameTaken } from './experts.errors.ts'

export interface NewExpertAccount {
  username: string
  displayName: string
  phone: string
  /** a scrypt hash, or null: the expert sets a password through recovery by texted code */
  passwordHash: string | null
  mustChangePassword: boolean
}

/** The expert role in the hall scope: the pool is the hall's, and drawings add nothing to it. */
const EXPERT_GRANT = { role: 'expert', scopeType: 'hall', scopeId: null } as const

export function createExpertAccounts ({ audit, auth, now }: { audit: Audit, auth: AuthService, now: () => Date }) {
  /** Creates the account with the expert role; null when the login name is taken (the caller reports it). */
  async function create (tx: Queryable, actor: Actor | null, input: NewExpertAccount): Promise<AccountRow | null> {
    const username = normaliseUsername(input.username)
    const row = await insertAccount(tx, {
      kind: 'person',
      username,
      displayName: input.displayName,
      phone: input.phone,
      phoneConfirmedAt: now(),
      passwordHash: input.passwordHash,
      mustChangePassword: input.mustChangePassword
    })
    if (!row) return null
    await insertGrant(tx, { accountId: row.id, ...EXPERT_GRANT, grantedBy: actor?.principal.accountId ?? null })
    await audit.append(tx, auditRecord(actor, 'account.created', 'account', row.id, {
      username, kind: 'person', creditCode: null, grants: [EXPERT_GRANT], oneTimePassword: input.mustChangePassword, phoneVouchedByHall: true
    }))
    return row
  }

  async function createOrThrow (tx: Queryable, actor: Actor | null, input: NewExpertAccount): Promise<AccountRow> {
    const row = await create(tx, actor, input)
    if (!row) throw new UsernameTaken(normaliseUsername(input.username))
    return row
  }

  /** An existing person's account joins the pool: it gets the expert role (once). */
  async function adopt (tx: Queryable, actor: Actor, accountId: string): Promise<AccountRow> {
    const account = await findAccount(tx, accountId, { forUpdate: true })
    if (!account) throw new AccountNotFound(accountId)
    if (account.kind !== 'person') throw new AccountNotAPerson()
    const grant = await insertGrant(tx, { accountId, ...EXPERT_GRANT, grantedBy: actor.principal.accountId })
    if (grant) {
      await auth.invalidateAccount(tx, accountId)
      await audit.append(tx, auditRecord(actor, 'account.role_granted', 'account', accountId, { grantId: grant.id, ...EXPERT_GRANT }))
    }
    return account
  }

  /** Which of these login names are taken. */
  async function takenUsernames (db: Queryable, usernames: readonly string[]): Promise<Set<string>> {
    const taken = new Set<string>()
    const distinct = [...new Set(usernames.map(normaliseUsername))]
    for (let i = 0; i < distinct.length; i += 50) {
      const batch = distinct.slice(i, i + 50)
      const found = await Promise.all(batch.map((username) => findAccountByUsername(db, username)))
      found.forEach((account, index) => { if (account) taken.add(batch[index]!) })
    }
    return taken
  }

  async function accountOf (db: Queryable, accountId: string) {
    return findAccount(db, accountId)
  }

  return { create, createOrThrow, adopt, takenUsernames, accountOf }
}

export type ExpertAccounts = ReturnType<typeof createExpertAccounts>
