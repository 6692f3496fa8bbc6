/**
 * The notifier's use cases. `notify` and `sendSms` are called inside the caller's transaction:
 * the inbox message, the outbox row, the delivery timer and the audit entry commit with the state
 * change that causes them, or not at all. Delivery happens after commit, when the timer fires.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../lib/actor.ts'
import type { Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Timers } from '../../plugins/timers.ts'
import { SmsDeliveryError, type SmsDriver } from './notifier.drivers.ts'
import { MessageNotFound, SmsUnavailable } from './notifier.errors.ts'
import * as repo from './notifier.repository.ts'
import { afterFailedAttempt, isMobileNumber, maskPhone } from './notifier.rules.ts'
import type { DeliveryView, InboxMessage, MessageListQuery, SimulatedSms } from './notifier.schemas.ts'

export const DELIVER_TIMER = 'notifier.deliver'

/** An account's number for texts: only a confirmed mobile number receives SMS. */
export type ContactResolver = (tx: Queryable, accountId: string) => Promise<{ phone: string | null, phoneConfirmed: boolean } | undefined>

export interface NotifierDeps {
  db: Database
  audit: Audit
  timers: Timers
  clock: Clock
  /** null: SMS_DRIVER=none, in-app messages only */
  driver: SmsDriver | null
  maxAttempts: number
  timeoutMs: number
  log: FastifyBaseLogger
}

export interface NotifyInput {
  recipientId: string
  /** dotted kind, e.g. `case.correction_notice` */
  kind: string
  subject: string
  body: string
  link?: string | null
  /** also text the recipient's confirmed mobile number (this text, or the subject) */
  sms?: boolean | string
  /** who caused it, for the audit entry (null: the system) */
  actorId: string | null
  requestId?: string | null
  /**
   * Record the audit entry under this subject instead of the recipient's account, without naming
   * the recipient: for a recipient who is itself sealed (a drawn expert, known only by a
   * pseudonym until the list is published), since officials read the audit log.
   */
  auditAs?: { subjectType: string, subjectId: string, payload?: Record<string, unknown> }
}

export interface SendSmsInput {
  phone: string
  recipientId: string | null
  kind: string
  text: string
  /** the text holds a one-time code: never logged, erased once the delivery ends */
  secret: boolean
  actorId: string | null
  requestId?: string | null
}

function toMessageView (row: repo.InboxRow): InboxMessage {
  return { id: row.id, kind: row.kind, subject: row.subject, body: row.body, link: row.link, createdAt: row.createdAt.toISOString(), readAt: row.readAt?.toISOString() ?? null }
}

function toDeliveryView (row: repo.OutboxRow): DeliveryView {
  return {
    id: row.id,
    kind: row.kind,
    phone: maskPhone(row.phone),
    driver: row.driver,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null
  }
}

