/**
 * A load generator for multipart uploads from files on disk (sealed bids, or the same bytes to a
 * plain upload route), run as a child process so it never shares the server's event loop. Reads a
 * job from stdin, prints { seconds, statuses, codes, latencies, bodies } as JSON: one status (0 for
 * a network error), latency (ms) and response body per upload, in the job's order. Each form is built from file-backed blobs,
 * the same way the bidder client submits (scripts/bidder.ts `submit`).
 */
import { openAsBlob } from 'node:fs'

interface Upload { authorization: string, idempotencyKey: string, signature: string, package: string }
interface UploadJob { url: string, inFlight: number, uploads: Upload[] }

let input = ''
for await (const chunk of process.stdin) input += chunk
const job = JSON.parse(input) as UploadJob
const statuses: Record<number, number> = {}
const codes: number[] = new Array(job.uploads.length)
const latencies: number[] = new Array(job.uploads.length)
const bodies: string[] = new Array(job.uploads.length)

async function send (upload: Upload, index: number) {
  // the signature part first: the bid route needs it before the package streams in
  const form = new FormData()
  form.append('signature', await openAsBlob(upload.signature), 'bid.ohsb.p7s')
  form.append('package', await openAsBlob(upload.package), 'bid.ohsb')
  const started = performance.now()
  try {
    const response = await fetch(job.url, { method: 'POST', body: form, headers: { authorization: upload.authorization, 'idempotency-key': upload.idempotencyKey } })
    bodies[index] = await response.text()
    codes[index] = response.status
  } catch (error) {
    bodies[index] = String(error)
    codes[index] = 0
  }
  latencies[index] = performance.now() - started
  statuses[codes[index]!] = (statuses[codes[index]!] ?? 0) + 1
}

const started = performance.now()
let next = 0
await Promise.all(Array.from({ length: job.inFlight }, async () => {
  for (let index = next++; index < job.uploads.length; index = next++) await send(job.uploads[index]!, index)
}))
process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, statuses, codes, latencies, bodies }))
