import { eq } from 'drizzle-orm'
import { simulatedBankTransactions } from '../../../schema/index.ts'
import type { Database, Queryable } from '../../plugins/db.ts'

export type SimulatedTransactionRow = typeof simulatedBankTransactions.$inferSelect

export async function insertTransaction (db: Queryable, values: typeof simulatedBankTransactions.$inferInsert): Promise<SimulatedTransactionRow> {
  const [row] = await db.insert(simulatedBankTransactions).values(values).returning()
  return row!
}

export async function setCallbackStatus (db: Queryable, id: string, callbackStatus: string) {
  await db.update(simulatedBankTransactions).set({ callbackStatus }).where(eq(simulatedBankTransactions.id, id))
}

/**
 * The transactions of a hall day in booking order, read with a cursor (a statement may be long);
 * times as a Chinese bank prints them, in local time.
 */
export function transactionsOfDay (db: Database, date: string) {
  return db.$client<Array<{ txn_id: string, booked_at: string, direction: string, amount_fen: string, payment_code: string | null, counterparty_account: string, counterparty_name: string, memo: string }>>`
    select txn_id, to_char(booked_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') as booked_at, direction, amount_fen::text,
           payment_code, counterparty_account, counterparty_name, memo
    from simulated_bank_transactions
    where booked_at >= (${date}::date::timestamp at time zone 'Asia/Shanghai') and booked_at < ((${date}::date + 1)::timestamp at time zone 'Asia/Shanghai')
    order by booked_at, txn_id`.cursor(1000)
}
