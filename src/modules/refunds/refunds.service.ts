import type { Actor } from '../../lib/actor.ts'
import type { Role } from '../../lib/policy.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import { postgresErrorOf, type Database, type Transaction } from '../../plugins/db.ts'
import type { Live } from '../../plugins/live.ts'
import type { Timers } from '../../plugins/timers.ts'
import type { BanksService } from '../banks/banks.service.ts'
import { BankTransactionConflict } from '../banks/banks.errors.ts'
import { postings } from '../ledger/ledger.rules.ts'
import type { LedgerService } from '../ledger/ledger.service.ts'
import type { PaymentsService } from '../payments/payments.service.ts'
import { DEFAULT_REFUND_WORKING_DAYS } from '../fees/fees.rules.ts'
import type { FeesService } from '../fees/fees.service.ts'
import {
  NoticeNotRefundable, RefundAccountMismatch, RefundAlreadyPaid, RefundExists,
  RefundNotFound, RefundTriggerInFuture
} from './refunds.errors.ts'
import * as repo from './refunds.repository.ts'
import { alarmLevel, refundDeadlines, sameAccount } from './refunds.rules.ts'
import type { ExecuteRefund, RefundView, RequestRefund } from './refunds.schemas.ts'

export interface RefundsDeps {
  db: Database
  audit: Audit
  clock: Clock
  calendar: Calendar
  timers: Timers
  live: Live
  ledger: LedgerService
  banks: BanksService
  fees: FeesService
  payments: PaymentsService
}

/** Refund deadlines are watched live by supervisors and the finance desk. */
export const REFUNDS_ROOM = 'refunds:deadlines'
export const REFUND_WATCHERS: Role[] = ['supervisor', 'hall_admin', 'cashier']
const WATCHERS = { roles: REFUND_WATCHERS }
const ALARM_TIMER = 'refunds.alarm'

