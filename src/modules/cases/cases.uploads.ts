/**
 * Material uploads: a multipart body whose file parts are named by material code, each streamed
 * into the store as it arrives (bounded memory, SHA-256 on the way in). Shared by the API routes
 * and the pages, which post the same forms.
 */
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyRequest } from 'fastify'
import type { Store } from '../../plugins/storage.ts'
import { ApplicationInvalid } from './cases.errors.ts'
import type { UploadedMaterial } from './cases.service.ts'

export const MATERIAL_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/
const MAX_MATERIAL_BYTES = 200 * 1024 * 1024

export function discardUploads (store: Store, uploads: readonly UploadedMaterial[]): Promise<unknown> {
  return Promise.all(uploads.map((upload) => store.delete(upload.blobKey).catch(() => undefined)))
}

/** The fields as written and the stored files; on any failure the files stored so far go again. */
export async function readMaterials (request: FastifyRequest, newKey: () => string): Promise<{ raw: Record<string, string>, uploads: UploadedMaterial[] }> {
  const store = request.server.store
  const raw: Record<string, string> = {}
  const uploads: UploadedMaterial[] = []
  try {
    for await (const part of request.parts({ limits: { files: 50, fields: 20, fieldSize: 8 * 1024 } })) {
      if (part.type === 'field') {
        raw[part.fieldname] = String(part.value)
        continue
      }
      const file = part as MultipartFile
      // a file input left empty arrives as a part without a name and without bytes: nothing handed in
      if (!file.filename) {
        file.file.resume()
        continue
      }
      if (!MATERIAL_CODE.test(file.fieldname)) throw new ApplicationInvalid('file parts named by material code')
      const blobKey = newKey()
      const stored = await store.put(blobKey, file.file, { contentType: 'application/octet-stream', maxBytes: MAX_MATERIAL_BYTES })
      uploads.push({ code: file.fieldname, fileName: file.filename.slice(0, 200), blobKey, size: stored.size, sha256: stored.sha256 })
      if (stored.size === 0) throw new ApplicationInvalid(`a non-empty file for material ${file.fieldname}`)
    }
  } catch (error) {
    await discardUploads(store, uploads)
    throw error
  }
  return { raw, uploads }
}
