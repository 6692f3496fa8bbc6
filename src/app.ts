/**
 * buildApp(config): platform plugins, then domain modules (in dependency order, each under its
 * URL prefix), then the web pages. Reads like a table of contents.
 */
import { readFileSync } from 'node:fs'
import websocket from '@fastify/websocket'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config } from './config.ts'
import { loadDataDirSecrets } from './lib/data-dir.ts'
import { startDatabaseServer, type DatabaseServer } from './lib/embedded-postgres.ts'
import { createMasterKey } from './lib/master-key.ts'
import auditPlugin from './plugins/audit.ts'
import authPlugin from './plugins/auth.ts'
import calendarPlugin from './plugins/calendar.ts'
import clockPlugin from './plugins/clock.ts'
import dbPlugin, { openDatabase } from './plugins/db.ts'
import docsPlugin from './plugins/docs.ts'
import errorsPlugin, { answerClientError, sendProblem, toProblem } from './plugins/errors.ts'
import httpPlugin from './plugins/http.ts'
import livePlugin from './plugins/live.ts'
import pkiPlugin from './plugins/pki.ts'
import servicesPlugin from './plugins/services.ts'
import storagePlugin from './plugins/storage.ts'
import timersPlugin from './plugins/timers.ts'
import { accountsModule } from './modules/accounts/index.ts'
import { auditModule } from './modules/audit/index.ts'
import { banksModule } from './modules/banks/index.ts'
import { openingsModule } from './modules/openings/index.ts'
import { bidsModule } from './modules/bids/index.ts'
import { calendarModule } from './modules/calendar/index.ts'
import { casesModule } from './modules/cases/index.ts'
import { catalogueModule } from './modules/catalogue/index.ts'
import { departmentsModule } from './modules/departments/index.ts'
import { downloadsModule } from './modules/downloads/index.ts'
import { drawingsModule } from './modules/drawings/index.ts'
import { escrowsModule } from './modules/escrows/index.ts'
import { expertsModule } from './modules/experts/index.ts'
import { feesModule } from './modules/fees/index.ts'
import { healthModule } from './modules/health/index.ts'
import { ledgerModule } from './modules/ledger/index.ts'
import { liveModule } from './modules/live/index.ts'
import { noticesModule } from './modules/notices/index.ts'
import { notifierModule } from './modules/notifier/index.ts'
import { paymentsModule } from './modules/payments/index.ts'
import { pkiModule } from './modules/pki/index.ts'
import { projectsModule } from './modules/projects/index.ts'
import { reconciliationModule } from './modules/reconciliation/index.ts'
import { refundsModule } from './modules/refunds/index.ts'
import { sealedBidsModule } from './modules/sealed-bids/index.ts'
import { sessionsModule } from './modules/sessions/index.ts'
import { tendersModule } from './modules/tenders/index.ts'
import { simulatedBankModule } from './modules/simulated-bank/index.ts'
import { webModule } from './web/index.ts'

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

