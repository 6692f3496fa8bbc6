/**
 * Authentication and the route half of the policy layer.
 *
 * - Every route must declare `config.policy` ('public', 'authenticated', 'bank' or an action
 *   from src/lib/policy.ts); registering one without it fails the start, so no route escapes.
 *   'bank' routes carry no session: the banks module authenticates their signature.
 * - Sessions are opaque tokens (bearer header for API clients, httpOnly cookie for pages);
 *   only their SHA-256 is stored. Resolved principals are cached briefly per instance; a
 *   revocation anywhere is broadcast with NOTIFY and evicts the cache on every instance.
 * - Certificate login (PKI issue) verifies a signed challenge and then calls `issueSession`
 *   with method 'certificate'; nothing else changes.
 */
import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { accounts, roleGrants, sessions } from '../../schema/index.ts'
import { randomToken, sha256Hex } from '../lib/crypto-bits.ts'
import { createError } from '../lib/errors.ts'
import { isAction, mayAttempt, type BankCaller, type Grant, type Principal, type RoutePolicy } from '../lib/policy.ts'
import type { Queryable } from './db.ts'

export const AuthRequired = createError('AUTH_REQUIRED', 'Sign in to continue', 401)
export const SessionInvalid = createError('SESSION_INVALID', 'The session token is not valid', 401)
export const SessionExpired = createError('SESSION_EXPIRED', 'The session has expired; sign in again', 401)
export const Forbidden = createError('FORBIDDEN', 'Your roles do not allow this action', 403)
export const PasswordChangeRequired = createError('PASSWORD_CHANGE_REQUIRED', 'Change the one-time password before continuing', 403)
export const CrossSiteRequest = createError('CROSS_SITE_REQUEST', 'The request did not come from this site', 403)

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call the route; checked before validation and the handler */
    policy?: RoutePolicy
    /** a server-rendered page: auth failures redirect to the login page */
    page?: boolean
    /** reachable while the account still has to replace a one-time password */
    allowPendingPasswordChange?: boolean
  }
  interface FastifyRequest {
    principal: Principal | null
    /** set by the banks module once a 'bank' route's signature is verified */
    bank: BankCaller | null
  }
  interface FastifyInstance {
    auth: AuthService
  }
}

export interface IssueSessionInput {
  accountId: string
  method: 'password' | 'certificate'
  ip?: string | null
  userAgent?: string | null
}

export interface AuthService {
  readonly cookieName: string
  /** Creates a session inside the caller's transaction; the token is returned once and never stored. */
  issueSession (tx: Queryable, input: IssueSessionInput): Promise<{ token: string, sessionId: string, expiresAt: Date }>
  /** Marks a session revoked inside the caller's transaction; every instance evicts it at commit. */
  revokeSession (tx: Queryable, sessionId: string): Promise<boolean>
  /** Revokes all sessions of an account (disabled account, password changed elsewhere). */
  revokeAccountSessions (tx: Queryable, accountId: string, exceptSessionId?: string): Promise<number>
  /** Drops cached principals of an account (grants changed); takes effect at commit. */
  invalidateAccount (tx: Queryable, accountId: string): Promise<void>
  /** Resolves a raw token; null when unknown, revoked, expired or the account is disabled. */
  resolveToken (token: string): Promise<Principal | null>
  /** The account's sessions that are neither revoked nor expired, newest first. */
  listSessions (accountId: string): Promise<SessionSummary[]>
  /** Called on every instance when sessions end or an account's grants change (e.g. to close sockets). */
  onRevoked (listener: (match: RevocationMatch) => void): void
}

export interface SessionSummary {
  id: string
  method: 'password' | 'certificate'
  createdAt: Date
  expiresAt: Date
  lastSeenAt: Date
  ip: string | null
  userAgent: string | null
}

export interface RevocationMatch { sessionId?: string, accountId?: string }

export interface AuthPluginOptions {
  cookieName: string
  ttlHours: number
  cacheSeconds: number
  publicUrl: string
}

/** Routes added by third-party plugins (docs UI, static assets) that are public by nature. */
const PUBLIC_PREFIXES = ['/docs', '/assets/']
const NOTIFY_CHANNEL = 'openhall_auth'
const CACHE_LIMIT = 10_000
const LAST_SEEN_INTERVAL_MS = 60_000

