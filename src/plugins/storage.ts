/**
 * `app.store`: the object store (src/lib/blob-store: `fs` by default under DATA_DIR/blobs, `s3`
 * for MinIO / Ceph RGW / AWS), plus `app.store.resumable`, which keeps the state of multipart
 * uploads in PostgreSQL so a recording interrupted by a dropped connection or a restarted
 * instance continues where it stopped.
 */
import type { Readable } from 'node:stream'
import { eq, sql } from 'drizzle-orm'
import fp from 'fastify-plugin'
import { blobUploads } from '../../schema/index.ts'
import { createBlobStore } from '../lib/blob-store/index.ts'
import type { BlobInfo, BlobStore, UploadState, UploadedPart } from '../lib/blob-store/types.ts'
import { createError } from '../lib/errors.ts'
import type { Config } from '../config.ts'
import type { Database } from './db.ts'

export const STAGING_SWEEP_TIMER = 'storage.sweep_staging'

export const UploadNotFound = createError<'UPLOAD_NOT_FOUND', 404, [string]>('UPLOAD_NOT_FOUND', 'Upload %s not found', 404)

export interface ResumableUploads {
  begin (input: { key: string, contentType?: string, retain?: boolean, ownerId?: string | null }): Promise<{ uploadId: string }>
  /** Parts may arrive in any order and be re-sent; the latest copy of a part number wins. */
  putPart (uploadId: string, partNumber: number, body: Readable | Buffer): Promise<UploadedPart>
  status (uploadId: string): Promise<{ uploadId: string, key: string, ownerId: string | null, parts: UploadedPart[] }>
  complete (uploadId: string): Promise<BlobInfo>
  abort (uploadId: string): Promise<void>
}

export type Store = BlobStore & { resumable: ResumableUploads }

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

export function createResumableUploads (db: Database, blobs: BlobStore): ResumableUploads {
  async function load (uploadId: string) {
    const [row] = await db.select().from(blobUploads).where(eq(blobUploads.id, uploadId))
    if (!row) throw new UploadNotFound(uploadId)
    return { row, state: row.state as UploadState }
  }

  return {
    async begin (input) {
      const state = await blobs.beginUpload(input.key, { contentType: input.contentType, retain: input.retain })
      const [row] = await db.insert(blobUploads).values({ key: input.key, state, ownerId: input.ownerId ?? null }).returning({ id: blobUploads.id })
      return { uploadId: row!.id }
    },
    async putPart (uploadId, partNumber, body) {
      const { state } = await load(uploadId)
      // the bytes go to the store outside any transaction; only the bookkeeping is transactional
      const part = await blobs.uploadPart(state, partNumber, body)
      await db.transaction(async (tx) => {
        const [row] = await tx.select().from(blobUploads).where(eq(blobUploads.id, uploadId)).for('update')
        if (!row) throw new UploadNotFound(uploadId)
        const current = row.state as UploadState
        const parts = [...current.parts.filter((existing) => existing.partNumber !== partNumber), part]
          .sort((a, b) => a.partNumber - b.partNumber)
        await tx.update(blobUploads).set({ state: { ...current, parts }, updatedAt: sql`now()` }).where(eq(blobUploads.id, uploadId))
      })
      return part
    },
    async status (uploadId) {
      const { row, state } = await load(uploadId)
      return { uploadId, key: row.key, ownerId: row.ownerId, parts: state.parts }
    },
    async complete (uploadId) {
      const { state } = await load(uploadId)
      const info = await blobs.completeUpload(state)
      await db.delete(blobUploads).where(eq(blobUploads.id, uploadId))
      return info
    },
    async abort (uploadId) {
      const { state } = await load(uploadId)
      await blobs.abortUpload(state)
      await db.delete(blobUploads).where(eq(blobUploads.id, uploadId))
    }
  }
}

export interface StoragePluginOptions {
  storage: Config['storage']
  linkBase: string
  linkSecret: Buffer
}

export default fp<StoragePluginOptions>(async function storagePlugin (app, options) {
  const blobs = options.storage.driver === 'fs'
    ? createBlobStore({ driver: 'fs', root: options.storage.root, linkBase: options.linkBase, linkSecret: options.linkSecret })
    : createBlobStore({ ...options.storage, createBucket: true })
  await blobs.ping()
  const store: Store = Object.assign(blobs, { resumable: createResumableUploads(app.db, blobs) })
  app.decorate('store', store)
  app.addHook('onClose', async () => { await blobs.close() })
  // killed uploads leave staged bytes behind; one instance sweeps the store's staging area
  app.timers.define(STAGING_SWEEP_TIMER, async () => {
    const removed = await blobs.sweepStaging()
    if (removed > 0) app.log.warn({ removed }, 'removed the staged bytes of uploads that never completed')
  })
  await app.timers.ensureRecurring(app.db, { kind: STAGING_SWEEP_TIMER, key: STAGING_SWEEP_TIMER, firstAt: new Date(app.clock.now().getTime() + 15 * 60_000), intervalSeconds: 15 * 60 })
}, { name: 'storage', dependencies: ['db', 'clock', 'timers'] })
