/**
 * postinstall: repairs a defect of the `postgres` driver (3.4.x, upstream porsager/postgres
 * #1154, #1208; fix proposed in PR #1209, not released) that takes the whole process down when
 * PostgreSQL restarts under load. A transaction whose connection dies issues its own ROLLBACK;
 * the write is deferred with setImmediate and runs after the connection has dropped its socket,
 * throwing a TypeError no caller can catch. The chaos harness (`npm run chaos`, postgres-restart)
 * found every instance dead after an immediate restart of PostgreSQL.
 *
 * The repair, in each of the package's builds (ESM, CommonJS, Cloudflare):
 * - a write with no socket settles the pending queries with CONNECTION_CLOSED (they reject, the
 *   request answers 503 DATABASE_UNAVAILABLE) instead of throwing from a timer;
 * - teardown forgets the cancelled deferred write, so a reconnected connection flushes again.
 * Idempotent; a driver whose code no longer matches is left alone with a warning (the upstream fix
 * may have landed: then delete this script and its postinstall entry).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { packageRoot } from './package-root.mjs'

const MARKER = '/* openhall: closed-socket write guard */'
const NEXT_WRITE = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`
const GUARDED_NEXT_WRITE = `  function nextWrite(fn) {
    ${MARKER}
    if (socket === null) {
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`
const CANCELLED = '    clearImmediate(nextWriteTimer)\n'
const FORGOTTEN = '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n'

const root = packageRoot('postgres')
if (root === null) process.exit(0) // not installed: nothing to repair

for (const build of ['src', 'cjs/src', 'cf/src']) {
  const file = path.join(root, build, 'connection.js')
  if (!existsSync(file)) continue
  const source = readFileSync(file, 'utf8')
  if (source.includes(MARKER)) continue
  const cancels = source.split(CANCELLED).length - 1
  if (!source.includes(NEXT_WRITE) || cancels !== 2) {
    process.stderr.write(`postgres-closed-socket: ${file} does not look like postgres 3.4.x; not patched\n`)
    continue
  }
  writeFileSync(file, source.replace(NEXT_WRITE, GUARDED_NEXT_WRITE).replaceAll(CANCELLED, FORGOTTEN))
}
