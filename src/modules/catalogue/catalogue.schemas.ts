import { Type, type Static } from 'typebox'
import { CHANGE_KINDS, CHANGE_STATUSES, ITEM_STATUSES } from '../../../schema/index.ts'
import { Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { ITEM_TYPES, ItemContentSchema } from './catalogue.content.ts'

export const ItemCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$', maxLength: 32, description: 'the item code, e.g. SCJG-001' })
export const ItemStatusSchema = Type.Enum(ITEM_STATUSES)
export const ChangeKindSchema = Type.Enum(CHANGE_KINDS)
export const ChangeStatusSchema = Type.Enum(CHANGE_STATUSES)

export const CreateItemSchema = StrictObject({ code: ItemCode, departmentId: Uuid, content: ItemContentSchema })
export type CreateItem = Static<typeof CreateItemSchema>

export const UpdateDraftSchema = StrictObject({ content: ItemContentSchema })
export type UpdateDraft = Static<typeof UpdateDraftSchema>

export const RequestChangeSchema = StrictObject({
  kind: ChangeKindSchema,
  content: Type.Optional(ItemContentSchema),
  reason: Type.String({ minLength: 1, maxLength: 1000 })
}, { description: 'publish: a draft (its draft content unless given); amend: a published item, with the whole new content; retire: a published item' })
export type RequestChange = Static<typeof RequestChangeSchema>

export const DecideChangeSchema = StrictObject({
  approve: Type.Boolean(),
  note: Type.Optional(Type.String({ maxLength: 1000, description: 'required when rejecting' }))
})
export type DecideChange = Static<typeof DecideChangeSchema>

export const ChangeSchema = Type.Object({
  id: Uuid,
  itemId: Uuid,
  itemCode: Type.String(),
  departmentId: Uuid,
  kind: ChangeKindSchema,
  status: ChangeStatusSchema,
  content: Nullable(ItemContentSchema),
  reason: Type.String(),
  requestedBy: Uuid,
  requestedAt: Timestamp,
  decidedBy: Nullable(Uuid),
  decidedAt: Nullable(Timestamp),
  decisionNote: Nullable(Type.String()),
  resultVersion: Nullable(Type.Integer({ description: 'the version an approved publication or amendment made' }))
})
export type ChangeView = Static<typeof ChangeSchema>

export const VersionSummarySchema = Type.Object({ version: Type.Integer(), publishedAt: Timestamp, changeRequestId: Uuid })

/** What the item's department and the hall see: the draft, the version in force and the open change. */
export const ManagedItemSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  departmentId: Uuid,
  status: ItemStatusSchema,
  name: Type.String(),
  currentVersion: Nullable(Type.Integer()),
  draft: Nullable(ItemContentSchema),
  current: Nullable(ItemContentSchema),
  versions: Type.Array(VersionSummarySchema),
  pendingChange: Nullable(ChangeSchema),
  createdBy: Uuid,
  createdAt: Timestamp
})
export type ManagedItemView = Static<typeof ManagedItemSchema>

export const ManagedItemSummarySchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  departmentId: Uuid,
  status: ItemStatusSchema,
  name: Type.String(),
  currentVersion: Nullable(Type.Integer()),
  pendingChange: Nullable(Type.Object({ id: Uuid, kind: ChangeKindSchema }))
})
export type ManagedItemSummary = Static<typeof ManagedItemSummarySchema>

/** The public guide (办事指南) of one published version: the ten publics and how cases run. */
export const PublicItemSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  departmentId: Uuid,
  status: Type.Union([Type.Literal('published'), Type.Literal('retired')]),
  version: Type.Integer(),
  latestVersion: Type.Integer({ description: 'the version in force (or last in force, once retired)' }),
  publishedAt: Timestamp,
  content: ItemContentSchema
})
export type PublicItemView = Static<typeof PublicItemSchema>

export const PublicItemSummarySchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  departmentId: Uuid,
  version: Type.Integer(),
  name: Type.String(),
  type: Type.Enum(ITEM_TYPES),
  mode: Type.Union([Type.Literal('instant'), Type.Literal('promised')]),
  promisedWorkingDays: Type.Integer(),
  visitsNeeded: Type.Integer(),
  publishedAt: Timestamp
})
export type PublicItemSummary = Static<typeof PublicItemSummarySchema>

export const PublicItemListSchema = Type.Object({ items: Type.Array(PublicItemSummarySchema), total: Type.Integer() })

export const PublicListQuery = StrictObject({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  departmentId: Type.Optional(Uuid),
  type: Type.Optional(Type.Enum(ITEM_TYPES)),
  ...PageQuery
})
export type PublicListFilter = Static<typeof PublicListQuery>

export const ManagedListQuery = StrictObject({ status: Type.Optional(ItemStatusSchema), departmentId: Type.Optional(Uuid) })
export const ChangeListQuery = StrictObject({ status: Type.Optional(ChangeStatusSchema), itemId: Type.Optional(Uuid) })

export const ItemParams = StrictObject({ itemId: Uuid })
export const ItemVersionParams = StrictObject({ itemId: Uuid, version: Type.Integer({ minimum: 1, maximum: 100_000 }) })
export const ChangeParams = StrictObject({ changeId: Uuid })
