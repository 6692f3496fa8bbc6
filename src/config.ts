/**
 * The only reader of process.env. Every setting has a default that runs the platform in
 * embedded mode (private PostgreSQL under DATA_DIR, blobs on disk); a bad value stops the start
 * with one line naming the variable.
 */
import { isIP } from 'node:net'
import path from 'node:path'
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

const Bool = Type.Enum(['true', 'false', '1', '0'])
const Port = Type.Integer({ minimum: 0, maximum: 65535 })
const Url = Type.String({ pattern: '^[a-z][a-z0-9+.-]*://', maxLength: 2048 })

const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String({ maxLength: 32 })),
  PORT: Type.Optional(Port),
  HOST: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  PUBLIC_URL: Type.Optional(Url),
  /** true (a proxy on this machine) or the proxies' addresses / CIDRs, comma-separated */
  TRUST_PROXY: Type.Optional(Type.String({ pattern: '^(true|false|1|0|[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*)$', maxLength: 1024 })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  LOG_LEVEL: Type.Optional(Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', maxLength: 2048 })),
  DATABASE_POOL_MAX: Type.Optional(Type.Integer({ minimum: 2, maximum: 200 })),
  EMBEDDED_PG_PORT: Type.Optional(Port),
  STORAGE_DRIVER: Type.Optional(Type.Enum(['fs', 's3'])),
  S3_ENDPOINT: Type.Optional(Url),
  S3_REGION: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  S3_BUCKET: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })),
  S3_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  S3_SECRET_KEY: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  S3_PART_SIZE_MB: Type.Optional(Type.Integer({ minimum: 5, maximum: 512 })),
  MINIO_ENDPOINT: Type.Optional(Url),
  MINIO_BUCKET: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })),
  MINIO_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  MINIO_SECRET_KEY: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  MINIO_ROOT_USER: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  MINIO_ROOT_PASSWORD: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  MASTER_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' })),
  ADMIN_USERNAME: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{2,63}$' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 12, maxLength: 256 })),
  SESSION_TTL_HOURS: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30 })),
  SESSION_CACHE_SECONDS: Type.Optional(Type.Integer({ minimum: 0, maximum: 300 })),
  LOGIN_MAX_FAILURES: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  LOGIN_LOCKOUT_MINUTES: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 60 })),
  LOGIN_RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  BODY_LIMIT_BYTES: Type.Optional(Type.Integer({ minimum: 1024, maximum: 100 * 1024 * 1024 })),
  AUDIT_CHECKPOINT_MINUTES: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 60 })),
  LIVE_HEARTBEAT_SECONDS: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
  LIVE_MAX_BUFFERED_KB: Type.Optional(Type.Integer({ minimum: 16, maximum: 1024 * 1024 })),
  LIVE_MESSAGES_PER_SECOND: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  HALL_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  PKI_TRUSTED_ROOTS: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  PKI_CERTIFICATE_DAYS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  HALL_REGION_CODE: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
  PAYMENT_DUE_WORKING_DAYS: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  BANK_CALLBACK_MAX_SKEW_SECONDS: Type.Optional(Type.Integer({ minimum: 30, maximum: 3600 })),
  SIMULATED_BANK: Type.Optional(Bool),
  SMS_DRIVER: Type.Optional(Type.Enum(['none', 'webhook', 'simulated'])),
  SMS_WEBHOOK_URL: Type.Optional(Url),
  SMS_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 256 })),
  SMS_TIMEOUT_MS: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
  SMS_MAX_ATTEMPTS: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  DRAWING_LEAD_HOURS: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 14 })),
  DRAWING_ANSWER_MINUTES: Type.Optional(Type.Integer({ minimum: 5, maximum: 24 * 60 })),
  DRAWING_SAME_TENDERER_DAYS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  DRAWING_ANNUAL_CAP: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 }))
})
type Env = Static<typeof EnvSchema>

