import { Type, type Static } from 'typebox'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { GrantSchema } from '../accounts/accounts.schemas.ts'

export const LoginSchema = StrictObject({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 })
})
export type Login = Static<typeof LoginSchema>

export const SessionAccountSchema = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  kind: Type.Union([Type.Literal('person'), Type.Literal('organisation')]),
  grants: Type.Array(Type.Omit(GrantSchema, ['id', 'grantedAt'])),
  mustChangePassword: Type.Boolean()
})

export const LoginResultSchema = Type.Object({
  token: Type.String({ description: 'send as Authorization: Bearer <token>; shown once' }),
  sessionId: Uuid,
  expiresAt: Timestamp,
  account: SessionAccountSchema
})

export const CurrentSessionSchema = Type.Object({
  sessionId: Uuid,
  method: Type.Union([Type.Literal('password'), Type.Literal('certificate')]),
  account: SessionAccountSchema
})

export const SessionSchema = Type.Object({
  id: Uuid,
  method: Type.Union([Type.Literal('password'), Type.Literal('certificate')]),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastSeenAt: Timestamp,
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  current: Type.Boolean()
})
export type SessionView = Static<typeof SessionSchema>

export const SessionParams = StrictObject({ sessionId: Uuid })
