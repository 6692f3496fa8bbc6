/**
 * postinstall: lets a transaction of the `postgres` driver (3.4.x) send its first statements
 * together with its BEGIN. The driver waits for BEGIN's answer before it runs the transaction's
 * work, so every transaction paid a round trip for a statement that tells it nothing; under load
 * each round trip wakes both processes (measured: the write of the BEGIN alone was a sixth of the
 * app's time in the 50-clerk acceptance benchmark).
 *
 * The work now starts as soon as a connection has taken the BEGIN: its statements follow the
 * BEGIN on that connection, and PostgreSQL runs them in the order sent, inside the transaction.
 * The connection stays reserved to the transaction, as before: no other query is pipelined onto
 * it (test/plugins/db-pipelining.test.ts).
 * The BEGIN's answer is awaited before the COMMIT, so a failed BEGIN still fails the transaction
 * (the work's statements fail with it: a BEGIN only fails when the connection does).
 *
 * In each of the package's builds (ESM, CommonJS, Cloudflare). Idempotent; a driver whose code no
 * longer matches is left alone with a warning (transactions then keep the extra round trip).
 */
import { patchPostgresBuilds } from './postgres-builds.mjs'

const MARKER = '/* openhall: pipelined begin */'
const REPLACEMENTS = [
  [
    `      await sql.unsafe('begin ' + options.replace(/[^a-z ]/ig, ''), [], { onexecute }).execute()
      return await Promise.race([
        scope(connection, fn),`,
    `      ${MARKER}
      let began
      await new Promise((resolve, reject) => {
        began = sql.unsafe('begin ' + options.replace(/[^a-z ]/ig, ''), [], { onexecute: (c) => { onexecute(c); resolve() } }).execute()
        began.catch(reject)
      })
      // the pool parks a connection behind a BEGIN as full, where nothing may follow the BEGIN; the
      // transaction's own statements may (the connection stays out of the pool's busy queue, which
      // other queries would share)
      move(connection, reserved)
      return await Promise.race([
        scope(connection, fn, undefined, began),`
  ],
  ['    async function scope(c, fn, name) {', '    async function scope(c, fn, name, began) {'],
  [
    `      if (!name) {
        prepare`,
    `      if (!name) {
        await began
        prepare`
  ]
]

patchPostgresBuilds('postgres-pipelined-begin', 'index.js', MARKER, REPLACEMENTS)
