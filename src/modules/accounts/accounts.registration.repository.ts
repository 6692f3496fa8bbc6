/** Queries of self-registration and recovery: one-time codes and organisations' registrations. */
import { and, asc, desc, eq, gt, or } from 'drizzle-orm'
import { accounts, oneTimeCodes, organisationRegistrations } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type CodeRow = typeof oneTimeCodes.$inferSelect
export type CodePurpose = CodeRow['purpose']
export type RegistrationRow = typeof organisationRegistrations.$inferSelect

/** The account's current code for a purpose (a new one replaces it), locked when asked. */
export async function findCode (db: Queryable, accountId: string, purpose: CodePurpose, options: { forUpdate?: boolean } = {}): Promise<CodeRow | undefined> {
  const query = db.select().from(oneTimeCodes).where(and(eq(oneTimeCodes.accountId, accountId), eq(oneTimeCodes.purpose, purpose)))
    .orderBy(desc(oneTimeCodes.sentAt)).limit(1)
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

/** When codes went to this number, and from this address, within the last hour. */
export async function recentCodeTimes (db: Queryable, phone: string, clientIp: string, since: Date) {
  const rows = await db.select({ phone: oneTimeCodes.phone, clientIp: oneTimeCodes.clientIp, sentAt: oneTimeCodes.sentAt }).from(oneTimeCodes)
    .where(and(gt(oneTimeCodes.sentAt, since), or(eq(oneTimeCodes.phone, phone), eq(oneTimeCodes.clientIp, clientIp))))
  return {
    toNumber: rows.filter((row) => row.phone === phone).map((row) => row.sentAt),
    fromClient: rows.filter((row) => row.clientIp === clientIp).map((row) => row.sentAt)
  }
}

export async function insertCode (db: Queryable, values: typeof oneTimeCodes.$inferInsert): Promise<CodeRow> {
  const [row] = await db.insert(oneTimeCodes).values(values).returning()
  return row!
}

export async function countAttempt (db: Queryable, id: string, attempts: number) {
  await db.update(oneTimeCodes).set({ attempts }).where(eq(oneTimeCodes.id, id))
}

export async function markCodeUsed (db: Queryable, id: string, at: Date) {
  await db.update(oneTimeCodes).set({ usedAt: at }).where(eq(oneTimeCodes.id, id))
}

export async function insertRegistration (db: Queryable, values: typeof organisationRegistrations.$inferInsert): Promise<RegistrationRow> {
  const [row] = await db.insert(organisationRegistrations).values(values).returning()
  return row!
}

export async function findRegistration (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<RegistrationRow | undefined> {
  const query = db.select().from(organisationRegistrations).where(eq(organisationRegistrations.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function decideRegistration (db: Queryable, id: string, values: Pick<RegistrationRow, 'state' | 'reason' | 'decidedBy' | 'decidedAt'>) {
  await db.update(organisationRegistrations).set(values).where(eq(organisationRegistrations.id, id))
}

/** Registrations with their organisation's name and code, the oldest pending first. */
export async function listRegistrations (db: Queryable, filter: { state?: RegistrationRow['state'], limit: number, offset: number }) {
  return db.select({
    registration: organisationRegistrations,
    account: { id: accounts.id, username: accounts.username, displayName: accounts.displayName, creditCode: accounts.creditCode, email: accounts.email, phone: accounts.phone }
  }).from(organisationRegistrations)
    .innerJoin(accounts, eq(accounts.id, organisationRegistrations.accountId))
    .where(filter.state ? eq(organisationRegistrations.state, filter.state) : undefined)
    .orderBy(asc(organisationRegistrations.createdAt), asc(organisationRegistrations.id)).limit(filter.limit).offset(filter.offset)
}
