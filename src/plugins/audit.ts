/**
 * `app.audit`: the tamper-evident audit log (design in src/lib/audit-chain.ts).
 *
 * `append(tx, record)` must be called inside the transaction of the state change it records,
 * so both commit or neither does. It is one statement: the stream head row is upserted (the
 * per-subject lock, held until commit) and the new chain hash is computed by PostgreSQL from the
 * previous head, so concurrent writers of different subjects never wait for each other. In a
 * transaction opened by db.transaction it is sent without waiting for its answer (sendUnawaited):
 * it reaches PostgreSQL with the next statement, usually the COMMIT, and a failure still fails the
 * transaction.
 *
 * Checkpoints are taken by a recurring timer under an advisory lock (one instance at a time),
 * signed with the platform's Ed25519 audit key sealed under the master key.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { asc, sql } from 'drizzle-orm'
import fp from 'fastify-plugin'
import { auditCheckpointHeads, auditCheckpoints, auditStreams } from '../../schema/index.ts'
import { CHAIN_PREFIX, GENESIS_HASH, canonicalPayload, checkpointHash, entryDigest, type CheckpointHead } from '../lib/audit-chain.ts'
import type { Actor } from '../lib/actor.ts'
import type { MasterKey } from '../lib/master-key.ts'
import { verificationWorker, verifyAuditLog, type AuditReport, type VerificationWorker } from './audit-verification.ts'
import { driverOf, sendUnawaited, type Database, type Queryable, type Transaction } from './db.ts'
import { ensurePlatformKey, findPlatformKey, type PlatformKey } from './platform-keys.ts'

export type { AuditReport } from './audit-verification.ts'

export interface AuditRecord {
  actorId: string | null
  /** dotted verb, e.g. `account.created`, `bid.submitted` */
  action: string
  subjectType: string
  subjectId: string
  /** what changed; no secrets, keys or sealed content */
  payload?: Record<string, unknown>
  requestId?: string | null
}

export interface Audit {
  append (tx: Queryable, record: AuditRecord): Promise<void>
  /** Signs the stream heads that moved; null when nothing moved or another instance is at it. */
  checkpoint (tx?: Transaction): Promise<{ number: number, heads: number } | null>
  verify (): Promise<AuditReport>
  readonly keyId: string
  readonly publicKeyPem: string
}

declare module 'fastify' {
  interface FastifyInstance {
    audit: Audit
  }
}

const KEY_PURPOSE = 'audit-checkpoint'
/**
 * One statement: the stream's head row is upserted (the per-subject lock, held until commit) and
 * the new chain hash is computed by PostgreSQL from the previous head.
 */
const APPEND = `
  with head as (
    insert into audit_streams as s (stream, head_seq, head_hash)
    values ($1, 1, encode(sha256(convert_to($2::text, 'UTF8')), 'hex'))
    on conflict (stream) do update
      set head_seq = s.head_seq + 1,
          head_hash = encode(sha256(convert_to($3::text || '|' || s.head_hash || '|' || (s.head_seq + 1)::text || '|' || $4::text, 'UTF8')), 'hex')
    returning head_seq, head_hash
  )
  insert into audit_entries (stream, seq, actor_id, action, subject_type, subject_id, occurred_at, payload, payload_digest, request_id, hash)
  select $1, head_seq, $5::uuid, $6, $7, $8, $9::timestamptz, $10::jsonb, $11, $12, head_hash
  from head`
const CHECKPOINT_LOCK = 7_260_002

/** The audit record of an action taken by a signed-in actor (null: the platform itself). */
export function auditRecord (
  actor: Actor | null, action: string, subjectType: string, subjectId: string, payload: Record<string, unknown> = {}
): AuditRecord {
  return { actorId: actor?.principal.accountId ?? null, requestId: actor?.requestId ?? null, action, subjectType, subjectId, payload }
}

export function streamOf (subjectType: string, subjectId: string): string {
  return `${subjectType}:${subjectId}`
}

type SigningKey = Pick<PlatformKey, 'keyId' | 'privateKey' | 'publicKey' | 'publicKeyPem'>

/**
 * The platform's checkpoint key, created on first start. With `create: false` (the offline
 * verifier) a missing key yields a throwaway one, so any checkpoint present fails verification.
 */
