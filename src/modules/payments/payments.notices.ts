/**
 * A notice's life outside its payment: issued under the fee standards in force (inside another
 * module's transaction if it likes), cancelled by an official or expired by its timer — either
 * reverses the issue posting — and, once paid, closed as refunded by the refunds module.
 */
import type { Actor } from '../../lib/actor.ts'
import { formatMoney } from '../../lib/money.ts'
import { canAccess } from '../../lib/policy.ts'
import { endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord } from '../../plugins/audit.ts'
import { postgresErrorOf, type Transaction } from '../../plugins/db.ts'
import { postings } from '../ledger/ledger.rules.ts'
import { EXPIRE_TIMER, expireKey, ledgerReference } from './payments.constants.ts'
import { NoticeDueInvalid, NoticeNotFound, NoticeScopeMismatch, PayerNotFound } from './payments.errors.ts'
import * as repo from './payments.repository.ts'
import { EXPIRY_GRACE_MS, assertCancellable, isExpiredAt, newPaymentCode, totalOf } from './payments.rules.ts'
import type { CreateNotice, NoticeView } from './payments.schemas.ts'
import type { PaymentHelpers, PaymentsDeps } from './payments.service.ts'

export type PaymentNoticesDeps = Pick<PaymentsDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'timers' | 'fees' | 'ledger' | 'departments' | 'settings' | 'notifier'>
  & Pick<PaymentHelpers, 'noticeView'>

export function createPaymentNotices ({ db, audit, clock, calendar, timers, fees, ledger, departments, settings, notifier, noticeView }: PaymentNoticesDeps) {
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
      if (notice.payerAccountId) {
        await notifier.notify(tx, {
          recipientId: notice.payerAccountId,
          kind: 'payment.notice_issued',
          subject: `缴款通知：${formatMoney(totalFen)}，缴款码 ${notice.code}`,
          body: `您有一份缴款通知书（缴款码 ${notice.code}），金额 ${formatMoney(totalFen)}，请于 ${shanghaiDate(new Date(dueAt.getTime() - 1))} 前缴款。`,
          link: '/account/payments',
          sms: true,
          actorId: actor?.principal.accountId ?? null,
          requestId: actor?.requestId ?? null
        })
      }
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

  timers.define(EXPIRE_TIMER, async (tx, timer) => { await expireNotice(tx, (timer.payload as { noticeId: string }).noticeId) })

  return { createNotice, cancelNotice, paidNoticeForRefund, markRefunded }
}
