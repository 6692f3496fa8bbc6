import { Type, type Static } from 'typebox'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

/** A bank's code, as it appears in the bank interface's paths and in cashiers' forms. */
export const BankCode = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' })
/** A bank's own transaction id, the key of idempotency and of reconciliation (statements parse it too). */
export const BANK_TXN_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$'
export const BankTxnId = Type.String({ pattern: BANK_TXN_ID_PATTERN })

export const BankSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  authMethod: Type.Union([Type.Literal('hmac'), Type.Literal('certificate')]),
  certificateFingerprint: Nullable(Type.String()),
  active: Type.Boolean(),
  createdAt: Timestamp
})
export type BankView = Static<typeof BankSchema>

export const CreateBankSchema = StrictObject({
  code: Type.String({ ...BankCode, description: 'used in the bank\'s API paths' }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  authMethod: Type.Union([Type.Literal('hmac'), Type.Literal('certificate')]),
  certificate: Type.Optional(Type.String({ maxLength: 65_536, description: 'PEM; the certificate whose key signs the bank\'s requests (certificate method)' }))
})
export type CreateBank = Static<typeof CreateBankSchema>

export const BankWithKeySchema = Type.Object({
  bank: BankSchema,
  hmacKey: Nullable(Type.String({ description: 'base64; shown once — give it to the bank over a secure channel' }))
})

export const UpdateBankSchema = StrictObject({ active: Type.Boolean() })
export const BankParams = StrictObject({ bankId: Uuid })
