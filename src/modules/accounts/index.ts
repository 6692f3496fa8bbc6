/**
 * Accounts: people and organisations (with their unified social credit code), passwords, and
 * the roles granted to them in scopes (hall, department, window, project).
 *
 * Account states: active ⇄ disabled (disabling ends all sessions). A created account without a
 * chosen password gets a one-time password and must replace it before anything else. Grants are
 * never deleted, only revoked (history stays). The hall always keeps one active administrator.
 * Failed sign-ins throttle the account name and the client address with a growing delay, never
 * lock the account (accounts.throttles.ts); the hall administrator lifts a throttle.
 */
import type { FastifyPluginAsync } from 'fastify'
import { accountsRoutes } from './accounts.routes.ts'
import { createAccountsService, type AccountsService } from './accounts.service.ts'
import { createSignInThrottles } from './accounts.throttles.ts'

declare module '../../plugins/services.ts' {
  interface Services { accounts: AccountsService }
}

/** LOGIN_MAX_FAILURES: failures before the delays start; LOGIN_LOCKOUT_MINUTES: the longest delay. */
export const accountsModule: FastifyPluginAsync<{ lockout: { maxFailures: number, lockoutMinutes: number } }> = async (app, options) => {
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
}
