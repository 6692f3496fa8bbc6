/**
 * Degraded mode of the object store. A store that cannot be reached (S3 endpoint refusing,
 * resetting or timing out) or that has no room left for what it receives (ENOSPC in the fs
 * driver's staging area) is a passing condition, not a fault of the request: callers get a
 * coded 503 that the error handler (src/plugins/errors.ts) answers with `Retry-After`, instead of an INTERNAL_ERROR
 * that tells a client nothing and makes it give up. Translation happens here, at the store's
 * edge, because only here is it known that a refused socket was the store's and not the
 * database's.
 */
import { S3Error } from 'minio'
import { createError } from '../errors.ts'
import type { BlobStore } from './types.ts'

export const StoreUnavailable = createError<'STORE_UNAVAILABLE', 503, []>('STORE_UNAVAILABLE', 'The object store cannot be reached; try again shortly', 503)
export const StoreFull = createError<'STORE_FULL', 503, []>('STORE_FULL', 'The object store has no space left for this upload; try again later', 503)

/** errno codes of a socket that never got, or lost, its peer */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'])
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])
/** S3 answers meaning "not now" rather than "not this" */
const S3_BUSY = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout'])

/** The degraded-mode error a low-level failure stands for, or null when it is something else. */
export function degradedStoreError (error: unknown): Error | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code
    if (current instanceof S3Error) return S3_BUSY.has(String(code)) ? new StoreUnavailable() : null
    if (typeof code !== 'string') continue
    if (NO_SPACE.has(code)) return new StoreFull()
    // an uploader who hung up aborts the request body with ECONNRESET too ("aborted"): not the store's doing
    if (UNREACHABLE.has(code) && current.message !== 'aborted') return new StoreUnavailable()
  }
  return null
}

/**
 * The same store, with every operation's low-level unavailability translated. Streams returned
 * by `get` fail on their own later; a reader that was already answered cannot be re-answered.
 */
export function withDegradedModeErrors (store: BlobStore): BlobStore {
  const translate = (error: unknown): never => {
    const degraded = degradedStoreError(error)
    if (degraded) {
      degraded.cause = error
      throw degraded
    }
    throw error
  }
  const guarded = { driver: store.driver } as BlobStore
  for (const name of Object.keys(store) as Array<keyof BlobStore>) {
    const member = store[name]
    if (typeof member !== 'function') continue
    Object.assign(guarded, {
      [name]: (...args: unknown[]) => (member as (...a: unknown[]) => Promise<unknown>).apply(store, args).catch(translate)
    })
  }
  return guarded
}
