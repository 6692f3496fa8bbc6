/**
 * The audit verifier under ordinary load: clients keep writing audited changes (new streams and
 * existing ones, several streams in one transaction) and checkpoints are taken meanwhile, while
 * the log is verified over and over. A verifier that compared a stream head from one moment
 * with entries from another raised false alarms here (issue 19); every report must be intact.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { TEST_MASTER_KEY, buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'
import { whileWriting } from '../support/under-load.ts'

const run = promisify(execFile)
const SHARED_STREAMS = 4
const WRITERS = 4

/**
 * Audited writers (lanes 0 to WRITERS - 1) and a checkpointer (the last lane) running until
 * `verifyWhile` is done; answers what it returned, how many transactions the writers committed
 * and how many checkpoints were taken meanwhile.
 */
async function underLoad<T> (app: FastifyInstance, verifyWhile: () => Promise<T>): Promise<{ results: T, writes: number, checkpoints: number }> {
  let writes = 0
  let checkpoints = 0
  const results = await whileWriting(WRITERS + 1, async (lane, i) => {
    if (lane === WRITERS) {
      if (await app.audit.checkpoint()) checkpoints++
      return new Promise((resolve) => setTimeout(resolve, 15))
    }
    await app.db.transaction(async (tx) => {
      // a new subject (a fresh stream), an existing one, and now and then both in one transaction
      if (i % 3 !== 1) await app.audit.append(tx, { actorId: null, action: 'thing.created', subjectType: 'thing', subjectId: randomUUID(), payload: { lane, i } })
      if (i % 3 !== 0) await app.audit.append(tx, { actorId: null, action: 'thing.changed', subjectType: 'thing', subjectId: `shared${(lane + i) % SHARED_STREAMS}`, payload: { lane, i, note: '第二步' } })
    })
    writes++
  }, verifyWhile)
  return { results, writes, checkpoints }
}

t.test('verifying while clients write and checkpoints are taken never reports a false break', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  // history to start from: the shared streams exist and a checkpoint covers them
  await app.db.transaction(async (tx) => {
    for (let s = 0; s < SHARED_STREAMS; s++) await app.audit.append(tx, { actorId: null, action: 'thing.created', subjectType: 'thing', subjectId: `shared${s}` })
  })
  await app.audit.checkpoint()

  const { results: reports, writes, checkpoints } = await underLoad(app, async () => {
    const reports = []
    for (let i = 0; i < 40; i++) {
      const response = await app.inject({ method: 'GET', url: '/api/audit/verify', headers: admin.headers })
      t.equal(response.statusCode, 200)
      reports.push(response.json())
    }
    return reports
  })
  t.ok(writes >= 40, `the writers kept writing (${writes} transactions)`)
  t.ok(checkpoints >= 2, `checkpoints were taken meanwhile (${checkpoints})`)
  const alarms = reports.filter((report) => !report.intact)
  t.same(alarms.map((report) => report.firstBreak), [], 'no verification reported a break')
  t.ok(reports.at(-1).entries > reports[0].entries, 'later verifications saw more entries')
  t.ok(reports.some((report) => report.checkpoints > 1), 'verifications covered checkpoints taken under load')
  for (const report of reports) t.ok(report.entriesAfterLastCheckpoint >= 0 && report.entriesAfterLastCheckpoint <= report.entries)

  const final = await app.audit.verify()
  t.equal(final.intact, true, 'quiet again, the whole log verifies')
  t.ok(final.entries >= reports.at(-1).entries)
})

t.test('npm run audit:verify during the same load finds the log intact every time', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t)
  const env = { ...process.env, DATABASE_URL: databaseUrl, MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'silent' }
  const { results } = await underLoad(app, async () => {
    const outputs = []
    for (let i = 0; i < 2; i++) {
      const cli = await run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts'], { env }).catch((error: { code: number, stdout: string }) => error)
      outputs.push({ code: 'code' in cli ? cli.code : 0, stdout: cli.stdout })
    }
    return outputs
  })
  for (const output of results) {
    t.equal(output.code, 0, output.stdout)
    t.match(output.stdout, /^intact: /)
  }
})

t.test('an entry edited while clients write is caught by every verification after it', async (t) => {
  const { app } = await buildTestApp(t)
  await app.db.transaction(async (tx) => {
    for (let s = 0; s < SHARED_STREAMS; s++) await app.audit.append(tx, { actorId: null, action: 'thing.created', subjectType: 'thing', subjectId: `shared${s}` })
  })
  await app.audit.checkpoint()
  const { results } = await underLoad(app, async () => {
    const before = await app.audit.verify()
    await app.db.$client.begin(async (sql) => {
      await sql`set local session_replication_role = replica`
      await sql`update audit_entries set action = 'thing.approved' where stream = 'thing:shared2' and seq = 1`
    })
    const after = []
    for (let i = 0; i < 10; i++) after.push(await app.audit.verify())
    return { before, after }
  })
  t.equal(results.before.intact, true)
  for (const report of results.after) t.match(report.firstBreak, { reason: 'entry_altered', stream: 'thing:shared2', seq: 1 })
})

t.test('the heads of many checkpoints, read in one pass, are each still bound to their checkpoint', async (t) => {
  const cases = [
    { name: 'a head removed from the first checkpoint', statement: 'delete from audit_checkpoint_heads where checkpoint = 1 and stream = \'thing:shared1\'', checkpoint: 1 },
    { name: 'a head moved from the third checkpoint to the second', statement: 'update audit_checkpoint_heads set checkpoint = 2 where checkpoint = 3 and stream = \'thing:late\'', checkpoint: 2 },
    { name: 'the last checkpoint\'s heads removed', statement: 'delete from audit_checkpoint_heads where checkpoint = 3', checkpoint: 3 }
  ]
  for (const { name, statement, checkpoint } of cases) {
    await t.test(name, async (t) => {
      const { app } = await buildTestApp(t)
      for (let round = 0; round < 3; round++) {
        await app.db.transaction(async (tx) => {
          for (let s = 0; s < SHARED_STREAMS; s++) await app.audit.append(tx, { actorId: null, action: 'thing.changed', subjectType: 'thing', subjectId: `shared${s}`, payload: { round } })
          if (round === 2) await app.audit.append(tx, { actorId: null, action: 'thing.created', subjectType: 'thing', subjectId: 'late' })
        })
        await app.audit.checkpoint()
      }
      t.match(await app.audit.verify(), { intact: true, checkpoints: 3, entriesAfterLastCheckpoint: 0 })
      await app.db.$client.begin(async (sql) => {
        await sql`set local session_replication_role = replica`
        await sql.unsafe(statement)
      })
      t.match((await app.audit.verify()).firstBreak, { reason: 'checkpoint_altered', checkpoint })
    })
  }
})
