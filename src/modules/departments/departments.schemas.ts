import { Type, type Static } from 'typebox'
import { WINDOW_KINDS } from '../../../schema/index.ts'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

const Code = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', description: 'short unique code, e.g. SCJGJ' })
const Name = Type.String({ minLength: 1, maxLength: 100 })
export const WindowKindSchema = Type.Enum(WINDOW_KINDS)

export const WindowSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  kind: WindowKindSchema,
  departmentId: Nullable(Uuid),
  active: Type.Boolean(),
  createdAt: Timestamp
})
export type WindowView = Static<typeof WindowSchema>

export const DepartmentSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  nameEn: Nullable(Type.String()),
  createdAt: Timestamp
})
export type DepartmentView = Static<typeof DepartmentSchema>

export const CreateDepartmentSchema = StrictObject({ code: Code, name: Name, nameEn: Type.Optional(Name) })
export type CreateDepartment = Static<typeof CreateDepartmentSchema>
export const UpdateDepartmentSchema = StrictObject({ name: Type.Optional(Name), nameEn: Type.Optional(Nullable(Name)) }, { minProperties: 1 })
export type UpdateDepartment = Static<typeof UpdateDepartmentSchema>

export const CreateWindowSchema = StrictObject({
  code: Code,
  name: Name,
  kind: WindowKindSchema,
  departmentId: Type.Optional(Nullable(Uuid))
})
export type CreateWindow = Static<typeof CreateWindowSchema>
export const UpdateWindowSchema = StrictObject({ name: Type.Optional(Name), active: Type.Optional(Type.Boolean()) }, { minProperties: 1 })
export type UpdateWindow = Static<typeof UpdateWindowSchema>

export const DepartmentParams = StrictObject({ departmentId: Uuid })
export const WindowParams = StrictObject({ windowId: Uuid })
export const WindowListQuery = StrictObject({ departmentId: Type.Optional(Uuid) })

const ItemCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$', maxLength: 32 })
export const DelegatedDecisionSchema = Type.Union([Type.Literal('approve'), Type.Literal('deny')])

export const RecordDelegationSchema = StrictObject({
  chiefRepId: Uuid,
  itemCodes: Type.Array(ItemCode, { minItems: 1, maxItems: 500, uniqueItems: true, description: 'the service items whose cases the chief representative decides' }),
  decisions: Type.Array(DelegatedDecisionSchema, { minItems: 1, maxItems: 2, uniqueItems: true }),
  reference: Type.String({ minLength: 1, maxLength: 100, description: 'the delegation document (授权书) number' }),
  validFrom: Type.Optional(Timestamp),
  validUntil: Type.Optional(Timestamp)
})
export type RecordDelegation = Static<typeof RecordDelegationSchema>

export const DelegationSchema = Type.Object({
  id: Uuid,
  departmentId: Uuid,
  chiefRepId: Uuid,
  itemCodes: Type.Array(Type.String()),
  decisions: Type.Array(DelegatedDecisionSchema),
  reference: Type.String(),
  validFrom: Timestamp,
  validUntil: Nullable(Timestamp),
  inForce: Type.Boolean({ description: 'in force at the time of the answer' }),
  recordedBy: Uuid,
  recordedAt: Timestamp
})
export type DelegationView = Static<typeof DelegationSchema>
