/**
 * Live rooms over WebSocket and HTTP (the machinery is src/plugins/live.ts; room kinds and
 * their events belong to the modules that define them).
 */
import type { FastifyPluginAsync } from 'fastify'
import { liveRoutes } from './live.routes.ts'

export const liveModule: FastifyPluginAsync = async (app) => {
  await app.register(liveRoutes)
}
