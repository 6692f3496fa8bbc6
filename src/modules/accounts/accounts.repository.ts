import { and, asc, count, desc, eq, gt, ilike, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import { accounts, roleGrants, signInThrottles } from '../../../schema/index.ts'
import type { Role } from '../../lib/policy.ts'
import type { Queryable } from '../../plugins/db.ts'

export type AccountRow = typeof accounts.$inferSelect
export type GrantRow = typeof roleGrants.$inferSelect

export async function findAccount (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<AccountRow | undefined> {
  const query = db.select().from(accounts).where(eq(accounts.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

/** What an account view shows: never the password hash. */
const accountViewColumns = {
  id: accounts.id,
  kind: accounts.kind,
  username: accounts.username,
  displayName: accounts.displayName,
  creditCode: accounts.creditCode,
  email: accounts.email,
  phone: accounts.phone,
  status: accounts.status,
  mustChangePassword: accounts.mustChangePassword,
  createdAt: accounts.createdAt
}
const grantViewColumns = {
  id: roleGrants.id,
  accountId: roleGrants.accountId,
  role: roleGrants.role,
  scopeType: roleGrants.scopeType,
  scopeId: roleGrants.scopeId,
  grantedAt: roleGrants.grantedAt
}
export type AccountViewRow = { [K in keyof typeof accountViewColumns]: AccountRow[K] }
export type GrantViewRow = { [K in keyof typeof grantViewColumns]: GrantRow[K] }

function accountWithGrantsQuery (db: Queryable) {
  return db.select({ account: accountViewColumns, grant: grantViewColumns }).from(accounts)
    .leftJoin(roleGrants, and(eq(roleGrants.accountId, accounts.id), isNull(roleGrants.revokedAt)))
    .where(eq(accounts.id, sql.placeholder('id')))
    .orderBy(asc(roleGrants.grantedAt))
}

/** Built once per pool: "who am I" is the hottest read, and building the query costs more than running it. */
const preparedAccountWithGrants = new WeakMap<Queryable, ReturnType<ReturnType<typeof accountWithGrantsQuery>['prepare']>>()

/** An account with its active grants in one round trip. */
export async function findAccountWithGrants (db: Queryable, id: string): Promise<{ account: AccountViewRow, grants: GrantViewRow[] } | undefined> {
  let prepared = preparedAccountWithGrants.get(db)
  if (!prepared) {
    prepared = accountWithGrantsQuery(db).prepare('account_with_grants')
    preparedAccountWithGrants.set(db, prepared)
  }
  const rows = await prepared.execute({ id })
  const first = rows[0]
  if (!first) return undefined
  return { account: first.account, grants: rows.flatMap((row) => (row.grant ? [row.grant] : [])) }
}

export async function findAccountByUsername (db: Queryable, username: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.username, username))
  return row
}

export async function findAccountByCreditCode (db: Queryable, creditCode: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.creditCode, creditCode))
  return row
}

export async function insertAccount (db: Queryable, values: typeof accounts.$inferInsert): Promise<AccountRow | undefined> {
  const [row] = await db.insert(accounts).values(values).onConflictDoNothing().returning()
  return row
}

export async function updateAccount (db: Queryable, id: string, values: Partial<typeof accounts.$inferInsert>): Promise<AccountRow | undefined> {
  const [row] = await db.update(accounts).set({ ...values, updatedAt: new Date() }).where(eq(accounts.id, id)).returning()
  return row
}

export async function activeGrants (db: Queryable, accountIds: string[]): Promise<GrantRow[]> {
  if (accountIds.length === 0) return []
  return db.select().from(roleGrants)
    .where(and(inArray(roleGrants.accountId, accountIds), isNull(roleGrants.revokedAt)))
    .orderBy(asc(roleGrants.grantedAt))
}

export async function insertGrant (db: Queryable, values: typeof roleGrants.$inferInsert): Promise<GrantRow | undefined> {
  const [row] = await db.insert(roleGrants).values(values).onConflictDoNothing().returning()
  return row
}

export async function revokeGrant (db: Queryable, accountId: string, grantId: string): Promise<GrantRow | undefined> {
  const [row] = await db.update(roleGrants).set({ revokedAt: new Date() })
    .where(and(eq(roleGrants.id, grantId), eq(roleGrants.accountId, accountId), isNull(roleGrants.revokedAt))).returning()
  return row
}

/** Active hall administrators other than `exceptAccountId`, locking their grants against a concurrent removal. */
export async function countOtherActiveAdministrators (db: Queryable, exceptAccountId: string): Promise<number> {
  const rows = await db.select({ id: roleGrants.id }).from(roleGrants)
    .innerJoin(accounts, eq(accounts.id, roleGrants.accountId))
    .where(and(
      eq(roleGrants.role, 'hall_admin'), isNull(roleGrants.revokedAt), eq(accounts.status, 'active'),
      sql`${roleGrants.accountId} <> ${exceptAccountId}`
    )).for('update')
  return rows.length
}

export async function listAccounts (db: Queryable, filter: { q?: string, role?: Role, limit: number, offset: number }) {
  const pattern = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined
  const where = and(
    pattern ? or(ilike(accounts.username, pattern), ilike(accounts.displayName, pattern), ilike(accounts.creditCode, pattern)) : undefined,
    filter.role
      ? inArray(accounts.id, db.select({ id: roleGrants.accountId }).from(roleGrants).where(and(eq(roleGrants.role, filter.role), isNull(roleGrants.revokedAt))))
      : undefined
  )
  const [items, [total]] = await Promise.all([
    db.select().from(accounts).where(where).orderBy(asc(accounts.username)).limit(filter.limit).offset(filter.offset),
    db.select({ value: count() }).from(accounts).where(where)
  ])
  return { items, total: total?.value ?? 0 }
}

export type ThrottleRow = typeof signInThrottles.$inferSelect
export type ThrottleKey = Pick<ThrottleRow, 'scope' | 'key'>

/** The throttles of an attempt's account name and client address, in one read. */
export async function findThrottles (db: Queryable, keys: ThrottleKey[]): Promise<ThrottleRow[]> {
  return db.select().from(signInThrottles)
    .where(or(...keys.map((k) => and(eq(signInThrottles.scope, k.scope), eq(signInThrottles.key, k.key)))))
}

/**
 * A throttle row locked for this transaction. A missing one is first inserted as "nothing
 * remembered" (no failures, the last one at the epoch), so concurrent first failures queue on
 * the same row instead of overwriting each other's count.
 */
export async function lockThrottle (db: Queryable, key: ThrottleKey): Promise<ThrottleRow> {
  await db.insert(signInThrottles).values({ ...key, failures: 0, firstFailureAt: new Date(0), lastFailureAt: new Date(0) }).onConflictDoNothing()
  const [row] = await db.select().from(signInThrottles)
    .where(and(eq(signInThrottles.scope, key.scope), eq(signInThrottles.key, key.key))).for('update')
  return row!
}

export async function updateThrottle (db: Queryable, id: string, state: Pick<ThrottleRow, 'failures' | 'firstFailureAt' | 'lastFailureAt' | 'blockedUntil'>) {
  await db.update(signInThrottles).set(state).where(eq(signInThrottles.id, id))
}

export async function deleteThrottle (db: Queryable, where: { id: string } | ThrottleKey): Promise<ThrottleRow | undefined> {
  const [row] = await db.delete(signInThrottles)
    .where('id' in where ? eq(signInThrottles.id, where.id) : and(eq(signInThrottles.scope, where.scope), eq(signInThrottles.key, where.key)))
    .returning()
  return row
}

/** Throttles whose failures still count (last failure after `since`), the blocked ones first. */
export async function listThrottles (db: Queryable, since: Date): Promise<ThrottleRow[]> {
  return db.select().from(signInThrottles).where(gt(signInThrottles.lastFailureAt, since))
    .orderBy(sql`${signInThrottles.blockedUntil} desc nulls last`, desc(signInThrottles.lastFailureAt))
    .limit(500)
}

export async function deleteForgottenThrottles (db: Queryable, before: Date): Promise<number> {
  const rows = await db.delete(signInThrottles).where(lte(signInThrottles.lastFailureAt, before)).returning({ id: signInThrottles.id })
  return rows.length
}
