/**
 * SMS drivers: the one interface the notifier delivers through, chosen by SMS_DRIVER.
 *
 * - webhook: POSTs `{ id, to, text, kind }` as JSON to the gateway, signed (notifier.rules.ts),
 *   within SMS_TIMEOUT_MS; a 2xx is delivered (an `id` in its JSON answer is kept), a 408, 429
 *   or 5xx, a timeout or a network failure is tried again later, any other answer is final.
 * - simulated: the built-in gateway of the demo and the tests; it keeps what it received in
 *   simulated_sms_messages for them to read. The configuration refuses it in production.
 */
import { simulatedSmsMessages } from '../../../schema/index.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database } from '../../plugins/db.ts'
import { isRetryableStatus, WEBHOOK_HEADERS, webhookSignature } from './notifier.rules.ts'

export interface OutgoingSms { id: string, phone: string, kind: string, text: string }

export interface SmsDriver {
  readonly name: 'webhook' | 'simulated'
  send (message: OutgoingSms): Promise<{ gatewayId: string | null }>
}

/** A delivery that did not happen; `retryable` says whether trying again may help. */
export class SmsDeliveryError extends Error {
  constructor (message: string, readonly retryable: boolean) {
    super(message)
    this.name = 'SmsDeliveryError'
  }
}

export function createWebhookDriver (options: { url: string, secret: string, timeoutMs: number, clock: Clock }): SmsDriver {
  return {
    name: 'webhook',
    async send (message) {
      const body = JSON.stringify({ id: message.id, to: message.phone, kind: message.kind, text: message.text })
      const timestamp = String(Math.floor(options.clock.now().getTime() / 1000))
      let response: Response
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_HEADERS.timestamp]: timestamp,
            [WEBHOOK_HEADERS.signature]: webhookSignature(options.secret, timestamp, body)
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(options.timeoutMs)
        })
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError'
        // the cause's words only (no URL with credentials, no body)
        throw new SmsDeliveryError(timedOut ? `no answer within ${options.timeoutMs} ms` : `gateway unreachable (${(error as Error).name})`, true)
      }
      const answer = await response.text().catch(() => '')
      if (!response.ok) throw new SmsDeliveryError(`gateway answered ${response.status}`, isRetryableStatus(response.status))
      let gatewayId: string | null = null
      try {
        const parsed = JSON.parse(answer) as { id?: unknown }
        if (typeof parsed.id === 'string') gatewayId = parsed.id.slice(0, 200)
      } catch {
        // a gateway that answers 2xx without JSON still took the message
      }
      return { gatewayId }
    }
  }
}

/** The gateway stamps what it receives by its own (the database's) time, as a real gateway would. */
export function createSimulatedDriver (options: { db: Database }): SmsDriver {
  return {
    name: 'simulated',
    async send (message) {
      const [row] = await options.db.insert(simulatedSmsMessages).values({ outboxId: message.id, phone: message.phone, text: message.text }).returning({ id: simulatedSmsMessages.id })
      return { gatewayId: `sim-${row!.id}` }
    }
  }
}
