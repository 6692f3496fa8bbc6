/**
 * Accounts: people and organisations (with their unified social credit code), passwords, and
 * the roles granted to them in scopes (hall, department, window, project).
 *
 * Account states: active ⇄ disabled (disabling ends all sessions). A created account without a
 * chosen password gets a one-time password and must replace it before anything else. Grants are
 * never deleted, only revoked (history stays). The hall always keeps one active administrator.
 */
import type { FastifyPluginAsync } from 'fastify'
import { accountsRoutes } from './accounts.routes.ts'
import { createAccountsService, type AccountsService } from './accounts.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { accounts: AccountsService }
}

export const accountsModule: FastifyPluginAsync<{ lockout: { maxFailures: number, lockoutMinutes: number } }> = async (app, options) => {
  const service = createAccountsService({ db: app.db, audit: app.audit, auth: app.auth, clock: app.clock, lockout: options.lockout })
  const departments = app.services.departments
  service.registerScope('department', (id) => departments.scopeExists('department', id))
  service.registerScope('window', (id) => departments.scopeExists('window', id))
  // the module that owns projects (tendering) registers the 'project' scope
  app.services.accounts = service
  await app.register(accountsRoutes, { service })
}
