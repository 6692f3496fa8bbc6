/**
 * Statements, differences and remittances. Matching reads the bank movements the hall recorded
 * (payments, refunds, remittances) with set-based SQL: a statement of a million lines is matched
 * by PostgreSQL in a few joins instead of a million service calls, with nothing held in memory.
 * This module only reads those tables; it changes payments only through the payments service.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm'
import { bankStatements, reconciliationItems, remittanceBatches } from '../../../schema/index.ts'
import { driverOf, type Queryable, type Transaction } from '../../plugins/db.ts'

export type StatementRow = typeof bankStatements.$inferSelect
export type ItemRow = typeof reconciliationItems.$inferSelect
export type RemittanceRow = typeof remittanceBatches.$inferSelect

export async function insertStatement (db: Queryable, values: typeof bankStatements.$inferInsert): Promise<StatementRow | undefined> {
  const [row] = await db.insert(bankStatements).values(values).onConflictDoNothing({ target: [bankStatements.bankId, bankStatements.statementDate] }).returning()
  return row
}

export async function statementExists (db: Queryable, bankId: string, statementDate: string): Promise<boolean> {
  const [row] = await db.select({ id: bankStatements.id }).from(bankStatements).where(and(eq(bankStatements.bankId, bankId), eq(bankStatements.statementDate, statementDate)))
  return row !== undefined
}

export async function updateStatement (db: Queryable, id: string, values: Partial<Pick<StatementRow, 'lineCount' | 'creditsFen' | 'debitsFen' | 'matchedCount'>>) {
  await db.update(bankStatements).set(values).where(eq(bankStatements.id, id))
}

/** A COPY stream into bank_statement_lines; rows come from reconciliation.rules copyRow. */
export async function copyLines (tx: Transaction) {
  return driverOf(tx)`copy bank_statement_lines (statement_id, line_no, txn_id, booked_at, direction, amount_fen, payment_code, counterparty_account, counterparty_name, memo) from stdin with (format csv)`.writable()
}

export async function duplicateTxnIds (db: Queryable, statementId: string): Promise<Array<{ txnId: string, firstLine: number }>> {
  const rows = await db.execute<{ txn_id: string, first_line: number }>(sql`
    select txn_id, min(line_no) as first_line from bank_statement_lines where statement_id = ${statementId}
    group by txn_id having count(*) > 1 order by 2 limit 20`)
  return rows.map((row) => ({ txnId: row.txn_id, firstLine: row.first_line }))
}

export async function statementTotals (db: Queryable, statementId: string) {
  const [row] = await db.execute<{ lines: number, credits: string, debits: string }>(sql`
    select count(*)::int as lines,
           coalesce(sum(amount_fen) filter (where direction = 'C'), 0)::text as credits,
           coalesce(sum(amount_fen) filter (where direction = 'D'), 0)::text as debits
    from bank_statement_lines where statement_id = ${statementId}`)
  return { lines: row!.lines, creditsFen: BigInt(row!.credits), debitsFen: BigInt(row!.debits) }
}

/**
 * Lists every difference between the statement and the hall's records as open items, in one
 * statement: credits against payments, debits against refunds and remittances, by bank
 * transaction id; then what the hall recorded for that bank and day that the bank did not report.
 */
