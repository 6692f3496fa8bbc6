/**
 * postinstall: repairs a defect of the `postgres` driver (3.4.x, upstream porsager/postgres
 * #1192, #1205, #1223; open) that takes the whole process down when a connection is lost while
 * it starts. Every new connection first reads the array types (`fetch_types`); the driver starts
 * that read from a synchronous message handler and drops its promise, so when the socket is reset
 * or the backend terminated during it, the rejection reaches no caller: an unhandled rejection,
 * which ends a Node process. The chaos harness (`npm run chaos`) died once in CI the way this
 * does, with nothing but `read ECONNRESET` to show.
 *
 * The repair, in each of the package's builds (ESM, CommonJS, Cloudflare): the dropped promise
 * gets a handler. Nothing else is lost by that: the failure also rejects the query that opened
 * the connection, whose caller hears it, and the pool's next connection reads the types anew.
 * Idempotent; a driver whose code no longer matches is left alone with a warning (the upstream
 * fix may have landed: then delete this script and its postinstall entry).
 */
import { patchPostgresBuilds } from './postgres-builds.mjs'

const MARKER = '/* openhall: array types read handled */'
const DROPPED = '        return fetchArrayTypes()\n'
const HANDLED = `        ${MARKER}\n        return fetchArrayTypes().catch(() => {})\n`

patchPostgresBuilds('postgres-array-types', 'connection.js', MARKER, [[DROPPED, HANDLED]])