interface CachedPrincipal {
  principal: Principal
  expiresAt: number
  cachedUntil: number
  lastSeenWrittenAt: number
}

type Resolution = { principal: Principal, expired?: never } | { principal: null, expired: boolean }

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export default fp<AuthPluginOptions>(async function authPlugin (app, options) {
  const db = app.db
  const cache = new Map<string, CachedPrincipal>()
  const revocationListeners: Array<(match: RevocationMatch) => void> = []
  const ttlMs = options.ttlHours * 3_600_000
  const cacheMs = options.cacheSeconds * 1000
  const siteOrigin = new URL(options.publicUrl).origin

  function evict (match: (entry: CachedPrincipal) => boolean) {
    for (const [hash, entry] of cache) if (match(entry)) cache.delete(hash)
  }

  await db.$client.listen(NOTIFY_CHANNEL, (payload) => {
    const message = JSON.parse(payload) as RevocationMatch
    if (message.sessionId) evict((entry) => entry.principal.sessionId === message.sessionId)
    if (message.accountId) evict((entry) => entry.principal.accountId === message.accountId)
    for (const listener of revocationListeners) listener(message)
  }, () => cache.clear()) // (re)connected: notifications may have been missed

  /** Evicts here at once and, through NOTIFY at commit, on every instance (this one included, to close the race with a reload). */
  async function notify (tx: Queryable, message: RevocationMatch) {
    if (message.sessionId) evict((entry) => entry.principal.sessionId === message.sessionId)
    if (message.accountId) evict((entry) => entry.principal.accountId === message.accountId)
    await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, ${JSON.stringify(message)})`)
  }

  async function loadPrincipal (tokenHash: string): Promise<Resolution> {
    const [row] = await db.select({
      sessionId: sessions.id,
      method: sessions.method,
      expiresAt: sessions.expiresAt,
      revokedAt: sessions.revokedAt,
      accountId: accounts.id,
      username: accounts.username,
      displayName: accounts.displayName,
      kind: accounts.kind,
      status: accounts.status,
      mustChangePassword: accounts.mustChangePassword
    }).from(sessions).innerJoin(accounts, eq(accounts.id, sessions.accountId))
      .where(eq(sessions.tokenHash, tokenHash)).limit(1)
    if (!row || row.revokedAt || row.status !== 'active') return { principal: null, expired: false }
    if (row.expiresAt.getTime() <= Date.now()) return { principal: null, expired: true }
    const grants: Grant[] = await db.select({ role: roleGrants.role, scopeType: roleGrants.scopeType, scopeId: roleGrants.scopeId })
      .from(roleGrants).where(and(eq(roleGrants.accountId, row.accountId), isNull(roleGrants.revokedAt)))
    const principal: Principal = {
      accountId: row.accountId,
      username: row.username,
      displayName: row.displayName,
      kind: row.kind,
      grants,
      sessionId: row.sessionId,
      authMethod: row.method,
      mustChangePassword: row.mustChangePassword
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    cache.set(tokenHash, { principal, expiresAt: row.expiresAt.getTime(), cachedUntil: Date.now() + cacheMs, lastSeenWrittenAt: Date.now() })
    return { principal }
  }

  async function resolve (token: string): Promise<Resolution> {
    const tokenHash = sha256Hex(token)
    const cached = cache.get(tokenHash)
    const now = Date.now()
    if (cached && cached.cachedUntil > now) {
      if (cached.expiresAt <= now) {
        cache.delete(tokenHash)
        return { principal: null, expired: true }
      }
      if (now - cached.lastSeenWrittenAt > LAST_SEEN_INTERVAL_MS) {
        cached.lastSeenWrittenAt = now
        db.update(sessions).set({ lastSeenAt: new Date(now) }).where(eq(sessions.id, cached.principal.sessionId))
          .catch((error: unknown) => app.log.warn({ err: error }, 'could not record session activity'))
      }
      return { principal: cached.principal }
    }
    return loadPrincipal(tokenHash)
  }

  const service: AuthService = {
    cookieName: options.cookieName,
    async issueSession (tx, input) {
      const token = `ohs_${randomToken()}`
      const expiresAt = new Date(Date.now() + ttlMs)
      const [row] = await tx.insert(sessions).values({
        accountId: input.accountId,
        tokenHash: sha256Hex(token),
        method: input.method,
        expiresAt,
        ip: input.ip ?? null,
        userAgent: input.userAgent?.slice(0, 512) ?? null
      }).returning({ id: sessions.id })
      return { token, sessionId: row!.id, expiresAt }
    },
    async revokeSession (tx, sessionId) {
      const revoked = await tx.update(sessions).set({ revokedAt: new Date() })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt))).returning({ id: sessions.id })
      await notify(tx, { sessionId })
      return revoked.length > 0
    },
    async revokeAccountSessions (tx, accountId, exceptSessionId) {
      const revoked = await tx.update(sessions).set({ revokedAt: new Date() })
        .where(and(
          eq(sessions.accountId, accountId),
          isNull(sessions.revokedAt),
          exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined
        )).returning({ id: sessions.id })
      await notify(tx, { accountId })
      return revoked.length
    },
    async invalidateAccount (tx, accountId) {
      await notify(tx, { accountId })
    },
    async resolveToken (token) {
      return (await resolve(token)).principal
    },
    async listSessions (accountId) {
      return db.select({
        id: sessions.id,
        method: sessions.method,
        createdAt: sessions.createdAt,
        expiresAt: sessions.expiresAt,
        lastSeenAt: sessions.lastSeenAt,
        ip: sessions.ip,
        userAgent: sessions.userAgent
      }).from(sessions)
        .where(and(eq(sessions.accountId, accountId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
        .orderBy(desc(sessions.createdAt))
    },
    onRevoked (listener) {
      revocationListeners.push(listener)
    }
  }

  function presentedToken (request: FastifyRequest): { token: string, via: 'bearer' | 'cookie' } | null {
    const header = request.headers.authorization
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header)
      return match?.[1] ? { token: match[1], via: 'bearer' } : { token: '', via: 'bearer' }
    }
    const cookie = request.cookies[options.cookieName]
    return cookie ? { token: cookie, via: 'cookie' } : null
  }

  app.decorate('auth', service)
  app.decorateRequest('principal', null)
  app.decorateRequest('bank', null)

  app.addHook('onRoute', (route) => {
    route.config ??= {}
    const config = route.config as { policy?: string }
    if (!config.policy && PUBLIC_PREFIXES.some((prefix) => route.url.startsWith(prefix))) config.policy = 'public'
    const policy = config.policy
    if (!policy || !(policy === 'public' || policy === 'authenticated' || policy === 'bank' || isAction(policy))) {
      throw new Error(`route ${String(route.method)} ${route.url} must declare config.policy (got ${String(policy)})`)
    }
  })

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config
    const policy = config.policy ?? 'public'
    const presented = presentedToken(request)
    let expired = false
    if (presented) {
      const resolution = presented.token ? await resolve(presented.token) : { principal: null, expired: false }
      request.principal = resolution.principal
      expired = resolution.expired === true
      if (!resolution.principal) {
        if (presented.via === 'bearer') throw expired ? new SessionExpired() : new SessionInvalid()
        reply.clearCookie(options.cookieName, { path: '/' })
      } else if (presented.via === 'cookie' && UNSAFE_METHODS.has(request.method)) {
        // cookies ride along on cross-site requests; SameSite=Lax plus this check keeps them out
        const origin = request.headers.origin
        if (origin && origin !== siteOrigin && origin !== `${request.protocol}://${request.host}`) throw new CrossSiteRequest()
      }
    }
    if (policy === 'public' || policy === 'bank') return
    const principal = request.principal
    if (!principal) throw expired ? new SessionExpired() : new AuthRequired()
    if (principal.mustChangePassword && !config.allowPendingPasswordChange) throw new PasswordChangeRequired()
    if (policy !== 'authenticated' && !mayAttempt(principal, policy)) throw new Forbidden()
  })

  // A bank's signature covers the raw body, so it is verified after parsing, in the bank routes'
  // preValidation; this closes any 'bank' route that was not verified there.
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config.policy === 'bank' && !request.bank) throw new AuthRequired()
  })
}, { name: 'auth', dependencies: ['db', '@fastify/cookie'] })
