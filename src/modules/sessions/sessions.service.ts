import type { Actor } from '../../lib/actor.ts'
import type { Principal } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { AuthService } from '../../plugins/auth.ts'
import type { Database } from '../../plugins/db.ts'
import type { AccountsService } from '../accounts/accounts.service.ts'
import { CertificateNotLinked } from '../pki/pki.errors.ts'
import type { PkiService } from '../pki/pki.service.ts'
import type { SignedChallenge } from '../pki/pki.schemas.ts'
import { SessionNotFound } from './sessions.errors.ts'
import type { Login, SessionView } from './sessions.schemas.ts'

export interface SessionsDeps { db: Database, audit: Audit, auth: AuthService, accounts: AccountsService, pki: PkiService }

export function describePrincipal (principal: Principal) {
  return {
    id: principal.accountId,
    username: principal.username,
    displayName: principal.displayName,
    kind: principal.kind,
    grants: principal.grants.map(({ role, scopeType, scopeId }) => ({ role, scopeType, scopeId })),
    mustChangePassword: principal.mustChangePassword
  }
}

export function createSessionsService ({ db, audit, auth, accounts, pki }: SessionsDeps) {
  /** Password sign-in: throttling and the failure path are handled (and audited) by the accounts service. */
  async function signIn (input: Login & { ip: string, userAgent: string | undefined, requestId: string }) {
    const account = await accounts.authenticate({ username: input.username, password: input.password, ip: input.ip, requestId: input.requestId })
    const session = await db.transaction(async (tx) => {
      await accounts.recordSignIn(tx, account)
      const issued = await auth.issueSession(tx, { accountId: account.id, method: 'password', ip: input.ip, userAgent: input.userAgent })
      await audit.append(tx, {
        actorId: account.id,
        requestId: input.requestId,
        action: 'session.created',
        subjectType: 'account',
        subjectId: account.id,
        payload: { sessionId: issued.sessionId, method: 'password', ip: input.ip }
      })
      return issued
    })
    const principal = await auth.resolveToken(session.token)
    return { token: session.token, sessionId: session.sessionId, expiresAt: session.expiresAt.toISOString(), account: describePrincipal(principal!) }
  }

  /**
   * Certificate sign-in: a single-use challenge signed by a trusted, valid, unrevoked
   * certificate linked to an active account. The challenge is consumed and the session issued
   * in one transaction.
   */
  async function signInWithCertificate (input: SignedChallenge & { ip: string, userAgent: string | undefined, requestId: string }) {
    const session = await db.transaction(async (tx) => {
      const verified = await pki.verifySignedChallenge(tx, input)
      const accountId = await pki.holderOf(tx, verified.signer.fingerprint)
      if (!accountId) throw new CertificateNotLinked()
      await accounts.recordSignIn(tx, await accounts.assertCanSignIn(tx, accountId))
      const issued = await auth.issueSession(tx, { accountId, method: 'certificate', ip: input.ip, userAgent: input.userAgent })
      await audit.append(tx, {
        actorId: accountId,
        requestId: input.requestId,
        action: 'session.created',
        subjectType: 'account',
        subjectId: accountId,
        payload: { sessionId: issued.sessionId, method: 'certificate', certificate: verified.signer.fingerprint, ip: input.ip }
      })
      return issued
    })
    const principal = await auth.resolveToken(session.token)
    return { token: session.token, sessionId: session.sessionId, expiresAt: session.expiresAt.toISOString(), account: describePrincipal(principal!) }
  }

  async function signOut (actor: Actor) {
    await db.transaction(async (tx) => {
      await auth.revokeSession(tx, actor.principal.sessionId)
      await audit.append(tx, auditRecord(actor, 'session.ended', 'account', actor.principal.accountId, { sessionId: actor.principal.sessionId }))
    })
  }

  async function listOwnSessions (actor: Actor): Promise<SessionView[]> {
    const sessions = await auth.listSessions(actor.principal.accountId)
    return sessions.map((session) => ({
      id: session.id,
      method: session.method,
      createdAt: session.createdAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      lastSeenAt: session.lastSeenAt.toISOString(),
      ip: session.ip,
      userAgent: session.userAgent,
      current: session.id === actor.principal.sessionId
    }))
  }

  /** Ends one of the caller's own sessions (e.g. a browser left signed in elsewhere). */
  async function revokeOwnSession (actor: Actor, sessionId: string) {
    const own = await auth.listSessions(actor.principal.accountId)
    if (!own.some((session) => session.id === sessionId)) throw new SessionNotFound(sessionId)
    await db.transaction(async (tx) => {
      await auth.revokeSession(tx, sessionId)
      await audit.append(tx, auditRecord(actor, 'session.revoked', 'account', actor.principal.accountId, { sessionId }))
    })
  }

  return { signIn, signInWithCertificate, signOut, listOwnSessions, revokeOwnSession }
}

export type SessionsService = ReturnType<typeof createSessionsService>