/** Log fields that must never be written: credentials, tokens, keys and anything sealed. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  '*.password', '*.currentPassword', '*.newPassword', '*.token', '*.oneTimePassword',
  '*.privateKey', '*.secretKey', '*.masterKey', '*.nonce', '*.contentKey', '*.share'
]

export interface BuildOptions {
  /** where logs go (default stdout); an embedding process or a test can capture them */
  logStream?: DestinationStream
  /** the database server when the caller already started it (src/server.ts does, to boot it while the app loads) */
  databaseServer?: Promise<DatabaseServer>
}

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {})
    },
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    clientErrorHandler: answerClientError,
    // the router's own refusals (a path that is not valid UTF-8, a parameter over maxParamLength)
    // come before any route and its error handler: they too leave as problem+json
    frameworkErrors: (error, request, reply) => { sendProblem(reply, toProblem(error, request)) },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const secrets = await loadDataDirSecrets(config.dataDir)
  const masterKey = createMasterKey(config.masterKey ?? secrets.masterKey)

  // before any plugin, outside avvio's plugin timeout: a cold initdb on a loaded machine outlasts it
  const databaseServer = await (options.databaseServer ??
    startDatabaseServer(config, secrets.embeddedPgPassword, { log: (message) => app.log.debug({ component: 'postgres' }, message.trim()) }))
  if (databaseServer.embedded) app.log.info(databaseServer.embedded, 'embedded PostgreSQL ready')
  const db = await openDatabase(databaseServer, config.database.poolMax)

  // platform: one decorator each, in dependency order
  await app.register(errorsPlugin)
  await app.register(httpPlugin, { maxFileBytes: 1024 * 1024 * 1024 })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await app.register(servicesPlugin)
  await app.register(clockPlugin)
  await app.register(dbPlugin, { db, server: databaseServer })
  await app.register(timersPlugin)
  await app.register(storagePlugin, { storage: config.storage, linkBase: `${config.publicUrl}/api/blobs`, linkSecret: masterKey.derive('download-links') })
  await app.register(authPlugin, {
    cookieName: config.session.cookieName,
    ttlHours: config.session.ttlHours,
    cacheSeconds: config.session.cacheSeconds,
    publicUrl: config.publicUrl
  })
  await app.register(auditPlugin, { masterKey, checkpointMinutes: config.audit.checkpointMinutes, databaseUrl: databaseServer.url })
  await app.register(calendarPlugin)
  await app.register(livePlugin, config.live)
  await app.register(pkiPlugin, { masterKey, hallName: config.hallName, publicUrl: config.publicUrl, trustedRootsFile: config.pki.trustedRootsFile })
  await app.register(docsPlugin, { version: packageJson.version })

  // domains
  await app.register(healthModule)
  await app.register(calendarModule, { prefix: '/api' })
  await app.register(departmentsModule, { prefix: '/api' })
  await app.register(notifierModule, { prefix: '/api', sms: config.sms })
  await app.register(expertsModule, { prefix: '/api' })
  await app.register(accountsModule, {
    prefix: '/api',
    lockout: { maxFailures: config.login.maxFailures, lockoutMinutes: config.login.lockoutMinutes },
    masterKey,
    hallName: config.hallName,
    registrationPerMinute: config.login.rateLimitPerMinute
  })
  await app.register(pkiModule, { prefix: '/api', hallName: config.hallName, certificateDays: config.pki.certificateDays, publicUrl: config.publicUrl })
  await app.register(sessionsModule, { prefix: '/api', signInPerMinute: config.login.rateLimitPerMinute })
  await app.register(escrowsModule, { prefix: '/api', masterKey })
  await app.register(sealedBidsModule, { prefix: '/api' })
  await app.register(auditModule, { prefix: '/api' })
  await app.register(liveModule, { prefix: '/api' })
  await app.register(noticesModule, { prefix: '/api' })
  await app.register(ledgerModule, { prefix: '/api' })
  await app.register(feesModule, { prefix: '/api' })
  await app.register(banksModule, { prefix: '/api', masterKey, maxSkewSeconds: config.fees.callbackMaxSkewSeconds })
  await app.register(paymentsModule, {
    prefix: '/api',
    hallName: config.hallName,
    publicUrl: config.publicUrl,
    regionCode: config.fees.regionCode,
    dueWorkingDays: config.fees.noticeDueWorkingDays,
    maxSkewSeconds: config.fees.callbackMaxSkewSeconds
  })
  await app.register(refundsModule, { prefix: '/api' })
  await app.register(reconciliationModule, { prefix: '/api' })
  if (config.fees.simulatedBank) await app.register(simulatedBankModule, { prefix: '/api', masterKey })
  await app.register(projectsModule, { prefix: '/api' })
  await app.register(tendersModule, { prefix: '/api' })
  await app.register(bidsModule, { prefix: '/api' })
  await app.register(openingsModule, { prefix: '/api', masterKey, hallName: config.hallName, publicUrl: config.publicUrl })
  await app.register(drawingsModule, { prefix: '/api', masterKey, settings: config.drawings })
  await app.register(catalogueModule, { prefix: '/api' })
  await app.register(casesModule, { prefix: '/api', hallName: config.hallName, publicUrl: config.publicUrl, queriesPerMinute: config.login.rateLimitPerMinute })
  await app.register(downloadsModule, { prefix: '/api', linkSecret: masterKey.derive('download-links') })

  // pages
  await app.register(webModule, {
    secureCookie: config.session.secureCookie,
    signInPerMinute: config.login.rateLimitPerMinute,
    production: config.env === 'production',
    publicUrl: config.publicUrl
  })

  return app
}
