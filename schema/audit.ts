import { bigserial, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'

/** One row per audited stream: its newest sequence number and chain hash (see src/lib/audit-chain.ts). */
export const auditStreams = pgTable('audit_streams', {
  stream: text().primaryKey(),
  headSeq: integer().notNull(),
  headHash: text().notNull(),
  /** head sequence covered by the newest checkpoint */
  checkpointedSeq: integer().notNull().default(0)
})

export const auditEntries = pgTable('audit_entries', {
  id: bigserial({ mode: 'bigint' }).primaryKey(),
  stream: text().notNull(),
  seq: integer().notNull(),
  actorId: uuid(),
  action: text().notNull(),
  subjectType: text().notNull(),
  subjectId: text().notNull(),
  occurredAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  payload: jsonb().notNull(),
  payloadDigest: text().notNull(),
  requestId: text(),
  hash: text().notNull()
}, (t) => [
  // also the index for "everything that happened to this subject" (stream = subjectType:subjectId);
  // entries are few-indexed on purpose: every audited write pays for each index
  unique().on(t.stream, t.seq),
  index().on(t.actorId)
])

export const auditCheckpoints = pgTable('audit_checkpoints', {
  number: serial().primaryKey(),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  previousHash: text().notNull(),
  hash: text().notNull(),
  /** Ed25519 signature (base64) of the hash by the platform audit key */
  signature: text().notNull(),
  keyId: text().notNull()
})

export const auditCheckpointHeads = pgTable('audit_checkpoint_heads', {
  checkpoint: integer().notNull().references(() => auditCheckpoints.number),
  stream: text().notNull(),
  seq: integer().notNull(),
  hash: text().notNull()
}, (t) => [primaryKey({ columns: [t.checkpoint, t.stream] }), index().on(t.stream)])
