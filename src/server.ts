/**
 * Entry point: read the configuration, build the app, listen, and shut down gracefully
 * (stop accepting, drain, close the pool, then stop the embedded PostgreSQL).
 *
 * The database server boots first (initdb on a first start, then PostgreSQL's own start, in
 * child processes) while this thread loads the app's modules, so the two overlap instead of
 * adding up; the app is therefore imported only after the boot has begun.
 */
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { loadDataDirSecrets } from './lib/data-dir.ts'
import { startDatabaseServer } from './lib/embedded-postgres.ts'

export interface StartOptions {
  /** runs after the server listens, e.g. the demo county seed */
  afterStart?: (app: FastifyInstance, config: Config) => Promise<void>
}

function announceAdministrator (result: { created: boolean, username?: string, oneTimePassword?: string | null }) {
  if (!result.created) return
  const lines = result.oneTimePassword
    ? [`  username: ${result.username}`, `  one-time password: ${result.oneTimePassword}`, '  (shown once; you will be asked to choose a new password at first sign-in)']
    : [`  username: ${result.username}`, '  password: the ADMIN_PASSWORD you configured']
  // deliberately not through the logger: logs are shipped elsewhere, this is for the operator's terminal
  process.stdout.write(['', 'OpenHall created the hall administrator:', ...lines, ''].join('\n') + '\n')
}

export async function startServer (options: StartOptions = {}): Promise<FastifyInstance> {
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }

  // the start's phases, in ms since the process began (and CPU ms spent), in the ready line: a slow start says where
  const phases: Record<string, { at: number, cpu: number }> = {}
  const phase = (name: string) => {
    const cpu = process.cpuUsage()
    phases[name] = { at: Math.round(performance.now()), cpu: Math.round((cpu.user + cpu.system) / 1000) }
  }
  phase('configured')
  const secrets = await loadDataDirSecrets(config.dataDir)
  // PostgreSQL's lines (debug) wait for the app's logger
  const early: string[] = []
  let logPostgres = (message: string) => { early.push(message) }
  let running = () => {}
  const postgresRuns = new Promise<void>((resolve) => { running = resolve })
  const databaseServer = startDatabaseServer(config, secrets.embeddedPgPassword, { log: (message) => logPostgres(message), onRunning: running })
  // buildApp awaits it; until then an early failure must not count as an unhandled rejection
  databaseServer.catch(() => {})
  // Loading the app keeps this thread busy for a while, and starting initdb or PostgreSQL needs
  // it (checks, child processes): so the load begins once they run, or once the server is
  // known (DATABASE_URL, a server shared with another process) or failed.
  databaseServer.then(() => phase('database'), () => {})
  await Promise.race([postgresRuns, databaseServer.then(() => {}, () => {})])
  phase('databaseRunning')
  const { buildApp } = await import('./app.ts')
  phase('loaded')
  const app = await buildApp(config, { databaseServer })
  phase('built')
  logPostgres = (message) => app.log.debug({ component: 'postgres' }, message.trim())
  for (const message of early.splice(0)) logPostgres(message)
  let shuttingDown = false
  const shutdown = (signal: string) => {
    if (shuttingDown) return
    shuttingDown = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 20_000)
    force.unref()
    app.close().then(() => process.exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))

  await app.ready()
  phase('ready')
  // before listening, so that /ready answering implies the hall has an administrator
  announceAdministrator(await app.services.accounts.ensureAdministrator(config.admin))
  await app.listen({ port: config.port, host: config.host })
  phase('listening')
  if (options.afterStart) await options.afterStart(app, config)
  app.log.info({ url: config.publicUrl, start: phases }, 'OpenHall is ready')
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  startServer().catch((error: unknown) => {
    process.stderr.write(`OpenHall failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  })
}
