/**
 * Reading notices: by id, by code (the public summary and the cashier's lookup), lists (and
 * counts) for officials and for the payer, and what other modules need of their notices and payments.
 */
import type { Actor } from '../../lib/actor.ts'
import { mayAttempt, scopesFor } from '../../lib/policy.ts'
import type { Queryable } from '../../plugins/db.ts'
import { NoticeNotFound, PaymentCodeUnknown } from './payments.errors.ts'
import * as repo from './payments.repository.ts'
import type { NoticeStatus, PaymentChannel } from './payments.rules.ts'
import type { NoticeSummary, NoticeView } from './payments.schemas.ts'
import type { PaymentHelpers, PaymentsDeps } from './payments.service.ts'

export type PaymentQueriesDeps = Pick<PaymentsDeps, 'db' | 'clock'> & Pick<PaymentHelpers, 'noticeView' | 'viewsOf' | 'parseCode' | 'mayRead'>

export function createPaymentQueries ({ db, clock, noticeView, viewsOf, parseCode, mayRead }: PaymentQueriesDeps) {
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

  /** How many notices of the caller's reach are in a state (the cashier's home: those still unpaid). */
  async function countNotices (actor: Actor, query: { status?: NoticeStatus }): Promise<number> {
    return repo.countNotices(db, { scope: scopesFor(actor.principal, 'payments.read'), ...query })
  }

  async function listMine (actor: Actor, limit = 50): Promise<NoticeView[]> {
    return viewsOf(await repo.listNotices(db, { scope: null, payerAccountId: actor.principal.accountId, limit, offset: 0 }))
  }

  /** The receipt number of a recorded payment (a case attaches it when its fees are paid). */
  async function receiptNumberOf (tx: Queryable, paymentId: string): Promise<string | null> {
    return await repo.receiptNumberOfPayment(tx, paymentId) ?? null
  }

  /**
   * Notices other modules issued, by id, for the platform's own use (a tender's bond and document
   * notices): code, amount and status only.
   */
  async function noticeStates (ids: string[], on: Queryable = db): Promise<Map<string, { id: string, code: string, totalFen: bigint, status: NoticeStatus }>> {
    const rows = await repo.findNotices(on, ids)
    return new Map(rows.map((row) => [row.id, { id: row.id, code: row.code, totalFen: row.totalFen, status: row.status }]))
  }

  return { getNotice, summaryByCode, findByCode, listNotices, countNotices, listMine, receiptNumberOf, noticeStates }
}
