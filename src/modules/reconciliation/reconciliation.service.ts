import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import type { BlobInfo, BlobStore } from '../../lib/blob-store/types.ts'
import { readCsv } from '../../lib/csv.ts'
import { addCalendarDays, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import { inSnapshot, postgresErrorOf, type Database, type Queryable, type Transaction } from '../../plugins/db.ts'
import type { BanksService } from '../banks/banks.service.ts'
import type { BankView } from '../banks/banks.schemas.ts'
import { BankTransactionConflict } from '../banks/banks.errors.ts'
import { postings } from '../ledger/ledger.rules.ts'
import type { LedgerService } from '../ledger/ledger.service.ts'
import type { PaymentsService, RecordedPayment } from '../payments/payments.service.ts'
import {
  NothingToRemit, ReconciliationItemNotFound, ReconciliationItemResolved, RemittanceConfirmed,
  RemittanceNotFound, ResolutionNotAllowed, StatementAlreadyImported, StatementDateInvalid, StatementMalformed,
  StatementNotFound, SuspenseOfPayableCredit, SuspenseOfRecordedPayment, type LineProblem
} from './reconciliation.errors.ts'
import * as repo from './reconciliation.repository.ts'
import { allowedResolutions, checkHeader, copyRow, parseStatementLine, suspenseAmount, type DifferenceKind } from './reconciliation.rules.ts'
import type { DifferenceView, FinanceDay, RemittanceView, ResolveDifference, StatementView } from './reconciliation.schemas.ts'

export interface ReconciliationDeps { db: Database, audit: Audit, clock: Clock, store: BlobStore, log: FastifyBaseLogger, ledger: LedgerService, banks: BanksService, payments: PaymentsService }

/** At most this many malformed lines are reported (all are counted). */
const REPORTED_PROBLEMS = 20
/** Rows are handed to COPY in chunks of about this many bytes. */
const COPY_CHUNK = 64 * 1024
/** A county bank's busiest day is well under a million lines (about 80 MB); far beyond is not a statement. */
const MAX_STATEMENT_BYTES = 1024 * 1024 * 1024

function toStatementView (row: repo.StatementRow, counts: { open: number, total: number } | undefined): StatementView {
  return {
    id: row.id,
    bankId: row.bankId,
    statementDate: row.statementDate,
    sha256: row.sha256,
    lineCount: row.lineCount,
    creditsFen: Number(row.creditsFen),
    debitsFen: Number(row.debitsFen),
    matchedCount: row.matchedCount,
    openDifferences: counts?.open ?? 0,
    differences: counts?.total ?? 0,
    importedBy: row.importedBy,
    importedAt: row.importedAt.toISOString()
  }
}

function toDifferenceView (row: repo.ItemRow): DifferenceView {
  const money = (value: bigint | null) => (value === null ? null : Number(value))
  return {
    id: row.id,
    statementId: row.statementId,
    kind: row.kind,
    direction: row.direction as 'C' | 'D',
    lineNo: row.lineNo,
    paymentId: row.paymentId,
    refundId: row.refundId,
    remittanceBatchId: row.remittanceBatchId,
    txnId: row.txnId,
    paymentCode: row.paymentCode,
    expectedFen: money(row.expectedFen),
    actualFen: money(row.actualFen),
    status: row.status,
    resolution: row.resolution,
    note: row.note,
    resolvedBy: row.resolvedBy,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    allowedResolutions: row.status === 'open' ? allowedResolutions({ ...row, kind: row.kind as DifferenceKind }) : []
  }
}

function toRemittanceView (row: repo.RemittanceRow): RemittanceView {
  return {
    id: row.id,
    receivingAccount: row.receivingAccount,
    throughDate: row.throughDate,
    totalFen: Number(row.totalFen),
    paymentCount: row.paymentCount,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    bankTxnId: row.bankTxnId,
    confirmedAt: row.confirmedAt?.toISOString() ?? null
  }
}

export function createReconciliationService ({ db, audit, clock, store, log, ledger, banks, payments }: ReconciliationDeps) {
  /**
   * Imports one day's statement of a bank, whole or not at all. The bank's file is first kept in
   * the object store as it arrives — the evidence the books were reconciled against, and no
   * database connection waits on a slow upload — then read back (bounded memory) through the CSV
   * reader into PostgreSQL with COPY and matched in SQL. Any malformed line, or a bank transaction
   * listed twice, refuses the statement and keeps nothing, the file included.
   */
  async function importStatement (actor: Actor, input: { bankCode: string, statementDate: string, source: Readable }): Promise<StatementView> {
    if (input.statementDate > shanghaiDate(clock.now())) throw new StatementDateInvalid()
    const bank = await banks.requireActiveBank(input.bankCode)
    // answered before the upload is stored; the unique constraint decides a race
    if (await repo.statementExists(db, bank.id, input.statementDate)) throw new StatementAlreadyImported(bank.code, input.statementDate)
    const fileKey = `bank-statements/${bank.code}/${input.statementDate}/${crypto.randomUUID()}.csv`
    const file = await store.put(fileKey, input.source, { contentType: 'text/csv', maxBytes: MAX_STATEMENT_BYTES })
    let statement: repo.StatementRow
    try {
      statement = await db.transaction((tx) => importLines(tx, actor, bank, input.statementDate, file))
    } catch (error) {
      await store.delete(fileKey).catch((failure: unknown) => log.warn({ err: failure, key: fileKey }, 'a refused statement file was not deleted'))
      throw error
    }
    await store.retain(fileKey)
    return toStatementView(statement, (await repo.countOpenItems(db, [statement.id])).get(statement.id))
  }

  async function importLines (tx: Transaction, actor: Actor, bank: BankView, statementDate: string, file: BlobInfo): Promise<repo.StatementRow> {
    const row = await repo.insertStatement(tx, {
      bankId: bank.id, statementDate, sha256: file.sha256, fileKey: file.key, lineCount: 0, creditsFen: 0n, debitsFen: 0n, matchedCount: 0, importedBy: actor.principal.accountId, importedAt: clock.now()
    })
    if (!row) throw new StatementAlreadyImported(bank.code, statementDate)
    const copy = await repo.copyLines(tx)
    // aborting the COPY (below) fails it on purpose; the transaction then rolls back
    copy.on('error', () => {})
    const problems: LineProblem[] = []
    let problemCount = 0
    try {
      problemCount = await streamLines(copy, row.id, statementDate, await store.get(file.key), problems)
    } catch (error) {
      copy.destroy(error as Error)
      throw error
    }
    if (problemCount > 0) {
      const malformed = new StatementMalformed(problems, problemCount)
      copy.destroy(malformed)
      throw malformed
    }
    copy.end()
    await once(copy, 'finish')
    const duplicates = await repo.duplicateTxnIds(tx, row.id)
    if (duplicates.length > 0) {
      throw new StatementMalformed(duplicates.map((duplicate) => ({ line: duplicate.firstLine, message: `txn_id ${duplicate.txnId} appears more than once` })), duplicates.length)
    }
    const totals = await repo.statementTotals(tx, row.id)
    const differences = await repo.matchStatement(tx, { id: row.id, bankId: bank.id, statementDate })
    const lineDifferences = await repo.countLineDifferences(tx, row.id)
    const values = { lineCount: totals.lines, creditsFen: totals.creditsFen, debitsFen: totals.debitsFen, matchedCount: totals.lines - lineDifferences }
    await repo.updateStatement(tx, row.id, values)
    await audit.append(tx, auditRecord(actor, 'bank_statement.imported', 'bank_statement', row.id, {
      bank: bank.code, date: statementDate, sha256: file.sha256, file: file.key, lines: totals.lines, differences
    }))
    return { ...row, ...values }
  }

  /** The bank's file exactly as it was imported. */
  async function statementFile (statementId: string): Promise<{ name: string, body: Readable }> {
    const row = await repo.findStatement(db, statementId)
    if (!row) throw new StatementNotFound(statementId)
    const bank = await banks.getBank(row.bankId)
    return { name: `statement-${bank.code}-${row.statementDate}.csv`, body: await store.get(row.fileKey) }
  }

  /** Validates and writes the rows; answers the number of malformed ones (writing stops at the first). */
  async function streamLines (copy: Writable, statementId: string, statementDate: string, source: Readable, problems: LineProblem[]): Promise<number> {
    let problemCount = 0
    let header = true
    let pending = ''
    const problem = (line: number, message: string) => {
      problemCount++
      if (problems.length < REPORTED_PROBLEMS) problems.push({ line, message })
    }
    const flush = async () => {
      if (!pending) return
      const ok = copy.write(pending)
      pending = ''
      if (!ok) await once(copy, 'drain')
    }
    for await (const record of readCsv(source, { maxLineBytes: 4096 })) {
      if ('error' in record) {
        problem(record.line, record.error)
        continue
      }
      if (header) {
        header = false
        const wrong = checkHeader(record.fields)
        if (wrong) problem(record.line, wrong)
        continue
      }
      const line = parseStatementLine(record.fields, statementDate)
      if (typeof line === 'string') {
        problem(record.line, line)
        continue
      }
      if (problemCount > 0) continue
      // lines keep their number in the file, so differences point where the bank's file does
      pending += copyRow(statementId, record.line, line)
      if (pending.length >= COPY_CHUNK) await flush()
    }
    if (header) problem(1, 'the statement is empty (a header row is required)')
    if (problemCount === 0) await flush()
    return problemCount
  }

  // a statement's open count and its differences are read from one snapshot, so a resolution
  // committing meanwhile cannot leave the count saying one thing and the list another

  async function listStatements (limit = 50): Promise<StatementView[]> {
    return inSnapshot(db, async (tx) => {
      const rows = await repo.listStatements(tx, limit)
      const counts = await repo.countOpenItems(tx, rows.map((row) => row.id))
      return rows.map((row) => toStatementView(row, counts.get(row.id)))
    })
  }

  async function getStatement (statementId: string, limit = 500) {
    return inSnapshot(db, async (tx) => {
      const row = await repo.findStatement(tx, statementId)
      if (!row) throw new StatementNotFound(statementId)
      const counts = await repo.countOpenItems(tx, [row.id])
      return { statement: toStatementView(row, counts.get(row.id)), differences: (await repo.itemsOf(tx, row.id, limit)).map(toDifferenceView) }
    })
  }

  /**
   * Resolves one difference. Recording a payment goes through the payments service (the same
   * rules as the window and the callbacks); a suspense posting keeps the books equal to the bank.
   */
  async function resolve (actor: Actor, differenceId: string, input: ResolveDifference): Promise<DifferenceView> {
    let recorded: RecordedPayment | null = null
    const view = await db.transaction(async (tx) => {
      const item = await repo.findItem(tx, differenceId, { forUpdate: true })
      if (!item) throw new ReconciliationItemNotFound(differenceId)
      if (item.status === 'resolved') throw new ReconciliationItemResolved()
      const kind = item.kind as DifferenceKind
      if (!allowedResolutions({ ...item, kind }).includes(input.resolution)) throw new ResolutionNotAllowed(kind, input.resolution)
      const statement = (await repo.findStatement(tx, item.statementId))!
      const now = clock.now()
      let resolutionTransactionId: string | null = null
      let paymentId = item.paymentId
      if (input.resolution === 'record_payment') {
        const line = (await repo.statementLine(tx, item.statementId, item.lineNo!))!
        const bank = await banks.getBank(statement.bankId)
        recorded = await payments.recordFromStatement(tx, actor, {
          code: item.paymentCode!, bankId: bank.id, bankCode: bank.code, bankTxnId: line.txnId, amountFen: line.amountFen, bookedAt: line.bookedAt, counterpartyAccount: line.counterpartyAccount, counterpartyName: line.counterpartyName
        })
        paymentId = recorded.paymentId
      } else if (input.resolution === 'suspense') {
        if (kind === 'unexpected') {
          const line = (await repo.statementLine(tx, item.statementId, item.lineNo!))!
          const claim = await payments.creditClaim(tx, { bankId: statement.bankId, bankTxnId: line.txnId, code: item.paymentCode, amountFen: line.amountFen, bookedAt: line.bookedAt })
          if (claim === 'recorded') throw new SuspenseOfRecordedPayment(line.txnId)
          if (claim === 'payable') throw new SuspenseOfPayableCredit(item.paymentCode!)
        }
        resolutionTransactionId = (await ledger.post(tx, {
          kind: 'reconciliation.suspense', reference: `bank_statement:${statement.id}`, businessDate: statement.statementDate, occurredAt: now, memo: input.note, createdBy: actor.principal.accountId, entries: postings.unexplainedReceipt(suspenseAmount({ ...item, kind }))
        })).id
      }
      await repo.resolveItem(tx, item.id, { paymentId, resolution: input.resolution, note: input.note, resolvedBy: actor.principal.accountId, resolvedAt: now, resolutionTransactionId })
      await audit.append(tx, auditRecord(actor, 'bank_statement.difference_resolved', 'bank_statement', statement.id, {
        differenceId: item.id, kind, txnId: item.txnId, resolution: input.resolution, note: input.note
      }))
      return toDifferenceView((await repo.findItem(tx, item.id))!)
    })
    if (recorded) payments.signSoon(recorded)
    return view
  }

  /**
   * Creates the remittances of collected non-tax revenue up to a day: one batch per fiscal
   * account, each covering every payment not remitted before, posted to the ledger. Serialised,
   * so two cashiers cannot remit the same payment.
   */
  async function createRemittances (actor: Actor, throughDate: string): Promise<RemittanceView[]> {
    return db.transaction(async (tx) => {
      await repo.lockRemittances(tx)
      await repo.snapshotUnremitted(tx, throughDate)
      const accounts = await repo.unremittedByAccount(tx)
      if (accounts.length === 0) throw new NothingToRemit()
      const now = clock.now()
      const batches: RemittanceView[] = []
      for (const account of accounts) {
        const id = crypto.randomUUID()
        const posted = await ledger.post(tx, {
          kind: 'remittance.created', reference: `remittance:${id}`, businessDate: shanghaiDate(now), occurredAt: now, createdBy: actor.principal.accountId, memo: account.receivingAccount, entries: postings.remittance(account.totalFen)
        })
        const batch = await repo.insertBatch(tx, {
          id, receivingAccount: account.receivingAccount, throughDate, totalFen: account.totalFen, paymentCount: account.payments, status: 'created', createdBy: actor.principal.accountId, createdAt: now, ledgerTransactionId: posted.id
        })
        const claimed = await repo.insertRemittanceLines(tx, { id, receivingAccount: account.receivingAccount })
        if (claimed !== account.totalFen) throw new Error(`remittance ${id}: lines total ${claimed} differs from ${account.totalFen}`)
        await audit.append(tx, auditRecord(actor, 'remittance.created', 'remittance', id, { receivingAccount: account.receivingAccount, throughDate, totalFen: String(account.totalFen), payments: account.payments }))
        batches.push(toRemittanceView(batch))
      }
      return batches
    })
  }

  async function confirmRemittance (actor: Actor, batchId: string, input: { bankCode: string, bankTxnId: string }): Promise<RemittanceView> {
    const bank = await banks.requireActiveBank(input.bankCode)
    return db.transaction(async (tx) => {
      const batch = await repo.findBatch(tx, batchId, { forUpdate: true })
      if (!batch) throw new RemittanceNotFound(batchId)
      if (batch.status === 'confirmed') throw new RemittanceConfirmed()
      const now = clock.now()
      try {
        await repo.confirmBatch(tx, batch.id, { bankId: bank.id, bankTxnId: input.bankTxnId, businessDate: shanghaiDate(now), confirmedBy: actor.principal.accountId, confirmedAt: now })
      } catch (error) {
        if (postgresErrorOf(error)?.code === '23505') throw new BankTransactionConflict(input.bankTxnId)
        throw error
      }
      await audit.append(tx, auditRecord(actor, 'remittance.confirmed', 'remittance', batch.id, { bank: bank.code, bankTxnId: input.bankTxnId }))
      return toRemittanceView((await repo.findBatch(tx, batch.id))!)
    })
  }

  async function listRemittances (limit = 100): Promise<RemittanceView[]> {
    return (await repo.listBatches(db, limit)).map(toRemittanceView)
  }

  /**
   * The ledger and the records must tell the same story about what is still to remit. Both are
   * read from one snapshot (its own, or `snapshot`): a payment or a remittance committing between
   * two separate reads would show them apart although they agree.
   */
  async function checkRemittances (snapshot?: Transaction) {
    const check = async (tx: Transaction) => {
      const ledgerUnremitted = -(await ledger.balance('non_tax_revenue', null, tx))
      const records = await repo.unremittedTotal(tx)
      return { ledgerUnremittedFen: Number(ledgerUnremitted), recordsUnremittedFen: Number(records), matches: ledgerUnremitted === records }
    }
    return snapshot ? check(snapshot) : inSnapshot(db, check)
  }

  /** Money per day for the finance chart, derived from the ledger. */
  async function financeSummary (from: string, to: string, on: Queryable = db): Promise<FinanceDay[]> {
    const movements = await ledger.dailyMovements(from, to, on)
    const days: FinanceDay[] = []
    for (let date = from; date <= to && days.length < 366; date = addCalendarDays(date, 1)) {
      const of = (account: string, side: 'debitsFen' | 'creditsFen') =>
        Number(movements.find((movement) => movement.businessDate === date && movement.accountCode === account)?.[side] ?? 0n)
      days.push({
        date,
        collectedFen: of('non_tax_revenue', 'creditsFen'),
        remittedFen: of('non_tax_revenue', 'debitsFen'),
        depositsFen: of('bond_custody', 'creditsFen'),
        refundedFen: of('refunds_payable', 'debitsFen')
      })
    }
    return days
  }

  /**
   * The finance desk's overview (chart, trial balance, books check, remittance check) as of one
   * moment, so the figures shown side by side can be compared with each other.
   */
  async function financeOverview (from: string, to: string) {
    return inSnapshot(db, async (tx) => ({
      days: await financeSummary(from, to, tx),
      balances: await ledger.accountBalances(null, tx),
      books: await ledger.checkBooks(tx),
      remittances: await checkRemittances(tx)
    }))
  }

  return { parkedCredit: repo.parkedCredit, importStatement, statementFile, listStatements, getStatement, resolve, createRemittances, confirmRemittance, listRemittances, checkRemittances, financeSummary, financeOverview }
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>
