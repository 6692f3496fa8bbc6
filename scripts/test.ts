/**
 * `npm test`: runs tap against real PostgreSQL. With TEST_DATABASE_URL or DATABASE_URL the tests
 * use that server (each test file clones its own database from a migrated template); without
 * either, this starts a private embedded PostgreSQL for the run, exactly as the app does.
 * Extra arguments go to tap (e.g. `npm test -- test/lib`).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres } from '../src/lib/embedded-postgres.ts'

const env = { ...process.env }
let stop = async () => {}
if (!env.TEST_DATABASE_URL && !env.DATABASE_URL) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-test-pg-'))
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), password: 'openhall-test', port: 0, database: 'postgres' })
  process.stdout.write(`# embedded PostgreSQL for this test run on port ${server.port}\n`)
  env.TEST_DATABASE_URL = server.url
  stop = async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

const tap = spawn(process.execPath, [path.resolve('node_modules/tap/dist/esm/run.mjs'), ...process.argv.slice(2)], { stdio: 'inherit', env })
const code = await new Promise<number>((resolve) => tap.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))))
await stop()
process.exit(code)
