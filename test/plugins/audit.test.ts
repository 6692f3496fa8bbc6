import { spawnSync } from 'node:child_process'
import { sql } from 'drizzle-orm'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { TEST_MASTER_KEY, buildTestApp, countRows } from '../helper.ts'
import { hallAdmin, supervisor } from '../factories/accounts.ts'

/** Raw SQL as a database owner would run it, with the append-only triggers switched off. */
async function tamper (app: FastifyInstance, statement: string) {
  await app.db.$client.begin(async (sql) => {
    await sql`set local session_replication_role = replica`
    await sql.unsafe(statement)
  })
}

async function writeSomeHistory (app: FastifyInstance, subjects = 3, perSubject = 4) {
  await app.db.transaction(async (tx) => {
    for (let s = 0; s < subjects; s++) {
      for (let i = 0; i < perSubject; i++) {
        await app.audit.append(tx, { actorId: null, action: 'thing.changed', subjectType: 'thing', subjectId: `t${s}`, payload: { step: i, note: `第${i}步` } })
      }
    }
  })
}

t.test('an untouched log verifies, over the API and with npm run audit:verify', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  await writeSomeHistory(app)
  await app.audit.checkpoint()
  await writeSomeHistory(app, 1, 2)

  const response = await app.inject({ method: 'GET', url: '/api/audit/verify', headers: admin.headers })
  t.equal(response.statusCode, 200)
  const report = response.json()
  t.equal(report.intact, true)
  t.equal(report.firstBreak, null)
  t.equal(report.checkpoints, 1)
  t.equal(report.entriesAfterLastCheckpoint, 2)
  t.ok(report.entries >= 14)

  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'silent' },
    encoding: 'utf8'
  })
  t.equal(cli.status, 0, cli.stderr)
  t.match(cli.stdout, /intact/)
})

t.test('edits, deletions and reordering with raw SQL are each caught', async (t) => {
  const cases: Array<{ name: string, statement: string, reason: string }> = [
    { name: 'payload edited', statement: 'update audit_entries set payload = \'{"step": 99}\' where stream = \'thing:t1\' and seq = 2', reason: 'payload_altered' },
    { name: 'payload edited with its digest recomputed', statement: 'update audit_entries set payload = \'{"step": 99}\', payload_digest = encode(sha256(\'{"step":99}\'::bytea), \'hex\') where stream = \'thing:t1\' and seq = 2', reason: 'entry_altered' },
    { name: 'action edited', statement: 'update audit_entries set action = \'thing.approved\' where stream = \'thing:t0\' and seq = 3', reason: 'entry_altered' },
    { name: 'actor edited', statement: 'update audit_entries set actor_id = gen_random_uuid() where stream = \'thing:t2\' and seq = 1', reason: 'entry_altered' },
    { name: 'time edited', statement: 'update audit_entries set occurred_at = occurred_at - interval \'1 day\' where stream = \'thing:t2\' and seq = 4', reason: 'entry_altered' },
    { name: 'middle entry deleted', statement: 'delete from audit_entries where stream = \'thing:t1\' and seq = 2', reason: 'entry_missing' },
    { name: 'newest entry deleted', statement: 'delete from audit_entries where stream = \'thing:t1\' and seq = 4', reason: 'entry_missing' },
    { name: 'newest entry deleted and the head rolled back', statement: 'delete from audit_entries where stream = \'thing:t1\' and seq = 4; update audit_streams s set head_seq = 3, head_hash = (select hash from audit_entries e where e.stream = s.stream and e.seq = 3) where stream = \'thing:t1\'', reason: 'checkpoint_mismatch' },
    { name: 'two entries reordered', statement: 'update audit_entries set seq = -1 where stream = \'thing:t0\' and seq = 2; update audit_entries set seq = 2 where stream = \'thing:t0\' and seq = 3; update audit_entries set seq = 3 where stream = \'thing:t0\' and seq = -1', reason: 'entry_altered' },
    { name: 'a whole stream deleted', statement: 'delete from audit_entries where stream = \'thing:t2\'; delete from audit_streams where stream = \'thing:t2\'', reason: 'checkpoint_mismatch' },
    { name: 'checkpoint heads edited', statement: 'update audit_checkpoint_heads set seq = 3 where stream = \'thing:t0\'', reason: 'checkpoint_altered' },
    { name: 'checkpoint deleted', statement: 'delete from audit_checkpoint_heads; delete from audit_checkpoints', reason: 'none' }
  ]
  for (const { name, statement, reason } of cases) {
    await t.test(name, async (t) => {
      const { app } = await buildTestApp(t)
      await writeSomeHistory(app)
      await app.audit.checkpoint()
      t.equal((await app.audit.verify()).intact, true)
      await tamper(app, statement)
      const report = await app.audit.verify()
      if (reason === 'none') {
        // without a checkpoint the chains still verify; what it protected is now protected by the chains only
        t.equal(report.checkpoints, 0)
        t.equal(report.entriesAfterLastCheckpoint, report.entries)
        return
      }
      t.equal(report.intact, false)
      t.equal(report.firstBreak?.reason, reason)
    })
  }
})

