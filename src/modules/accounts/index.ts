/**
 * Accounts: people and organisations (with their unified social credit code), passwords, and
 * the roles granted to them in scopes (hall, department, window, project).
 *
 * Account states: active ⇄ disabled (disabling ends all sessions); a self-registered account
 * starts pending → active (a person's texted code; an organisation's approval or certificate) or
 * → disabled (an organisation refused). See accounts.registration.ts. A created account without a
 * chosen password gets a one-time password and must replace it before anything else. Grants are
 * never deleted, only revoked (history stays). The hall always keeps one active administrator.
 * Failed sign-ins throttle the account name and the client address with a growing delay, never
 * lock the account (accounts.throttles.ts); the hall administrator lifts a throttle.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { MasterKey } from '../../lib/master-key.ts'
import { registrationRoutes } from './accounts.registration.routes.ts'
import { createRegistration, type Registration } from './accounts.registration.ts'
import { findAccount } from './accounts.repository.ts'
import { accountsRoutes } from './accounts.routes.ts'
import { createAccountsService, type AccountsService } from './accounts.service.ts'
import { createSignInThrottles } from './accounts.throttles.ts'

declare module '../../plugins/services.ts' {
  interface Services { accounts: AccountsService, registration: Registration }
}

/** LOGIN_MAX_FAILURES: failures before the delays start; LOGIN_LOCKOUT_MINUTES: the longest delay. */
export interface AccountsModuleOptions {
  lockout: { maxFailures: number, lockoutMinutes: number }
  masterKey: MasterKey
  hallName: string
  /** requests per minute and client address on the public registration and recovery routes */
  registrationPerMinute: number
}

export const accountsModule: FastifyPluginAsync<AccountsModuleOptions> = async (app, options) => {
  const throttles = createSignInThrottles({
    db: app.db, audit: app.audit, clock: app.clock, policy: { freeFailures: options.lockout.maxFailures, maxDelayMinutes: options.lockout.lockoutMinutes }
  })
  const service = createAccountsService({ db: app.db, audit: app.audit, auth: app.auth, throttles })
  const departments = app.services.departments
  service.registerScope('department', (id) => departments.scopeExists('department', id))
  service.registerScope('window', (id) => departments.scopeExists('window', id))
  // the module that owns projects (tendering) registers the 'project' scope
  app.services.accounts = service
  app.timers.define('accounts.purge_throttles', async (tx) => { await throttles.purgeForgotten(tx) })
  await app.timers.ensureRecurring(app.db, { kind: 'accounts.purge_throttles', key: 'accounts.purge_throttles', firstAt: new Date(Date.now() + 3_600_000), intervalSeconds: 3600 })
  await app.register(accountsRoutes, { service })

  // self-registration and recovery (accounts.registration.ts): codes go out through the notifier,
  // which learns from here where an account's confirmed number is
  const notifier = app.services.notifier
  notifier.useContacts(async (tx, accountId) => {
    const account = await findAccount(tx, accountId)
    return account ? { phone: account.phone, phoneConfirmed: account.phoneConfirmedAt !== null } : undefined
  })
  const registration = createRegistration({
    db: app.db,
    audit: app.audit,
    auth: app.auth,
    clock: app.clock,
    notifier,
    pki: () => app.services.pki,
    codeKey: options.masterKey.derive('one-time-codes'),
    hallName: options.hallName
  })
  app.services.registration = registration
  await app.register(registrationRoutes, { registration, perMinute: options.registrationPerMinute })
}
