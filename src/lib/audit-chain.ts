/**
 * The audit chain, as pure functions. Entries are chained per stream (one stream per audited
 * subject, e.g. `account:<uuid>`), so unrelated writes never wait on one global row lock:
 *
 *   digest(entry)  = SHA-256(canonical JSON of the entry's content, payload by its own digest)
 *   hash(seq)      = SHA-256("openhall-audit-v1|" + hash(seq-1) + "|" + seq + "|" + digest)
 *   hash(0)        = 64 zeros
 *
 * Periodic checkpoints are chained too and signed by the platform key; each lists the stream
 * heads that moved since the previous one, so rewriting a whole stream, or deleting its newest
 * entries, is caught as soon as a checkpoint has covered them.
 */
import { canonicalJson } from './canonical-json.ts'
import { sha256Hex } from './crypto-bits.ts'

export const GENESIS_HASH = '0'.repeat(64)
export const CHAIN_PREFIX = 'openhall-audit-v1'

export interface AuditEntryContent {
  stream: string
  actorId: string | null
  action: string
  subjectType: string
  subjectId: string
  /** RFC 3339 with milliseconds, UTC */
  occurredAt: string
  payloadDigest: string
  requestId: string | null
}

export interface StoredAuditEntry extends AuditEntryContent {
  id: string
  seq: number
  hash: string
  payload: unknown
}

export function payloadDigest (payload: unknown): string {
  return sha256Hex(canonicalJson(payload ?? null))
}

/** The canonical text of a payload and its digest, computed once (the text is stored as jsonb). */
export function canonicalPayload (payload: unknown): { text: string, digest: string } {
  const text = canonicalJson(payload ?? null)
  return { text, digest: sha256Hex(text) }
}

/**
 * SHA-256 of the content's canonical JSON. The content has fixed keys and string or null values,
 * so its canonical form is written out here in canonical key order rather than by the general
 * walk: the verifier does this for every entry of the log (equality with canonicalJson is tested).
 */
export function entryDigest (content: AuditEntryContent): string {
  const text = '{"action":' + JSON.stringify(content.action) +
    ',"actorId":' + JSON.stringify(content.actorId) +
    ',"occurredAt":' + JSON.stringify(content.occurredAt) +
    ',"payloadDigest":' + JSON.stringify(content.payloadDigest) +
    ',"requestId":' + JSON.stringify(content.requestId) +
    ',"stream":' + JSON.stringify(content.stream) +
    ',"subjectId":' + JSON.stringify(content.subjectId) +
    ',"subjectType":' + JSON.stringify(content.subjectType) + '}'
  return sha256Hex(text)
}

export function chainHash (previousHash: string, seq: number, digest: string): string {
  return sha256Hex(`${CHAIN_PREFIX}|${previousHash}|${seq}|${digest}`)
}

export type AuditBreak =
  | { reason: 'payload_altered', stream: string, seq: number, entryId: string }
  | { reason: 'entry_altered', stream: string, seq: number, entryId: string }
  | { reason: 'entry_missing', stream: string, seq: number }
  | { reason: 'head_mismatch', stream: string, seq: number }
  | { reason: 'checkpoint_altered', checkpoint: number }
  | { reason: 'checkpoint_signature_invalid', checkpoint: number }
  | { reason: 'checkpoint_mismatch', checkpoint: number, stream: string, seq: number }

/**
 * Verifies one stream incrementally: push its entries in seq order, then call end().
 * Each call returns the first break found, or null while the stream is intact; memory stays
 * constant however long the stream is.
 */
export class StreamVerifier {
  private previousHash = GENESIS_HASH
  private expectedSeq = 1

  constructor (
    readonly stream: string,
    private readonly head: { seq: number, hash: string },
    /** the newest checkpointed head of this stream, if any */
    private readonly anchor?: { seq: number, hash: string, checkpoint: number }
  ) {}

  get verifiedCount (): number {
    return this.expectedSeq - 1
  }

  push (entry: StoredAuditEntry): AuditBreak | null {
    const stream = this.stream
    if (entry.stream !== stream || entry.seq !== this.expectedSeq) {
      return { reason: 'entry_missing', stream, seq: this.expectedSeq }
    }
    if (payloadDigest(entry.payload) !== entry.payloadDigest) {
      return { reason: 'payload_altered', stream, seq: entry.seq, entryId: entry.id }
    }
    const { id, seq, hash } = entry
    if (chainHash(this.previousHash, seq, entryDigest(entry)) !== hash) {
      return { reason: 'entry_altered', stream, seq, entryId: id }
    }
    if (this.anchor && this.anchor.seq === seq && this.anchor.hash !== hash) {
      return { reason: 'checkpoint_mismatch', checkpoint: this.anchor.checkpoint, stream, seq }
    }
    this.previousHash = hash
    this.expectedSeq++
    return null
  }

  end (): AuditBreak | null {
    const stream = this.stream
    const last = this.expectedSeq - 1
    if (last < this.head.seq) return { reason: 'entry_missing', stream, seq: this.expectedSeq }
    if (this.anchor && this.anchor.seq > last) {
      return { reason: 'checkpoint_mismatch', checkpoint: this.anchor.checkpoint, stream, seq: this.anchor.seq }
    }
    if (last !== this.head.seq || this.previousHash !== this.head.hash) return { reason: 'head_mismatch', stream, seq: last }
    return null
  }
}

export interface CheckpointHead { stream: string, seq: number, hash: string }

export interface CheckpointContent {
  number: number
  previousHash: string
  createdAt: string
  /** stream heads that moved since the previous checkpoint, sorted by stream */
  heads: CheckpointHead[]
}

export function checkpointHash (content: CheckpointContent): string {
  const heads = [...content.heads].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0))
  return sha256Hex(canonicalJson({
    createdAt: content.createdAt,
    heads: heads.map((head) => [head.stream, head.seq, head.hash]),
    number: content.number,
    previousHash: content.previousHash,
    version: CHAIN_PREFIX
  }))
}
