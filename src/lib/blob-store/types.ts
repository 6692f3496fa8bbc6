/**
 * The one object-store interface. Drivers: `fs` (embedded default) and `s3` (MinIO, Ceph RGW,
 * AWS). Both pass test/lib/blob-store.contract.test.ts. Keys are caller-chosen relative paths
 * (`bids/<uuid>`, `recordings/<uuid>.webm`): lowercase/uppercase letters, digits, `-_./`, no `..`.
 *
 * Metadata (size, SHA-256, content type, retained flag) lives beside the object in the store
 * itself, so a store can be audited without the database.
 */
import type { Readable } from 'node:stream'

export interface BlobInfo {
  key: string
  size: number
  /** lowercase hex SHA-256 of the whole object, computed on the way in */
  sha256: string
  contentType: string
  /** a retained object can never be deleted through the store (archive retention) */
  retained: boolean
  createdAt: Date
}

export interface PutOptions {
  contentType?: string
  retain?: boolean
  /** refuse the object (BLOB_TOO_LARGE) once more than this many bytes arrived; nothing is kept */
  maxBytes?: number
  /** refuse the object (BLOB_DIGEST_MISMATCH) when the computed SHA-256 differs; nothing is kept */
  expectedSha256?: string
}

export interface ByteRange {
  /** inclusive first byte */
  start: number
  /** inclusive last byte; defaults to the end of the object */
  end?: number
}

/** Serialisable state of a resumable (multipart) upload; the caller persists it between parts. */
export interface UploadState {
  uploadId: string
  key: string
  contentType: string
  retain: boolean
  parts: UploadedPart[]
}

export interface UploadedPart {
  partNumber: number
  size: number
  sha256: string
  /** driver-specific part token (the S3 ETag); opaque to callers */
  etag: string
}

export interface BlobStore {
  readonly driver: 'fs' | 's3'
  /** Streams the body in with bounded memory; returns size and SHA-256. Overwrites unless retained. */
  put (key: string, body: Readable | Buffer, options?: PutOptions): Promise<BlobInfo>
  /** Whole object or an inclusive byte range. BLOB_NOT_FOUND when absent, BLOB_RANGE_INVALID when out of bounds. */
  get (key: string, range?: ByteRange): Promise<Readable>
  stat (key: string): Promise<BlobInfo | null>
  exists (key: string): Promise<boolean>
  /** Marks an object as retained; idempotent. */
  retain (key: string): Promise<BlobInfo>
  /** Deletes an object; BLOB_RETAINED when retained, BLOB_NOT_FOUND when absent. */
  delete (key: string): Promise<void>
  /**
   * A time-limited download URL. The s3 driver presigns; the fs driver returns a path under
   * `linkBase` carrying an HMAC token that `verifyDownloadToken` checks.
   */
  createDownloadUrl (key: string, options: { expiresInSeconds: number, filename?: string }): Promise<string>
  /** Resumable multipart upload: begin, send parts (any order, retries allowed), complete or abort. */
  beginUpload (key: string, options?: { contentType?: string, retain?: boolean }): Promise<UploadState>
  uploadPart (state: UploadState, partNumber: number, body: Readable | Buffer): Promise<UploadedPart>
  /** Assembles the parts in partNumber order; the object's SHA-256 is computed over the assembled bytes. */
  completeUpload (state: UploadState): Promise<BlobInfo>
  abortUpload (state: UploadState): Promise<void>
  /** Removes what killed processes left staged on this machine (bodies that never became objects); returns how many. */
  sweepStaging (): Promise<number>
  /** Reachability check for /ready. */
  ping (): Promise<void>
  close (): Promise<void>
}
