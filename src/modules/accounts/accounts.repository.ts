import { and, asc, count, eq, ilike, inArray, isNull, or, sql } from 'drizzle-orm'
import { accounts, roleGrants } from '../../../schema/index.ts'
import type { Role } from '../../lib/policy.ts'
import type { Queryable } from '../../plugins/db.ts'

export type AccountRow = typeof accounts.$inferSelect
export type GrantRow = typeof roleGrants.$inferSelect

export async function findAccount (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<AccountRow | undefined> {
  const query = db.select().from(accounts).where(eq(accounts.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

/** What an account view shows: never the password hash or the sign-in counters. */
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
  lockedUntil: accounts.lockedUntil,
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

/** Failed sign-ins and lockout are recorded even though the sign-in itself is refused. */
export async function setSignInState (db: Queryable, id: string, state: { failedLogins: number, lockedUntil: Date | null }) {
  await db.update(accounts).set(state).where(eq(accounts.id, id))
}
