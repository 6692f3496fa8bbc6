import { and, asc, desc, eq, gte, inArray, lte, sql } from 'drizzle-orm'
import { ledgerAccounts, ledgerEntries, ledgerTransactions } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'
import type { Entry, LedgerAccountCode } from './ledger.rules.ts'

export type LedgerTransactionRow = typeof ledgerTransactions.$inferSelect

/** The transaction and its entries in one statement (one round trip on every payment). */
export async function insertTransaction (db: Queryable, values: typeof ledgerTransactions.$inferInsert, entries: readonly Entry[]): Promise<{ id: string }> {
  const rows = entries.map((entry) => sql`(${entry.accountCode}, ${entry.amountFen.toString()}::bigint)`)
  const [row] = await db.execute<{ id: string }>(sql`
    with created as (
      insert into ledger_transactions (kind, reference, business_date, occurred_at, memo, reverses_id, created_by)
      values (${values.kind}, ${values.reference}, ${values.businessDate}, ${values.occurredAt.toISOString()}::timestamptz, ${values.memo ?? ''}, ${values.reversesId ?? null}::uuid, ${values.createdBy ?? null}::uuid)
      returning id
    ), entries as (
      insert into ledger_entries (transaction_id, account_code, amount_fen)
      select created.id, entry.account_code, entry.amount_fen from created, (values ${sql.join(rows, sql`, `)}) as entry(account_code, amount_fen)
    )
    select id from created`)
  return { id: row!.id }
}

export async function findTransaction (db: Queryable, id: string): Promise<LedgerTransactionRow | undefined> {
  const [row] = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, id))
  return row
}

export async function findReversalOf (db: Queryable, id: string): Promise<LedgerTransactionRow | undefined> {
  const [row] = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.reversesId, id))
  return row
}

export async function entriesOf (db: Queryable, transactionIds: string[]): Promise<Array<{ transactionId: string, accountCode: string, amountFen: bigint }>> {
  if (transactionIds.length === 0) return []
  return db.select({ transactionId: ledgerEntries.transactionId, accountCode: ledgerEntries.accountCode, amountFen: ledgerEntries.amountFen })
    .from(ledgerEntries).where(inArray(ledgerEntries.transactionId, transactionIds)).orderBy(asc(ledgerEntries.id))
}

export async function transactionsByReference (db: Queryable, reference: string): Promise<LedgerTransactionRow[]> {
  return db.select().from(ledgerTransactions).where(eq(ledgerTransactions.reference, reference)).orderBy(asc(ledgerTransactions.occurredAt))
}

export async function recentTransactions (db: Queryable, limit: number, offset: number): Promise<LedgerTransactionRow[]> {
  return db.select().from(ledgerTransactions).orderBy(desc(ledgerTransactions.occurredAt), desc(ledgerTransactions.id)).limit(limit).offset(offset)
}

export async function listAccounts (db: Queryable) {
  return db.select().from(ledgerAccounts).orderBy(asc(ledgerAccounts.code))
}

/** Balance of every account over transactions with a business date on or before `asOf`. */
export async function balances (db: Queryable, asOf: string | null): Promise<Map<LedgerAccountCode, bigint>> {
  const rows = await db.select({ accountCode: ledgerEntries.accountCode, total: sql<string>`sum(${ledgerEntries.amountFen})::text` })
    .from(ledgerEntries).innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
    .where(asOf ? lte(ledgerTransactions.businessDate, asOf) : undefined)
    .groupBy(ledgerEntries.accountCode)
  return new Map(rows.map((row) => [row.accountCode as LedgerAccountCode, BigInt(row.total)]))
}

/** Net movement per account and business day in [from, to]. */
export async function dailyMovements (db: Queryable, from: string, to: string) {
  const rows = await db.select({
    businessDate: ledgerTransactions.businessDate,
    accountCode: ledgerEntries.accountCode,
    debits: sql<string>`coalesce(sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.amountFen} > 0), 0)::text`,
    credits: sql<string>`coalesce(-sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.amountFen} < 0), 0)::text`
  }).from(ledgerEntries).innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
    .where(and(gte(ledgerTransactions.businessDate, from), lte(ledgerTransactions.businessDate, to)))
    .groupBy(ledgerTransactions.businessDate, ledgerEntries.accountCode)
    .orderBy(asc(ledgerTransactions.businessDate))
  return rows.map((row) => ({ businessDate: row.businessDate, accountCode: row.accountCode as LedgerAccountCode, debitsFen: BigInt(row.debits), creditsFen: BigInt(row.credits) }))
}

/**
 * The books checked from scratch: transactions whose entries do not sum to zero (the commit-time
 * trigger makes this impossible; this proves it afterwards) and the grand total.
 */
export async function checkBooks (db: Queryable): Promise<{ transactions: number, entries: number, totalFen: bigint, unbalanced: string[] }> {
  const [totals] = await db.execute<{ transactions: number, entries: number, total: string }>(sql`
    select (select count(*)::int from ledger_transactions) as transactions,
           count(*)::int as entries, coalesce(sum(amount_fen), 0)::text as total
    from ledger_entries`)
  const unbalanced = await db.execute<{ id: string }>(sql`
    select t.id from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
    group by t.id having count(e.id) < 2 or coalesce(sum(e.amount_fen), 0) <> 0 limit 20`)
  return { transactions: totals!.transactions, entries: totals!.entries, totalFen: BigInt(totals!.total), unbalanced: unbalanced.map((row) => row.id) }
}
