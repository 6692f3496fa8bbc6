import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'drizzle-orm'
import { Type } from 'typebox'

const CheckSchema = Type.Union([Type.Literal('ok'), Type.Literal('failing')])
const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({ database: CheckSchema, storage: CheckSchema })
})

async function check (probe: () => Promise<unknown>, timeoutMs: number): Promise<'ok' | 'failing'> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([probe(), new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timeout')), timeoutMs) })])
    return 'ok'
  } catch {
    return 'failing'
  } finally {
    clearTimeout(timer)
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['health']

  app.get('/health', {
    config: { policy: 'public' },
    logLevel: 'warn',
    schema: { tags, operationId: 'getHealth', summary: 'Liveness: the process answers', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    config: { policy: 'public' },
    logLevel: 'warn',
    schema: {
      tags,
      operationId: 'getReadiness',
      summary: 'Readiness: database and object store reachable',
      security: [],
      response: { 200: ReadySchema, 503: ReadySchema }
    }
  }, async (_request, reply) => {
    const [database, storage] = await Promise.all([
      check(() => app.db.execute(sql`select 1`), 2000),
      check(() => app.store.ping(), 2000)
    ])
    const ready = database === 'ok' && storage === 'ok'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, storage } })
  })
}
