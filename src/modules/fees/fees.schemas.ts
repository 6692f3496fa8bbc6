import { Type, type Static } from 'typebox'
import { Fen, IsoDate, Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

export const FeeCategorySchema = Type.Union([Type.Literal('non_tax'), Type.Literal('deposit')], {
  description: 'non_tax: 行政事业性收费, remitted to the fiscal account; deposit: bid bond or auction deposit, held and refunded'
})
export const FeeBasisSchema = Type.Union([Type.Literal('fixed'), Type.Literal('per_unit'), Type.Literal('formula')])

const Decimal = Type.String({ pattern: '^-?[0-9]{1,15}(\\.[0-9]{1,4})?$', maxLength: 21 })
const ParameterName = Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,31}$' })

export const FeeParameterSchema = StrictObject({
  name: ParameterName,
  label: Type.String({ minLength: 1, maxLength: 60 }),
  unit: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  min: Type.Optional(Decimal),
  max: Type.Optional(Decimal),
  scale: Type.Integer({ minimum: 0, maximum: 4, description: 'decimal places accepted' })
})

export const FeeVersionInputSchema = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  basis: FeeBasisSchema,
  amountFen: Type.Optional(Fen),
  unitPriceFen: Type.Optional(Fen),
  unitName: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  quantityScale: Type.Optional(Type.Integer({ minimum: 0, maximum: 4 })),
  formula: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'in yuan, over the declared parameters: + - * / ( ), min, max, floor, ceil, round, if, progressive' })),
  parameters: Type.Optional(Type.Array(FeeParameterSchema, { maxItems: 10 })),
  legalBasis: Type.String({ minLength: 1, maxLength: 1000, description: 'the law or regulation that authorises the fee' }),
  standardDocument: Type.String({ minLength: 1, maxLength: 300, description: 'the fee standard document, e.g. 发改价格〔2015〕299号' }),
  receivingAccount: Type.String({ minLength: 1, maxLength: 200, description: 'the fiscal account that receives the fee' }),
  refundWorkingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: 'deposits: refund within this many working days of the trigger (default 5)' })),
  validFrom: IsoDate,
  validTo: Type.Optional(IsoDate)
})
export type FeeVersionInput = Static<typeof FeeVersionInputSchema>

export const CreateFeeItemSchema = StrictObject({
  code: Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$' }),
  category: FeeCategorySchema,
  departmentId: Type.Optional(Uuid),
  version: FeeVersionInputSchema
})
export type CreateFeeItem = Static<typeof CreateFeeItemSchema>

export const FeeVersionSchema = Type.Object({
  id: Uuid,
  version: Type.Integer(),
  status: Type.Union([Type.Literal('proposed'), Type.Literal('approved'), Type.Literal('rejected')]),
  name: Type.String(),
  basis: FeeBasisSchema,
  amountFen: Nullable(Fen),
  unitPriceFen: Nullable(Fen),
  unitName: Nullable(Type.String()),
  quantityScale: Nullable(Type.Integer()),
  formula: Nullable(Type.String()),
  parameters: Type.Array(Type.Object({
    name: Type.String(), label: Type.String(), unit: Type.Optional(Type.String()), min: Type.Optional(Type.String()), max: Type.Optional(Type.String()), scale: Type.Integer()
  })),
  legalBasis: Type.String(),
  standardDocument: Type.String(),
  receivingAccount: Type.String(),
  refundWorkingDays: Nullable(Type.Integer()),
  validFrom: IsoDate,
  validTo: Nullable(IsoDate),
  proposedBy: Uuid,
  proposedAt: Timestamp,
  decidedBy: Nullable(Uuid),
  decidedAt: Nullable(Timestamp),
  decisionNote: Nullable(Type.String())
})
export type FeeVersionView = Static<typeof FeeVersionSchema>

export const FeeItemSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  category: FeeCategorySchema,
  departmentId: Nullable(Uuid),
  inForce: Nullable(FeeVersionSchema),
  versions: Type.Array(FeeVersionSchema)
})
export type FeeItemView = Static<typeof FeeItemSchema>

/** The public fee standard: what the law makes public about each fee in force. */
export const FeeStandardSchema = Type.Object({
  code: Type.String(),
  category: FeeCategorySchema,
  departmentId: Nullable(Uuid),
  version: Type.Integer(),
  name: Type.String(),
  basis: FeeBasisSchema,
  amountFen: Nullable(Fen),
  unitPriceFen: Nullable(Fen),
  unitName: Nullable(Type.String()),
  quantityScale: Nullable(Type.Integer({ description: 'decimal places a quantity may have' })),
  formula: Nullable(Type.String()),
  parameters: FeeVersionSchema.properties.parameters,
  legalBasis: Type.String(),
  standardDocument: Type.String(),
  receivingAccount: Type.String(),
  refundWorkingDays: Nullable(Type.Integer()),
  validFrom: IsoDate,
  validTo: Nullable(IsoDate)
})
export type FeeStandardView = Static<typeof FeeStandardSchema>

export const DecideVersionSchema = StrictObject({
  decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
  note: Type.Optional(Type.String({ maxLength: 1000 }))
})
export type DecideVersion = Static<typeof DecideVersionSchema>

export const FeeLineInputSchema = StrictObject({
  code: Type.String({ minLength: 1, maxLength: 32 }),
  quantity: Type.Optional(Decimal),
  parameters: Type.Optional(Type.Record(ParameterName, Decimal, { maxProperties: 10 }))
})
export type FeeLineInput = Static<typeof FeeLineInputSchema>

export const QuoteSchema = StrictObject({
  lines: Type.Array(FeeLineInputSchema, { minItems: 1, maxItems: 50 }),
  on: Type.Optional(IsoDate)
})

export const QuotedLineSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  versionId: Uuid,
  category: FeeCategorySchema,
  detail: Type.String(),
  amountFen: Fen,
  receivingAccount: Type.String()
})
export const QuoteResultSchema = Type.Object({ on: IsoDate, lines: Type.Array(QuotedLineSchema), totalFen: Fen })

export const FeeItemParams = StrictObject({ feeItemId: Uuid })
export const FeeVersionParams = StrictObject({ versionId: Uuid })
export const StandardsQuery = StrictObject({ on: Type.Optional(IsoDate) })
