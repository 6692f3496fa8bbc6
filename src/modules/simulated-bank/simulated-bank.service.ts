/**
 * The built-in simulated bank (SIMULATED_BANK=true; demo and tests). It behaves like a real
 * collecting bank from the outside: it asks the hall what a payment code is for, takes the
 * payer's money into its own books, and tells the hall with signed callbacks through the public
 * bank interface — or, on request, repeats them or loses them, so that idempotency and
 * reconciliation can be watched at work. It also prints its daily statement.
 */
import { randomBytes } from 'node:crypto'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { signBankRequest } from '../../lib/bank-signature.ts'
import { formatYuan } from '../../lib/money.ts'
import { normalisePaymentCode } from '../../lib/payment-code.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database } from '../../plugins/db.ts'
import { SimulatedPaymentRefused } from './simulated-bank.errors.ts'
import * as repo from './simulated-bank.repository.ts'
import type { SimulatedPayment, SimulatedPaymentResult } from './simulated-bank.schemas.ts'

export const SIMULATED_BANK_CODE = 'simbank'

export interface SimulatedBankDeps {
  db: Database
  clock: Clock
  /** the hall's HTTP interface, in process */
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>
  hmacKey: Buffer
}

const CSV_HEADER = 'txn_id,booked_at,direction,amount,payment_code,counterparty_account,counterparty_name,memo\n'

function csvField (text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function createSimulatedBankService ({ db, clock, inject, hmacKey }: SimulatedBankDeps) {
  function signed (method: 'GET' | 'POST', url: string, body?: unknown): InjectOptions {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body))
    const headers = signBankRequest(hmacKey, { method, path: url, body: payload, now: clock.now() })
    return body === undefined
      ? { method, url, headers }
      : { method, url, headers: { ...headers, 'content-type': 'application/json' }, payload }
  }

  function newTxnId (): string {
    return `SIM${shanghaiDate(clock.now()).replaceAll('-', '')}${randomBytes(5).toString('hex').toUpperCase()}`
  }

  async function pay (input: SimulatedPayment): Promise<SimulatedPaymentResult> {
    const code = normalisePaymentCode(input.paymentCode)
    const described = await inject(signed('GET', `/api/bank/${SIMULATED_BANK_CODE}/notices/${encodeURIComponent(code)}`))
    if (described.statusCode !== 200) throw new SimulatedPaymentRefused((described.json() as { detail?: string }).detail ?? `the hall answered ${described.statusCode}`)
    const notice = described.json() as { amountFen: number, payable: boolean, status: string }
    if (!notice.payable) throw new SimulatedPaymentRefused(`the notice is ${notice.status} or past its due time`)
    const bookedAt = clock.now()
    const row = await repo.insertTransaction(db, {
      txnId: newTxnId(),
      direction: 'C',
      amountFen: BigInt(notice.amountFen),
      paymentCode: code,
      counterpartyAccount: input.payerAccountNo,
      counterpartyName: input.payerAccountName,
      memo: '缴款',
      bookedAt,
      callbackStatus: 'pending'
    })
    const body = {
      paymentCode: code,
      bankTxnId: row.txnId,
      amountFen: notice.amountFen,
      paidAt: bookedAt.toISOString(),
      payerAccountNo: input.payerAccountNo,
      payerAccountName: input.payerAccountName
    }
    const delivery = input.delivery ?? 'normal'
    const attempts = delivery === 'lost' ? 0 : delivery === 'repeated' ? 3 : 1
    const responses = await Promise.all(Array.from({ length: attempts }, () => inject(signed('POST', `/api/bank/${SIMULATED_BANK_CODE}/payments`, body))))
    const callbacks = responses.map((response) => ({ statusCode: response.statusCode, status: String((response.json() as { status?: string, code?: string }).status ?? (response.json() as { code?: string }).code) }))
    const delivered = responses.some((response) => response.statusCode < 300)
    await repo.setCallbackStatus(db, row.id, delivery === 'lost' ? 'withheld' : delivered ? 'delivered' : 'failed')
    return { txnId: row.txnId, amountFen: notice.amountFen, callbacks }
  }

  /** Money leaving the hall's account (a refund, a remittance); the cashier records its id in the hall. */
  async function transfer (input: { toAccountNo: string, toAccountName: string, amountFen: number, memo?: string }) {
    const row = await repo.insertTransaction(db, {
      txnId: newTxnId(),
      direction: 'D',
      amountFen: BigInt(input.amountFen),
      paymentCode: null,
      counterpartyAccount: input.toAccountNo,
      counterpartyName: input.toAccountName,
      memo: input.memo ?? '',
      bookedAt: clock.now(),
      callbackStatus: 'none'
    })
    return { txnId: row.txnId }
  }

  /** The day's statement in the hall's import format, produced as a stream. */
  async function * statement (date: string): AsyncGenerator<string> {
    yield CSV_HEADER
    for await (const rows of repo.transactionsOfDay(db, date)) {
      yield rows.map((row) => [
        row.txn_id, row.booked_at, row.direction, formatYuan(BigInt(row.amount_fen), { grouping: false }),
        row.payment_code ?? '', csvField(row.counterparty_account), csvField(row.counterparty_name), csvField(row.memo)
      ].join(',') + '\n').join('')
    }
  }

  return { pay, transfer, statement }
}

export type SimulatedBankService = ReturnType<typeof createSimulatedBankService>
