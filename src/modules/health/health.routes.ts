import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import postgres from 'postgres'
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

/**
 * The database probe has a connection of its own, to the pool's server. Through the pool, `select 1`
 * would queue behind the requests of a busy instance and time out: /ready would then call a
 * reachable database failing, and a load balancer would take a merely busy instance out of
 * rotation, sending its load to the others. The question /ready answers is reachability.
 */
function databaseProbe (pool: postgres.Sql): postgres.Sql {
  const { host, port, path, database, user, pass, ssl } = pool.options
  // the driver takes its own parsed host and port lists back (several hosts: failover order kept)
  const hosts = { host: host as unknown as string, port: port as unknown as number }
  return postgres({ ...hosts, path: path || undefined, database, user, pass: pass ?? undefined, ssl, max: 1, idle_timeout: 60, connect_timeout: 2, onnotice: () => {}, connection: { application_name: 'openhall-ready' } })
}

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['health']
  let probe: postgres.Sql | undefined
  app.addHook('onClose', async () => { await probe?.end({ timeout: 1 }) })

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
      check(() => (probe ??= databaseProbe(app.db.$client))`select 1`, 2000),
      check(() => app.store.ping(), 2000)
    ])
    const ready = database === 'ok' && storage === 'ok'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, storage } })
  })
}
