/**
 * Coded errors. Every error a user can cause carries a stable `code` and an HTTP status; the one
 * error handler (src/plugins/errors.ts) turns it into application/problem+json. Modules declare
 * theirs in <domain>.errors.ts with `createError`, which has @fastify/error's signature but no
 * Node dependency, because the sealed-bid and CMS code that throws them also runs in browsers.
 */
export interface CodedError<C extends string = string, S extends number = number> extends Error {
  readonly code: C
  readonly statusCode: S
}

export interface CodedErrorConstructor<C extends string, S extends number, A extends unknown[]> {
  new (...args: A): CodedError<C, S>
  readonly prototype: CodedError<C, S>
}

/** printf-style %s / %d / %i / %j, as @fastify/error formats its messages */
function format (template: string, args: unknown[]): string {
  let index = 0
  return template.replace(/%[sdij%]/g, (token) => {
    if (token === '%%') return '%'
    const value = args[index++]
    if (token === '%j') return JSON.stringify(value)
    if (token === '%d' || token === '%i') return String(token === '%i' ? Math.trunc(Number(value)) : Number(value))
    return String(value)
  })
}

export function createError<C extends string, S extends number = 500, A extends unknown[] = [unknown?, unknown?, unknown?]> (
  code: C, template: string, statusCode?: S
): CodedErrorConstructor<C, S, A> {
  const status = (statusCode ?? 500) as S
  return class extends Error implements CodedError<C, S> {
    readonly code = code
    readonly statusCode = status
    constructor (...args: A) {
      super(format(template, args))
      this.name = 'CodedError'
    }
  }
}

/** True for errors that carry a stable code and a 4xx status (user-caused, logged at info). */
export function isClientError (error: unknown): error is Error & { code: string, statusCode: number } {
  if (!(error instanceof Error)) return false
  const status = (error as { statusCode?: unknown }).statusCode
  return typeof status === 'number' && status >= 400 && status < 500
}

export const BlobNotFound = createError<'BLOB_NOT_FOUND', 404, [string]>('BLOB_NOT_FOUND', 'No object stored under "%s"', 404)
export const BlobRetained = createError<'BLOB_RETAINED', 409, [string]>('BLOB_RETAINED', 'Object "%s" is retained and cannot be deleted', 409)
export const BlobTooLarge = createError<'BLOB_TOO_LARGE', 413, [number]>('BLOB_TOO_LARGE', 'Object exceeds the limit of %d bytes', 413)
export const BlobRangeInvalid = createError<'BLOB_RANGE_INVALID', 416, [string]>('BLOB_RANGE_INVALID', 'Byte range %s is not satisfiable', 416)
export const BlobDigestMismatch = createError<'BLOB_DIGEST_MISMATCH', 422, [string, string]>('BLOB_DIGEST_MISMATCH', 'SHA-256 of the received bytes is %s, expected %s', 422)
export const BlobKeyInvalid = createError<'BLOB_KEY_INVALID', 400, [string]>('BLOB_KEY_INVALID', 'Object key "%s" is not allowed', 400)
export const UploadPartInvalid = createError<'UPLOAD_PART_INVALID', 400, [string]>('UPLOAD_PART_INVALID', 'Upload part is invalid: %s', 400)
