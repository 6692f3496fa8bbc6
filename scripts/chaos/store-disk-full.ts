/**
 * Fill the disk of the store's temporary area. An instance on the fs store (DATA_DIR/blobs,
 * where bodies are staged in .tmp/ before they become objects) has that directory on a small
 * tmpfs; mid-rush a filler file takes every free byte for a while, then is removed. While full,
 * bids must be refused with 503 STORE_FULL and Retry-After (no receipt, no row) and /ready must
 * say `storage: failing`; after, the same clients finish. Needs root (mount).
 */
import { open, rm } from 'node:fs/promises'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ackCounter, commonChecks, faultReport, openStage, readinessCheck, runClient, type Scenario, watchReadiness } from './harness.ts'
import { checkRush, prepareRush } from './bids.ts'
import { run } from './processes.ts'

/** Writes zeros into `file` until the filesystem refuses (ENOSPC). */
async function fillUp (file: string): Promise<number> {
  const handle = await open(file, 'w')
  const chunk = Buffer.alloc(256 * 1024)
  let written = 0
  try {
    for (;;) written += (await handle.write(chunk)).bytesWritten
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    await handle.close().catch(() => {})
  }
  // the last partial block: a byte at a time is too slow, a small chunk is enough
  const tail = await open(file, 'a')
  try {
    for (;;) written += (await tail.write(Buffer.alloc(512))).bytesWritten
  } catch {} finally {
    await tail.close().catch(() => {})
  }
  return written
}

export const storeDiskFull: Scenario = {
  name: 'store-disk-full',
  fault: "fill the disk of the store's temporary area",
  async run (context) {
    const count = context.short ? 20 : 80
    const fullMs = context.short ? 5_000 : 15_000
    const dataDir = path.join(context.work, 'store-disk-full', 'data')
    const blobs = path.join(dataDir, 'blobs')
    await mkdir(blobs, { recursive: true })
    await run('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'chaos-store-tmp', blobs])
    let full = false
    const filler = path.join(blobs, 'filler.bin')
    try {
      const stage = await openStage(context, 'store-disk-full', { STORAGE_DRIVER: 'fs', DATA_DIR: dataDir })
      try {
        const setup = await prepareRush(stage.app, stage.dir, 'full', count, 128)
        context.progress(`${count} bidders, tender and sealed packages ready`)
        const instance = await stage.start('a')
        const ready = watchReadiness(instance, () => !full)
        const acks = ackCounter()
        const load = runClient({ baseUrls: [instance.url], inFlight: 6, giveUpMs: fullMs + 60_000, maxBackoffMs: 1000, requests: setup.requests }, acks.onAcked)
        await acks.reached(Math.floor(count / 4))
        full = true
        const filled = await fillUp(filler)
        context.progress(`disk filled (${Math.round(filled / 1024)} KB)`)
        await sleep(fullMs)
        await rm(filler)
        full = false
        context.progress('filler removed')
        const result = await load
        const readiness = await ready.stop()
        const effects = await checkRush(stage.app, setup, [result])
        const report = faultReport(effects, result)
        return {
          ...report,
          checks: [
            ...commonChecks(report, [result], count),
            { name: 'bids were refused with 503 while the disk was full', pass: (result.degraded['503'] ?? 0) > 0, detail: JSON.stringify(result.degraded) },
            readinessCheck('/ready said not ready while full and ready after', readiness, true)
          ],
          notes: [`24 MB tmpfs, ${Math.round(filled / 1024)} KB filler for ${fullMs / 1000} s`]
        }
      } finally {
        await stage.close()
      }
    } finally {
      await rm(filler, { force: true })
      await run('umount', ['-l', blobs]).catch(() => '')
    }
  }
}
