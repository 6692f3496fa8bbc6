/**
 * TypeBox building blocks shared by route schemas. Objects are closed (unknown properties are
 * refused, see src/plugins/http.ts), strings are bounded, errors are problem+json.
 */
import { Type, type TProperties, type TSchema } from 'typebox'

/** A closed object: unknown properties fail validation instead of being dropped. */
export function StrictObject<T extends TProperties> (properties: T, options: { description?: string, $id?: string, minProperties?: number } = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false })
}

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40 })
export const IsoDate = Type.String({ format: 'date', maxLength: 10 })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String({ description: 'stable machine-readable error code' }),
  detail: Type.String(),
  requestId: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() })))
}, { description: 'RFC 9457 problem details (application/problem+json)' })

/** Response entries for the error statuses a route can answer (400 always: validation). */
export function problems<S extends number[]> (...statuses: S): { [K in 400 | S[number]]: typeof ProblemSchema } {
  const responses: Record<number, typeof ProblemSchema> = {}
  for (const status of new Set([400, ...statuses])) responses[status] = ProblemSchema
  return responses as { [K in 400 | S[number]]: typeof ProblemSchema }
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }))
}

export const IdParams = (name: string) => StrictObject({ [name]: Uuid })

/** Money on the wire: integer fen (1 yuan = 100 fen), exact in every JSON client. */
export const Fen = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'amount in fen (1 yuan = 100 fen)' })
export const SignedFen = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'amount in fen; debits positive, credits negative' })
