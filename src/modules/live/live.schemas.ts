import { Type } from 'typebox'
import { StrictObject, Timestamp } from '../../lib/http-schemas.ts'
import { ROOM_ID_PATTERN } from '../../plugins/live.ts'

export const RoomParams = StrictObject({ roomId: Type.String({ pattern: ROOM_ID_PATTERN, maxLength: 233 }) })
export const RoomEventsQuery = StrictObject({
  since: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'last seq already seen' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 200 }))
})
export const RoomEventsSchema = Type.Object({
  room: Type.String(),
  head: Type.Integer({ description: 'newest seq in the room (visible or not)' }),
  events: Type.Array(Type.Object({
    room: Type.String(),
    seq: Type.Integer(),
    type: Type.String(),
    at: Timestamp,
    data: Type.Unknown()
  }))
})
