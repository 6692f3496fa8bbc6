/**
 * Verification of the whole audit log (design in src/lib/audit-chain.ts), apart from the plugin
 * that appends to it: it runs in the app's process or, for the running app, in a worker thread
 * of its own (audit-verification.worker.ts), since re-hashing every entry of a large log is
 * seconds of CPU that requests must not wait behind.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { asc } from 'drizzle-orm'
import type { TransactionSql } from 'postgres'
import { auditCheckpoints, auditStreams } from '../../schema/index.ts'
import { GENESIS_HASH, StreamVerifier, checkpointHash, type AuditBreak, type CheckpointHead } from '../lib/audit-chain.ts'
import { driverOf, inSnapshot, type Database, type Transaction } from './db.ts'

export interface AuditReport {
  intact: boolean
  /** when the verified snapshot was taken (database clock): entries committed later are not covered */
  checkedAt: string
  streams: number
  entries: number
  checkpoints: number
  /** entries newer than the latest checkpoint (protected by their chain only) */
  entriesAfterLastCheckpoint: number
  firstBreak: AuditBreak | null
}

/**
 * Re-computes every checkpoint and chain from one snapshot of the log. The checkpoints, the
 * stream heads and the entries must be read at one moment: read apart, a head from before a
 * commit compared with entries from after it looks exactly like tampering.
 */
export async function verifyAuditLog (db: Database, publicKey: KeyObject): Promise<AuditReport> {
  return inSnapshot(db, (tx, takenAt) => verifySnapshot(tx, takenAt, publicKey))
}

async function verifySnapshot (tx: Transaction, takenAt: Date, publicKey: KeyObject): Promise<AuditReport> {
  const report: AuditReport = {
    intact: true, checkedAt: takenAt.toISOString(), streams: 0, entries: 0, checkpoints: 0, entriesAfterLastCheckpoint: 0, firstBreak: null
  }
  const fail = (found: AuditBreak) => ({ ...report, intact: false, firstBreak: found })

  // 1. checkpoints: chained, signed, and their heads remembered per stream
  const anchored = new Map<string, { seq: number, hash: string, checkpoint: number }>()
  let previousHash = GENESIS_HASH
  const checkpoints = await tx.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.number))
  const checkpointHeads = readCheckpointHeads(driverOf(tx))
  try {
    for (const checkpoint of checkpoints) {
      const heads = await checkpointHeads.of(checkpoint.number)
      const expected = checkpointHash({ number: checkpoint.number, previousHash, createdAt: checkpoint.createdAt.toISOString(), heads })
      if (checkpoint.previousHash !== previousHash || checkpoint.hash !== expected || checkpoint.number !== report.checkpoints + 1) {
        return fail({ reason: 'checkpoint_altered', checkpoint: checkpoint.number })
      }
      if (!checkSignature(publicKey, checkpoint.hash, checkpoint.signature)) {
        return fail({ reason: 'checkpoint_signature_invalid', checkpoint: checkpoint.number })
      }
      for (const head of heads) anchored.set(head.stream, { seq: head.seq, hash: head.hash, checkpoint: checkpoint.number })
      previousHash = checkpoint.hash
      report.checkpoints++
    }
  } finally {
    checkpointHeads.close()
  }

  // 2. every stream's chain, read in (stream, seq) order with constant memory per stream
  const heads = new Map((await tx.select().from(auditStreams)).map((row) => [row.stream, row]))
  const seen = new Set<string>()
  let current = null as StreamVerifier | null
  const finish = (verifier: StreamVerifier): AuditBreak | null => {
    const broken = verifier.end()
    if (broken) return broken
    report.entriesAfterLastCheckpoint += verifier.verifiedCount - (anchored.get(verifier.stream)?.seq ?? 0)
    report.streams++
    return null
  }
  const cursor = driverOf(tx)<Array<{
    id: string,
    stream: string,
    seq: number,
    actor_id: string | null,
    action: string,
    subject_type: string,
    subject_id: string,
    occurred_at: string,
    payload: unknown,
    payload_digest: string,
    request_id: string | null,
    hash: string
  }>>`select id, stream, seq, actor_id, action, subject_type, subject_id, payload, payload_digest, request_id, hash,
        to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at
      from audit_entries order by stream, seq`.cursor(500)
  for await (const rows of cursor) {
    for (const row of rows) {
      if (current?.stream !== row.stream) {
        const broken = current && finish(current)
        if (broken) return fail(broken)
        const head = heads.get(row.stream)
        if (!head) return fail({ reason: 'head_mismatch', stream: row.stream, seq: row.seq })
        seen.add(row.stream)
        current = new StreamVerifier(row.stream, { seq: head.headSeq, hash: head.headHash }, anchored.get(row.stream))
      }
      const broken = current.push({
        id: String(row.id),
        stream: row.stream,
        seq: row.seq,
        actorId: row.actor_id,
        action: row.action,
        subjectType: row.subject_type,
        subjectId: row.subject_id,
        occurredAt: row.occurred_at,
        payload: row.payload,
        payloadDigest: row.payload_digest,
        requestId: row.request_id,
        hash: row.hash
      })
      if (broken) return fail(broken)
      report.entries++
    }
  }
  const broken = current && finish(current)
  if (broken) return fail(broken)
  for (const [stream] of heads) {
    if (!seen.has(stream)) return fail({ reason: 'entry_missing', stream, seq: 1 })
  }
  for (const [stream, anchor] of anchored) {
    if (!seen.has(stream)) return fail({ reason: 'checkpoint_mismatch', checkpoint: anchor.checkpoint, stream, seq: anchor.seq })
  }
  return report
}