export function createRefundsService ({ db, audit, clock, calendar, timers, live, ledger, banks, fees, payments }: RefundsDeps) {
  function toView (row: repo.RefundRow): RefundView {
    return {
      id: row.id,
      noticeId: row.noticeId,
      noticeCode: row.noticeCode,
      reference: row.reference,
      amountFen: Number(row.amountFen),
      toAccountNo: row.toAccountNo,
      toAccountName: row.toAccountName,
      reason: row.reason,
      trigger: row.trigger,
      triggeredAt: row.triggeredAt.toISOString(),
      warnAt: row.warnAt.toISOString(),
      dueAt: row.dueAt.toISOString(),
      status: row.status,
      alarm: alarmLevel(row, clock.now()),
      bankTxnId: row.bankTxnId,
      paidAt: row.paidAt?.toISOString() ?? null
    }
  }

  /**
   * Opens the refund of a paid deposit: the money becomes payable to the account it came from,
   * due within the working days its fee standard allows. Called by tenders and auctions through
   * the services registry (actor null) or by an administrator; pass `tx` to join a transaction.
   */
  async function refund (actor: Actor | null, input: RequestRefund, options: { tx?: Transaction } = {}): Promise<RefundView> {
    const now = clock.now()
    const triggeredAt = new Date(input.triggeredAt)
    if (triggeredAt.getTime() > now.getTime()) throw new RefundTriggerInFuture()
    const work = async (tx: Transaction) => {
      const paid = await payments.paidNoticeForRefund(tx, input.noticeId)
      if (!paid) throw new RefundNotFound(input.noticeId)
      if (await repo.findRefundOfNotice(tx, input.noticeId)) throw new RefundExists()
      if (paid.notice.status !== 'paid' || !paid.payment) throw new NoticeNotRefundable(`it is ${paid.notice.status}`)
      const deposits = paid.items.filter((item) => item.category === 'deposit')
      if (deposits.length === 0) throw new NoticeNotRefundable('it holds no deposit')
      if (input.toAccountNo && !sameAccount(input.toAccountNo, paid.payment.payerAccountNo)) throw new RefundAccountMismatch()
      const amountFen = deposits.reduce((sum, item) => sum + item.amountFen, 0n)
      const workingDays = Math.min(...await Promise.all(deposits.map(async (item) => (await fees.refundWorkingDaysOf(item.feeItemVersionId, tx)) ?? DEFAULT_REFUND_WORKING_DAYS)))
      const { warnAt, dueAt } = refundDeadlines(calendar.current(), triggeredAt, workingDays)
      const id = crypto.randomUUID()
      const approved = await ledger.post(tx, {
        kind: 'refund.approved', reference: `refund:${id}`, businessDate: shanghaiDate(now), occurredAt: now, createdBy: actor?.principal.accountId ?? null, entries: postings.refundApproved(amountFen)
      })
      const row = await repo.insertRefund(tx, {
        id,
        noticeId: paid.notice.id,
        noticeCode: paid.notice.code,
        reference: paid.notice.reference,
        paymentId: paid.payment.id,
        amountFen,
        toAccountNo: paid.payment.payerAccountNo,
        toAccountName: paid.payment.payerAccountName,
        reason: input.reason,
        trigger: input.trigger,
        triggeredAt,
        warnAt,
        dueAt,
        status: 'pending',
        requestedBy: actor?.principal.accountId ?? null,
        requestedAt: now,
        approveTransactionId: approved.id
      })
      if (!row) throw new RefundExists()
      await audit.append(tx, auditRecord(actor, 'refund.requested', 'payment_notice', row.noticeId, {
        refundId: row.id, amountFen: String(amountFen), trigger: row.trigger, dueAt: dueAt.toISOString()
      }))
      for (const [level, at] of [['yellow', warnAt], ['red', dueAt]] as const) {
        await timers.schedule(tx, { kind: ALARM_TIMER, key: `${ALARM_TIMER}:${row.id}:${level}`, fireAt: at, payload: { refundId: row.id, level } })
      }
      const view = toView(row)
      await live.append(tx, REFUNDS_ROOM, { type: 'refund.requested', audience: WATCHERS, data: view })
      return view
    }
    return options.tx ? work(options.tx) : db.transaction(work)
  }

  /** Records the outgoing transfer; only to the account the deposit came from. */
  async function execute (actor: Actor, refundId: string, input: ExecuteRefund): Promise<RefundView> {
    const bank = await banks.requireActiveBank(input.bankCode)
    return db.transaction(async (tx) => {
      const row = await repo.findRefund(tx, refundId, { forUpdate: true })
      if (!row) throw new RefundNotFound(refundId)
      if (row.status === 'paid') throw new RefundAlreadyPaid()
      if (!sameAccount(input.toAccountNo, row.toAccountNo)) throw new RefundAccountMismatch()
      const now = clock.now()
      const businessDate = shanghaiDate(now)
      const paidOut = await ledger.post(tx, {
        kind: 'refund.paid', reference: `refund:${row.id}`, businessDate, occurredAt: now, createdBy: actor.principal.accountId, entries: postings.refundPaid(row.amountFen)
      })
      try {
        await repo.markPaid(tx, row.id, { bankId: bank.id, bankTxnId: input.bankTxnId, paidAt: now, businessDate, executedBy: actor.principal.accountId, payTransactionId: paidOut.id })
      } catch (error) {
        if (postgresErrorOf(error)?.code === '23505') throw new BankTransactionConflict(input.bankTxnId)
        throw error
      }
      await payments.markRefunded(tx, row.noticeId, now)
      await audit.append(tx, auditRecord(actor, 'refund.paid', 'payment_notice', row.noticeId, {
        refundId: row.id, bank: bank.code, bankTxnId: input.bankTxnId, amountFen: String(row.amountFen), late: now.getTime() >= row.dueAt.getTime()
      }))
      for (const level of ['yellow', 'red']) await timers.cancel(tx, `${ALARM_TIMER}:${row.id}:${level}`)
      const view = toView((await repo.findRefund(tx, row.id))!)
      await live.append(tx, REFUNDS_ROOM, { type: 'refund.paid', audience: WATCHERS, data: view })
      return view
    })
  }

  async function list (query: { status?: 'pending' | 'paid', limit?: number }): Promise<RefundView[]> {
    return (await repo.listRefunds(db, query.status, query.limit ?? 100)).map(toView)
  }

  async function get (refundId: string): Promise<RefundView> {
    const row = await repo.findRefund(db, refundId)
    if (!row) throw new RefundNotFound(refundId)
    return toView(row)
  }

  /** Pushes the colour change of a refund deadline to the watchers (the level itself is computed on read). */
  async function announceAlarm (tx: Transaction, refundId: string, level: 'yellow' | 'red') {
    const row = await repo.findRefund(tx, refundId)
    if (row?.status !== 'pending') return
    await live.append(tx, REFUNDS_ROOM, { type: `refund.${level}`, audience: WATCHERS, data: toView(row) })
  }

  timers.define(ALARM_TIMER, async (tx, timer) => {
    const { refundId, level } = timer.payload as { refundId: string, level: 'yellow' | 'red' }
    await announceAlarm(tx, refundId, level)
  })

  return { refund, execute, list, get }
}

export type RefundsService = ReturnType<typeof createRefundsService>
