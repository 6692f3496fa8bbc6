/**
 * Bank callbacks for the chaos scenarios: payment notices and signed callbacks, set up with the
 * benchmark's builders (scripts/bench/fees.ts), and the exactly-once check afterwards. A payment
 * is acknowledged by a 2xx to its callback (201 recorded, 200 already recorded); it survived when
 * its payment row is there; a payment without its receipt, or books that do not balance, is
 * half-done.
 */
import type { FastifyInstance } from 'fastify'
import { createStaff, feeAndBank } from '../bench/fees.ts'
import { pooled } from '../bench/bids.ts'
import type { ChaosRequest, ClientResult } from './client.ts'

export interface CallbackSetup { bankCode: string, codes: string[], requests: ChaosRequest[] }

export async function prepareCallbacks (app: FastifyInstance, bankCode: string, count: number): Promise<CallbackSetup> {
  const { feeCode, key } = await feeAndBank(app, await createStaff(app), bankCode)
  const notices = await pooled(Array.from({ length: count }, (_, i) => i), 8, (i) =>
    app.services.payments.createNotice(null, { purpose: 'case', reference: `case:chaos-${bankCode}-${i}`, payer: { name: '故障演练' }, lines: [{ code: feeCode }] }))
  const path = `/api/bank/${bankCode}/payments`
  return {
    bankCode,
    codes: notices.map((notice) => notice.code),
    requests: notices.map((notice) => ({
      method: 'POST' as const,
      path,
      bankKey: key,
      json: { paymentCode: notice.code, bankTxnId: `CHAOS-${notice.code}`, amountFen: notice.totalFen, paidAt: new Date().toISOString(), payerAccountNo: '6222020200112233445', payerAccountName: '故障演练' }
    }))
  }
}

export async function checkCallbacks (app: FastifyInstance, setup: CallbackSetup, results: ClientResult[]) {
  const acknowledged = new Set<string>()
  for (const result of results) {
    for (const [i, outcome] of result.outcomes.entries()) {
      if (outcome.status >= 200 && outcome.status < 300) acknowledged.add(setup.codes[i]!)
    }
  }
  const rows = await app.db.$client<Array<{ code: string, receipts: number }>>`
    select n.code, (select count(*)::int from receipts r where r.payment_id = p.id) as receipts
    from payments p join payment_notices n on n.id = p.notice_id join banks b on b.id = p.bank_id
    where b.code = ${setup.bankCode}`
  const recorded = new Set(rows.map((row) => row.code))
  const survived = [...acknowledged].filter((code) => recorded.has(code)).length
  const books = await app.services.ledger.checkBooks()
  const halfDone = rows.filter((row) => row.receipts !== 1).length + (books.balanced ? 0 : 1) + (rows.length - recorded.size)
  return { acknowledged: acknowledged.size, survived, lost: acknowledged.size - survived, halfDone, payments: rows.length, balanced: books.balanced }
}