export async function matchStatement (tx: Transaction, statement: { id: string, bankId: string, statementDate: string }): Promise<number> {
  // Fresh lines have no statistics: without them the planner expects a handful of rows and
  // picks nested loops, which turn a million-line match quadratic. ANALYZE samples the lines
  // this transaction inserted; the matching itself is hash joins on both sides by design.
  await tx.execute(sql`analyze bank_statement_lines`)
  await tx.execute(sql`set local enable_nestloop = off`)
  const rows = await tx.execute<{ count: number }>(sql`
    with outgoing as (
      select r.id as refund_id, null::uuid as batch_id, r.bank_txn_id as txn_id, r.amount_fen, r.notice_code as payment_code, r.business_date, r.to_account_no as to_account
      from refunds r where r.bank_id = ${statement.bankId} and r.bank_txn_id is not null
      union all
      select null, b.id, b.bank_txn_id, b.total_fen, null, b.business_date, b.receiving_account
      from remittance_batches b where b.bank_id = ${statement.bankId} and b.bank_txn_id is not null
    ), debits as (
      -- money out goes only where the hall sent it: to the payer's own account, or the fiscal account
      select l.line_no, l.txn_id, l.payment_code, l.amount_fen, o.refund_id, o.batch_id, o.txn_id as outgoing_txn_id, o.payment_code as outgoing_code, o.amount_fen as outgoing_fen,
             o.txn_id is not null and upper(regexp_replace(o.to_account, '[[:space:]-]', '', 'g')) <> upper(regexp_replace(l.counterparty_account, '[[:space:]-]', '', 'g')) as wrong_account
      from bank_statement_lines l left join outgoing o on o.txn_id = l.txn_id
      where l.statement_id = ${statement.id} and l.direction = 'D'
    ), differences as (
      select case when p.id is null then 'unexpected' else 'amount_mismatch' end as kind, 'C' as direction, l.line_no,
             p.id as payment_id, null::uuid as refund_id, null::uuid as batch_id, l.txn_id, l.payment_code, p.amount_fen as expected_fen, l.amount_fen as actual_fen
      from bank_statement_lines l left join payments p on p.bank_id = ${statement.bankId} and p.bank_txn_id = l.txn_id
      where l.statement_id = ${statement.id} and l.direction = 'C' and (p.id is null or p.amount_fen <> l.amount_fen)
      union all
      select case when d.outgoing_txn_id is null then 'unexpected' when d.outgoing_fen <> d.amount_fen then 'amount_mismatch' else 'account_mismatch' end, 'D', d.line_no,
             null, d.refund_id, d.batch_id, d.txn_id, coalesce(d.payment_code, d.outgoing_code), d.outgoing_fen, d.amount_fen
      from debits d
      where d.outgoing_txn_id is null or d.outgoing_fen <> d.amount_fen or d.wrong_account
      union all
      select 'missing', 'C', null, p.id, null, null, p.bank_txn_id, n.code, p.amount_fen, null
      from payments p join payment_notices n on n.id = p.notice_id
      where p.bank_id = ${statement.bankId} and p.business_date = ${statement.statementDate}
        and not exists (select 1 from bank_statement_lines l where l.statement_id = ${statement.id} and l.direction = 'C' and l.txn_id = p.bank_txn_id)
      union all
      select 'missing', 'D', null, null, o.refund_id, o.batch_id, o.txn_id, o.payment_code, o.amount_fen, null
      from outgoing o
      where o.business_date = ${statement.statementDate}
        and not exists (select 1 from bank_statement_lines l where l.statement_id = ${statement.id} and l.direction = 'D' and l.txn_id = o.txn_id)
    ), inserted as (
      insert into reconciliation_items (statement_id, kind, direction, line_no, payment_id, refund_id, remittance_batch_id, txn_id, payment_code, expected_fen, actual_fen, status)
      select ${statement.id}, kind::reconciliation_kind, direction, line_no, payment_id, refund_id, batch_id, txn_id, payment_code, expected_fen, actual_fen, 'open'
      from differences
      returning 1
    )
    select count(*)::int as count from inserted`)
  return rows[0]!.count
}

/** A bank credit resolved into suspense: its amount, or null. */
export async function parkedCredit (tx: Transaction, bankId: string, txnId: string): Promise<bigint | null> {
  const [row] = await tx.execute<{ amount: string }>(sql`
    select i.actual_fen::text as amount from reconciliation_items i join bank_statements s on s.id = i.statement_id
    where i.txn_id = ${txnId} and i.resolution = 'suspense' and i.kind = 'unexpected' and i.direction = 'C' and s.bank_id = ${bankId}
    limit 1`)
  return row ? BigInt(row.amount) : null
}

export async function findStatement (db: Queryable, id: string): Promise<StatementRow | undefined> {
  const [row] = await db.select().from(bankStatements).where(eq(bankStatements.id, id))
  return row
}

export async function listStatements (db: Queryable, limit: number): Promise<StatementRow[]> {
  return db.select().from(bankStatements).orderBy(desc(bankStatements.statementDate), desc(bankStatements.importedAt)).limit(limit)
}

export async function itemsOf (db: Queryable, statementId: string, limit: number): Promise<ItemRow[]> {
  return db.select().from(reconciliationItems).where(eq(reconciliationItems.statementId, statementId))
    .orderBy(sql`${reconciliationItems.status} = 'resolved'`, asc(reconciliationItems.lineNo)).limit(limit)
}

export async function countOpenItems (db: Queryable, statementIds: string[]): Promise<Map<string, { open: number, total: number }>> {
  if (statementIds.length === 0) return new Map()
  const rows = await db.select({
    statementId: reconciliationItems.statementId,
    open: sql<number>`count(*) filter (where ${reconciliationItems.status} = 'open')::int`,
    total: sql<number>`count(*)::int`
  }).from(reconciliationItems).where(inArray(reconciliationItems.statementId, statementIds)).groupBy(reconciliationItems.statementId)
  return new Map(rows.map((row) => [row.statementId, { open: row.open, total: row.total }]))
}

