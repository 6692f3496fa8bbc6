/**
 * Bank statements and their differences, as pure rules.
 *
 * Statement file (README "Bank statement format"): UTF-8 CSV, header row
 *   txn_id,booked_at,direction,amount,payment_code,counterparty_account,counterparty_name,memo
 * one row per bank transaction of the statement day; amounts in yuan with at most two decimals.
 *
 * A difference is open until resolved:
 *   unexpected credit with a payment code → record_payment (the callback never came) | suspense | acknowledge
 *   unexpected credit without one         → suspense | acknowledge
 *   amount mismatch                       → suspense (the excess, when the bank got more) | acknowledge
 *   account mismatch (a debit paid to another account than the refund's or remittance's),
 *   missing (recorded here, not at the bank), unexpected debit → acknowledge
 */
import { parseYuan, MAX_FEN } from '../../lib/money.ts'
import { BANK_TXN_ID_PATTERN } from '../banks/banks.schemas.ts'
import { isValidPaymentCode, normalisePaymentCode } from '../../lib/payment-code.ts'
import { shanghaiDate } from '../../lib/working-days.ts'

export const STATEMENT_COLUMNS = ['txn_id', 'booked_at', 'direction', 'amount', 'payment_code', 'counterparty_account', 'counterparty_name', 'memo'] as const

export interface StatementLine {
  txnId: string
  bookedAt: Date
  direction: 'C' | 'D'
  amountFen: bigint
  paymentCode: string | null
  counterpartyAccount: string
  counterpartyName: string
  memo: string
}

const TXN_ID = new RegExp(BANK_TXN_ID_PATTERN)
const OFFSET_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/
const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/

export function checkHeader (fields: string[]): string | null {
  const names = fields.map((field) => field.trim().toLowerCase())
  return names.length === STATEMENT_COLUMNS.length && names.every((name, index) => name === STATEMENT_COLUMNS[index])
    ? null
    : `the header must be ${STATEMENT_COLUMNS.join(',')}`
}

/** Bank times without an offset are the hall's local time (Asia/Shanghai, no daylight saving). */
function parseBookedAt (text: string): Date | null {
  const local = LOCAL_TIME.exec(text)
  const iso = local ? `${local[1]}T${local[2]}+08:00` : OFFSET_TIME.test(text) ? text : null
  if (!iso) return null
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? null : date
}

/** One statement row, or the reason it is malformed. */
export function parseStatementLine (fields: string[], statementDate: string): StatementLine | string {
  if (fields.length !== STATEMENT_COLUMNS.length) return `expected ${STATEMENT_COLUMNS.length} fields, found ${fields.length}`
  const [txnId, booked, direction, amount, code, account, name, memo] = fields.map((field) => field.trim()) as [string, string, string, string, string, string, string, string]
  if (!TXN_ID.test(txnId)) return 'txn_id must be 1–64 letters, digits or _.:-'
  const bookedAt = parseBookedAt(booked)
  if (!bookedAt) return 'booked_at must be "YYYY-MM-DD HH:MM:SS" (hall time) or RFC 3339'
  if (shanghaiDate(bookedAt) !== statementDate) return `booked_at is not on the statement day ${statementDate}`
  if (direction !== 'C' && direction !== 'D') return 'direction must be C (in) or D (out)'
  const amountFen = parseYuan(amount)
  if (amountFen === null || amountFen <= 0n || amountFen > MAX_FEN) return 'amount must be a positive yuan amount with at most two decimals'
  let paymentCode: string | null = null
  if (code) {
    paymentCode = normalisePaymentCode(code)
    if (!isValidPaymentCode(paymentCode)) return 'payment_code is not a valid payment code'
  }
  if (!account || account.length > 40) return 'counterparty_account is required (at most 40 characters)'
  if (name.length > 200 || memo.length > 500) return 'counterparty_name or memo is too long'
  return { txnId, bookedAt, direction, amountFen, paymentCode, counterpartyAccount: account, counterpartyName: name, memo }
}

/** A statement line as a row of PostgreSQL's COPY … (FORMAT csv). */
export function copyRow (statementId: string, lineNo: number, line: StatementLine): string {
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`
  return [
    statementId, lineNo, quote(line.txnId), line.bookedAt.toISOString(), line.direction, line.amountFen.toString(),
    line.paymentCode ?? '', quote(line.counterpartyAccount), quote(line.counterpartyName), quote(line.memo)
  ].join(',') + '\n'
}

export type DifferenceKind = 'missing' | 'unexpected' | 'amount_mismatch' | 'account_mismatch'
export type Resolution = 'record_payment' | 'suspense' | 'acknowledge'

export function allowedResolutions (item: { kind: DifferenceKind, direction: string, paymentCode: string | null, expectedFen: bigint | null, actualFen: bigint | null }): Resolution[] {
  if (item.direction === 'C' && item.kind === 'unexpected') return item.paymentCode ? ['record_payment', 'suspense', 'acknowledge'] : ['suspense', 'acknowledge']
  if (item.direction === 'C' && item.kind === 'amount_mismatch' && (item.actualFen ?? 0n) > (item.expectedFen ?? 0n)) return ['suspense', 'acknowledge']
  return ['acknowledge']
}

/** The amount a suspense resolution posts: the whole unexplained credit, or the excess over what was recorded. */
export function suspenseAmount (item: { kind: DifferenceKind, expectedFen: bigint | null, actualFen: bigint | null }): bigint {
  return item.kind === 'unexpected' ? item.actualFen! : item.actualFen! - item.expectedFen!
}
