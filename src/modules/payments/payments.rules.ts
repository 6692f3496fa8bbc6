/**
 * Payment notices as pure rules: the state machine, what makes a payment acceptable, amounts
 * split for the ledger, and the receipt document that is signed.
 *
 *   issued ──pay──▶ paid ──refund paid──▶ refunded
 *     ├──cancel──▶ cancelled
 *     └──due time passed──▶ expired
 */
import { createPaymentCode, cryptoRandomDigits } from '../../lib/payment-code.ts'
import { MAX_FEN } from '../../lib/money.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { AmountMismatch, NoticeExpired, NoticeNotCancellable, NoticeNotPayable, NoticeTotalTooLarge, PaymentTimeInvalid } from './payments.errors.ts'

export type NoticeStatus = 'issued' | 'paid' | 'refunded' | 'cancelled' | 'expired'
export type PaymentChannel = 'window' | 'bank_callback' | 'statement'

/**
 * A notice stays open this long after its due time before it expires, so that a bank callback
 * delayed by retries still lands; the payment itself must have happened before the due time.
 */
export const EXPIRY_GRACE_MS = 2 * 60 * 60 * 1000

/** Vocabulary of the printed documents, which are official Chinese forms. */
export const PURPOSE_LABELS: Record<'case' | 'tender_document' | 'bid_bond' | 'auction_deposit' | 'other', string> = {
  case: '行政事业性收费',
  tender_document: '招标文件费',
  bid_bond: '投标保证金',
  auction_deposit: '竞买保证金',
  other: '其他缴款'
}
export const CHANNEL_LABELS: Record<PaymentChannel, string> = {
  window: '银行窗口',
  bank_callback: '银行网上缴款',
  statement: '银行对账补录'
}
export const NOTICE_INSTRUCTIONS = [
  '请在缴款期限前到大厅银行窗口凭缴款码缴款，或扫描二维码网上缴款。',
  '须一次足额缴纳，不接受部分缴款；缴款后可凭缴款码查询并下载电子缴款收据。',
  '保证金按规定原路退回缴款账户。'
]

export function newPaymentCode (regionCode: string, issuedAt: Date): string {
  return createPaymentCode(regionCode, Number(shanghaiDate(issuedAt).slice(0, 4)), cryptoRandomDigits)
}

export function totalOf (amounts: readonly bigint[]): bigint {
  const total = amounts.reduce((sum, amount) => sum + amount, 0n)
  if (total > MAX_FEN) throw new NoticeTotalTooLarge()
  return total
}

/** Fees go to non-tax revenue, deposits into custody. */
export function splitByCategory (items: ReadonlyArray<{ category: 'non_tax' | 'deposit', amountFen: bigint }>): { nonTaxFen: bigint, depositFen: bigint } {
  let nonTaxFen = 0n
  let depositFen = 0n
  for (const item of items) {
    if (item.category === 'deposit') depositFen += item.amountFen
    else nonTaxFen += item.amountFen
  }
  return { nonTaxFen, depositFen }
}

/**
 * A payment is accepted when the notice is open, the bank's payment time lies between the
 * notice's issue and its due time (within clock skew at both ends: a time before the issue would
 * book the money on a day whose statement may already be closed), and the amount is the whole total.
 */
export function assertPayable (
  notice: { status: NoticeStatus, totalFen: bigint, issuedAt: Date, dueAt: Date },
  payment: { amountFen: bigint, paidAt: Date },
  now: Date,
  maxSkewMs: number
): void {
  if (notice.status === 'expired') throw new NoticeExpired()
  if (notice.status !== 'issued') throw new NoticeNotPayable(notice.status)
  if (payment.paidAt.getTime() > now.getTime() + maxSkewMs) throw new PaymentTimeInvalid()
  if (payment.paidAt.getTime() < notice.issuedAt.getTime() - maxSkewMs) throw new PaymentTimeInvalid()
  if (payment.paidAt.getTime() >= notice.dueAt.getTime()) throw new NoticeExpired()
  if (payment.amountFen !== notice.totalFen) throw new AmountMismatch(String(payment.amountFen), String(notice.totalFen))
}

export function assertCancellable (status: NoticeStatus): void {
  if (status !== 'issued') throw new NoticeNotCancellable(status)
}

/** True when the expiry timer may close the notice (grace included). */
export function isExpiredAt (notice: { status: NoticeStatus, dueAt: Date }, now: Date): boolean {
  return notice.status === 'issued' && now.getTime() >= notice.dueAt.getTime() + EXPIRY_GRACE_MS
}

/** 18 digits: year, region, an 8-digit serial from a database sequence. */
export function receiptNumber (year: number, regionCode: string, serial: bigint): string {
  return `${year}${regionCode}${serial.toString().padStart(8, '0')}`
}

export interface ReceiptDocumentInput {
  number: string
  hall: string
  notice: { code: string, purpose: string, reference: string, payerName: string, payerIdNumber: string | null }
  items: ReadonlyArray<{ code: string, name: string, detail: string, amountFen: bigint }>
  payment: { channel: PaymentChannel, bankCode: string, bankTxnId: string, amountFen: bigint, payerAccountNo: string, payerAccountName: string, paidAt: Date }
  issuedAt: Date
}

/** The signed receipt content (serialised with canonical JSON; README "Receipts"). */
export function receiptDocument (input: ReceiptDocumentInput) {
  return {
    type: 'openhall.receipt.v1',
    number: input.number,
    hall: input.hall,
    noticeCode: input.notice.code,
    purpose: input.notice.purpose,
    reference: input.notice.reference,
    payer: { name: input.notice.payerName, idNumber: input.notice.payerIdNumber, accountNo: input.payment.payerAccountNo, accountName: input.payment.payerAccountName },
    items: input.items.map((item) => ({ code: item.code, name: item.name, detail: item.detail, amountFen: Number(item.amountFen) })),
    totalFen: Number(input.payment.amountFen),
    channel: input.payment.channel,
    bank: input.payment.bankCode,
    bankTxnId: input.payment.bankTxnId,
    paidAt: input.payment.paidAt.toISOString(),
    issuedAt: input.issuedAt.toISOString()
  }
}
export type ReceiptDocument = ReturnType<typeof receiptDocument>
