/**
 * Bench-only table and routes, registered beside the real ones by the bench's app (run.ts) and by
 * each instance of the proxy scenario (proxy-instance.ts): a bare route, and a row insert with
 * and without its audit entry in one transaction.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Type } from 'typebox'
import { actorOf } from '../../src/lib/actor.ts'
import { StrictObject } from '../../src/lib/http-schemas.ts'
import { auditRecord } from '../../src/plugins/audit.ts'

export const BENCH_ROWS_DDL = 'create table if not exists bench_rows (id uuid primary key default gen_random_uuid(), note text not null, created_at timestamptz not null default now())'

const benchRows = pgTable('bench_rows', {
  id: uuid().primaryKey().defaultRandom(),
  note: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})

export const benchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/bench/bare', { config: { policy: 'public' }, schema: { response: { 200: Type.Object({ id: Type.String(), username: Type.String(), displayName: Type.String() }) } } },
    async () => ({ id: '7a4b2c9e-3f1d-4e8a-9b6c-2d5e8f1a3c7b', username: 'bench', displayName: 'Bench' }))
  const body = StrictObject({ note: Type.String({ minLength: 1, maxLength: 200 }) })
  const response = { 201: Type.Object({ id: Type.String() }) }
  app.post('/bench/rows', { config: { policy: 'authenticated' }, schema: { body, response } }, async (request, reply) => {
    const row = await app.db.transaction(async (tx) => {
      const [inserted] = await tx.insert(benchRows).values({ note: request.body.note }).returning({ id: benchRows.id })
      return inserted!
    })
    return reply.code(201).send(row)
  })
  app.post('/bench/audited-rows', { config: { policy: 'authenticated' }, schema: { body, response } }, async (request, reply) => {
    const actor = actorOf(request)
    const row = await app.db.transaction(async (tx) => {
      const [inserted] = await tx.insert(benchRows).values({ note: request.body.note }).returning({ id: benchRows.id })
      await app.audit.append(tx, auditRecord(actor, 'bench_row.created', 'bench_row', inserted!.id, { note: request.body.note }))
      return inserted!
    })
    return reply.code(201).send(row)
  })
}
