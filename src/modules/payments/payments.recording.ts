/**
 * Recording a payment, whatever its channel (the bank window here; bank callbacks and statements
 * in payments.bank.ts), and what other modules hook onto it: handlers run when a notice of their
 * purpose is paid, and reconciliation's credits parked in suspense.
 */
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson } from '../../lib/canonical-json.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord } from '../../plugins/audit.ts'
import { postgresErrorOf, type Queryable, type Transaction } from '../../plugins/db.ts'
import { BankTransactionConflict } from '../banks/banks.errors.ts'
import { postings } from '../ledger/ledger.rules.ts'
import { PAID_TIMER, expireKey, ledgerReference } from './payments.constants.ts'
import { NoticeAlreadyPaid, PaymentCodeUnknown } from './payments.errors.ts'
import type { PaymentReceipts } from './payments.receipts.ts'
import * as repo from './payments.repository.ts'
import { assertPayable, receiptDocument, receiptNumber, splitByCategory, type PaymentChannel } from './payments.rules.ts'
import type { NoticeView, WindowPayment } from './payments.schemas.ts'
import type { NoticePurpose, PaidEvent, PaidHandler, ParkedCreditLookup, PaymentHelpers, PaymentsDeps, RecordedPayment } from './payments.service.ts'

export interface PaymentInput {
  code: string
  amountFen: bigint
  bankId: string
  bankCode: string
  bankTxnId: string
  payerAccountNo: string
  payerAccountName: string
  paidAt: Date
  channel: PaymentChannel
  recordedBy: Actor | null
}

export type PaymentRecordingDeps = Pick<PaymentsDeps, 'db' | 'audit' | 'clock' | 'timers' | 'banks' | 'ledger' | 'settings'>
  & Pick<PaymentHelpers, 'noticeView' | 'parseCode'> & Pick<PaymentReceipts, 'signSoon'>

