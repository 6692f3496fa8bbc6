/**
 * The server as production runs it: `npm run build` compiles it to dist/ and `npm start` runs
 * `node dist/server.js`. The compiled server must find everything the sources find beside
 * themselves (migrations, views, catalogues, client sources, vendored CSS, the docs UI), and a
 * first start (initdb included) must succeed on a machine whose every core is busy.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { TestContext } from './helper.ts'
import { freePort, startServer, waitReady } from './support/server-process.ts'

const COMPILED = ['dist/server.js']

// two first starts (initdb each) and maybe a build, on a machine this test loads on purpose
t.setTimeout(600_000)

function run (args: string[]): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })))
}

function postmasterPid (dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid')
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null
}

async function freshDataDir (t: TestContext): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openhall-build-'))
  t.teardown(async () => {
    const pid = postmasterPid(dataDir)
    if (pid) try { process.kill(pid, 'SIGINT') } catch {}
    await rm(dataDir, { recursive: true, force: true })
  })
  return dataDir
}

t.before(async () => {
  // what `npm start` runs first; builds only when a source is newer than dist/
  const build = await run(['scripts/build.js', '--if-stale'])
  if (build.code !== 0) throw new Error(`build failed:\n${build.output}`)
})

t.test('an up-to-date dist/ is not rebuilt', async (t) => {
  const manifest = 'dist/build.json'
  const before = statSync(manifest).mtimeMs
  const check = await run(['scripts/build.js', '--if-stale'])
  t.equal(check.code, 0)
  t.equal(check.output, '', 'nothing to say')
  t.equal(statSync(manifest).mtimeMs, before, 'and nothing written')
})

t.test('the compiled server finds its files, serves its pages and stops its PostgreSQL', async (t) => {
  const dataDir = await freshDataDir(t)
  const port = await freePort()
  const server = startServer({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' }, COMPILED)
  await waitReady(port, 120_000).catch((error: Error) => { throw new Error(`${error.message}\n${server.output()}`) })
  const base = `http://127.0.0.1:${port}`

  const readyLine = server.output().split('\n').find((line) => line.includes('"OpenHall is ready"'))
  const phases = JSON.parse(readyLine ?? '{}').start as Record<string, { at: number, cpu: number }> | undefined
  const order = ['configured', 'databaseRunning', 'loaded', 'built', 'ready', 'listening']
  t.same(order.filter((name) => phases?.[name]), order, 'the ready line says when each phase of the start ended')
  t.ok(order.every((name, i) => i === 0 || phases![name]!.at >= phases![order[i - 1]!]!.at), 'in the order they happen')
  t.ok(phases?.database && phases.database.at <= phases.built!.at, 'the database was ready before the app was built')

  const oneTime = /one-time password: (\S+)/.exec(server.output())?.[1]
  t.ok(oneTime, 'the first start created the administrator (the migrations ran)')
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: oneTime })
  })
  t.equal(login.status, 200, 'who can sign in')
  const admin = { authorization: `Bearer ${(await login.json() as { token: string }).token}`, 'content-type': 'application/json' }
  const changed = await fetch(`${base}/api/accounts/me/password`, { method: 'POST', headers: admin, body: JSON.stringify({ currentPassword: oneTime, newPassword: 'Built-Server-7-Check' }) })
  t.ok(changed.ok, 'the administrator sets a password')
  const verified = await fetch(`${base}/api/audit/verify`, { headers: admin })
  t.match(await verified.json(), { intact: true }, 'the audit log verifies in the built verification worker')

  const page = await fetch(`${base}/login`)
  t.equal(page.status, 200)
  t.match(await page.clone().text(), /<title>登录 · /, 'the sign-in page renders its view with the zh-CN catalogue')
  const css = await fetch(`${base}${/href="(\/assets\/v\/[0-9a-f]+\/vendor\/pico\.min\.css)"/.exec(await page.text())?.[1] ?? '/missing'}`)
  t.equal(css.status, 200, 'Pico CSS is served from node_modules under its content address')
  const bundle = await fetch(`${base}/assets/bundles/bid-sealer.js`)
  t.equal(bundle.status, 200, 'a browser bundle is built from src/web/client')
  t.match(await bundle.text(), /export|function/, 'and is JavaScript')
  const docs = await fetch(`${base}/docs/json`)
  t.equal(docs.status, 200)
  t.match(await docs.json(), { openapi: '3.1.0', info: { version: /^\d+\.\d+\.\d+/ } }, 'the OpenAPI document carries the package version')
  t.equal((await fetch(`${base}/docs/`)).status, 200, 'the docs UI is served')

  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'SIGTERM shuts down cleanly')
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'and stops its PostgreSQL')
})

t.test('a first start succeeds with every core busy', async (t) => {
  const dataDir = await freshDataDir(t)
  const port = await freePort()
  const spinners: ChildProcess[] = []
  t.teardown(() => { for (const spinner of spinners) spinner.kill('SIGKILL') })
  // one endless loop per core, for as long as the start takes
  for (let i = 0; i < os.availableParallelism(); i++) {
    spinners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  }
  const server = startServer({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }, COMPILED)
  // far longer than a first start ever needs; what matters is that it does not give up on its own
  await waitReady(port, 240_000).catch((error: Error) => { throw new Error(`${error.message}\n${server.output()}`) })
  for (const spinner of spinners) spinner.kill('SIGKILL')
  t.ok(existsSync(path.join(dataDir, 'pg', 'PG_VERSION')), 'the cluster was initialised')
  t.match(server.output(), /one-time password: \S+/, 'and the hall set up')
  t.notMatch(server.output(), /did not start in time/, 'no plugin timed out')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})