export interface Config {
  env: string
  host: string
  port: number
  publicUrl: string
  /**
   * Addresses whose X-Forwarded-For is believed (false: none). The client is the first address,
   * from the right, that is not one of them, so a header forged by the client itself is ignored.
   */
  trustProxy: false | string[]
  dataDir: string
  logLevel: string
  database: { url: string | undefined, poolMax: number, embeddedPort: number }
  storage:
  | { driver: 'fs', root: string }
  | { driver: 's3', endPoint: string, region: string, bucket: string, accessKey: string, secretKey: string, partSize: number }
  /** base64 of 32 bytes; when absent the app keeps a generated key under dataDir */
  masterKey: string | undefined
  admin: { username: string, password: string | undefined }
  session: { ttlHours: number, cacheSeconds: number, cookieName: string, secureCookie: boolean }
  login: { maxFailures: number, lockoutMinutes: number, rateLimitPerMinute: number }
  bodyLimit: number
  audit: { checkpointMinutes: number }
  live: { heartbeatSeconds: number, maxBufferedBytes: number, messagesPerSecond: number, messageBurst: number }
  /** the hall's name as it appears in certificates and documents */
  hallName: string
  pki: { trustedRootsFile: string | undefined, certificateDays: number }
  fees: {
    /** GB/T 2260 code of the county: the first six digits of every payment code */
    regionCode: string
    /** a payment notice is payable until the end of this many working days after issue */
    noticeDueWorkingDays: number
    /** bank requests older or newer than this are refused (replay protection) */
    callbackMaxSkewSeconds: number
    /** serve the built-in simulated bank (demo and tests; never in production) */
    simulatedBank: boolean
  }
  /**
   * SMS delivery (the notifier): `webhook` POSTs to the gateway, signed; `simulated` keeps the
   * messages for the demo and the tests (never in production); `none` sends in-app messages only.
   */
  sms:
  | { driver: 'none' | 'simulated', timeoutMs: number, maxAttempts: number }
  | { driver: 'webhook', url: string, secret: string, timeoutMs: number, maxAttempts: number }
  /**
   * Expert drawing: the draw may run from `leadHours` before the evaluation; an invited expert
   * answers within `answerMinutes`; an expert called for the same tenderer within
   * `sameTendererDays`, or to `annualCap` committees in the year, is not drawn.
   */
  drawings: { leadHours: number, answerMinutes: number, sameTendererDays: number, annualCap: number }
}

export class ConfigError extends Error {
  constructor (readonly variable: string, message: string) {
    super(`Invalid configuration: ${variable} ${message}`)
    this.name = 'ConfigError'
  }
}

