/**
 * Secrets the embedded mode keeps under DATA_DIR/secrets.json (mode 0600): a generated master
 * key when MASTER_KEY is not configured, and the password of the private PostgreSQL cluster.
 * Production deployments set MASTER_KEY (shared by every instance) and DATABASE_URL.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

export interface DataDirSecrets {
  masterKey: string
  embeddedPgPassword: string
}

export async function loadDataDirSecrets (dataDir: string): Promise<DataDirSecrets> {
  const file = path.join(dataDir, 'secrets.json')
  await mkdir(dataDir, { recursive: true })
  if (existsSync(file)) {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<DataDirSecrets>
    if (stored.masterKey && stored.embeddedPgPassword) return stored as DataDirSecrets
  }
  const secrets: DataDirSecrets = {
    masterKey: randomBytes(32).toString('base64'),
    embeddedPgPassword: randomBytes(24).toString('base64url')
  }
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  await chmod(temporary, 0o600)
  await rename(temporary, file)
  return secrets
}
