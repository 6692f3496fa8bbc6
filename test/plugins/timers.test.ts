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
