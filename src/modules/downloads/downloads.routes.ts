import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { formatContentDisposition, verifyDownloadToken } from '../../lib/blob-store/index.ts'
import { createError } from '../../lib/errors.ts'
import { StrictObject, problems } from '../../lib/http-schemas.ts'
import { parseRangeHeader } from './downloads.rules.ts'

const LinkInvalid = createError('DOWNLOAD_LINK_INVALID', 'The download link is invalid or has expired', 404)

export const downloadsRoutes: FastifyPluginAsyncTypebox<{ linkSecret: Buffer }> = async (app, { linkSecret }) => {
  app.get('/blobs/:token', {
    config: { policy: 'public' },
    logLevel: 'warn',
    schema: {
      tags: ['downloads'],
      operationId: 'downloadBlob',
      summary: 'Download through a time-limited link (supports Range)',
      security: [],
      params: StrictObject({ token: Type.String({ minLength: 10, maxLength: 2048 }) }),
      response: { 200: Type.Unknown(), 206: Type.Unknown(), ...problems(404, 416) }
    }
  }, async (request, reply) => {
    const link = verifyDownloadToken(request.params.token, linkSecret, app.clock.now().getTime())
    if (!link) throw new LinkInvalid()
    const info = await app.store.stat(link.key)
    if (!info) throw new LinkInvalid()
    reply.header('accept-ranges', 'bytes').header('cache-control', 'private, no-store').type(info.contentType)
    if (link.filename) reply.header('content-disposition', formatContentDisposition(link.filename))
    const range = parseRangeHeader(request.headers.range, info.size)
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', `bytes */${info.size}`).type('application/problem+json').send({
        type: 'about:blank',
        title: 'Range Not Satisfiable',
        status: 416,
        code: 'BLOB_RANGE_INVALID',
        detail: 'The requested range is outside the object',
        requestId: String(request.id)
      })
    }
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`).header('content-length', range.end - range.start + 1)
      return reply.send(await app.store.get(link.key, range))
    }
    reply.header('content-length', info.size).header('etag', `"${info.sha256}"`)
    return reply.send(await app.store.get(link.key))
  })
}
