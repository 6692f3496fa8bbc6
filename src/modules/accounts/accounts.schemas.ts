import { Type, type Static } from 'typebox'
import { ACCOUNT_KINDS, ACCOUNT_STATUSES, THROTTLE_SCOPES } from '../../../schema/index.ts'
import { Nullable, PageQuery, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { ROLES, SCOPE_TYPES } from '../../lib/policy.ts'
import { USERNAME_PATTERN } from './accounts.rules.ts'

export const RoleSchema = Type.Enum(ROLES)
export const ScopeTypeSchema = Type.Enum(SCOPE_TYPES)
const Username = Type.String({ pattern: USERNAME_PATTERN, description: 'lower case letters, digits, _ . -; 3–64 characters' })
const DisplayName = Type.String({ minLength: 1, maxLength: 100 })
const CreditCode = Type.String({ minLength: 18, maxLength: 18, description: '统一社会信用代码 (organisations)' })
const Email = Type.String({ format: 'email', maxLength: 254 })
const Phone = Type.String({ pattern: '^\\+?[0-9 -]{5,20}$' })
const Password = Type.String({ minLength: 1, maxLength: 256 })

export const GrantSchema = Type.Object({
  id: Uuid,
  role: RoleSchema,
  scopeType: ScopeTypeSchema,
  scopeId: Nullable(Uuid),
  grantedAt: Timestamp
})
export type GrantView = Static<typeof GrantSchema>

export const AccountSchema = Type.Object({
  id: Uuid,
  kind: Type.Enum(ACCOUNT_KINDS),
  username: Type.String(),
  displayName: Type.String(),
  creditCode: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  status: Type.Enum(ACCOUNT_STATUSES),
  mustChangePassword: Type.Boolean(),
  createdAt: Timestamp,
  grants: Type.Array(GrantSchema)
})
export type AccountView = Static<typeof AccountSchema>

export const GrantInputSchema = StrictObject({
  role: RoleSchema,
  scopeType: ScopeTypeSchema,
  scopeId: Type.Optional(Nullable(Uuid))
})
export type GrantInput = Static<typeof GrantInputSchema>

export const CreateAccountSchema = StrictObject({
  kind: Type.Enum(ACCOUNT_KINDS),
  username: Username,
  displayName: DisplayName,
  creditCode: Type.Optional(CreditCode),
  email: Type.Optional(Email),
  phone: Type.Optional(Phone),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'omit to generate a one-time password' })),
  grants: Type.Optional(Type.Array(GrantInputSchema, { maxItems: 20 }))
})
export type CreateAccount = Static<typeof CreateAccountSchema>

export const CreatedAccountSchema = Type.Object({
  account: AccountSchema,
  oneTimePassword: Nullable(Type.String({ description: 'shown once; the user must change it at first sign-in' }))
})

export const UpdateAccountSchema = StrictObject({
  displayName: Type.Optional(DisplayName),
  email: Type.Optional(Nullable(Email)),
  phone: Type.Optional(Nullable(Phone)),
  status: Type.Optional(Type.Enum(ACCOUNT_STATUSES))
}, { minProperties: 1 })
export type UpdateAccount = Static<typeof UpdateAccountSchema>

export const ChangePasswordSchema = StrictObject({ currentPassword: Password, newPassword: Password })
export type ChangePassword = Static<typeof ChangePasswordSchema>

export const OneTimePasswordSchema = Type.Object({ oneTimePassword: Type.String() })

export const AccountParams = StrictObject({ accountId: Uuid })
export const GrantParams = StrictObject({ accountId: Uuid, grantId: Uuid })
export const AccountListQuery = StrictObject({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'matches username, name or credit code' })),
  role: Type.Optional(RoleSchema),
  ...PageQuery
})
export type AccountListFilter = Static<typeof AccountListQuery>
export const AccountListSchema = Type.Object({ items: Type.Array(AccountSchema), total: Type.Integer() })

export const ThrottleSchema = Type.Object({
  id: Uuid,
  scope: Type.Enum(THROTTLE_SCOPES, { description: 'account: failures on this account name (known or not); client: failures from this address' }),
  key: Type.String({ description: 'the account name as typed (normalised) or the client address' }),
  failures: Type.Integer(),
  firstFailureAt: Timestamp,
  lastFailureAt: Timestamp,
  blockedUntil: Nullable(Timestamp)
}, { description: 'Remembered failed sign-ins; attempts before blockedUntil are refused unchecked' })
export type ThrottleView = Static<typeof ThrottleSchema>

export const ThrottleParams = StrictObject({ throttleId: Uuid })
