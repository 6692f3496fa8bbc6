/**
 * What banks send: a bank's look-up before taking a payer's money, its signed payment callback
 * (retries and concurrent copies answered once), and, through reconciliation, payments found only
 * on its statement and the credits that are, or could still become, payments.
 */
import type { Actor } from '../../lib/actor.ts'
import type { Transaction } from '../../plugins/db.ts'
import type { AuthenticatedBank } from '../banks/banks.service.ts'
import { PaymentCodeUnknown } from './payments.errors.ts'
import type { PaymentReceipts } from './payments.receipts.ts'
import type { PaymentInput, PaymentRecording } from './payments.recording.ts'
import * as repo from './payments.repository.ts'
import { assertPayable } from './payments.rules.ts'
import type { BankPayment } from './payments.schemas.ts'
import type { PaymentHelpers, PaymentsDeps, RecordedPayment } from './payments.service.ts'

export type BankPaymentsDeps = Pick<PaymentsDeps, 'db' | 'clock' | 'banks' | 'settings'> & Pick<PaymentHelpers, 'parseCode'>
  & Pick<PaymentRecording, 'recordPayment' | 'alreadyRecorded'> & Pick<PaymentReceipts, 'signSoon'>

export function createBankPayments ({ db, clock, banks, settings, parseCode, recordPayment, alreadyRecorded, signSoon }: BankPaymentsDeps) {
  /** Bank transactions being recorded by this instance, by `bankId:txnId`. */
  const recording = new Map<string, { code: string, amountFen: bigint, work: Promise<RecordedPayment> }>()

  /**
   * A bank's signed callback; its nonce is consumed with the payment. A repeat of a recorded
   * transaction — most retries — is answered without a transaction. A bank that retries often
   * sends copies at once: a copy arriving while this instance records the same transaction waits
   * for that instead of queueing on the notice's lock with a connection of its own.
   */
  async function receiveBankPayment (bank: AuthenticatedBank, input: BankPayment): Promise<RecordedPayment> {
    const key = `${bank.id}:${input.bankTxnId}`
    const code = parseCode(input.paymentCode)
    const amountFen = BigInt(input.amountFen)
    for (let running = recording.get(key); running; running = recording.get(key)) {
      const first = await running.work.catch(() => null)
      // the copy's answer is the first one's; a copy naming another notice or amount (or one
      // whose first failed) goes the whole way and gets its own answer
      if (first && running.code === code && running.amountFen === amountFen) {
        await banks.consumeNonce(db, bank)
        return { ...first, replay: true }
      }
    }
    const work = recordBankPayment(bank, { code, amountFen, bankId: bank.id, bankCode: bank.code, bankTxnId: input.bankTxnId }, input)
    recording.set(key, { code, amountFen, work })
    try {
      return await work
    } finally {
      if (recording.get(key)?.work === work) recording.delete(key)
    }
  }

  async function recordBankPayment (bank: AuthenticatedBank, payment: Pick<PaymentInput, 'code' | 'amountFen' | 'bankId' | 'bankCode' | 'bankTxnId'>, input: BankPayment): Promise<RecordedPayment> {
    const earlier = await alreadyRecorded(db, payment)
    if (earlier) {
      await banks.consumeNonce(db, bank)
      return earlier
    }
    const recorded = await db.transaction(async (tx) => {
      await banks.consumeNonce(tx, bank)
      return recordPayment(tx, {
        ...payment,
        payerAccountNo: input.payerAccountNo,
        payerAccountName: input.payerAccountName,
        paidAt: new Date(input.paidAt),
        channel: 'bank_callback',
        recordedBy: null
      })
    })
    signSoon(recorded)
    return recorded
  }

  /** What a bank sees before taking a payer's money: enough to show the payer, nothing more. */
  async function describeForBank (bank: AuthenticatedBank, input: string) {
    const code = parseCode(input)
    return db.transaction(async (tx) => {
      await banks.consumeNonce(tx, bank)
      const notice = await repo.findNoticeByCode(tx, code)
      if (!notice) throw new PaymentCodeUnknown()
      const payable = notice.status === 'issued' && clock.now().getTime() < notice.dueAt.getTime()
      return { paymentCode: notice.code, payerName: notice.payerName, amountFen: Number(notice.totalFen), dueAt: notice.dueAt.toISOString(), payable, status: notice.status }
    })
  }

  /**
   * A payment found only on the bank statement (its callback never arrived): recorded from the
   * statement line inside the reconciliation's transaction. Signing happens after that commits.
   */
  async function recordFromStatement (tx: Transaction, actor: Actor, line: { code: string, bankId: string, bankCode: string, bankTxnId: string, amountFen: bigint, bookedAt: Date, counterpartyAccount: string, counterpartyName: string }) {
    return recordPayment(tx, {
      code: line.code,
      amountFen: line.amountFen,
      bankId: line.bankId,
      bankCode: line.bankCode,
      bankTxnId: line.bankTxnId,
      payerAccountNo: line.counterpartyAccount,
      payerAccountName: line.counterpartyName,
      paidAt: line.bookedAt,
      channel: 'statement',
      recordedBy: actor
    })
  }

  /**
   * Whether a bank credit is, or could still become, a payment: reconciliation must not park such
   * money in suspense, or the payment would count it a second time. Locks the notice, so a
   * callback for it waits for the caller's transaction; a notice that cannot take this credit now
   * will not take it later either (states only move on, the due time passes).
   */
  async function creditClaim (tx: Transaction, credit: { bankId: string, bankTxnId: string, code: string | null, amountFen: bigint, bookedAt: Date }): Promise<'recorded' | 'payable' | null> {
    if (await repo.findPaymentByBankTxn(tx, credit.bankId, credit.bankTxnId)) return 'recorded'
    const notice = credit.code ? await repo.findNoticeByCode(tx, credit.code, { forUpdate: true }) : undefined
    if (!notice) return null
    try {
      assertPayable(notice, { amountFen: credit.amountFen, paidAt: credit.bookedAt }, clock.now(), settings.maxSkewSeconds * 1000)
      return 'payable'
    } catch {
      return null
    }
  }

  return { receiveBankPayment, describeForBank, recordFromStatement, creditClaim }
}
