import { Type, type Static } from 'typebox'
import { Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'

export const CreateEscrowSchema = StrictObject({
  reference: Type.String({ minLength: 1, maxLength: 200, description: 'what the escrow serves, e.g. tender:<id>' }),
  threshold: Type.Integer({ minimum: 2, maximum: 20 }),
  custodians: Type.Array(Uuid, { minItems: 2, maxItems: 20, description: 'account ids; each needs a valid RSA certificate' }),
  notBefore: Timestamp
})
export type CreateEscrow = Static<typeof CreateEscrowSchema>

export const EscrowSchema = Type.Object({
  id: Uuid,
  reference: Type.String(),
  threshold: Type.Integer(),
  shareCount: Type.Integer(),
  notBefore: Timestamp,
  certificatePem: Type.String({ description: 'seal bids to this certificate too (it is a key-envelope recipient)' }),
  custodians: Type.Array(Type.Object({ index: Type.Integer(), custodianId: Uuid, submitted: Type.Boolean() })),
  createdAt: Timestamp
})
export type EscrowView = Static<typeof EscrowSchema>

export const MyShareSchema = Type.Object({
  index: Type.Integer(),
  envelope: Type.String({ description: 'CMS EnvelopedData (DER, base64): `openssl cms -decrypt -inform DER -inkey your.key -recip your.pem`' }),
  submittedAt: Nullable(Timestamp)
})

export const SubmitShareSchema = StrictObject({ share: Type.String({ minLength: 4, maxLength: 20_000, pattern: '^[A-Za-z0-9+/=]+$', description: 'the decrypted share, base64' }) })
export const EscrowParams = StrictObject({ escrowId: Uuid })
