/**
 * Time-limited download links of the `fs` store: the token itself (HMAC-signed key + expiry,
 * src/lib/blob-store/fs-driver.ts) is the capability, so the route is public. The `s3` store
 * hands out presigned S3 URLs instead and never routes bytes through here.
 */
import type { FastifyPluginAsync } from 'fastify'
import { downloadsRoutes } from './downloads.routes.ts'

export const downloadsModule: FastifyPluginAsync<{ linkSecret: Buffer }> = async (app, options) => {
  await app.register(downloadsRoutes, { linkSecret: options.linkSecret })
}
