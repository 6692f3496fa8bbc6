import { and, asc, eq, isNotNull } from 'drizzle-orm'
import { escrowShares, escrows } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type EscrowRow = typeof escrows.$inferSelect
export type ShareRow = typeof escrowShares.$inferSelect

export async function insertEscrow (db: Queryable, escrow: typeof escrows.$inferInsert, shares: Array<Omit<typeof escrowShares.$inferInsert, 'escrowId'>>) {
  const [row] = await db.insert(escrows).values(escrow).returning()
  await db.insert(escrowShares).values(shares.map((share) => ({ ...share, escrowId: row!.id })))
  return row!
}

export async function findEscrow (db: Queryable, id: string) {
  const [row] = await db.select().from(escrows).where(eq(escrows.id, id))
  return row
}

export async function sharesOf (db: Queryable, escrowId: string) {
  return db.select().from(escrowShares).where(eq(escrowShares.escrowId, escrowId)).orderBy(asc(escrowShares.index))
}

export async function findCustodianShare (db: Queryable, escrowId: string, custodianId: string, options: { forUpdate?: boolean } = {}) {
  const query = db.select().from(escrowShares).where(and(eq(escrowShares.escrowId, escrowId), eq(escrowShares.custodianId, custodianId)))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function recordSubmission (db: Queryable, escrowId: string, index: number, sealed: string, at: Date) {
  await db.update(escrowShares).set({ sealedSubmission: sealed, submittedAt: at })
    .where(and(eq(escrowShares.escrowId, escrowId), eq(escrowShares.index, index)))
}

export async function submittedShares (db: Queryable, escrowId: string) {
  return db.select().from(escrowShares).where(and(eq(escrowShares.escrowId, escrowId), isNotNull(escrowShares.sealedSubmission)))
}

export async function setNotBefore (db: Queryable, id: string, notBefore: Date) {
  await db.update(escrows).set({ notBefore }).where(eq(escrows.id, id))
}
