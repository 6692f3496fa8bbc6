import { Type, type Static } from 'typebox'
import { SMS_STATUSES } from '../../../schema/index.ts'
import { Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { MOBILE_PATTERN } from './notifier.rules.ts'

export const InboxMessageSchema = Type.Object({
  id: Uuid,
  kind: Type.String({ description: 'dotted kind, e.g. case.correction_notice' }),
  subject: Type.String(),
  body: Type.String(),
  link: Nullable(Type.String({ description: 'a same-site path the message points to' })),
  createdAt: Timestamp,
  readAt: Nullable(Timestamp)
})
export type InboxMessage = Static<typeof InboxMessageSchema>

export const MessageListQuerySchema = StrictObject({
  unread: Type.Optional(Type.Boolean({ description: 'only messages not yet read' })),
  ...PageQuery
})
export type MessageListQuery = Static<typeof MessageListQuerySchema>

export const MessageListSchema = Type.Object({
  items: Type.Array(InboxMessageSchema),
  total: Type.Integer(),
  unread: Type.Integer({ description: 'unread messages in the whole inbox' })
})

export const MessageParams = StrictObject({ messageId: Uuid })
export const MarkedSchema = Type.Object({ marked: Type.Integer() })

export const DeliverySchema = Type.Object({
  id: Uuid,
  kind: Type.String(),
  phone: Type.String({ description: 'masked: 138****5678' }),
  driver: Type.String(),
  status: Type.Enum(SMS_STATUSES),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  createdAt: Timestamp,
  sentAt: Nullable(Timestamp)
}, { description: 'An SMS delivery: queued, being sent, sent or failed after its attempts; never its text' })
export type DeliveryView = Static<typeof DeliverySchema>

export const DeliveryListQuery = StrictObject({ ...PageQuery })

export const SimulatedSmsSchema = Type.Object({
  id: Uuid,
  phone: Type.String(),
  text: Type.String(),
  receivedAt: Timestamp
})
export type SimulatedSms = Static<typeof SimulatedSmsSchema>

export const SimulatedSmsQuery = StrictObject({
  phone: Type.Optional(Type.String({ pattern: MOBILE_PATTERN, maxLength: 11 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 100 }))
})