export async function findItem (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ItemRow | undefined> {
  const query = db.select().from(reconciliationItems).where(eq(reconciliationItems.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function statementLine (db: Queryable, statementId: string, lineNo: number) {
  const [row] = await db.execute<{ txn_id: string, booked_at: string, amount_fen: string, payment_code: string | null, counterparty_account: string, counterparty_name: string }>(sql`
    select txn_id, booked_at, amount_fen::text, payment_code, counterparty_account, counterparty_name
    from bank_statement_lines where statement_id = ${statementId} and line_no = ${lineNo}`)
  return row && {
    txnId: row.txn_id,
    bookedAt: new Date(row.booked_at),
    amountFen: BigInt(row.amount_fen),
    paymentCode: row.payment_code,
    counterpartyAccount: row.counterparty_account,
    counterpartyName: row.counterparty_name
  }
}

export async function resolveItem (db: Queryable, id: string, values: Pick<ItemRow, 'paymentId' | 'resolution' | 'note' | 'resolvedBy' | 'resolvedAt' | 'resolutionTransactionId'>) {
  await db.update(reconciliationItems).set({ ...values, status: 'resolved' }).where(eq(reconciliationItems.id, id))
}

/** Differences that are statement lines (the rest are records the bank did not report). */
export async function countLineDifferences (db: Queryable, statementId: string): Promise<number> {
  const [row] = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from reconciliation_items where statement_id = ${statementId} and line_no is not null`)
  return row!.count
}

// remittances

/** One remittance run at a time, across instances. */
export async function lockRemittances (tx: Transaction) {
  await tx.execute(sql`select pg_advisory_xact_lock(7260010)`)
}

/**
 * Fixes, for this transaction, each payment's non-tax share per fiscal account that is due for
 * remittance. The totals and the lines are both read from this one snapshot, so a payment that
 * commits meanwhile waits for the next remittance instead of making the lines differ from the total.
 */
export async function snapshotUnremitted (tx: Transaction, throughDate: string) {
  await tx.execute(sql`
    create temporary table unremitted_shares on commit drop as
    select p.id as payment_id, i.receiving_account, sum(i.amount_fen)::bigint as amount_fen
    from payments p join payment_notice_items i on i.notice_id = p.notice_id
    where i.category = 'non_tax' and p.business_date <= ${throughDate}
      and not exists (select 1 from remittance_lines r where r.payment_id = p.id and r.receiving_account = i.receiving_account)
    group by p.id, i.receiving_account`)
}

/** The snapshot's totals per fiscal account. */
export async function unremittedByAccount (tx: Transaction) {
  const rows = await tx.execute<{ receiving_account: string, total: string, payments: number }>(sql`
    select receiving_account, sum(amount_fen)::text as total, count(*)::int as payments
    from unremitted_shares group by receiving_account order by receiving_account`)
  return rows.map((row) => ({ receivingAccount: row.receiving_account, totalFen: BigInt(row.total), payments: row.payments }))
}

export async function insertBatch (db: Queryable, values: typeof remittanceBatches.$inferInsert): Promise<RemittanceRow> {
  const [row] = await db.insert(remittanceBatches).values(values).returning()
  return row!
}

/** Claims the snapshot's shares of one fiscal account for the batch; answers their total. */
export async function insertRemittanceLines (tx: Transaction, batch: { id: string, receivingAccount: string }): Promise<bigint> {
  const [row] = await tx.execute<{ total: string }>(sql`
    with claimed as (
      insert into remittance_lines (batch_id, payment_id, receiving_account, amount_fen)
      select ${batch.id}, payment_id, receiving_account, amount_fen from unremitted_shares where receiving_account = ${batch.receivingAccount}
      returning amount_fen
    )
    select coalesce(sum(amount_fen), 0)::text as total from claimed`)
  return BigInt(row!.total)
}

export async function findBatch (db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<RemittanceRow | undefined> {
  const query = db.select().from(remittanceBatches).where(eq(remittanceBatches.id, id))
  const [row] = options.forUpdate ? await query.for('update') : await query
  return row
}

export async function listBatches (db: Queryable, limit: number): Promise<RemittanceRow[]> {
  return db.select().from(remittanceBatches).orderBy(desc(remittanceBatches.createdAt)).limit(limit)
}

export async function confirmBatch (db: Queryable, id: string, values: Pick<RemittanceRow, 'bankId' | 'bankTxnId' | 'businessDate' | 'confirmedBy' | 'confirmedAt'>) {
  await db.update(remittanceBatches).set({ ...values, status: 'confirmed' }).where(and(eq(remittanceBatches.id, id), eq(remittanceBatches.status, 'created')))
}

/** Collected non-tax revenue that no remittance covers yet, as the records say (compare with the ledger). */
export async function unremittedTotal (db: Queryable): Promise<bigint> {
  const [row] = await db.execute<{ total: string }>(sql`
    select coalesce(sum(i.amount_fen), 0)::text as total
    from payments p join payment_notice_items i on i.notice_id = p.notice_id
    where i.category = 'non_tax'
      and not exists (select 1 from remittance_lines r where r.payment_id = p.id and r.receiving_account = i.receiving_account)`)
  return BigInt(row!.total)
}