export function createPaymentRecording ({ db, audit, clock, timers, banks, ledger, settings, noticeView, parseCode, signSoon }: PaymentRecordingDeps) {
  const paidHandlers = new Map<NoticePurpose, PaidHandler[]>()
  let parkedCredit: ParkedCreditLookup = async () => null

  /**
   * The one way a payment is recorded, whatever its channel. Exactly once per notice and per bank
   * transaction: the notice row is locked, a repeat of the same bank transaction (a retried
   * callback, a concurrent duplicate) answers the recorded payment, and the unique constraints
   * on payments(notice_id) and payments(bank_id, bank_txn_id) back this up.
   */
  async function recordPayment (tx: Transaction, input: PaymentInput): Promise<RecordedPayment> {
    // Statements that do not wait on each other's answers are sent together: postgres.js
    // pipelines them on the transaction's connection, and PostgreSQL runs them in order.
    const [notice, items, parked] = await Promise.all([
      repo.findNoticeByCode(tx, input.code, { forUpdate: true }),
      // a notice's items never change, so they need not wait for its lock
      repo.itemsOfCode(tx, input.code),
      // a credit parked in suspense before its payment was known is taken out of suspense,
      // not counted from the bank a second time
      parkedCredit(tx, input.bankId, input.bankTxnId)
    ])
    if (!notice) throw new PaymentCodeUnknown()
    if (notice.status === 'paid' || notice.status === 'refunded') {
      // a repeat, perhaps one that committed while this one waited for the lock
      const again = await alreadyRecorded(tx, input)
      if (again) return again
      throw new NoticeAlreadyPaid()
    }
    const now = clock.now()
    assertPayable(notice, input, now, settings.maxSkewSeconds * 1000)
    if (parked !== null && parked !== input.amountFen) throw new BankTransactionConflict(input.bankTxnId)
    const businessDate = shanghaiDate(input.paidAt)
    const posted = await ledger.post(tx, {
      kind: 'payment.received', reference: ledgerReference(notice.id), businessDate, occurredAt: now, createdBy: input.recordedBy?.principal.accountId ?? null, entries: postings.paymentReceived(splitByCategory(items), parked === null ? 'bank_clearing' : 'suspense')
    })
    let payment: repo.PaymentRow
    let serial: bigint
    try {
      [payment, serial] = await Promise.all([
        repo.insertPayment(tx, {
          noticeId: notice.id,
          channel: input.channel,
          bankId: input.bankId,
          bankTxnId: input.bankTxnId,
          amountFen: input.amountFen,
          payerAccountNo: input.payerAccountNo,
          payerAccountName: input.payerAccountName,
          paidAt: input.paidAt,
          businessDate,
          recordedAt: now,
          recordedBy: input.recordedBy?.principal.accountId ?? null,
          ledgerTransactionId: posted.id
        }),
        repo.nextReceiptSerial(tx),
        repo.closeNotice(tx, notice.id, { status: 'paid', closedAt: now })
      ])
    } catch (error) {
      // the same bank transaction committed meanwhile for another notice
      if (postgresErrorOf(error)?.code === '23505') throw new BankTransactionConflict(input.bankTxnId)
      throw error
    }
    const number = receiptNumber(Number(shanghaiDate(now).slice(0, 4)), settings.regionCode, serial)
    await Promise.all([
      repo.insertReceipt(tx, {
        number,
        paymentId: payment.id,
        document: canonicalJson(receiptDocument({
          number,
          hall: settings.hallName,
          notice: { code: notice.code, purpose: notice.purpose, reference: notice.reference, payerName: notice.payerName, payerIdNumber: notice.payerIdNumber },
          items,
          payment: { ...payment, bankCode: input.bankCode },
          issuedAt: now
        })),
        issuedAt: now
      }),
      audit.append(tx, auditRecord(input.recordedBy, 'payment.received', 'payment_notice', notice.id, {
        paymentId: payment.id, channel: input.channel, bank: input.bankCode, bankTxnId: input.bankTxnId, amountFen: String(input.amountFen), receipt: number, fromSuspense: parked !== null
      })),
      timers.cancel(tx, expireKey(notice.id)),
      paidHandlers.has(notice.purpose)
        ? timers.schedule(tx, { kind: PAID_TIMER, key: `${PAID_TIMER}:${payment.id}`, fireAt: now, payload: { paymentId: payment.id } })
        : null
    ])
    return { noticeId: notice.id, code: notice.code, paymentId: payment.id, receiptNumber: number, replay: false }
  }

  /**
   * The answer to a repeat of a recorded bank transaction; a refusal when the repeat names
   * another notice or amount (a bank reusing a transaction id).
   */
  async function alreadyRecorded (on: Queryable, input: Pick<PaymentInput, 'bankId' | 'bankTxnId' | 'code' | 'amountFen'>): Promise<RecordedPayment | null> {
    const earlier = await repo.findPaymentByBankTxn(on, input.bankId, input.bankTxnId)
    if (!earlier) return null
    if (earlier.noticeCode !== input.code || earlier.amountFen !== input.amountFen) throw new BankTransactionConflict(input.bankTxnId)
    return { noticeId: earlier.noticeId, code: earlier.noticeCode, paymentId: earlier.paymentId, receiptNumber: earlier.receiptNumber, replay: true }
  }

  /** Payment at the bank's window in the hall: the cashier confirms the amount and the bank transaction. */
  async function collectAtWindow (actor: Actor, input: WindowPayment): Promise<{ notice: NoticeView, replay: boolean }> {
    const code = parseCode(input.code)
    const bank = await banks.requireActiveBank(input.bankCode)
    const recorded = await db.transaction(async (tx) => recordPayment(tx, {
      code,
      amountFen: BigInt(input.amountFen),
      bankId: bank.id,
      bankCode: bank.code,
      bankTxnId: input.bankTxnId,
      payerAccountNo: input.payerAccountNo,
      payerAccountName: input.payerAccountName,
      paidAt: clock.now(),
      channel: 'window',
      recordedBy: actor
    }))
    signSoon(recorded)
    return { notice: await noticeView(db, (await repo.findNotice(db, recorded.noticeId))!), replay: recorded.replay }
  }

  function useParkedCredits (lookup: ParkedCreditLookup): void {
    parkedCredit = lookup
  }

  function onPaid (purpose: NoticePurpose, handler: PaidHandler): void {
    paidHandlers.set(purpose, [...paidHandlers.get(purpose) ?? [], handler])
  }

  async function deliverPaidEvent (tx: Transaction, paymentId: string) {
    const payment = await repo.findPayment(tx, paymentId)
    if (!payment) return
    const notice = (await repo.findNotice(tx, payment.noticeId))!
    const event: PaidEvent = {
      noticeId: notice.id,
      code: notice.code,
      purpose: notice.purpose,
      reference: notice.reference,
      payerAccountId: notice.payerAccountId,
      totalFen: notice.totalFen,
      paymentId: payment.id,
      paidAt: payment.paidAt
    }
    for (const handler of paidHandlers.get(notice.purpose) ?? []) await handler(tx, event)
  }

  timers.define(PAID_TIMER, async (tx, timer) => { await deliverPaidEvent(tx, (timer.payload as { paymentId: string }).paymentId) })

  return { recordPayment, alreadyRecorded, collectAtWindow, useParkedCredits, onPaid }
}

export type PaymentRecording = ReturnType<typeof createPaymentRecording>
