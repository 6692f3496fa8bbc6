/**
 * The backup and restore drill, as the deployment guide prescribes it, taken online while banks
 * announce payments:
 *
 *   1. pg_dump (custom format): one consistent snapshot of the database
 *   2. then a copy of every object of the bucket (the packages and their .meta/ sidecars) to a
 *      directory: objects are written before the rows that name them commit, so a copy taken
 *      after the dump holds every object the dump refers to
 *   3. restore: pg_restore into a fresh database, the objects into a fresh bucket
 *   4. `npm run audit:verify` against the restored database must print "intact"; every bid row
 *      restored must find its package with its SHA-256; every payment restored has its receipt
 *      and the restored books balance; an instance started on the restored pair is ready
 */
import { spawn } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Client } from 'minio'
import postgres from 'postgres'
import { createBlobStore } from '../../src/lib/blob-store/index.ts'
import { ackCounter, commonChecks, maxWait, mergeDegraded, openStage, runClient, type Scenario } from './harness.ts'
import { checkRush, prepareRush } from './bids.ts'
import { prepareCallbacks } from './payments.ts'

function s3Client (endPoint: string, accessKey: string, secretKey: string): Client {
  const url = new URL(endPoint)
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, pathStyle: true, region: 'us-east-1' })
}

async function listKeys (client: Client, bucket: string): Promise<string[]> {
  const keys: string[] = []
  for await (const item of client.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (item.name) keys.push(item.name)
  return keys
}

async function readAll (stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** `npm run audit:verify` as an operator runs it, against the restored database. */
function auditVerify (databaseUrl: string, masterKey: string): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATABASE_URL: databaseUrl, MASTER_KEY: masterKey }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.on('exit', (code) => resolve({ code, output: output.trim() }))
  })
}

export const backupRestoreDrill: Scenario = {
  name: 'backup-restore',
  fault: 'backup under load, restore into a fresh database and bucket, verify',
  async run (context) {
    const count = context.short ? 20 : 100
    const stage = await openStage(context, 'backup-restore')
    const backupDir = path.join(stage.dir, 'backup')
    await mkdir(path.join(backupDir, 'objects'), { recursive: true })
    try {
      const rush = await prepareRush(stage.app, stage.dir, 'drill', count, 128)
      const callbacks = await prepareCallbacks(stage.app, 'drillbank', context.short ? 300 : 1500)
      context.progress('bidders, packages and payment notices ready')
      const instance = await stage.start('a')
      const bids = await runClient({ baseUrls: [instance.url], inFlight: 8, giveUpMs: 60_000, maxBackoffMs: 1000, requests: rush.requests })

      // the backup is taken while payments keep arriving
      const acks = ackCounter()
      const load = runClient({ baseUrls: [instance.url], inFlight: 8, giveUpMs: 60_000, maxBackoffMs: 1000, requests: callbacks.requests }, acks.onAcked)
      await acks.reached(50)
      const dumpFile = path.join(backupDir, 'openhall.dump')
      const dumpStarted = performance.now()
      await context.pg.dump(new URL(stage.databaseUrl).pathname.slice(1), dumpFile)
      const bucket = stage.env.S3_BUCKET!
      const source = s3Client(context.s3.endPoint, context.s3.accessKey, context.s3.secretKey)
      const keys = await listKeys(source, bucket)
      for (const [i, key] of keys.entries()) {
        await writeFile(path.join(backupDir, 'objects', String(i)), await readAll(await source.getObject(bucket, key)))
      }
      await writeFile(path.join(backupDir, 'objects.json'), JSON.stringify(keys))
      const backupMs = performance.now() - dumpStarted
      const payments = await load

      // restore into a fresh database and bucket
      const restoredUrl = await context.pg.createDatabase('chaos_restored')
      await context.pg.restore(dumpFile, 'chaos_restored')
      const restoredBucket = `${bucket}-restored`
      await source.makeBucket(restoredBucket, 'us-east-1')
      const saved = JSON.parse(await readFile(path.join(backupDir, 'objects.json'), 'utf8')) as string[]
      const files = await readdir(path.join(backupDir, 'objects'))
      for (const [i, key] of saved.entries()) {
        const body = await readFile(path.join(backupDir, 'objects', String(i)))
        await source.putObject(restoredBucket, key, body, body.length)
      }

      const audit = await auditVerify(restoredUrl, context.masterKey)
      const restoredStore = createBlobStore({ driver: 's3', endPoint: context.s3.endPoint, region: 'us-east-1', bucket: restoredBucket, accessKey: context.s3.accessKey, secretKey: context.s3.secretKey, partSize: 8 * 1024 * 1024 })
      const sql = postgres(restoredUrl, { max: 2, onnotice: () => {} })
      try {
        const rows = await sql<Array<{ blobKey: string, sha256: string }>>`select blob_key as "blobKey", sha256 from bid_submissions where blob_key is not null`
        let packagesMissing = 0
        for (const row of rows) if ((await restoredStore.stat(row.blobKey))?.sha256 !== row.sha256) packagesMissing++
        const [books] = await sql<Array<{ total: string }>>`select coalesce(sum(amount_fen), 0)::text as total from ledger_entries`
        const [receiptless] = await sql<Array<{ n: number }>>`select count(*)::int as n from payments p where not exists (select 1 from receipts r where r.payment_id = p.id)`
        const [restoredPayments] = await sql<Array<{ n: number }>>`select count(*)::int as n from payments`
        const restoredInstance = await stage.start('restored', { DATABASE_URL: restoredUrl, S3_BUCKET: restoredBucket })

        // what the source acknowledged before the backup began must all be in the restored pair
        const effects = await checkRush(stage.app, rush, [bids])
        const restoredIds = new Set((await sql<Array<{ id: string }>>`select id from bid_submissions`).map((row) => row.id))
        const acknowledgedIds = bids.outcomes.filter((outcome) => outcome.status === 201).map((outcome) => (JSON.parse(outcome.body) as { id: string }).id)
        const survived = acknowledgedIds.filter((id) => restoredIds.has(id)).length
        const report = {
          acknowledged: acknowledgedIds.length,
          survived,
          lost: acknowledgedIds.length - survived,
          halfDoneCounted: packagesMissing + receiptless!.n + (books!.total === '0' ? 0 : 1) + effects.halfDone,
          maxClientWaitMs: Math.max(maxWait(bids), maxWait(payments)),
          degraded: mergeDegraded(bids, payments)
        }
        return {
          ...report,
          checks: [
            ...commonChecks(report, [bids, payments]),
            { name: 'audit:verify on the restored database says intact', pass: audit.code === 0 && audit.output.startsWith('intact'), detail: audit.output.slice(0, 300) },
            { name: 'every restored bid finds its package (same SHA-256)', pass: packagesMissing === 0 && rows.length === count, detail: `${packagesMissing} of ${rows.length} missing` },
            { name: 'restored payments have their receipts and the books balance', pass: receiptless!.n === 0 && books!.total === '0', detail: `${receiptless!.n} without receipt, books ${books!.total}` },
            { name: 'an instance on the restored database and bucket is ready', pass: restoredInstance.alive() }
          ],
          notes: [`backup (dump + ${keys.length} objects, ${files.length} files) in ${(backupMs / 1000).toFixed(1)} s while payments arrived; ${restoredPayments!.n} payments in the backup; ${audit.output.split('\n')[0]}`]
        }
      } finally {
        await sql.end()
        await restoredStore.close()
      }
    } finally {
      await stage.close()
    }
  }
}
