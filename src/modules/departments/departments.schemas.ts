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
