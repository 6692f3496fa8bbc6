/**
 * What a service item publishes (the ten publics, 十公开) and how its cases run: the content of one
 * catalogue version. Shared by the catalogue (which validates and versions it) and the cases
 * module (which files every case under one version of it).
 */
import { Type, type Static } from 'typebox'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'

export const ITEM_TYPES = ['licence', 'benefit', 'other_power', 'public_service'] as const
export const MATERIAL_FORMS = ['original', 'copy', 'original_and_copy', 'electronic'] as const

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })

export const MaterialSchema = StrictObject({
  code: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', description: 'stable within the item: correction notices and uploads name it' }),
  name: Text(200),
  form: Type.Enum(MATERIAL_FORMS),
  copies: Type.Integer({ minimum: 0, maximum: 20 }),
  required: Type.Boolean(),
  template: Type.Optional(Text(500)),
  note: Type.Optional(Text(500))
})
export type Material = Static<typeof MaterialSchema>

export const ItemContentSchema = StrictObject({
  name: Text(200),
  type: Type.Enum(ITEM_TYPES),
  legalBasis: Text(4000),
  procedure: Type.Array(StrictObject({ title: Text(100), description: Type.Optional(Text(1000)) }), { minItems: 1, maxItems: 20 }),
  conditions: Type.Array(Text(1000), { maxItems: 30 }),
  materials: Type.Array(MaterialSchema, { maxItems: 50 }),
  statutoryWorkingDays: Type.Integer({ minimum: 0, maximum: 365 }),
  promisedWorkingDays: Type.Integer({ minimum: 0, maximum: 365, description: '0 for an instant item (即办件)' }),
  majorProjectWorkingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'the shorter limit at the major-project window' })),
  warningWorkingDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, description: 'yellow this many working days before the due (default 2)' })),
  progress: Text(1000),
  fees: Type.Array(StrictObject({ feeCode: Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$' }) }), { maxItems: 10 }),
  feeStandard: Text(1000),
  feeBasis: Text(1000),
  payBeforeResult: Type.Boolean({ description: 'the result is issued only once the fees are paid' }),
  mode: Type.Union([Type.Literal('instant'), Type.Literal('promised')]),
  jointDepartments: Type.Array(Uuid, { maxItems: 10, description: 'participating departments of a joint item (联办); empty otherwise' }),
  agencyWindow: Type.Boolean({ description: 'the comprehensive agency window may receive it (综合代理)' }),
  visitsNeeded: Type.Integer({ minimum: 0, maximum: 5 }),
  resultKind: Type.Union([Type.Literal('certificate'), Type.Literal('decision')]),
  resultValidityYears: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 }))
})
export type ItemContent = Static<typeof ItemContentSchema>

/** The promised limit of a case filed under `content`: the major-project window runs shorter. */
export function promisedLimitOf (content: ItemContent, majorProject: boolean): number {
  if (!majorProject || content.mode === 'instant') return content.promisedWorkingDays
  return content.majorProjectWorkingDays ?? Math.max(1, Math.ceil(content.promisedWorkingDays / 2))
}

/** Why a content cannot be published, or null. The department is the item's own. */
export function contentProblem (content: ItemContent, departmentId: string): string | null {
  const codes = content.materials.map((material) => material.code)
  if (new Set(codes).size !== codes.length) return 'material codes repeat'
  if (content.mode === 'instant' && content.promisedWorkingDays !== 0) return 'an instant item is promised in 0 working days'
  if (content.mode === 'promised' && content.promisedWorkingDays < 1) return 'a promised item needs at least 1 working day'
  if (content.promisedWorkingDays > content.statutoryWorkingDays) return 'the promised limit exceeds the statutory limit'
  if (content.majorProjectWorkingDays !== undefined && content.majorProjectWorkingDays >= content.promisedWorkingDays) return 'the major-project limit must be shorter than the promised limit'
  if (content.jointDepartments.includes(departmentId)) return 'the item\'s own department is not a participating department'
  if (new Set(content.jointDepartments).size !== content.jointDepartments.length) return 'participating departments repeat'
  if (content.fees.length > 0 && content.feeStandard.trim() === '') return 'fees need their standard'
  return null
}