t.test('a forged checkpoint signature is caught', async (t) => {
  const { app } = await buildTestApp(t)
  await writeSomeHistory(app)
  await app.audit.checkpoint()
  await tamper(app, 'update audit_checkpoints set signature = translate(signature, \'ABCabc\', \'CBAcba\')')
  const report = await app.audit.verify()
  t.equal(report.firstBreak?.reason, 'checkpoint_signature_invalid')
})

t.test('append-only: ordinary updates and deletes are refused by the database', async (t) => {
  const { app } = await buildTestApp(t)
  await writeSomeHistory(app, 1, 1)
  await t.rejects(app.db.$client`update audit_entries set action = 'x'`, /append-only/)
  await t.rejects(app.db.$client`delete from audit_entries`, /append-only/)
  await t.rejects(app.db.$client`delete from room_events`.then(() => { throw new Error('append-only room_events') }), /append-only/)
})

t.test('an entry commits with its state change or not at all', async (t) => {
  const { app } = await buildTestApp(t)
  const before = await countRows(app, 'audit_entries')
  await t.rejects(app.db.transaction(async (tx) => {
    await app.audit.append(tx, { actorId: null, action: 'thing.changed', subjectType: 'thing', subjectId: 'x' })
    throw new Error('the state change failed')
  }))
  t.equal(await countRows(app, 'audit_entries'), before)
})

t.test('an entry that fails fails its transaction, though it is sent without waiting for its answer', async (t) => {
  const { app } = await buildTestApp(t)
  const before = await countRows(app, 'audit_entries')
  const broken = { actorId: 'not-a-uuid', action: 'thing.changed', subjectType: 'thing', subjectId: 'broken' }
  const good = { actorId: null, action: 'thing.changed', subjectType: 'thing', subjectId: 'good' }

  // the append returns before PostgreSQL has refused the entry; the COMMIT behind it is a rollback
  await t.rejects(app.db.transaction(async (tx) => {
    await app.audit.append(tx, good)
    await app.audit.append(tx, broken)
    return 'the caller thinks all went well'
  }), { code: '22P02' })
  // a caller that swallows what failed after the entry does not commit either
  await t.rejects(app.db.transaction(async (tx) => {
    await app.audit.append(tx, good)
    await app.audit.append(tx, broken)
    await tx.execute(sql`select 1`).catch(() => {})
  }), { code: '22P02' })
  t.equal(await countRows(app, 'audit_entries'), before, 'nothing of either transaction was written')

  // in a savepoint and outside a transaction the entry is awaited where it is appended
  await t.rejects(app.db.transaction((tx) => tx.transaction((savepoint) => app.audit.append(savepoint, broken))), { code: '22P02' })
  await t.rejects(app.audit.append(app.db, broken), { code: '22P02' })
  t.equal(await countRows(app, 'audit_entries'), before)

  await app.db.transaction((tx) => app.audit.append(tx, good))
  t.equal(await countRows(app, 'audit_entries'), before + 1)
  t.equal((await app.audit.verify()).intact, true)
})

t.test('concurrent writers on many streams and on one stream keep every chain intact', async (t) => {
  const { app } = await buildTestApp(t)
  await Promise.all(Array.from({ length: 40 }, (_, i) => app.db.transaction(async (tx) => {
    await app.audit.append(tx, { actorId: null, action: 'thing.changed', subjectType: 'thing', subjectId: i % 2 === 0 ? 'shared' : `own${i}`, payload: { i } })
  })))
  const report = await app.audit.verify()
  t.equal(report.intact, true)
  const [shared] = await app.db.$client`select head_seq from audit_streams where stream = 'thing:shared'`
  t.equal(shared!.head_seq, 20, 'twenty appends to one stream got twenty consecutive sequence numbers')
})

t.test('checkpoints are periodic, signed, and only one instance takes each', async (t) => {
  const first = await buildTestApp(t)
  const second = await buildTestApp(t, { databaseUrl: first.databaseUrl })
  await writeSomeHistory(first.app)
  const results = await Promise.all([first.app.audit.checkpoint(), second.app.audit.checkpoint()])
  t.equal(results.filter(Boolean).length, 1, 'the advisory lock lets one instance sign')
  t.equal(await second.app.audit.checkpoint(), null, 'nothing moved since')
  const [timer] = await first.app.db.$client`select interval_seconds from timers where key = 'audit.checkpoint'`
  t.equal(timer!.interval_seconds, 300, 'a recurring checkpoint timer exists')
  const key = await first.app.inject({ method: 'GET', url: '/api/audit/key' })
  t.match(key.json().publicKeyPem, /BEGIN PUBLIC KEY/)
  t.equal(key.json().keyId, second.app.audit.keyId, 'both instances sign with the same platform key')
})

t.test('only supervisors and administrators read the log', async (t) => {
  const { app } = await buildTestApp(t)
  const watcher = await supervisor(app)
  await writeSomeHistory(app, 1, 3)
  const entries = await app.inject({ method: 'GET', url: '/api/audit/entries?subjectType=thing&limit=2', headers: watcher.headers })
  t.equal(entries.statusCode, 200)
  t.equal(entries.json().items.length, 2)
  t.ok(entries.json().nextBefore)
  const anonymous = await app.inject({ method: 'GET', url: '/api/audit/entries' })
  t.equal(anonymous.statusCode, 401)
})
