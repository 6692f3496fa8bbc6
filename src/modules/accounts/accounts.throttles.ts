/**
 * Sign-in throttling: failed password sign-ins are remembered per account name and per client
 * address (rules in accounts.rules.ts). What was decided, and why:
 *
 * - There is no lock. A lock anyone can set by typing wrong passwords is a denial of service;
 *   instead an attempt made while a throttle is in force is refused unchecked (429 with
 *   Retry-After), and the delay grows with the failures, so guessing stays slow.
 * - The account throttle is keyed by the name as typed (normalised), whether or not an account
 *   has it, so a known and an unknown name answer alike: same statuses, codes, bodies and
 *   delays (and the same scrypt cost, see authenticate).
 * - While an account name is throttled, a client address with no remembered failures of its
 *   own is still checked: a person signing in from their own desk gets in even while someone
 *   else hammers their name. Each wrong guess from a fresh address counts against both that
 *   address and the name, so a distributed attacker earns one guess per fresh address.
 * - A successful sign-in forgets the account name's failures (not the address's, or an attacker
 *   holding any account could wash their address clean between guesses).
 * - The hall administrator sees the remembered throttles and lifts one; every throttle imposed
 *   and every lift is audited in the transaction that writes it.
 */
import type { Actor } from '../../lib/actor.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import { SignInThrottled, ThrottleNotFound } from './accounts.errors.ts'
import * as repo from './accounts.repository.ts'
import { afterFailure, forgetAfterMs, isRemembered, secondsBlocked, type ThrottlePolicy, type ThrottleScope } from './accounts.rules.ts'
import type { ThrottleView } from './accounts.schemas.ts'

export interface SignInThrottlesDeps { db: Database, audit: Audit, clock: Clock, policy: ThrottlePolicy }

/** Who is attempting: the normalised account name and the client address. */
export interface SignInAttempt { username: string, ip: string, requestId: string }

function keysOf (attempt: SignInAttempt): Array<{ scope: ThrottleScope, key: string }> {
  return [{ scope: 'account', key: attempt.username }, { scope: 'client', key: attempt.ip }]
}

function toThrottleView (row: repo.ThrottleRow, now: Date): ThrottleView {
  return {
    id: row.id,
    scope: row.scope,
    key: row.key,
    failures: row.failures,
    firstFailureAt: row.firstFailureAt.toISOString(),
    lastFailureAt: row.lastFailureAt.toISOString(),
    blockedUntil: row.blockedUntil && row.blockedUntil > now ? row.blockedUntil.toISOString() : null
  }
}

export function createSignInThrottles ({ db, audit, clock, policy }: SignInThrottlesDeps) {
  /** Refuses (429) an attempt that must wait; otherwise the password may be checked. */
  async function assertMayAttempt (attempt: SignInAttempt) {
    const now = clock.now()
    const rows = await repo.findThrottles(db, keysOf(attempt))
    const remembered = (scope: ThrottleScope) => {
      const row = rows.find((candidate) => candidate.scope === scope)
      return isRemembered(row, now, policy) ? row : undefined
    }
    const client = remembered('client')
    const account = remembered('account')
    const clientWait = secondsBlocked(client, now)
    // a name under attack still opens for an address that has not failed itself
    const accountWait = client ? secondsBlocked(account, now) : 0
    const wait = Math.max(clientWait, accountWait)
    if (wait > 0) throw new SignInThrottled(wait)
  }

  /** Counts a failed attempt against the name and the address; audits each delay it imposes. */
  async function recordFailure (tx: Queryable, attempt: SignInAttempt) {
    const now = clock.now()
    const imposed: Array<{ scope: ThrottleScope, failures: number, blockedUntil: string }> = []
    for (const key of keysOf(attempt)) {
      const current = await repo.lockThrottle(tx, key)
      const next = afterFailure(current, now, key.scope, policy)
      await repo.updateThrottle(tx, current.id, next)
      if (next.blockedUntil) imposed.push({ scope: key.scope, failures: next.failures, blockedUntil: next.blockedUntil.toISOString() })
    }
    for (const { scope, failures, blockedUntil } of imposed) {
      const key = scope === 'account' ? attempt.username : attempt.ip
      await audit.append(tx, {
        actorId: null,
        requestId: attempt.requestId,
        action: 'sign_in.throttled',
        subjectType: 'sign_in_throttle',
        subjectId: `${scope}:${key}`,
        payload: { scope, key, failures, blockedUntil }
      })
    }
  }

  /** A successful sign-in forgets the name's failures (inside the sign-in transaction). */
  async function forgetAccount (tx: Queryable, username: string) {
    await repo.deleteThrottle(tx, { scope: 'account', key: username })
  }

  async function listThrottles (): Promise<ThrottleView[]> {
    const now = clock.now()
    const rows = await repo.listThrottles(db, new Date(now.getTime() - forgetAfterMs(policy)))
    return rows.map((row) => toThrottleView(row, now))
  }

  /** The administrator lifts a throttle: its failures are forgotten at once. */
  async function liftThrottle (actor: Actor, throttleId: string) {
    await db.transaction(async (tx) => {
      const lifted = await repo.deleteThrottle(tx, { id: throttleId })
      if (!lifted) throw new ThrottleNotFound(throttleId)
      await audit.append(tx, auditRecord(actor, 'sign_in_throttle.lifted', 'sign_in_throttle', `${lifted.scope}:${lifted.key}`, {
        scope: lifted.scope, key: lifted.key, failures: lifted.failures, blockedUntil: lifted.blockedUntil?.toISOString() ?? null
      }))
    })
  }

  /** Rows whose failures are forgotten; the recurring purge keeps the table to live throttles. */
  async function purgeForgotten (tx: Queryable) {
    return repo.deleteForgottenThrottles(tx, new Date(clock.now().getTime() - forgetAfterMs(policy)))
  }

  return { assertMayAttempt, recordFailure, forgetAccount, listThrottles, liftThrottle, purgeForgotten }
}

export type SignInThrottles = ReturnType<typeof createSignInThrottles>
