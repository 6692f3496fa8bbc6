/**
 * The object store chosen by configuration: `fs` (embedded default) or `s3`. Both drivers pass
 * test/lib/blob-store.contract.test.ts, so callers never branch on the driver.
 */
import type { BlobStore } from './types.ts'
import { createFsBlobStore, type FsBlobStoreOptions } from './fs-driver.ts'
import { createS3BlobStore, type S3BlobStoreOptions } from './s3-driver.ts'
import { withDegradedModeErrors } from './availability.ts'

export type { BlobInfo, BlobStore, ByteRange, PutOptions, UploadState, UploadedPart } from './types.ts'
export type { FsBlobStoreOptions } from './fs-driver.ts'
export type { S3BlobStoreOptions } from './s3-driver.ts'
export { createFsBlobStore, createDownloadToken, verifyDownloadToken } from './fs-driver.ts'
export { createS3BlobStore, formatContentDisposition } from './s3-driver.ts'
export { StoreFull, StoreUnavailable, degradedStoreError, withDegradedModeErrors } from './availability.ts'
export {
  MAX_KEY_LENGTH, MAX_KEY_SEGMENT_LENGTH, MAX_LINK_SECONDS, MAX_PART_NUMBER, MAX_PART_SIZE, MIN_PART_SIZE,
  assertValidKey, isValidKey
} from './keys.ts'

export type BlobStoreConfig =
  | ({ driver: 'fs' } & Omit<FsBlobStoreOptions, 'now'>)
  | ({ driver: 's3' } & S3BlobStoreOptions)

/** The configured driver, answering STORE_UNAVAILABLE / STORE_FULL (503) while degraded. */
export function createBlobStore (config: BlobStoreConfig): BlobStore {
  switch (config.driver) {
    case 'fs': {
      const { driver, ...options } = config
      return withDegradedModeErrors(createFsBlobStore(options))
    }
    case 's3': {
      const { driver, ...options } = config
      return withDegradedModeErrors(createS3BlobStore(options))
    }
  }
}
