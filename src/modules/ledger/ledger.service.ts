import { inSnapshot, type Database, type Queryable, type Transaction } from '../../plugins/db.ts'
import { LedgerAlreadyReversed, LedgerTransactionNotFound } from './ledger.errors.ts'
import * as repo from './ledger.repository.ts'
import { assertBalanced, reversalOf, LEDGER_ACCOUNT_CODES, type Entry, type LedgerAccountCode } from './ledger.rules.ts'
import type { AccountBalanceView, BooksCheckView, LedgerTransactionView } from './ledger.schemas.ts'

export interface PostInput {
  kind: string
  reference: string
  businessDate: string
  occurredAt: Date
  memo?: string
  createdBy?: string | null
  entries: Entry[]
}

export interface LedgerDeps { db: Database }

export function createLedgerService ({ db }: LedgerDeps) {
  async function insert (tx: Queryable, input: PostInput & { reversesId?: string }): Promise<{ id: string }> {
    assertBalanced(input.entries)
    const row = await repo.insertTransaction(tx, {
      kind: input.kind,
      reference: input.reference,
      businessDate: input.businessDate,
      occurredAt: input.occurredAt,
      memo: input.memo ?? '',
      reversesId: input.reversesId ?? null,
      createdBy: input.createdBy ?? null
    }, input.entries)
    return { id: row.id }
  }

  /** Records one balanced transaction inside the caller's database transaction. */
  async function post (tx: Queryable, input: PostInput): Promise<{ id: string }> {
    return insert(tx, input)
  }

  /** The correction of a transaction: its entries negated, linked to it; at most once. */
  async function reverse (tx: Queryable, input: Omit<PostInput, 'entries'> & { transactionId: string }): Promise<{ id: string }> {
    const original = await repo.findTransaction(tx, input.transactionId)
    if (!original) throw new LedgerTransactionNotFound(input.transactionId)
    if (await repo.findReversalOf(tx, original.id)) throw new LedgerAlreadyReversed(original.id)
    const entries = await repo.entriesOf(tx, [original.id])
    const negated = reversalOf(entries.map((entry) => ({ accountCode: entry.accountCode as LedgerAccountCode, amountFen: entry.amountFen })))
    return insert(tx, { ...input, reversesId: original.id, entries: negated })
  }

  async function balance (accountCode: LedgerAccountCode, asOf: string | null = null, on: Queryable = db): Promise<bigint> {
    return (await repo.balances(on, asOf)).get(accountCode) ?? 0n
  }

  /** `on`: an open snapshot (inSnapshot) when the balances are shown beside other figures. */
  async function accountBalances (asOf: string | null = null, on: Queryable = db): Promise<AccountBalanceView[]> {
    const accounts = await repo.listAccounts(on)
    const totals = await repo.balances(on, asOf)
    return accounts.map((account) => ({
      code: account.code,
      name: account.name,
      nameEn: account.nameEn,
      normalSide: account.normalSide,
      balanceFen: Number(totals.get(account.code as LedgerAccountCode) ?? 0n)
    }))
  }

  async function withEntries (rows: repo.LedgerTransactionRow[]): Promise<LedgerTransactionView[]> {
    const entries = await repo.entriesOf(db, rows.map((row) => row.id))
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      reference: row.reference,
      businessDate: row.businessDate,
      occurredAt: row.occurredAt.toISOString(),
      memo: row.memo,
      reversesId: row.reversesId,
      entries: entries.filter((entry) => entry.transactionId === row.id)
        .map((entry) => ({ accountCode: entry.accountCode, amountFen: Number(entry.amountFen) }))
    }))
  }

  async function transactionsFor (reference: string): Promise<LedgerTransactionView[]> {
    return withEntries(await repo.transactionsByReference(db, reference))
  }

  async function recent (limit: number, offset: number): Promise<LedgerTransactionView[]> {
    return withEntries(await repo.recentTransactions(db, limit, offset))
  }

  async function dailyMovements (from: string, to: string, on: Queryable = db) {
    return repo.dailyMovements(on, from, to)
  }

  /**
   * Both sums of the check come from one snapshot, so they describe one moment of the books:
   * its own, or `snapshot` when the check is shown beside other figures of that moment.
   */
  async function checkBooks (snapshot?: Transaction): Promise<BooksCheckView> {
    const books = snapshot ? await repo.checkBooks(snapshot) : await inSnapshot(db, (tx) => repo.checkBooks(tx))
    return {
      balanced: books.totalFen === 0n && books.unbalanced.length === 0,
      transactions: books.transactions,
      entries: books.entries,
      totalFen: Number(books.totalFen),
      unbalancedTransactions: books.unbalanced
    }
  }

  return { post, reverse, balance, accountBalances, transactionsFor, recent, dailyMovements, checkBooks, accountCodes: LEDGER_ACCOUNT_CODES }
}

export type LedgerService = ReturnType<typeof createLedgerService>
