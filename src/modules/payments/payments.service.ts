import { isValidPaymentCode, normalisePaymentCode } from '../../lib/payment-code.ts'
import { canAccess, type Principal } from '../../lib/policy.ts'
import type { Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Pki } from '../../plugins/pki.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { BanksService } from '../banks/banks.service.ts'
import type { DepartmentsService } from '../departments/departments.service.ts'
import type { FeesService } from '../fees/fees.service.ts'
import type { LedgerService } from '../ledger/ledger.service.ts'
import { createBankPayments } from './payments.bank.ts'
import { PaymentCodeInvalid } from './payments.errors.ts'
import { createPaymentNotices } from './payments.notices.ts'
import { createPaymentQueries } from './payments.queries.ts'
import { createPaymentReceipts } from './payments.receipts.ts'
import { createPaymentRecording } from './payments.recording.ts'
import * as repo from './payments.repository.ts'
import type { NoticeView, PaymentView } from './payments.schemas.ts'
import type { NotifierService } from '../notifier/notifier.service.ts'

export interface PaymentsDeps {
  db: Database
  audit: Audit
  clock: Clock
  calendar: Calendar
  timers: Timers
  pki: Pki
  fees: FeesService
  banks: BanksService
  ledger: LedgerService
  departments: DepartmentsService
  log: { error: (object: object, message: string) => void }
  /** tells the payer of a notice (inbox, and SMS to a confirmed mobile) */
  notifier: NotifierService
  settings: { hallName: string, publicUrl: string, regionCode: string, dueWorkingDays: number, maxSkewSeconds: number }
}

export type NoticePurpose = NoticeView['purpose']

/** What other modules learn when one of their notices is paid (`onPaid`). */
export interface PaidEvent {
  noticeId: string
  code: string
  purpose: NoticePurpose
  reference: string
  payerAccountId: string | null
  totalFen: bigint
  paymentId: string
  paidAt: Date
}

/** Runs in the transaction that marks the event delivered: its effects and the delivery commit together. */
export type PaidHandler = (tx: Transaction, event: PaidEvent) => Promise<void>

/**
 * The amount of a bank credit that reconciliation parked in suspense, or null. Reconciliation
 * provides it (`useParkedCredits`): payments cannot read its tables, and it cannot be skipped.
 */
export type ParkedCreditLookup = (tx: Transaction, bankId: string, bankTxnId: string) => Promise<bigint | null>

/** What recording a payment answers; `replay` when this bank transaction was recorded before. */
export interface RecordedPayment { noticeId: string, code: string, paymentId: string, receiptNumber: string, replay: boolean }

export { SIGN_TIMER } from './payments.constants.ts'

/** The helpers every use case shares, lent to the files beside this one (payments.<case>.ts). */
export interface PaymentHelpers {
  noticeView: (on: Queryable, notice: repo.NoticeRow) => Promise<NoticeView>
  viewsOf: (rows: repo.NoticeRow[]) => Promise<NoticeView[]>
  parseCode: (input: string) => string
  mayRead: (principal: Principal, notice: repo.NoticeRow) => boolean
}

function toPaymentView (payment: repo.PaymentWithBank): PaymentView {
  return {
    id: payment.id,
    channel: payment.channel,
    bankCode: payment.bankCode,
    bankTxnId: payment.bankTxnId,
    amountFen: Number(payment.amountFen),
    payerAccountNo: payment.payerAccountNo,
    payerAccountName: payment.payerAccountName,
    paidAt: payment.paidAt.toISOString(),
    recordedAt: payment.recordedAt.toISOString(),
    receiptNumber: payment.receiptNumber
  }
}

function toNoticeView (notice: repo.NoticeRow, items: repo.NoticeItemRow[], payment: repo.PaymentWithBank | undefined): NoticeView {
  return {
    id: notice.id,
    code: notice.code,
    purpose: notice.purpose,
    reference: notice.reference,
    departmentId: notice.departmentId,
    windowId: notice.windowId,
    payer: { accountId: notice.payerAccountId, name: notice.payerName, idNumber: notice.payerIdNumber },
    items: items.map((item) => ({
      line: item.line,
      code: item.code,
      name: item.name,
      category: item.category,
      detail: item.detail,
      amountFen: Number(item.amountFen),
      receivingAccount: item.receivingAccount,
      versionId: item.feeItemVersionId
    })),
    totalFen: Number(notice.totalFen),
    status: notice.status,
    issuedAt: notice.issuedAt.toISOString(),
    dueAt: notice.dueAt.toISOString(),
    closedAt: notice.closedAt?.toISOString() ?? null,
    closeReason: notice.closeReason,
    payment: payment ? toPaymentView(payment) : null
  }
}

function mayRead (principal: Principal, notice: repo.NoticeRow): boolean {
  return notice.payerAccountId === principal.accountId ||
    canAccess(principal, 'payments.read', { departmentId: notice.departmentId, windowId: notice.windowId })
}

export function createPaymentsService (deps: PaymentsDeps) {
  const { db } = deps
  // the use cases live beside this file; the helpers they borrow are declared below
  const helpers: PaymentHelpers = { noticeView, viewsOf, parseCode, mayRead }
  const { signSoon, signUnsigned, stopSigning, getReceipt, checkReceipt, verifyReceipt, noticePdf, receiptPdf } = createPaymentReceipts({ ...deps, ...helpers })
  const { recordPayment, alreadyRecorded, collectAtWindow, useParkedCredits, onPaid } = createPaymentRecording({ ...deps, ...helpers, signSoon })
  const { receiveBankPayment, describeForBank, recordFromStatement, creditClaim } = createBankPayments({ ...deps, ...helpers, recordPayment, alreadyRecorded, signSoon })
  const { createNotice, cancelNotice, paidNoticeForRefund, markRefunded } = createPaymentNotices({ ...deps, ...helpers })
  const { getNotice, summaryByCode, findByCode, listNotices, countNotices, listMine, receiptNumberOf, noticeStates } = createPaymentQueries({ ...deps, ...helpers })

  async function noticeView (on: Queryable, notice: repo.NoticeRow): Promise<NoticeView> {
    const [items, [payment]] = await Promise.all([repo.itemsOf(on, [notice.id]), repo.paymentsOfNotices(on, [notice.id])])
    return toNoticeView(notice, items, payment)
  }

  function parseCode (input: string): string {
    const code = normalisePaymentCode(input)
    if (!isValidPaymentCode(code)) throw new PaymentCodeInvalid()
    return code
  }

  async function viewsOf (rows: repo.NoticeRow[]): Promise<NoticeView[]> {
    const ids = rows.map((row) => row.id)
    const [items, paid] = await Promise.all([repo.itemsOf(db, ids), repo.paymentsOfNotices(db, ids)])
    return rows.map((row) => toNoticeView(row, items.filter((item) => item.noticeId === row.id), paid.find((payment) => payment.noticeId === row.id)))
  }

  return {
    createNotice,
    noticeStates,
    receiptNumberOf,
    getNotice,
    findByCode,
    summaryByCode,
    listNotices,
    countNotices,
    listMine,
    cancelNotice,
    collectAtWindow,
    receiveBankPayment,
    describeForBank,
    recordFromStatement,
    creditClaim,
    useParkedCredits,
    signSoon,
    signUnsigned,
    stopSigning,
    onPaid,
    paidNoticeForRefund,
    markRefunded,
    getReceipt,
    verifyReceipt,
    checkReceipt,
    noticePdf,
    receiptPdf
  }
}

export type PaymentsService = ReturnType<typeof createPaymentsService>
