import { sql } from 'drizzle-orm'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.ts'

/** A handler that records each firing in a table, inside the firing transaction. */
async function defineRecorder (app: FastifyInstance, kind = 'drill.fire') {
  await app.db.$client`create table if not exists drill_firings (key text, instance text, fired_at timestamptz default now())`
  const instance = Math.random().toString(36).slice(2)
  app.timers.define(kind, async (tx, timer) => {
    await tx.execute(sql`insert into drill_firings (key, instance) values (${timer.key}, ${instance})`)
  })
  return instance
}

async function firings (app: FastifyInstance, key: string) {
  return app.db.$client<Array<{ instance: string }>>`select instance from drill_firings where key = ${key}`
}

async function waitFor (check: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

t.test('a due timer fires exactly once across two instances', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl })
  await defineRecorder(a.app)
  await defineRecorder(b.app)
  for (let i = 0; i < 10; i++) {
    await a.app.timers.schedule(a.app.db, { kind: 'drill.fire', key: `due-${i}`, fireAt: new Date(Date.now() + 200) })
  }
  t.ok(await waitFor(async () => (await a.app.db.$client`select count(*)::int as n from timers where key like 'due-%' and fired_at is not null`)[0]!.n === 10))
  await Promise.all([a.app.timers.fireDue(), b.app.timers.fireDue()])
  for (let i = 0; i < 10; i++) t.equal((await firings(a.app, `due-${i}`)).length, 1, `due-${i} fired once`)
})

t.test('timers survive a restart: the next instance re-arms them from the database', async (t) => {
  const first = await buildTestApp(t)
  await first.app.timers.schedule(first.app.db, { kind: 'drill.fire', key: 'after-restart', fireAt: new Date(Date.now() + 300) })
  await first.app.close()
  await new Promise((resolve) => setTimeout(resolve, 400))
  const second = await buildTestApp(t, { databaseUrl: first.databaseUrl, setup: (app) => defineRecorder(app).then(() => {}) })
  t.ok(await waitFor(async () => (await firings(second.app, 'after-restart')).length === 1), 'the overdue timer fired when the new instance started')
})

t.test('a failing handler is retried later and the error is kept', async (t) => {
  const { app } = await buildTestApp(t)
  let calls = 0
  app.timers.define('drill.flaky', async () => {
    calls++
    throw new Error('the bank did not answer')
  })
  await app.timers.schedule(app.db, { kind: 'drill.flaky', key: 'flaky', fireAt: new Date(Date.now() - 1000) })
  await app.timers.fireDue()
  const [row] = await app.db.$client`select attempts, last_error, fired_at, fire_at from timers where key = 'flaky'`
  t.ok(calls >= 1)
  t.equal(row!.attempts, 1)
  t.equal(row!.last_error, 'the bank did not answer')
  t.equal(row!.fired_at, null, 'still pending')
  t.ok(new Date(row!.fire_at).getTime() > Date.now(), 'pushed into the future')
})

t.test('recurring timers move forward instead of finishing; cancel removes a pending one', async (t) => {
  const { app } = await buildTestApp(t)
  await defineRecorder(app, 'drill.tick')
  await app.timers.schedule(app.db, { kind: 'drill.tick', key: 'tick', fireAt: new Date(Date.now() - 10), intervalSeconds: 3600 })
  await app.timers.fireDue()
  const [row] = await app.db.$client`select fired_at, fire_at from timers where key = 'tick'`
  t.equal(row!.fired_at, null)
  t.ok(new Date(row!.fire_at).getTime() > Date.now() + 3500 * 1000)
  t.equal((await firings(app, 'tick')).length, 1)
  t.equal(await app.timers.cancel(app.db, 'tick'), true)
  t.equal(await app.timers.cancel(app.db, 'tick'), false)
})

t.test('a handler that schedules its own key for later keeps the timer armed', async (t) => {
  const { app } = await buildTestApp(t)
  let calls = 0
  app.timers.define('drill.again', async (tx, timer) => {
    if (++calls === 1) await app.timers.schedule(tx, { kind: 'drill.again', key: timer.key, fireAt: new Date(Date.now() + 60_000) })
  })
  await app.timers.schedule(app.db, { kind: 'drill.again', key: 'again', fireAt: new Date(Date.now() - 1000) })
  await app.timers.fireDue()
  const [row] = await app.db.$client<Array<{ fired: boolean, later: boolean }>>`select fired_at is not null as fired, fire_at > now() as later from timers where key = 'again'`
  t.same(row, { fired: false, later: true }, 'armed for the later check')
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key = 'again'`
  await app.timers.fireDue()
  t.equal(calls, 2)
  t.equal((await app.db.$client`select 1 from timers where key = 'again' and fired_at is not null`).length, 1, 'fired for good the second time')
})

t.test('a firing gives way to a request that holds its rows and moves its timer (no deadlock, no 500)', async (t) => {
  const { app, logs } = await buildTestApp(t)
  await app.db.$client`create table if not exists drill_rows (id int primary key, note text)`
  await app.db.$client`insert into drill_rows values (1, 'free') on conflict do nothing`
  let claimed = () => {}
  const claimedNow = new Promise<void>((resolve) => { claimed = resolve })
  let release = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let runs = 0
  app.timers.define('drill.lock', async (tx) => {
    runs++
    if (runs === 1) {
      claimed()
      await gate
    }
    // the handler locks the domain row a request may be holding (a case, a tender)
    await tx.execute(sql`select id from drill_rows where id = 1 for update`)
    await tx.execute(sql`update drill_rows set note = 'by the timer' where id = 1`)
  })
  await app.timers.schedule(app.db, { kind: 'drill.lock', key: 'drill-lock', fireAt: app.clock.now() })
  const firing = app.timers.fireDue()
  await claimedNow // the firing holds the timer row

  // a request: lock the row, then move the same timer (it waits for the firing's timer row) …
  const request = app.db.transaction(async (tx) => {
    await tx.execute(sql`select id from drill_rows where id = 1 for update`)
    await app.timers.schedule(tx, { kind: 'drill.lock', key: 'drill-lock', fireAt: app.clock.now() })
    await tx.execute(sql`update drill_rows set note = 'by the request' where id = 1`)
  })
  const waiting = async () => (await app.db.$client`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n >= 1
  t.ok(await waitFor(waiting), 'the request waits for the timer row')
  release() // … while the handler now waits for the request's row: each waits for the other

  await t.resolves(request, 'the request commits: the firing gave way')
  await firing
  // the request moved the timer to now, so the same pass found it due again once it had given way
  const [row] = await app.db.$client<Array<{ fired_at: Date | null, last_error: string | null }>>`select fired_at, last_error from timers where key = 'drill-lock'`
  t.equal(runs, 2, 'the firing ran again after the request')
  t.not(row!.fired_at, null, 'and the timer fired')
  t.equal(row!.last_error, null, 'giving way is not a failure')
  t.equal((await app.db.$client`select note from drill_rows where id = 1`)[0]!.note, 'by the timer', 'after the request, in order')
  t.same(logs.filter((line) => (line.level as number) >= 50).map((line) => line.msg), [], 'nothing logged as an error')
})
