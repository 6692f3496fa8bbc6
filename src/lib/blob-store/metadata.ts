/**
 * The metadata record both drivers keep beside each object (a `.meta/<key>.json` file or object):
 * what stat() returns, readable without the database.
 */
import type { BlobInfo } from './types.ts'

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

interface MetadataRecord {
  key: string
  size: number
  sha256: string
  contentType: string
  retained: boolean
  createdAt: string
}

export function encodeMetadata (info: BlobInfo): string {
  const record: MetadataRecord = { ...info, createdAt: info.createdAt.toISOString() }
  return JSON.stringify(record)
}

export function decodeMetadata (key: string, text: string): BlobInfo {
  const record = JSON.parse(text) as MetadataRecord
  return {
    key,
    size: record.size,
    sha256: record.sha256,
    contentType: record.contentType,
    retained: record.retained,
    createdAt: new Date(record.createdAt)
  }
}