/** Parses an environment-like map; pass process.env in the server, an explicit map in tests. */
export function loadConfig (source: Record<string, string | undefined>): Config {
  const known = Object.keys(EnvSchema.properties)
  const raw: Record<string, unknown> = {}
  for (const name of known) {
    const value = source[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const converted = Value.Convert(EnvSchema, raw) as Record<string, unknown>
  const [error] = Value.Errors(EnvSchema, converted)
  if (error) {
    const variable = error.instancePath.replace(/^\//, '').split('/')[0] || 'environment'
    throw new ConfigError(variable, `${describeExpectation(variable, error.message)} (got ${JSON.stringify(raw[variable])})`)
  }
  return toConfig(converted as Env)
}

function describeExpectation (variable: string, message: string): string {
  const schema = (EnvSchema.properties as Record<string, { enum?: unknown[] }>)[variable]
  if (schema?.enum) return `must be one of ${schema.enum.join(', ')}`
  return message
}

function flag (value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : value === 'true' || value === '1'
}

function toConfig (env: Env): Config {
  if (env.NODE_ENV === 'production' && flag(env.SIMULATED_BANK, false)) throw new ConfigError('SIMULATED_BANK', 'must not be enabled in production (got "true")')
  if (env.NODE_ENV === 'production' && env.SMS_DRIVER === 'simulated') throw new ConfigError('SMS_DRIVER', 'must not be "simulated" in production')
  const port = env.PORT ?? 3000
  const host = env.HOST ?? '127.0.0.1'
  const dataDir = path.resolve(env.DATA_DIR ?? './data')
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '')
  return {
    env: env.NODE_ENV ?? 'development',
    host,
    port,
    publicUrl,
    trustProxy: trustedProxies(env.TRUST_PROXY),
    dataDir,
    logLevel: env.LOG_LEVEL ?? 'info',
    database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX ?? 10, embeddedPort: env.EMBEDDED_PG_PORT ?? 0 },
    storage: toStorageConfig(env, dataDir),
    masterKey: env.MASTER_KEY,
    admin: { username: env.ADMIN_USERNAME ?? 'admin', password: env.ADMIN_PASSWORD },
    session: {
      ttlHours: env.SESSION_TTL_HOURS ?? 12,
      cacheSeconds: env.SESSION_CACHE_SECONDS ?? 30,
      cookieName: 'openhall_session',
      secureCookie: publicUrl.startsWith('https://')
    },
    login: {
      maxFailures: env.LOGIN_MAX_FAILURES ?? 5,
      lockoutMinutes: env.LOGIN_LOCKOUT_MINUTES ?? 15,
      rateLimitPerMinute: env.LOGIN_RATE_LIMIT_PER_MINUTE ?? 20
    },
    bodyLimit: env.BODY_LIMIT_BYTES ?? 1024 * 1024,
    audit: { checkpointMinutes: env.AUDIT_CHECKPOINT_MINUTES ?? 5 },
    live: { heartbeatSeconds: env.LIVE_HEARTBEAT_SECONDS ?? 30, maxBufferedBytes: (env.LIVE_MAX_BUFFERED_KB ?? 1024) * 1024, messagesPerSecond: env.LIVE_MESSAGES_PER_SECOND ?? 20, messageBurst: 2 * (env.LIVE_MESSAGES_PER_SECOND ?? 20) },
    hallName: env.HALL_NAME ?? 'OpenHall 县政务服务大厅',
    pki: { trustedRootsFile: env.PKI_TRUSTED_ROOTS, certificateDays: env.PKI_CERTIFICATE_DAYS ?? 730 },
    fees: {
      regionCode: env.HALL_REGION_CODE ?? '000000',
      noticeDueWorkingDays: env.PAYMENT_DUE_WORKING_DAYS ?? 10,
      callbackMaxSkewSeconds: env.BANK_CALLBACK_MAX_SKEW_SECONDS ?? 300,
      simulatedBank: flag(env.SIMULATED_BANK, false)
    },
    sms: toSmsConfig(env),
    drawings: {
      leadHours: env.DRAWING_LEAD_HOURS ?? 48,
      answerMinutes: env.DRAWING_ANSWER_MINUTES ?? 120,
      sameTendererDays: env.DRAWING_SAME_TENDERER_DAYS ?? 90,
      annualCap: env.DRAWING_ANNUAL_CAP ?? 24
    }
  }
}

/** Outside production the simulated gateway is the default, so the demo's codes arrive somewhere. */
function toSmsConfig (env: Env): Config['sms'] {
  const driver = env.SMS_DRIVER ?? (env.NODE_ENV === 'production' ? 'none' : 'simulated')
  const common = { timeoutMs: env.SMS_TIMEOUT_MS ?? 5000, maxAttempts: env.SMS_MAX_ATTEMPTS ?? 5 }
  if (driver !== 'webhook') return { driver, ...common }
  if (!env.SMS_WEBHOOK_URL) throw new ConfigError('SMS_WEBHOOK_URL', 'is required when SMS_DRIVER=webhook')
  if (!env.SMS_WEBHOOK_SECRET) throw new ConfigError('SMS_WEBHOOK_SECRET', 'is required when SMS_DRIVER=webhook')
  return { driver, url: env.SMS_WEBHOOK_URL, secret: env.SMS_WEBHOOK_SECRET, ...common }
}

/** `true` means a reverse proxy on this machine (deploy/nginx): loopback only, never any address. */
function trustedProxies (value: string | undefined): Config['trustProxy'] {
  if (value === undefined || value === 'false' || value === '0') return false
  if (value === 'true' || value === '1') return ['loopback']
  const proxies = value.split(',')
  const invalid = proxies.find((entry) => {
    const [address = '', bits] = entry.split('/')
    return isIP(address) === 0 || (bits !== undefined && !/^[0-9]{1,3}$/.test(bits))
  })
  if (invalid) throw new ConfigError('TRUST_PROXY', `must be true, false or the proxies' addresses / CIDRs (got ${JSON.stringify(value)})`)
  return proxies
}

function toStorageConfig (env: Env, dataDir: string): Config['storage'] {
  const endPoint = env.S3_ENDPOINT ?? env.MINIO_ENDPOINT
  const driver = env.STORAGE_DRIVER ?? (endPoint ? 's3' : 'fs')
  if (driver === 'fs') return { driver, root: path.join(dataDir, 'blobs') }
  if (!endPoint) throw new ConfigError('S3_ENDPOINT', 'is required when STORAGE_DRIVER=s3')
  const accessKey = env.S3_ACCESS_KEY ?? env.MINIO_ACCESS_KEY ?? env.MINIO_ROOT_USER
  const secretKey = env.S3_SECRET_KEY ?? env.MINIO_SECRET_KEY ?? env.MINIO_ROOT_PASSWORD
  if (!accessKey) throw new ConfigError('S3_ACCESS_KEY', 'is required when STORAGE_DRIVER=s3')
  if (!secretKey) throw new ConfigError('S3_SECRET_KEY', 'is required when STORAGE_DRIVER=s3')
  return {
    driver,
    endPoint,
    region: env.S3_REGION ?? 'us-east-1',
    bucket: env.S3_BUCKET ?? env.MINIO_BUCKET ?? 'openhall',
    accessKey,
    secretKey,
    partSize: (env.S3_PART_SIZE_MB ?? 8) * 1024 * 1024
  }
}
