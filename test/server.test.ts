/**
 * The server as a newcomer runs it: `npm start` on a bare machine (embedded PostgreSQL, files
 * under DATA_DIR), graceful shutdown, a hard kill and a restart, and a bad setting.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { freePort, startServer as start, waitReady } from './support/server-process.ts'

// how long a start may take on a shared, loaded machine; the test is about what a start does, not its speed (npm run bench)
const STARTS_WITHIN_MS = 120_000

function postmasterPid (dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid')
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

t.test('embedded start, graceful stop, hard kill and restart', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-server-'))
  const port = await freePort()
  const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }
  t.teardown(async () => {
    const pid = postmasterPid(dataDir)
    if (pid && alive(pid)) process.kill(pid, 'SIGINT')
    await rm(dataDir, { recursive: true, force: true })
  })

  const first = start(env)
  await waitReady(port, STARTS_WITHIN_MS).catch((error: Error) => { throw new Error(`${error.message}\n${first.output()}`) })
  t.match(first.output(), /one-time password: \S+/, 'the first start prints the administrator\'s one-time password')
  const oneTime = /one-time password: (\S+)/.exec(first.output())![1]!
  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: oneTime })
  })
  t.equal(login.status, 200, 'and it works')
  t.ok(existsSync(path.join(dataDir, 'pg', 'PG_VERSION')), 'PostgreSQL lives in DATA_DIR/pg')
  t.ok(existsSync(path.join(dataDir, 'blobs')), 'objects live in DATA_DIR/blobs')

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM shuts down cleanly')
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'and stops its PostgreSQL')

  const second = start(env)
  await waitReady(port, STARTS_WITHIN_MS)
  t.notMatch(second.output(), /one-time password/, 'the administrator is created only once')
  const orphan = postmasterPid(dataDir)!
  second.child.kill('SIGKILL')
  await second.exited
  t.ok(alive(orphan), 'a SIGKILLed app leaves its PostgreSQL running')

  const third = start(env)
  await waitReady(port, STARTS_WITHIN_MS)
  t.notOk(alive(orphan), 'the next start stopped the orphan')
  t.not(postmasterPid(dataDir), orphan, 'and runs its own PostgreSQL')
  const relogin = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: oneTime })
  })
  t.equal(relogin.status, 200, 'nothing acknowledged was lost')
  third.child.kill('SIGTERM')
  t.equal(await third.exited, 0)
})

t.test('a bad setting stops the start with one line naming the variable', async (t) => {
  const run = start({ PORT: 'eighty', DATA_DIR: '/tmp/unused' })
  t.equal(await run.exited, 1)
  t.equal(run.output().trim(), 'Invalid configuration: PORT must be integer (got "eighty")')
})
