/**
 * The chaos harness's client, run as a child process so that killing or starving the server
 * never stalls it. Unlike the benchmark clients (scripts/bench/*-client.ts), which send each
 * request once, this one behaves as a patient real client: a request that gets no answer (the
 * instance died: status 0) or a 502/503/504 is sent again — to the next instance in `baseUrls`,
 * after the server's Retry-After (capped at `maxBackoffMs`, the harness is impatient) — with the
 * same Idempotency-Key, or for a bank callback a freshly signed copy of the same payment, until it
 * gets a final answer or `giveUpMs` has passed since it was first sent.
 *
 * Reads the job as JSON from stdin. Prints, one JSON per line on stdout: `{"acked":n}` after
 * each final 2xx answer (the harness injects its fault on these), then `{"result":…}`: per
 * request its final status and body, attempts, and the client's wait (first send to final
 * answer); and every non-final answer by status, with how many 503s lacked Retry-After.
 * Multipart forms are built from file-backed blobs, as scripts/bench/upload-client.ts does.
 */
import { openAsBlob } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { signBankRequest } from '../../src/lib/bank-signature.ts'

export interface ChaosRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** a JSON body */
  json?: unknown
  /** multipart parts from files, in this order */
  files?: Array<{ field: string, file: string, name: string }>
  /** a bank callback: the JSON body is signed afresh for every attempt with this base64 key */
  bankKey?: string
}

export interface ClientJob {
  baseUrls: string[]
  inFlight: number
  giveUpMs: number
  maxBackoffMs: number
  requests: ChaosRequest[]
}

export interface RequestOutcome { status: number, body: string, attempts: number, waitMs: number }

export interface ClientResult {
  outcomes: RequestOutcome[]
  /** non-final answers by status (0: no answer, connection refused or reset) */
  degraded: Record<string, number>
  /** 503s that came without Retry-After */
  withoutRetryAfter: number
  seconds: number
}

const RETRY = new Set([0, 502, 503, 504])

async function bodyOf (request: ChaosRequest): Promise<{ body?: BodyInit, headers: Record<string, string> }> {
  const headers = { ...request.headers }
  if (request.files) {
    const form = new FormData()
    for (const part of request.files) form.append(part.field, await openAsBlob(part.file), part.name)
    return { body: form, headers }
  }
  if (request.json === undefined) return { headers }
  const body = Buffer.from(JSON.stringify(request.json))
  headers['content-type'] = 'application/json'
  if (request.bankKey) Object.assign(headers, signBankRequest(Buffer.from(request.bankKey, 'base64'), { method: request.method, path: request.path, body }))
  return { body, headers }
}

async function main () {
  let input = ''
  for await (const chunk of process.stdin) input += chunk
  const job = JSON.parse(input) as ClientJob
  const outcomes: RequestOutcome[] = new Array(job.requests.length)
  const degraded: Record<string, number> = {}
  let withoutRetryAfter = 0
  let acked = 0
  let instance = 0

  async function send (request: ChaosRequest, index: number) {
    const first = performance.now()
    for (let attempt = 1; ; attempt++) {
      const baseUrl = job.baseUrls[instance % job.baseUrls.length]!
      let status = 0
      let body = ''
      let retryAfter = 1
      try {
        const { body: payload, headers } = await bodyOf(request)
        const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, body: payload, headers, signal: AbortSignal.timeout(60_000) })
        status = response.status
        body = await response.text()
        const header = response.headers.get('retry-after')
        if (status === 503 && header === null) withoutRetryAfter++
        if (header !== null && Number(header) > 0) retryAfter = Number(header)
      } catch (error) {
        body = String(error)
      }
      const waitMs = performance.now() - first
      if (!RETRY.has(status) || waitMs > job.giveUpMs) {
        outcomes[index] = { status, body: body.slice(0, 4000), attempts: attempt, waitMs }
        if (status >= 200 && status < 300) process.stdout.write(`${JSON.stringify({ acked: ++acked })}\n`)
        return
      }
      degraded[status] = (degraded[status] ?? 0) + 1
      // no answer at all: the instance is gone, try the next one; a 503 is answered by a live one
      if (status === 0) instance++
      await sleep(Math.min(retryAfter * 1000, job.maxBackoffMs))
    }
  }

  const started = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: Math.min(job.inFlight, job.requests.length) }, async () => {
    for (let index = next++; index < job.requests.length; index = next++) await send(job.requests[index]!, index)
  }))
  const result: ClientResult = { outcomes, degraded, withoutRetryAfter, seconds: (performance.now() - started) / 1000 }
  process.stdout.write(`${JSON.stringify({ result })}\n`, () => process.exit(0))
}

await main()