export function createNotifierService ({ db, audit, timers, clock, driver, maxAttempts, timeoutMs, log }: NotifierDeps) {
  let contacts: ContactResolver = async () => undefined

  /** The accounts module tells the notifier where an account's number is (it owns accounts). */
  function useContacts (resolver: ContactResolver) {
    contacts = resolver
  }

  /** Whether texts can be sent at all; a use case that needs one (a code) refuses before writing. */
  function assertSmsAvailable () {
    if (!driver) throw new SmsUnavailable()
  }

  async function queueSms (tx: Queryable, input: Omit<SendSmsInput, 'actorId' | 'requestId'>) {
    const now = clock.now()
    const row = await repo.insertOutbox(tx, {
      recipientId: input.recipientId,
      phone: input.phone,
      kind: input.kind,
      text: input.text,
      secret: input.secret,
      driver: driver!.name,
      nextAttemptAt: now,
      createdAt: now
    })
    await timers.schedule(tx, { kind: DELIVER_TIMER, key: `${DELIVER_TIMER}:${row.id}`, fireAt: now, payload: { outboxId: row.id } })
    return row
  }

  /** Texts a number (a one-time code); the caller's transaction carries it. */
  async function sendSms (tx: Queryable, input: SendSmsInput): Promise<{ outboxId: string }> {
    assertSmsAvailable()
    const row = await queueSms(tx, input)
    await audit.append(tx, {
      actorId: input.actorId,
      requestId: input.requestId ?? null,
      action: 'sms.queued',
      subjectType: 'sms',
      subjectId: row.id,
      payload: { kind: input.kind, phone: maskPhone(input.phone), recipientId: input.recipientId }
    })
    return { outboxId: row.id }
  }

  /** Stores an in-app message, and texts it when asked and the recipient has a confirmed mobile. */
  async function notify (tx: Queryable, input: NotifyInput): Promise<{ messageId: string, outboxId: string | null }> {
    const message = await repo.insertMessage(tx, {
      recipientId: input.recipientId, kind: input.kind, subject: input.subject, body: input.body, link: input.link ?? null, createdAt: clock.now()
    })
    let outboxId: string | null = null
    if (input.sms && driver) {
      const contact = await contacts(tx, input.recipientId)
      if (contact?.phoneConfirmed && isMobileNumber(contact.phone)) {
        const text = typeof input.sms === 'string' ? input.sms : input.subject
        outboxId = (await queueSms(tx, { phone: contact.phone, recipientId: input.recipientId, kind: input.kind, text, secret: false })).id
      }
    }
    const sealed = input.auditAs
    await audit.append(tx, {
      actorId: input.actorId,
      requestId: input.requestId ?? null,
      action: 'notification.sent',
      subjectType: sealed?.subjectType ?? 'account',
      subjectId: sealed?.subjectId ?? input.recipientId,
      // the text's id would lead to the masked number in the delivery list: a sealed entry says only whether one was sent
      payload: sealed ? { messageId: message.id, kind: input.kind, sms: outboxId !== null, ...sealed.payload } : { messageId: message.id, kind: input.kind, smsId: outboxId }
    })
    return { messageId: message.id, outboxId }
  }

  /**
   * One delivery attempt, run by the delivery timer. The attempt is claimed and its outcome
   * recorded in statements of their own, so the gateway's answer is awaited without holding any
   * domain row; the firing transaction (`tx`) holds only the timer's own row (other instances
   * skip it), and is used solely to move that timer to the next attempt.
   */
  async function deliver (tx: Transaction, outboxId: string) {
    if (!driver) return
    const now = clock.now()
    const row = await repo.claimDelivery(db, outboxId, now, new Date(now.getTime() + 2 * timeoutMs + 60_000))
    if (!row) {
      // another instance's attempt still holds it (or its lease has not run out): look again then
      const current = await repo.findDelivery(db, outboxId)
      if (current && current.status !== 'sent' && current.status !== 'failed' && current.nextAttemptAt > now) {
        await timers.schedule(tx, { kind: DELIVER_TIMER, key: `${DELIVER_TIMER}:${outboxId}`, fireAt: current.nextAttemptAt, payload: { outboxId } })
      }
      return
    }
    if (row.text === null) {
      await repo.recordFailed(db, row, 'nothing to send')
      return
    }
    try {
      const { gatewayId } = await driver.send({ id: row.id, phone: row.phone, kind: row.kind, text: row.text })
      await repo.recordSent(db, row, gatewayId, clock.now())
      log.info({ smsId: row.id, kind: row.kind, attempt: row.attempts, driver: driver.name }, 'sms delivered')
    } catch (error) {
      const reason = error instanceof SmsDeliveryError ? error.message : 'driver failed'
      const retryable = error instanceof SmsDeliveryError ? error.retryable : true
      if (!(error instanceof SmsDeliveryError)) log.error({ err: error, smsId: row.id }, 'sms driver failed')
      const next = afterFailedAttempt(row.attempts, maxAttempts, retryable, clock.now())
      if ('retryAt' in next) {
        await repo.recordRetry(db, row.id, reason, next.retryAt)
        await timers.schedule(tx, { kind: DELIVER_TIMER, key: `${DELIVER_TIMER}:${row.id}`, fireAt: next.retryAt, payload: { outboxId: row.id } })
        log.warn({ smsId: row.id, kind: row.kind, attempt: row.attempts, reason, retryAt: next.retryAt.toISOString() }, 'sms delivery failed; will retry')
      } else {
        await db.transaction(async (own) => {
          await repo.recordFailed(own, row, reason)
          await audit.append(own, { actorId: null, action: 'sms.failed', subjectType: 'sms', subjectId: row.id, payload: { kind: row.kind, attempts: row.attempts, reason } })
        })
        log.warn({ smsId: row.id, kind: row.kind, attempts: row.attempts, reason }, 'sms delivery failed for good')
      }
    }
  }

  async function listInbox (actor: Actor, query: MessageListQuery) {
    const recipientId = actor.principal.accountId
    const [{ items, total }, unread] = await Promise.all([
      repo.listMessages(db, recipientId, { unread: query.unread, limit: query.limit ?? 50, offset: query.offset ?? 0 }),
      repo.countUnread(db, recipientId)
    ])
    return { items: items.map(toMessageView), total, unread }
  }

  async function unreadCount (accountId: string): Promise<number> {
    return repo.countUnread(db, accountId)
  }

  /** Another account's message is not found, like one that does not exist. */
  async function markRead (actor: Actor, messageId: string): Promise<InboxMessage> {
    const row = await repo.markRead(db, actor.principal.accountId, messageId, clock.now())
    if (!row) throw new MessageNotFound(messageId)
    return toMessageView(row)
  }

  async function markAllRead (actor: Actor): Promise<{ marked: number }> {
    return { marked: await repo.markAllRead(db, actor.principal.accountId, clock.now()) }
  }

  async function listDeliveries (query: { limit?: number, offset?: number }): Promise<DeliveryView[]> {
    return (await repo.listDeliveries(db, { limit: query.limit ?? 50, offset: query.offset ?? 0 })).map(toDeliveryView)
  }

  async function getDelivery (id: string): Promise<DeliveryView | null> {
    const row = await repo.findDelivery(db, id)
    return row ? toDeliveryView(row) : null
  }

  /** What the simulated gateway received, newest first (demo page, tests); empty with another driver. */
  async function listSimulated (filter: { phone?: string, limit?: number } = {}): Promise<SimulatedSms[]> {
    if (driver?.name !== 'simulated') return []
    const rows = await repo.listSimulated(db, { phone: filter.phone, limit: filter.limit ?? 100 })
    return rows.map((row) => ({ id: row.id, phone: row.phone, text: row.text, receivedAt: row.receivedAt.toISOString() }))
  }

  timers.define(DELIVER_TIMER, async (tx, timer) => { await deliver(tx, (timer.payload as { outboxId: string }).outboxId) })

  return {
    driverName: driver?.name ?? 'none',
    useContacts,
    assertSmsAvailable,
    sendSms,
    notify,
    listInbox,
    unreadCount,
    markRead,
    markAllRead,
    listDeliveries,
    getDelivery,
    listSimulated
  }
}

export type NotifierService = ReturnType<typeof createNotifierService>
