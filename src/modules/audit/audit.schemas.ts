import { Type } from 'typebox'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

export const AuditBreakSchema = Type.Object({
  reason: Type.Enum([
    'payload_altered', 'entry_altered', 'entry_missing', 'head_mismatch',
    'checkpoint_altered', 'checkpoint_signature_invalid', 'checkpoint_mismatch'
  ]),
  stream: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer()),
  entryId: Type.Optional(Type.String()),
  checkpoint: Type.Optional(Type.Integer())
})

export const AuditReportSchema = Type.Object({
  intact: Type.Boolean(),
  // when the verified snapshot was taken: entries committed later are not covered
  checkedAt: Timestamp,
  streams: Type.Integer(),
  entries: Type.Integer(),
  checkpoints: Type.Integer(),
  entriesAfterLastCheckpoint: Type.Integer({ description: 'protected by their chain, not yet by a signed checkpoint' }),
  firstBreak: Nullable(AuditBreakSchema)
})

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  stream: Type.String(),
  seq: Type.Integer(),
  actorId: Nullable(Uuid),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  occurredAt: Timestamp,
  payload: Type.Unknown(),
  requestId: Nullable(Type.String()),
  hash: Type.String()
})

export const AuditEntryQuery = StrictObject({
  subjectType: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
  subjectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  actorId: Type.Optional(Uuid),
  action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,80}$' })),
  before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'entry id cursor (exclusive)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 }))
})

export const AuditEntryPageSchema = Type.Object({ items: Type.Array(AuditEntrySchema), nextBefore: Nullable(Type.String()) })

export const CheckpointResultSchema = Type.Object({
  checkpoint: Nullable(Type.Object({ number: Type.Integer(), heads: Type.Integer() }))
})

export const AuditKeySchema = Type.Object({
  keyId: Type.String(),
  algorithm: Type.Literal('ed25519'),
  publicKeyPem: Type.String()
})
