import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createError } from '../../lib/errors.ts'
import { problems } from '../../lib/http-schemas.ts'
import { RoomEventsQuery, RoomEventsSchema, RoomParams } from './live.schemas.ts'

const RoomNotFound = createError<'ROOM_NOT_FOUND', 404, [string]>('ROOM_NOT_FOUND', 'Room %s not found', 404)
const UpgradeRequired = createError('UPGRADE_REQUIRED', 'This address speaks WebSocket only: send an Upgrade request, or read a room at /api/live/rooms/{roomId}/events', 426)

export const liveRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['live']

  // The room protocol (README.md, "Live rooms"); who may join a room is decided per room kind,
  // which events a socket receives per event audience. A plain HTTP request is told to upgrade
  // (without a handler of its own it would get an empty 404 from @fastify/websocket).
  app.route({
    method: 'GET',
    url: '/live',
    config: { policy: 'public' },
    schema: { tags, operationId: 'connectLive', summary: 'WebSocket: subscribe to rooms with `since`, receive missed then live events', response: problems(426) },
    handler: async () => { throw new UpgradeRequired() },
    wsHandler: (socket, request) => app.live.serve(socket, request.principal)
  })

  app.get('/live/rooms/:roomId/events', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'listRoomEvents',
      summary: 'The same events over HTTP (for clients without WebSocket)',
      params: RoomParams,
      querystring: RoomEventsQuery,
      response: { 200: RoomEventsSchema, ...problems(401, 404) }
    }
  }, async (request) => {
    const { roomId } = request.params
    const result = await app.live.read(request.principal, roomId, request.query.since ?? 0, request.query.limit ?? 200)
    if (!result) throw new RoomNotFound(roomId)
    return { room: roomId, ...result }
  })
}
