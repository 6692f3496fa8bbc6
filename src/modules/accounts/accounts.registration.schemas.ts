import { Type, type Static } from 'typebox'
import { REGISTRATION_STATES } from '../../../schema/index.ts'
import { Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { MOBILE_PATTERN } from '../notifier/notifier.rules.ts'
import { USERNAME_PATTERN } from './accounts.rules.ts'

const Username = Type.String({ pattern: USERNAME_PATTERN, maxLength: 64, description: 'lower case letters, digits, _ . -; 3–64 characters' })
const DisplayName = Type.String({ minLength: 1, maxLength: 100 })
const Password = Type.String({ minLength: 1, maxLength: 256 })
const Mobile = Type.String({ pattern: MOBILE_PATTERN, maxLength: 11, description: 'mainland mobile number, 11 digits' })
const Code = Type.String({ pattern: '^[0-9]{6}$', maxLength: 6, description: 'the six digits sent by SMS' })

export const RegisterPersonSchema = StrictObject({ username: Username, displayName: DisplayName, phone: Mobile, password: Password })
export type RegisterPerson = Static<typeof RegisterPersonSchema>

export const CodeSentSchema = Type.Object({
  registrationId: Uuid,
  phone: Type.String({ description: 'masked: 138****5678' }),
  expiresAt: Timestamp,
  resendAfter: Timestamp
})
export type CodeSent = Static<typeof CodeSentSchema>

export const RegistrationParams = StrictObject({ registrationId: Uuid })
export const VerifyCodeSchema = StrictObject({ code: Code })

export const RegisterOrganisationSchema = StrictObject({
  username: Username,
  displayName: DisplayName,
  creditCode: Type.String({ minLength: 18, maxLength: 18, description: '统一社会信用代码' }),
  role: Type.Enum(['bidder', 'agency'], { description: 'what the organisation does in the hall' }),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  phone: Type.Optional(Mobile),
  password: Password
})
export type RegisterOrganisation = Static<typeof RegisterOrganisationSchema>

export const RegistrationSchema = Type.Object({
  id: Uuid,
  accountId: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  creditCode: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  role: Type.String(),
  state: Type.Enum(REGISTRATION_STATES, { description: 'pending: waiting for the hall or a certificate; activated: proven by a certificate naming the credit code' }),
  reason: Nullable(Type.String()),
  decidedAt: Nullable(Timestamp),
  createdAt: Timestamp
})
export type RegistrationView = Static<typeof RegistrationSchema>

export const RegistrationListQuery = StrictObject({ state: Type.Optional(Type.Enum(REGISTRATION_STATES)), ...PageQuery })
export type RegistrationListFilter = Static<typeof RegistrationListQuery>
export const RefuseRegistrationSchema = StrictObject({ reason: Type.String({ minLength: 1, maxLength: 500 }) })

export const RecoveryRequestSchema = StrictObject({ username: Type.String({ minLength: 1, maxLength: 64 }) })
export const RecoveryRequestedSchema = Type.Object({
  accepted: Type.Literal(true),
  expiresInMinutes: Type.Integer({ description: 'how long a code, if one was sent, stays valid' })
}, { description: 'The same answer whether or not the account exists or has a confirmed mobile number' })
export const RecoveryResetSchema = StrictObject({ username: Type.String({ minLength: 1, maxLength: 64 }), code: Code, newPassword: Password })
export type RecoveryReset = Static<typeof RecoveryResetSchema>
