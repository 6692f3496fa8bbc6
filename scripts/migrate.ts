/**
 * `npm run db:migrate`: applies schema/migrations to DATABASE_URL (or the embedded database under
 * DATA_DIR) without starting the server. The server also migrates at start; this is for
 * deployments that migrate as a separate step.
 */
import path from 'node:path'
import { loadConfig } from '../src/config.ts'
import { loadDataDirSecrets } from '../src/lib/data-dir.ts'
import { startEmbeddedPostgres } from '../src/lib/embedded-postgres.ts'
import { connect, runMigrations } from '../src/plugins/db.ts'

const config = loadConfig(process.env)
const embedded = config.database.url
  ? null
  : await startEmbeddedPostgres({
    dir: path.join(config.dataDir, 'pg'),
    password: (await loadDataDirSecrets(config.dataDir)).embeddedPgPassword,
    port: config.database.embeddedPort,
    database: 'openhall'
  })
const db = connect(config.database.url ?? embedded!.url, 2)
try {
  await runMigrations(db)
  process.stdout.write('migrations applied\n')
} finally {
  await db.$client.end()
  await embedded?.stop()
}
