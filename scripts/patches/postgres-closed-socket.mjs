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
import { patchPostgresBuilds } from './postgres-builds.mjs'

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

patchPostgresBuilds('postgres-closed-socket', 'connection.js', MARKER, [[NEXT_WRITE, GUARDED_NEXT_WRITE], [CANCELLED, FORGOTTEN, 2]])
