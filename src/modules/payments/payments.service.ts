import { X509Certificate } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson } from '../../lib/canonical-json.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { isValidPaymentCode, normalisePaymentCode } from '../../lib/payment-code.ts'
import { renderPaymentNoticePdf, renderReceiptPdf, type PdfLine } from '../../lib/pdf/index.ts'
import { derToPem } from '../../lib/pki/x509-parts.ts'
import { canAccess, mayAttempt, scopesFor, type Principal } from '../../lib/policy.ts'
import { endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import { postgresErrorOf, type Database, type Queryable, type Transaction } from '../../plugins/db.ts'
import { fingerprintOf, type Pki } from '../../plugins/pki.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { AuthenticatedBank, BanksService } from '../banks/banks.service.ts'
import { BankTransactionConflict } from '../banks/banks.errors.ts'
import type { DepartmentsService } from '../departments/departments.service.ts'
import type { FeesService } from '../fees/fees.service.ts'
import { postings } from '../ledger/ledger.rules.ts'
import type { LedgerService } from '../ledger/ledger.service.ts'
import {
  NoticeAlreadyPaid, NoticeDueInvalid, NoticeNotFound, NoticeScopeMismatch, PayerNotFound,
  PaymentCodeInvalid, PaymentCodeUnknown, ReceiptNotFound, ReceiptSignatureInvalid
} from './payments.errors.ts'
import * as repo from './payments.repository.ts'
import {
  CHANNEL_LABELS, EXPIRY_GRACE_MS, NOTICE_INSTRUCTIONS, PURPOSE_LABELS, assertCancellable, assertPayable, isExpiredAt, newPaymentCode, receiptDocument, receiptNumber, splitByCategory, totalOf,
  type NoticeStatus, type PaymentChannel
} from './payments.rules.ts'
import type { BankPayment, CreateNotice, NoticeSummary, NoticeView, PaymentView, WindowPayment } from './payments.schemas.ts'

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

interface PaymentInput {
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

const EXPIRE_TIMER = 'payments.expire'
/** Ledger transactions of a notice are referenced by its id. */
const ledgerReference = (noticeId: string) => `payment_notice:${noticeId}`
const PAID_TIMER = 'payments.paid'
export const SIGN_TIMER = 'payments.sign_receipts'
const expireKey = (noticeId: string) => `${EXPIRE_TIMER}:${noticeId}`

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
  const { db, audit, clock, calendar, timers, pki, fees, banks, ledger, departments, log, settings } = deps
  const paidHandlers = new Map<NoticePurpose, PaidHandler[]>()
  let parkedCredit: ParkedCreditLookup = async () => null
  const signerFingerprint = fingerprintOf(pki.signerCertificate)
  const signerSubject = new X509Certificate(pki.signerCertificate).subject.replaceAll('\n', ', ')

  async function noticeView (on: Queryable, notice: repo.NoticeRow): Promise<NoticeView> {
    const [items, [payment]] = await Promise.all([repo.itemsOf(on, [notice.id]), repo.paymentsOfNotices(on, [notice.id])])
    return toNoticeView(notice, items, payment)
  }

  function parseCode (input: string): string {
    const code = normalisePaymentCode(input)
    if (!isValidPaymentCode(code)) throw new PaymentCodeInvalid()
    return code
  }

  /**
   * Issues a payment notice priced under the fee standards in force today. `actor` is null when
   * another module issues it as the platform (e.g. a tender document purchase); pass `tx` to issue
   * it inside that module's transaction.
   */
  async function createNotice (actor: Actor | null, input: CreateNotice, options: { tx?: Transaction } = {}): Promise<NoticeView> {
    const scope = await issuingScope(input)
    if (actor && !canAccess(actor.principal, 'payments.issue', scope)) throw new NoticeNotFound(input.reference)
    const now = clock.now()
    const today = shanghaiDate(now)
    const dueAt = input.dueAt ? new Date(input.dueAt) : endOfShanghaiDay(calendar.addWorkingDays(today, settings.dueWorkingDays))
    if (dueAt.getTime() <= now.getTime()) throw new NoticeDueInvalid()
    const work = async (tx: Transaction) => {
      const lines = await fees.quote(input.lines, today, tx)
      const totalFen = totalOf(lines.map((line) => line.amountFen))
      const id = crypto.randomUUID()
      const issue = await ledger.post(tx, {
        kind: 'notice.issued', reference: ledgerReference(id), businessDate: today, occurredAt: now, createdBy: actor?.principal.accountId ?? null, entries: postings.noticeIssued(totalFen)
      })
      const items = lines.map((line, index) => ({
        line: index + 1,
        feeItemVersionId: line.versionId,
        code: line.code,
        name: line.name,
        category: line.category,
        inputs: line.inputs,
        detail: line.detail,
        amountFen: line.amountFen,
        receivingAccount: line.receivingAccount
      }))
      const notice = await insertWithFreshCode(tx, {
        id,
        purpose: input.purpose,
        reference: input.reference,
        departmentId: scope.departmentId,
        windowId: scope.windowId,
        payerAccountId: input.payer.accountId ?? null,
        payerName: input.payer.name,
        payerIdNumber: input.payer.idNumber ?? null,
        totalFen,
        status: 'issued',
        issuedBy: actor?.principal.accountId ?? null,
        issuedAt: now,
        dueAt,
        issueTransactionId: issue.id
      }, items)
      await audit.append(tx, auditRecord(actor, 'payment_notice.issued', 'payment_notice', notice.id, {
        code: notice.code, purpose: notice.purpose, reference: notice.reference, totalFen: String(totalFen), dueAt: dueAt.toISOString()
      }))
      await timers.schedule(tx, { kind: EXPIRE_TIMER, key: expireKey(notice.id), fireAt: new Date(dueAt.getTime() + EXPIRY_GRACE_MS), payload: { noticeId: notice.id } })
      return noticeView(tx, notice)
    }
    return options.tx ? work(options.tx) : db.transaction(work)
  }

  /**
   * Where a notice is issued. One issued at a window belongs to the window's department, so a
   * clerk's window grant cannot put a notice in another department's name.
   */
  async function issuingScope (input: Pick<CreateNotice, 'departmentId' | 'windowId'>): Promise<{ departmentId: string | null, windowId: string | null }> {
    if (!input.windowId) {
      if (input.departmentId) await departments.getDepartment(input.departmentId)
      return { departmentId: input.departmentId ?? null, windowId: null }
    }
    const window = await departments.getWindow(input.windowId)
    if (input.departmentId && input.departmentId !== window.departmentId) throw new NoticeScopeMismatch(input.windowId, input.departmentId)
    return { departmentId: window.departmentId, windowId: window.id }
  }

  /**
   * Inserts a notice under a new random code. Among 10^11 codes per region and year a repeat is
   * rare but not impossible over years of notices, so a taken code is drawn again (in a savepoint,
   * which keeps the surrounding transaction usable).
   */
  async function insertWithFreshCode (tx: Transaction, values: Omit<repo.NoticeInsert, 'code'>, items: repo.NoticeItemInsert[]): Promise<repo.NoticeRow> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await tx.transaction((savepoint) => repo.insertNotice(savepoint, { ...values, code: newPaymentCode(settings.regionCode, values.issuedAt) }, items))
      } catch (error) {
        const failure = postgresErrorOf(error)
        if (failure?.code === '23503' && failure.constraint === 'payment_notices_payer_account_id_accounts_id_fk') throw new PayerNotFound(values.payerAccountId ?? '')
        if (failure?.code !== '23505' || failure.constraint !== 'payment_notices_code_unique' || attempt >= 5) throw error
      }
    }
  }

  async function getNotice (actor: Actor, noticeId: string): Promise<NoticeView> {
    const notice = await repo.findNotice(db, noticeId)
    if (!notice || !mayRead(actor.principal, notice)) throw new NoticeNotFound(noticeId)
    return noticeView(db, notice)
  }

  /**
   * What a code is for, to anyone who holds it (it is printed on the notice and in its QR code):
   * amount, due time and state, as a bank would show them — not the payer. 11 random digits keep
   * codes unguessable; the route is rate-limited.
   */
  async function summaryByCode (input: string): Promise<NoticeSummary> {
    const code = parseCode(input)
    const notice = await repo.findNoticeByCode(db, code)
    if (!notice) throw new PaymentCodeUnknown()
    return {
      code: notice.code,
      purpose: notice.purpose,
      totalFen: Number(notice.totalFen),
      dueAt: notice.dueAt.toISOString(),
      status: notice.status,
      payable: notice.status === 'issued' && clock.now().getTime() < notice.dueAt.getTime()
    }
  }

  /** The cashier's lookup: a valid code is enough to see what is due (it is printed on the notice). */
  async function findByCode (actor: Actor, input: string): Promise<NoticeView> {
    const code = parseCode(input)
    const notice = await repo.findNoticeByCode(db, code)
    if (!notice || !(mayAttempt(actor.principal, 'payments.collect') || mayRead(actor.principal, notice))) throw new PaymentCodeUnknown()
    return noticeView(db, notice)
  }

  async function listNotices (actor: Actor, query: { status?: NoticeStatus, reference?: string, channel?: PaymentChannel, paidOn?: string, limit?: number, offset?: number }): Promise<NoticeView[]> {
    const rows = await repo.listNotices(db, {
      scope: scopesFor(actor.principal, 'payments.read'), ...query, limit: query.limit ?? 50, offset: query.offset ?? 0
    })
    return viewsOf(rows)
  }

  async function listMine (actor: Actor, limit = 50): Promise<NoticeView[]> {
    return viewsOf(await repo.listNotices(db, { scope: null, payerAccountId: actor.principal.accountId, limit, offset: 0 }))
  }

  async function viewsOf (rows: repo.NoticeRow[]): Promise<NoticeView[]> {
    const ids = rows.map((row) => row.id)
    const [items, paid] = await Promise.all([repo.itemsOf(db, ids), repo.paymentsOfNotices(db, ids)])
    return rows.map((row) => toNoticeView(row, items.filter((item) => item.noticeId === row.id), paid.find((payment) => payment.noticeId === row.id)))
  }

  /** Closes an unpaid notice; its issue posting is reversed. */
  async function closeUnpaid (tx: Transaction, actor: Actor | null, notice: repo.NoticeRow, status: 'cancelled' | 'expired', reason: string) {
    const now = clock.now()
    await ledger.reverse(tx, {
      transactionId: notice.issueTransactionId,
      kind: `notice.${status}`,
      reference: ledgerReference(notice.id),
      businessDate: shanghaiDate(now),
      occurredAt: now,
      memo: reason,
      createdBy: actor?.principal.accountId ?? null
    })
    await repo.closeNotice(tx, notice.id, { status, closedAt: now, closeReason: reason })
    await audit.append(tx, auditRecord(actor, `payment_notice.${status}`, 'payment_notice', notice.id, { code: notice.code, reason }))
  }

  async function cancelNotice (actor: Actor, noticeId: string, reason: string): Promise<NoticeView> {
    return db.transaction(async (tx) => {
      const notice = await repo.findNotice(tx, noticeId, { forUpdate: true })
      if (!notice || !canAccess(actor.principal, 'payments.cancel', { departmentId: notice.departmentId, windowId: notice.windowId })) throw new NoticeNotFound(noticeId)
      assertCancellable(notice.status)
      await closeUnpaid(tx, actor, notice, 'cancelled', reason)
      await timers.cancel(tx, expireKey(notice.id))
      return noticeView(tx, (await repo.findNotice(tx, noticeId))!)
    })
  }

  async function expireNotice (tx: Transaction, noticeId: string) {
    const notice = await repo.findNotice(tx, noticeId, { forUpdate: true })
    if (notice?.status !== 'issued') return
    // fired early (instances' clocks disagree): failing makes the timer retry with backoff
    if (!isExpiredAt(notice, clock.now())) throw new Error(`notice ${noticeId} is not due to expire yet`)
    await closeUnpaid(tx, null, notice, 'expired', 'not paid by the due time')
  }

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

  /**
   * Receipts are signed just after their payment commits, off the request path (a bank waits
   * for its answer, not for the signature); whatever a stopped process left unsigned is signed
   * by a periodic sweep or when first read.
   */
  const signingQueue = new Set<string>()
  /** Bank transactions being recorded by this instance, by `bankId:txnId`. */
  const recording = new Map<string, { code: string, amountFen: bigint, work: Promise<RecordedPayment> }>()
  let signing: Promise<void> | null = null

  function signSoon (recorded: RecordedPayment) {
    if (recorded.replay) return
    signingQueue.add(recorded.receiptNumber)
    signing ??= (async () => {
      for (const number of signingQueue) {
        signingQueue.delete(number)
        await signedReceipt(number).catch((error: unknown) => log.error({ err: error, receipt: number }, 'signing a receipt failed; the sweep retries'))
      }
    })().finally(() => { signing = null })
  }

  async function signUnsigned (limit = 500): Promise<number> {
    const numbers = await repo.unsignedReceipts(db, limit)
    for (const number of numbers) await signedReceipt(number)
    return numbers.length
  }

  /**
   * At shutdown: finishes the receipt being signed and leaves the rest of the queue to the sweep
   * of the next start (or to the first read), so a backlog after a burst does not hold up a stop.
   */
  async function stopSigning () {
    signingQueue.clear()
    for (let running = signing; running; running = signing) await running
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

  /** For refunds: the paid notice (locked) with its payment and items. */
  async function paidNoticeForRefund (tx: Transaction, noticeId: string) {
    const notice = await repo.findNotice(tx, noticeId, { forUpdate: true })
    if (!notice) return null
    const [[payment], items] = await Promise.all([repo.paymentsOfNotices(tx, [notice.id]), repo.itemsOf(tx, [notice.id])])
    return { notice, payment: payment ?? null, items }
  }

  async function markRefunded (tx: Transaction, noticeId: string, at: Date) {
    await repo.closeNotice(tx, noticeId, { status: 'refunded', closedAt: at })
  }

  // receipts

  /** The receipt with its signature, signing it now if the process stopped before it could. */
  async function signedReceipt (number: string) {
    const receipt = await repo.findReceipt(db, number)
    if (!receipt) throw new ReceiptNotFound(number)
    const signature = receipt.signature ?? await repo.signReceipt(db, receipt.id, Buffer.from(await pki.sign({ content: Buffer.from(receipt.document), detached: true })))
    return { ...receipt, signature }
  }

  async function receiptAccess (principal: Principal | null, number: string) {
    const receipt = await signedReceipt(number)
    const payment = (await repo.findPayment(db, receipt.paymentId))!
    const notice = (await repo.findNotice(db, payment.noticeId))!
    if (!principal || !mayRead(principal, notice)) throw new ReceiptNotFound(number)
    return { receipt, payment, notice }
  }

  async function getReceipt (actor: Actor, number: string) {
    const { receipt, notice } = await receiptAccess(actor.principal, number)
    return {
      number: receipt.number,
      noticeId: notice.id,
      issuedAt: receipt.issuedAt.toISOString(),
      document: JSON.parse(receipt.document) as unknown,
      documentText: receipt.document,
      signature: receipt.signature.toString('base64'),
      signerCertificate: derToPem(pki.signerCertificate)
    }
  }

  /**
   * A printed receipt checked by its number and the SHA-256 it shows: genuine when a receipt
   * with that number and exactly that content was issued here. Answers only what is printed.
   */
  async function checkReceipt (number: string, sha256: string) {
    const receipt = await repo.findReceipt(db, number)
    if (!receipt || sha256Hex(receipt.document) !== sha256) return { genuine: false, number, noticeCode: null, totalFen: null, paidAt: null, issuedAt: null }
    const document = JSON.parse(receipt.document) as { noticeCode: string, totalFen: number, paidAt: string }
    return { genuine: true, number, noticeCode: document.noticeCode, totalFen: document.totalFen, paidAt: document.paidAt, issuedAt: receipt.issuedAt.toISOString() }
  }

  /** Anyone holding a receipt and its signature can check it here (or offline with OpenSSL). */
  async function verifyReceipt (input: { documentText: string, signature: string }) {
    const cms = Buffer.from(input.signature, 'base64')
    if (cms.length < 16) throw new ReceiptSignatureInvalid()
    const verified = await pki.verifySignature({ cms, content: Buffer.from(input.documentText) }).catch(() => null)
    if (!verified) return { valid: false, number: null, signer: null, signedAt: null, issuedByThisHall: false }
    let number: string | null = null
    try {
      number = String((JSON.parse(input.documentText) as { number?: unknown }).number ?? '') || null
    } catch {}
    const stored = number ? await repo.findReceipt(db, number) : undefined
    return {
      valid: true,
      number,
      signer: verified.signer.subject,
      signedAt: verified.signingTime?.toISOString() ?? null,
      issuedByThisHall: verified.signer.fingerprint === signerFingerprint && stored?.document === input.documentText
    }
  }

  function pdfLines (items: repo.NoticeItemRow[]): PdfLine[] {
    return items.map((item) => ({ code: item.code, name: item.name, detail: item.detail || null, amountFen: item.amountFen }))
  }

  async function noticePdf (actor: Actor, noticeId: string): Promise<Buffer> {
    const notice = await repo.findNotice(db, noticeId)
    if (!notice || !mayRead(actor.principal, notice)) throw new NoticeNotFound(noticeId)
    const items = await repo.itemsOf(db, [notice.id])
    return renderPaymentNoticePdf({
      hallName: settings.hallName,
      issuer: notice.departmentId ? (await departments.getDepartment(notice.departmentId)).name : settings.hallName,
      code: notice.code,
      payer: { name: notice.payerName, idNumber: notice.payerIdNumber },
      purpose: PURPOSE_LABELS[notice.purpose],
      items: pdfLines(items),
      totalFen: notice.totalFen,
      issuedAt: notice.issuedAt,
      dueAt: notice.dueAt,
      receivingAccount: [...new Set(items.map((item) => item.receivingAccount))].join('；'),
      payUrl: `${settings.publicUrl}/pay/${notice.code}`,
      instructions: NOTICE_INSTRUCTIONS
    })
  }

  async function receiptPdf (actor: Actor, number: string): Promise<Buffer> {
    const { receipt, payment, notice } = await receiptAccess(actor.principal, number)
    const items = await repo.itemsOf(db, [notice.id])
    return renderReceiptPdf({
      hallName: settings.hallName,
      number: receipt.number,
      noticeCode: notice.code,
      payer: { name: notice.payerName, idNumber: notice.payerIdNumber, account: payment.payerAccountNo },
      items: pdfLines(items),
      totalFen: payment.amountFen,
      paidAt: payment.paidAt,
      channel: CHANNEL_LABELS[payment.channel],
      bankTxnId: payment.bankTxnId,
      issuedAt: receipt.issuedAt,
      verifyUrl: `${settings.publicUrl}/receipts/verify?number=${receipt.number}&sha256=${sha256Hex(receipt.document)}`,
      contentSha256: sha256Hex(receipt.document),
      signerSubject
    })
  }

  timers.define(EXPIRE_TIMER, async (tx, timer) => { await expireNotice(tx, (timer.payload as { noticeId: string }).noticeId) })
  timers.define(PAID_TIMER, async (tx, timer) => { await deliverPaidEvent(tx, (timer.payload as { paymentId: string }).paymentId) })
  timers.define(SIGN_TIMER, async () => { await signUnsigned() })

  /**
   * Notices other modules issued, by id, for the platform's own use (a tender's bond and document
   * notices): code, amount and status only.
   */
  /** The receipt number of a recorded payment (a case attaches it when its fees are paid). */
  async function receiptNumberOf (tx: Queryable, paymentId: string): Promise<string | null> {
    return await repo.receiptNumberOfPayment(tx, paymentId) ?? null
  }

  async function noticeStates (ids: string[], on: Queryable = db): Promise<Map<string, { id: string, code: string, totalFen: bigint, status: NoticeStatus }>> {
    const rows = await repo.findNotices(on, ids)
    return new Map(rows.map((row) => [row.id, { id: row.id, code: row.code, totalFen: row.totalFen, status: row.status }]))
  }

  return {
    createNotice,
    noticeStates,
    receiptNumberOf,
    getNotice,
    findByCode,
    summaryByCode,
    listNotices,
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
