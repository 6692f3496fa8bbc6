import { Type, type Static } from 'typebox'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { RoleSchema } from '../accounts/accounts.schemas.ts'

export const AudienceSchema = Type.Union([
  StrictObject({ public: Type.Literal(true) }),
  StrictObject({
    roles: Type.Optional(Type.Array(RoleSchema, { maxItems: 11, uniqueItems: true })),
    parties: Type.Optional(Type.Array(Uuid, { maxItems: 100, uniqueItems: true, description: 'account ids' }))
  })
])

export const NoticeSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  body: Type.String(),
  audience: AudienceSchema,
  publishedBy: Uuid,
  publishedAt: Timestamp,
  withdrawnAt: Nullable(Timestamp)
})
export type NoticeView = Static<typeof NoticeSchema>

export const PublishNoticeSchema = StrictObject({
  title: Type.String({ minLength: 1, maxLength: 120 }),
  body: Type.String({ minLength: 1, maxLength: 4000 }),
  audience: AudienceSchema
})
export type PublishNotice = Static<typeof PublishNoticeSchema>

export const NoticeParams = StrictObject({ noticeId: Uuid })
