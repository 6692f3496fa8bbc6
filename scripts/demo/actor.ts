import type { Actor } from '../../src/lib/actor.ts'
import type { AccountView } from '../../src/modules/accounts/accounts.schemas.ts'

/** The demo acts on behalf of real demo accounts, so audit entries read as they would in the hall. */
export function actorFor (account: AccountView): Actor {
  return {
    principal: {
      accountId: account.id,
      username: account.username,
      displayName: account.displayName,
      kind: account.kind,
      grants: account.grants.map(({ role, scopeType, scopeId }) => ({ role, scopeType, scopeId })),
      sessionId: '00000000-0000-0000-0000-000000000000',
      authMethod: 'password',
      mustChangePassword: false
    },
    requestId: 'demo-seed'
  }
}
