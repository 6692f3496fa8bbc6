import type { Audit } from '../../plugins/audit.ts'
import type { Database } from '../../plugins/db.ts'
import * as repo from './audit.repository.ts'

export interface AuditQueryDeps { db: Database, audit: Audit }

/** Reading and verifying the audit log; writing happens only through app.audit.append. */
export function createAuditQueryService ({ db, audit }: AuditQueryDeps) {
  async function listEntries (query: { subjectType?: string, subjectId?: string, actorId?: string, action?: string, before?: string, limit?: number }) {
    const limit = query.limit ?? 50
    const rows = await repo.listEntries(db, { ...query, before: query.before ? BigInt(query.before) : undefined, limit })
    return {
      items: rows.map((row) => ({
        id: row.id.toString(),
        stream: row.stream,
        seq: row.seq,
        actorId: row.actorId,
        action: row.action,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        occurredAt: row.occurredAt.toISOString(),
        payload: row.payload,
        requestId: row.requestId,
        hash: row.hash
      })),
      nextBefore: rows.length === limit ? rows.at(-1)!.id.toString() : null
    }
  }

  return {
    listEntries,
    verify: () => audit.verify(),
    checkpoint: async () => ({ checkpoint: await audit.checkpoint() }),
    publicKey: () => ({ keyId: audit.keyId, algorithm: 'ed25519' as const, publicKeyPem: audit.publicKeyPem })
  }
}

export type AuditQueryService = ReturnType<typeof createAuditQueryService>
