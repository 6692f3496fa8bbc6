import { asc, eq, lt, sql } from 'drizzle-orm'
import { bankRequestNonces, banks } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type BankRow = typeof banks.$inferSelect

export async function insertBank (db: Queryable, values: typeof banks.$inferInsert): Promise<BankRow | undefined> {
  const [row] = await db.insert(banks).values(values).onConflictDoNothing({ target: banks.code }).returning()
  return row
}

export async function findBank (db: Queryable, id: string): Promise<BankRow | undefined> {
  const [row] = await db.select().from(banks).where(eq(banks.id, id))
  return row
}

export async function findBankByCode (db: Queryable, code: string): Promise<BankRow | undefined> {
  const [row] = await db.select().from(banks).where(eq(banks.code, code))
  return row
}

export async function listBanks (db: Queryable): Promise<BankRow[]> {
  return db.select().from(banks).orderBy(asc(banks.code))
}

export async function updateBank (db: Queryable, id: string, values: Partial<Pick<BankRow, 'sealedHmacKey' | 'active' | 'name'>>) {
  await db.update(banks).set(values).where(eq(banks.id, id))
}

/** False when the nonce was seen before (the insert found its primary key taken). */
export async function insertNonce (db: Queryable, bankId: string, nonce: string, receivedAt: Date): Promise<boolean> {
  const inserted = await db.insert(bankRequestNonces).values({ bankId, nonce, receivedAt }).onConflictDoNothing().returning({ nonce: bankRequestNonces.nonce })
  return inserted.length === 1
}

export async function deleteNoncesBefore (db: Queryable, before: Date): Promise<number> {
  const deleted = await db.delete(bankRequestNonces).where(lt(bankRequestNonces.receivedAt, before)).returning({ nonce: bankRequestNonces.nonce })
  return deleted.length
}

export const BANKS_CHANNEL = 'openhall_banks'

/** Every instance forgets its cached banks when the transaction that changed one commits. */
export async function announceChange (db: Queryable) {
  await db.execute(sql`select pg_notify(${BANKS_CHANNEL}, 'changed')`)
}
