import { createError } from '../../lib/errors.ts'

export const AccountNotFound = createError<'ACCOUNT_NOT_FOUND', 404, [string]>('ACCOUNT_NOT_FOUND', 'Account %s not found', 404)
export const UsernameTaken = createError<'USERNAME_TAKEN', 409, [string]>('USERNAME_TAKEN', 'Username "%s" is already taken', 409)
export const CreditCodeTaken = createError<'CREDIT_CODE_TAKEN', 409, [string]>('CREDIT_CODE_TAKEN', 'An account with credit code %s already exists', 409)
export const CreditCodeInvalid = createError<'CREDIT_CODE_INVALID', 400, [string]>('CREDIT_CODE_INVALID', '"%s" is not a valid unified social credit code', 400)
export const CreditCodeRequired = createError('CREDIT_CODE_REQUIRED', 'An organisation account needs its unified social credit code', 400)
export const CreditCodeNotForPersons = createError('CREDIT_CODE_NOT_FOR_PERSONS', 'Only organisation accounts carry a unified social credit code', 400)
export const WeakPassword = createError('WEAK_PASSWORD', 'The password needs at least 12 characters and three of: lower case, upper case, digits, symbols', 400)
export const GrantInvalid = createError<'GRANT_INVALID', 400, [string]>('GRANT_INVALID', '%s', 400)
export const ScopeNotFound = createError<'SCOPE_NOT_FOUND', 404, [string, string]>('SCOPE_NOT_FOUND', 'No %s %s to grant a role in', 404)
export const GrantNotFound = createError<'GRANT_NOT_FOUND', 404, [string]>('GRANT_NOT_FOUND', 'Grant %s not found', 404)
export const GrantExists = createError('GRANT_EXISTS', 'The account already holds this role in this scope', 409)
export const CurrentPasswordWrong = createError('CURRENT_PASSWORD_WRONG', 'The current password is not correct', 400)
export const PasswordUnchanged = createError('PASSWORD_UNCHANGED', 'The new password must differ from the current one', 400)
export const LastAdministrator = createError('LAST_ADMINISTRATOR', 'The hall must keep at least one active administrator', 409)
export const InvalidCredentials = createError('INVALID_CREDENTIALS', 'Username or password is not correct', 401)
export const ThrottleNotFound = createError<'THROTTLE_NOT_FOUND', 404, [string]>('THROTTLE_NOT_FOUND', 'Sign-in throttle %s not found', 404)

/** An attempt refused unchecked; the same for every account name, known or not. */
export class SignInThrottled extends createError<'SIGN_IN_THROTTLED', 429, [number]>('SIGN_IN_THROTTLED', 'Too many failed sign-ins; try again in %d seconds', 429) {
  /** sent as Retry-After */
  readonly retryAfterSeconds: number
  constructor (seconds: number) {
    super(seconds)
    this.retryAfterSeconds = seconds
  }
}

// self-registration and recovery by one-time code (accounts.registration.ts)
export const RegistrationNotFound = createError<'REGISTRATION_NOT_FOUND', 404, [string]>('REGISTRATION_NOT_FOUND', 'Registration %s not found or already complete', 404)
export const RegistrationDecided = createError('REGISTRATION_DECIDED', 'This registration has already been decided', 409)
export const CodeInvalid = createError('CODE_INVALID', 'The code is not correct', 400)
export const CodeExpired = createError('CODE_EXPIRED', 'The code has expired; ask for a new one', 400)
export const CodeAttemptsExhausted = createError('CODE_ATTEMPTS_EXHAUSTED', 'The code was entered wrongly too many times; ask for a new one', 400)
/** The one answer of a failed recovery: wrong, expired, used up, or no such account alike. */
export const RecoveryCodeInvalid = createError('RECOVERY_CODE_INVALID', 'The code is wrong or no longer valid; ask for a new one', 400)
export const PhoneInvalid = createError('PHONE_INVALID', 'A mainland mobile number has 11 digits and starts with 1', 400)

/** Too many codes for this number or from this address, or a new one asked for too soon. */
export class CodeRateLimited extends createError<'CODE_RATE_LIMITED', 429, [number]>('CODE_RATE_LIMITED', 'Too many codes asked for; try again in %d seconds', 429) {
  /** sent as Retry-After */
  readonly retryAfterSeconds: number
  constructor (seconds: number) {
    super(seconds)
    this.retryAfterSeconds = seconds
  }
}
export const RefusalReasonRequired = createError('REFUSAL_REASON_REQUIRED', 'Say why the registration is refused', 400)
