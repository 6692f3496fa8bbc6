import path from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('defaults run the platform embedded', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.dataDir, path.resolve('./data'))
  t.equal(config.database.url, undefined)
  t.same(config.storage, { driver: 'fs', root: path.resolve('./data/blobs') })
  t.equal(config.publicUrl, 'http://localhost:3000')
  t.equal(config.session.secureCookie, false)
})

t.test('operators\' names: S3_* and MINIO_* select the s3 store', async (t) => {
  const s3 = loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b', S3_BUCKET: 'hall-prod' })
  t.match(s3.storage, { driver: 's3', endPoint: 'http://127.0.0.1:9000', bucket: 'hall-prod', partSize: 8 * 1024 * 1024 })
  const minio = loadConfig({ MINIO_ENDPOINT: 'http://minio:9000', MINIO_ROOT_USER: 'u', MINIO_ROOT_PASSWORD: 'p' })
  t.match(minio.storage, { driver: 's3', accessKey: 'u', secretKey: 'p', bucket: 'openhall' })
  t.equal(loadConfig({ PUBLIC_URL: 'https://hall.example.gov.cn/' }).session.secureCookie, true)
})

t.test('a bad value names its variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^Invalid configuration: PORT must be integer/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT /],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL/],
    [{ MASTER_KEY: 'short' }, /^Invalid configuration: MASTER_KEY/],
    [{ STORAGE_DRIVER: 's3' }, /^Invalid configuration: S3_ENDPOINT is required/],
    [{ S3_ENDPOINT: 'http://x:9000' }, /^Invalid configuration: S3_ACCESS_KEY is required/],
    [{ ADMIN_PASSWORD: 'short' }, /^Invalid configuration: ADMIN_PASSWORD/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), message, JSON.stringify(env))
    try { loadConfig(env) } catch (error) { t.ok(error instanceof ConfigError) }
  }
})
