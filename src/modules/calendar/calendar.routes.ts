import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  CalendarDaySchema, CalendarStatusSchema, CalendarYearSchema, DateParams, ImportCalendarYearSchema, ImportedYearSchema,
  PutCalendarDaySchema, ServerTimeSchema, WorkingDaysQuery, WorkingDaysResultSchema, YearParams
} from './calendar.schemas.ts'
import type { CalendarService } from './calendar.service.ts'

export const calendarRoutes: FastifyPluginAsyncTypebox<{ service: CalendarService }> = async (app, { service }) => {
  const tags = ['time']

  app.get('/time', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'getServerTime',
      security: [],
      summary: 'Server time for synchronised countdowns (server time is the only time)',
      response: { 200: ServerTimeSchema }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return service.serverTime()
  })

  app.get('/calendar/working-days', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'computeWorkingDays',
      security: [],
      summary: 'Add working days to a date (days) or count them between two dates (to); provisional when the period runs into a year without data',
      querystring: WorkingDaysQuery,
      response: { 200: WorkingDaysResultSchema, ...problems() }
    }
  }, async (request) => service.workingDays(request.query))

  // public: which years hold data is already visible from GET /calendar/:year
  app.get('/calendar/status', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'getCalendarStatus',
      security: [],
      summary: 'Years with calendar data, and whether the administrator must enter one now (next year from 1 November)',
      response: { 200: CalendarStatusSchema }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return service.status()
  })

  app.post('/calendar/years/:year', {
    config: { policy: 'calendar.manage' },
    schema: {
      tags,
      operationId: 'importCalendarYear',
      summary: 'Enter a year from the State Council notice: holiday ranges and make-up workdays',
      params: YearParams,
      body: ImportCalendarYearSchema,
      response: { 201: ImportedYearSchema, ...problems(401, 403, 409, 422) }
    }
  }, async (request, reply) => {
    const imported = await service.importYear(actorOf(request), request.params.year, request.body)
    return reply.code(201).send(imported)
  })

  app.get('/calendar/:year', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getCalendarYear', security: [], summary: 'Holidays and make-up workdays of a year', params: YearParams, response: { 200: CalendarYearSchema, ...problems() } }
  }, async (request) => service.listYear(request.params.year))

  app.put('/calendar/days/:date', {
    config: { policy: 'calendar.manage' },
    schema: { tags, operationId: 'setCalendarDay', params: DateParams, body: PutCalendarDaySchema, response: { 200: CalendarDaySchema, ...problems(401, 403) } }
  }, async (request) => service.putDay(actorOf(request), request.params.date, request.body))

  app.delete('/calendar/days/:date', {
    config: { policy: 'calendar.manage' },
    schema: { tags, operationId: 'removeCalendarDay', params: DateParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } }
  }, async (request, reply) => {
    await service.removeDay(actorOf(request), request.params.date)
    return reply.code(204).send(null)
  })
}
