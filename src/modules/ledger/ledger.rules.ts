/**
 * The fee hall's chart of accounts and its posting rules, as pure functions. Debits are
 * positive, credits negative; every posting sums to zero.
 *
 *   notice issued      Dr receivable        Cr billed
 *   payment received   Dr bank_clearing     Cr receivable
 *                      Dr billed            Cr non_tax_revenue (fees) / bond_custody (deposits)
 *   refund approved    Dr bond_custody      Cr refunds_payable
 *   refund paid        Dr refunds_payable   Cr bank_clearing
 *   remittance         Dr non_tax_revenue   Cr bank_clearing
 *   unexplained money  Dr bank_clearing     Cr suspense
 *   notice cancelled or expired: the reversal of its issue
 *
 * So `receivable` is what notices still await, `bank_clearing` the money at the bank,
 * `non_tax_revenue` what is collected and not yet remitted, `bond_custody` the deposits held.
 */
import { LedgerUnbalanced } from './ledger.errors.ts'

export const LEDGER_ACCOUNT_CODES = [
  'receivable', 'billed', 'bank_clearing', 'non_tax_revenue', 'bond_custody', 'refunds_payable', 'suspense'
] as const
export type LedgerAccountCode = typeof LEDGER_ACCOUNT_CODES[number]

export interface Entry { accountCode: LedgerAccountCode, amountFen: bigint }

/** Two or more non-zero entries summing to zero (the database checks again at commit). */
export function assertBalanced (entries: readonly Entry[]): void {
  const total = entries.reduce((sum, entry) => sum + entry.amountFen, 0n)
  if (entries.length < 2 || total !== 0n || entries.some((entry) => entry.amountFen === 0n)) throw new LedgerUnbalanced(String(total))
}

export function reversalOf (entries: readonly Entry[]): Entry[] {
  return entries.map((entry) => ({ accountCode: entry.accountCode, amountFen: -entry.amountFen }))
}

/** Drops zero legs, so a payment without deposits has no bond_custody entry. */
function posting (...entries: Entry[]): Entry[] {
  const kept = entries.filter((entry) => entry.amountFen !== 0n)
  assertBalanced(kept)
  return kept
}

export const postings = {
  noticeIssued: (totalFen: bigint) => posting(
    { accountCode: 'receivable', amountFen: totalFen },
    { accountCode: 'billed', amountFen: -totalFen }
  ),
  /** `from` is suspense when reconciliation had parked this very credit there before the payment was known. */
  paymentReceived: (split: { nonTaxFen: bigint, depositFen: bigint }, from: 'bank_clearing' | 'suspense' = 'bank_clearing') => {
    const total = split.nonTaxFen + split.depositFen
    return posting(
      { accountCode: from, amountFen: total },
      { accountCode: 'receivable', amountFen: -total },
      { accountCode: 'billed', amountFen: total },
      { accountCode: 'non_tax_revenue', amountFen: -split.nonTaxFen },
      { accountCode: 'bond_custody', amountFen: -split.depositFen }
    )
  },
  refundApproved: (amountFen: bigint) => posting(
    { accountCode: 'bond_custody', amountFen },
    { accountCode: 'refunds_payable', amountFen: -amountFen }
  ),
  refundPaid: (amountFen: bigint) => posting(
    { accountCode: 'refunds_payable', amountFen },
    { accountCode: 'bank_clearing', amountFen: -amountFen }
  ),
  remittance: (amountFen: bigint) => posting(
    { accountCode: 'non_tax_revenue', amountFen },
    { accountCode: 'bank_clearing', amountFen: -amountFen }
  ),
  unexplainedReceipt: (amountFen: bigint) => posting(
    { accountCode: 'bank_clearing', amountFen },
    { accountCode: 'suspense', amountFen: -amountFen }
  )
}
