/**
 * Hall notices: announcements to the public, to staff in some roles, or to named accounts,
 * delivered live in the `notices:hall` room. States: published → withdrawn.
 */
import type { FastifyPluginAsync } from 'fastify'
import { noticesRoutes } from './notices.routes.ts'
import { createNoticesService, type NoticesService } from './notices.service.ts'
import { NOTICES_ROOM } from './notices.rules.ts'

declare module '../../plugins/services.ts' {
  interface Services { notices: NoticesService }
}

export const noticesModule: FastifyPluginAsync = async (app) => {
  const service = createNoticesService({ db: app.db, audit: app.audit, live: app.live, clock: app.clock })
  app.services.notices = service
  // anyone may join; each event's audience decides who receives it
  app.live.defineRoomKind('notices', { canJoin: (_principal, roomId) => roomId === NOTICES_ROOM })
  await app.register(noticesRoutes, { service })
}
