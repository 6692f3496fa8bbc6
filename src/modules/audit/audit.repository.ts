import { and, desc, eq, lt } from 'drizzle-orm'
import { auditEntries } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export interface EntryFilter {
  subjectType?: string
  subjectId?: string
  actorId?: string
  action?: string
  before?: bigint
  limit: number
}

export async function listEntries (db: Queryable, filter: EntryFilter) {
  return db.select().from(auditEntries).where(and(
    // a subject's entries are its stream, which the (stream, seq) index serves
    filter.subjectType && filter.subjectId ? eq(auditEntries.stream, `${filter.subjectType}:${filter.subjectId}`) : undefined,
    filter.subjectType && !filter.subjectId ? eq(auditEntries.subjectType, filter.subjectType) : undefined,
    !filter.subjectType && filter.subjectId ? eq(auditEntries.subjectId, filter.subjectId) : undefined,
    filter.actorId ? eq(auditEntries.actorId, filter.actorId) : undefined,
    filter.action ? eq(auditEntries.action, filter.action) : undefined,
    filter.before !== undefined ? lt(auditEntries.id, filter.before) : undefined
  )).orderBy(desc(auditEntries.id)).limit(filter.limit)
}