function checkSignature (publicKey: KeyObject, hash: string, signature: string): boolean {
  try {
    return verifySignature(null, Buffer.from(hash), publicKey, Buffer.from(signature, 'base64'))
  } catch {
    return false
  }
}

/**
 * The heads each checkpoint lists, asked for in ascending checkpoint order and served from one
 * ordered read through a cursor: a year of checkpoints is one query, not one per checkpoint, and
 * memory holds one checkpoint's heads. Heads of a checkpoint that is not asked for are skipped.
 */
function readCheckpointHeads (driver: TransactionSql) {
  const rows = driver<Array<{ checkpoint: number, stream: string, seq: number, hash: string }>>`
    select checkpoint, stream, seq, hash from audit_checkpoint_heads order by checkpoint`.cursor(1000)[Symbol.asyncIterator]()
  let batch: Array<{ checkpoint: number, stream: string, seq: number, hash: string }> = []
  let index = 0
  let finished = false
  async function peek () {
    while (index >= batch.length && !finished) {
      const next = await rows.next()
      if (next.done) finished = true
      else [batch, index] = [next.value, 0]
    }
    return batch[index]
  }
  return {
    async of (checkpoint: number): Promise<CheckpointHead[]> {
      const heads: CheckpointHead[] = []
      for (let row = await peek(); row && row.checkpoint <= checkpoint; row = await peek()) {
        index++
        if (row.checkpoint === checkpoint) heads.push({ stream: row.stream, seq: row.seq, hash: row.hash })
      }
      return heads
    },
    /** ends the read early (a break was found), so the transaction can finish */
    close () {
      if (!finished) rows.return?.()
    }
  }
}

export interface VerificationWorker {
  verify (): Promise<AuditReport>
  close (): Promise<void>
}

interface Settled { id: number, report?: AuditReport, error?: { message: string, code?: string } }

/**
 * Verification in a worker thread with a database connection of its own: started by the first
 * request, kept for the next, started again after it failed. A failure keeps its code, so a
 * database outage is still a 503 (src/plugins/errors.ts).
 */
export function verificationWorker (settings: { databaseUrl: string, publicKeyPem: string }): VerificationWorker {
  let current: { worker: Worker, pending: Map<number, { resolve: (report: AuditReport) => void, reject: (error: Error) => void }> } | undefined
  let nextId = 0

  function start () {
    const url = new URL('./audit-verification.worker.ts', import.meta.url)
    // dist/ runs JavaScript (scripts/build.js); run from the sources (tests, npm run dev) the
    // worker first registers the TypeScript loader (hooks given to a worker by --import do not apply to its entry)
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}) })`, { eval: true, workerData: settings })
      : new Worker(url, { workerData: settings })
    worker.unref()
    const started = { worker, pending: new Map() as NonNullable<typeof current>['pending'] }
    worker.on('message', ({ id, report, error }: Settled) => {
      const waiting = started.pending.get(id)
      started.pending.delete(id)
      if (error) waiting?.reject(Object.assign(new Error(error.message), { code: error.code }))
      else waiting?.resolve(report!)
    })
    const fail = (error: Error) => {
      if (current === started) current = undefined
      for (const waiting of started.pending.values()) waiting.reject(error)
      started.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the audit verification worker stopped (exit code ${code})`)))
    return started
  }

  return {
    verify () {
      current ??= start()
      const { worker, pending } = current
      const id = ++nextId
      return new Promise<AuditReport>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.postMessage({ id })
      })
    },
    async close () {
      const stopping = current
      current = undefined
      if (!stopping) return
      const exited = once(stopping.worker, 'exit')
      // its connection is ended properly, so the database is not left with a broken one
      stopping.worker.postMessage({ close: true })
      const timer = setTimeout(() => { stopping.worker.terminate().catch(() => {}) }, 2000)
      await exited
      clearTimeout(timer)
    }
  }
}
