/**
 * A load generator for requests that must each be different (signed bank callbacks with their
 * own nonce), run as a child process so it never shares the server's event loop. Reads a job
 * from stdin, prints { requests, seconds, statuses } as JSON.
 *
 *   callbacks: for each payment, `copies` signed callbacks sent at once (a retrying bank);
 *              `inFlight` payments at a time
 *   inserts:   `count` validated POSTs of one row each, `inFlight` at a time (the baseline)
 */
import { signBankRequest } from '../../src/lib/bank-signature.ts'

interface CallbackJob { kind: 'callbacks', url: string, path: string, key: string, copies: number, inFlight: number, payments: Array<{ code: string, amountFen: number, txnId: string }> }
interface InsertJob { kind: 'inserts', url: string, authorization: string, count: number, inFlight: number }

let input = ''
for await (const chunk of process.stdin) input += chunk
const job = JSON.parse(input) as CallbackJob | InsertJob
const statuses: Record<number, number> = {}
let requests = 0

async function send (url: string, init: RequestInit) {
  const response = await fetch(url, init)
  await response.arrayBuffer()
  statuses[response.status] = (statuses[response.status] ?? 0) + 1
  requests++
}

async function callbacks (job: CallbackJob) {
  const key = Buffer.from(job.key, 'base64')
  let next = 0
  const worker = async () => {
    for (let index = next++; index < job.payments.length; index = next++) {
      const payment = job.payments[index]!
      const body = Buffer.from(JSON.stringify({
        paymentCode: payment.code, bankTxnId: payment.txnId, amountFen: payment.amountFen, paidAt: new Date().toISOString(), payerAccountNo: '6222020200112233445', payerAccountName: '压力测试'
      }))
      await Promise.all(Array.from({ length: job.copies }, () => send(`${job.url}${job.path}`, {
        method: 'POST', body, headers: { ...signBankRequest(key, { method: 'POST', path: job.path, body }), 'content-type': 'application/json' }
      })))
    }
  }
  await Promise.all(Array.from({ length: job.inFlight }, worker))
}

async function inserts (job: InsertJob) {
  let next = 0
  const worker = async () => {
    while (next++ < job.count) {
      await send(job.url, { method: 'POST', body: JSON.stringify({ note: '县政务服务大厅 bench' }), headers: { authorization: job.authorization, 'content-type': 'application/json' } })
    }
  }
  await Promise.all(Array.from({ length: job.inFlight }, worker))
}

const started = performance.now()
if (job.kind === 'callbacks') await callbacks(job)
else await inserts(job)
process.stdout.write(JSON.stringify({ requests, seconds: (performance.now() - started) / 1000, statuses }))
