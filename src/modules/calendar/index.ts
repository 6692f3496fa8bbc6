/**
 * Time and the working-day calendar: the server clock for countdowns, and the holidays and
 * make-up workdays the hall administrator maintains (seeded from the national calendar).
 * A calendar day is either absent (ordinary Monday–Friday rule), a holiday, or a make-up workday.
 */
import type { FastifyPluginAsync } from 'fastify'
import { calendarRoutes } from './calendar.routes.ts'
import { createCalendarService, type CalendarService } from './calendar.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { calendar: CalendarService }
}

export const calendarModule: FastifyPluginAsync = async (app) => {
  const service = createCalendarService({ db: app.db, audit: app.audit, calendar: app.calendar, clock: app.clock })
  app.services.calendar = service
  await app.register(calendarRoutes, { service })
}
