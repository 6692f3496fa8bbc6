/**
 * `npm run audit:verify`: re-computes every audit chain and signed checkpoint straight from the
 * database (no server needed) and prints "intact" or the first broken entry. Exit code 0 when
 * intact, 1 when broken, 2 when it could not run. Uses DATABASE_URL, or the embedded database
 * under DATA_DIR; MASTER_KEY, or the key kept under DATA_DIR.
 */
import path from 'node:path'
import { loadConfig } from '../src/config.ts'
import { loadDataDirSecrets } from '../src/lib/data-dir.ts'
import { startEmbeddedPostgres } from '../src/lib/embedded-postgres.ts'
import { createMasterKey } from '../src/lib/master-key.ts'
import { createAudit, loadSigningKey } from '../src/plugins/audit.ts'
import { connect } from '../src/plugins/db.ts'

async function main (): Promise<number> {
  const config = loadConfig(process.env)
  const secrets = config.database.url && config.masterKey ? null : await loadDataDirSecrets(config.dataDir)
  const embedded = config.database.url
    ? null
    : await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'pg'), password: secrets!.embeddedPgPassword, port: 0, database: 'openhall' })
  const db = connect(config.database.url ?? embedded!.url, 2)
  try {
    const key = await loadSigningKey(db, createMasterKey(config.masterKey ?? secrets!.masterKey), { create: false })
    const report = await createAudit(db, key).verify()
    if (report.intact) {
      process.stdout.write(`intact: ${report.streams} chains, ${report.entries} entries, ${report.checkpoints} signed checkpoints ` +
        `(${report.entriesAfterLastCheckpoint} entries after the last checkpoint)\n`)
      return 0
    }
    process.stdout.write(`BROKEN: ${JSON.stringify(report.firstBreak)}\n`)
    return 1
  } finally {
    await db.$client.end()
    await embedded?.stop()
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`audit verification could not run: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(2)
})
