/**
 * Approval cases (办件) in five modes — instant, promised, joint, comprehensive agency and the
 * major-project window — from the application to the rating: acceptance within 5 working days
 * (or deemed), the one correction notice, review with pauses for special procedures, the chief
 * representative's decision within the recorded delegation, the result signed with the
 * department's seal, delivery, and 好差评 with rectification. The deadline supervision lives here
 * too: every case's due and warning instants, the dashboard, supervision letters, and the rooms
 * `supervision:hall` and `supervision:dept:<id>` that keep dashboards live.
 */
import type { FastifyPluginAsync } from 'fastify'
import { casesRoutes } from './cases.routes.ts'
import { createCasesService, type CasesService } from './cases.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { cases: CasesService }
}

export interface CasesModuleOptions { hallName: string, publicUrl: string, queriesPerMinute: number }

export const casesModule: FastifyPluginAsync<CasesModuleOptions> = async (app, options) => {
  const { catalogue, departments, payments, pki } = app.services
  const service = createCasesService({
    db: app.db,
    audit: app.audit,
    clock: app.clock,
    calendar: app.calendar,
    live: app.live,
    timers: app.timers,
    store: app.store,
    pki: app.pki,
    log: app.log,
    hallName: options.hallName,
    publicUrl: options.publicUrl,
    catalogue,
    departments,
    payments,
    pkiService: pki,
    notifier: app.services.notifier
  })
  app.services.cases = service
  // dashboard nudges still pending go out before the database closes
  app.addHook('preClose', () => service.idle())
  app.live.defineRoomKind('supervision', { canJoin: (principal, roomId) => service.mayWatch(principal, roomId) })
  await app.register(casesRoutes, { service, queriesPerMinute: options.queriesPerMinute })
}
