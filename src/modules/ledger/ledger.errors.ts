import { createError } from '../../lib/errors.ts'

/** A programming error in a posting rule: never reaches the database, which would refuse it too. */
export const LedgerUnbalanced = createError<'LEDGER_UNBALANCED', 500, [string]>('LEDGER_UNBALANCED', 'Ledger entries must be two or more non-zero amounts summing to zero (sum %s)', 500)
export const LedgerTransactionNotFound = createError<'LEDGER_TRANSACTION_NOT_FOUND', 404, [string]>('LEDGER_TRANSACTION_NOT_FOUND', 'Ledger transaction %s not found', 404)
export const LedgerAlreadyReversed = createError<'LEDGER_ALREADY_REVERSED', 409, [string]>('LEDGER_ALREADY_REVERSED', 'Ledger transaction %s was already reversed', 409)