export async function loadSigningKey (db: Database, masterKey: MasterKey, options: { create: boolean } = { create: true }): Promise<SigningKey> {
  if (!options.create) {
    const existing = await findPlatformKey(db, masterKey, KEY_PURPOSE)
    if (existing) return existing
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    return { keyId: 'missing', privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
  }
  return ensurePlatformKey(db, masterKey, KEY_PURPOSE, () => ({ privateKey: generateKeyPairSync('ed25519').privateKey, algorithm: 'ed25519' }))
}

export function createAudit (db: Database, key: SigningKey, verifier?: VerificationWorker): Audit {
  async function append (tx: Queryable, record: AuditRecord) {
    const stream = streamOf(record.subjectType, record.subjectId)
    const payload = canonicalPayload(record.payload ?? {})
    const occurredAt = new Date().toISOString()
    const content = {
      stream,
      actorId: record.actorId,
      action: record.action,
      subjectType: record.subjectType,
      subjectId: record.subjectId,
      occurredAt,
      payloadDigest: payload.digest,
      requestId: record.requestId ?? null
    }
    const digest = entryDigest(content)
    const driver = '$client' in tx ? tx.$client : driverOf(tx)
    const statement = driver.unsafe(APPEND, [
      stream, `${CHAIN_PREFIX}|${GENESIS_HASH}|1|${digest}`, CHAIN_PREFIX, digest, content.actorId, content.action,
      content.subjectType, content.subjectId, occurredAt, payload.text, content.payloadDigest, content.requestId
    ], { prepare: true })
    // the entry's state change is already written: the entry travels with the COMMIT
    if (!sendUnawaited(tx, statement)) await statement
  }

  async function checkpoint (outer?: Transaction): Promise<{ number: number, heads: number } | null> {
    if (!outer) return db.transaction((tx) => checkpoint(tx))
    const tx = outer
    {
      const [lock] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}) as locked`)
      if (!lock?.locked) return null
      const heads: CheckpointHead[] = await tx.select({ stream: auditStreams.stream, seq: auditStreams.headSeq, hash: auditStreams.headHash })
        .from(auditStreams).where(sql`${auditStreams.headSeq} > ${auditStreams.checkpointedSeq}`).orderBy(asc(auditStreams.stream))
      if (heads.length === 0) return null
      const [previous] = await tx.select().from(auditCheckpoints).orderBy(sql`${auditCheckpoints.number} desc`).limit(1)
      const content = {
        number: (previous?.number ?? 0) + 1,
        previousHash: previous?.hash ?? GENESIS_HASH,
        createdAt: new Date().toISOString(),
        heads
      }
      const hash = checkpointHash(content)
      await tx.insert(auditCheckpoints).values({
        number: content.number,
        createdAt: new Date(content.createdAt),
        previousHash: content.previousHash,
        hash,
        signature: sign(null, Buffer.from(hash), key.privateKey).toString('base64'),
        keyId: key.keyId
      })
      for (let start = 0; start < heads.length; start += 1000) {
        const chunk = heads.slice(start, start + 1000)
        await tx.insert(auditCheckpointHeads).values(chunk.map((head) => ({ checkpoint: content.number, ...head })))
        await tx.execute(sql`
          update audit_streams s set checkpointed_seq = v.seq
          from (values ${sql.join(chunk.map((head) => sql`(${head.stream}::text, ${head.seq}::int)`), sql`, `)}) as v (stream, seq)
          where s.stream = v.stream and s.checkpointed_seq < v.seq`)
      }
      return { number: content.number, heads: heads.length }
    }
  }

  /** One snapshot of the whole log, checked off the event loop when a worker is available (audit-verification.ts). */
  const verify = () => verifier ? verifier.verify() : verifyAuditLog(db, key.publicKey)

  return { append, checkpoint, verify, keyId: key.keyId, publicKeyPem: key.publicKeyPem }
}

export interface AuditPluginOptions {
  masterKey: MasterKey
  checkpointMinutes: number
  /** the database the app's pool reaches: the verification worker opens its own connection to it */
  databaseUrl: string
}

export default fp<AuditPluginOptions>(async function auditPlugin (app, options) {
  const key = await loadSigningKey(app.db, options.masterKey)
  const verifier = verificationWorker({ databaseUrl: options.databaseUrl, publicKeyPem: key.publicKeyPem })
  const audit = createAudit(app.db, key, verifier)
  app.decorate('audit', audit)
  app.addHook('onClose', async () => { await verifier.close() })
  app.timers.define('audit.checkpoint', async (tx) => { await audit.checkpoint(tx) })
  await app.timers.ensureRecurring(app.db, {
    kind: 'audit.checkpoint',
    key: 'audit.checkpoint',
    firstAt: new Date(Date.now() + options.checkpointMinutes * 60_000),
    intervalSeconds: options.checkpointMinutes * 60
  })
}, { name: 'audit', dependencies: ['db', 'timers'] })
