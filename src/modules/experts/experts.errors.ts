import { createError } from '../../lib/errors.ts'

// the account's own refusals keep the accounts module's codes (one code, one meaning, one set of words)
export { AccountNotFound, CreditCodeInvalid, UsernameTaken, WeakPassword } from '../accounts/accounts.errors.ts'
export { DepartmentNotFound } from '../departments/departments.errors.ts'

export const ExpertNotFound = createError<'EXPERT_NOT_FOUND', 404, [string]>('EXPERT_NOT_FOUND', 'Expert %s not found', 404)
/** the caller holds the expert role but no profile in the pool has been made for the account */
export const NoExpertProfile = createError('EXPERT_PROFILE_NOT_FOUND', 'This account has no profile in the expert pool', 404)
export const ExpertAccountTaken = createError('EXPERT_ACCOUNT_TAKEN', 'The account already has a profile in the expert pool', 409)
export const AccountNotAPerson = createError('EXPERT_ACCOUNT_NOT_PERSON', 'An expert\'s account is a person\'s, not an organisation\'s', 422)
export const ExpertWithdrawn = createError('EXPERT_WITHDRAWN', 'The expert has left the pool', 409)
export const ExpertActive = createError('EXPERT_ACTIVE', 'The expert is in the pool already', 409)
export const PoolNotInScope = createError('EXPERT_POOL_NOT_IN_SCOPE', 'The expert pool is kept for the whole hall: a hall-wide grant is needed', 403)

export const SpecialtyUnknown = createError<'SPECIALTY_UNKNOWN', 422, [string]>('SPECIALTY_UNKNOWN', 'Specialty %s is not a level-3 code of the classification', 422)
export const SpecialtiesRequired = createError('SPECIALTIES_REQUIRED', 'An expert has at least one specialty', 422)
export const RegionCodeInvalid = createError<'REGION_CODE_INVALID', 422, [string]>('REGION_CODE_INVALID', 'Region code %s is not an administrative division code', 422)
export const PracticeYearInvalid = createError<'PRACTICE_YEAR_INVALID', 422, [number]>('PRACTICE_YEAR_INVALID', 'The year practice began (%d) is not a past year', 422)
export const DateRangeInvalid = createError<'EXPERT_DATES_INVALID', 422, [string]>('EXPERT_DATES_INVALID', 'The dates are not a valid range: %s', 422)

export const EmploymentStartInvalid = createError<'EMPLOYMENT_START_INVALID', 422, [string]>('EMPLOYMENT_START_INVALID', 'The new employment must start after the current one (which began %s) and not more than a year ahead', 422)
export const RelationNotFound = createError<'RELATION_NOT_FOUND', 404, [string]>('RELATION_NOT_FOUND', 'Declared relation %s not found or already ended', 404)
export const PenaltyNotFound = createError<'PENALTY_NOT_FOUND', 404, [string]>('PENALTY_NOT_FOUND', 'Penalty %s not found', 404)
export const PenaltyEndInvalid = createError<'PENALTY_END_INVALID', 422, [string]>('PENALTY_END_INVALID', 'A penalty ends on or after the day it began (%s)', 422)

export const UnavailabilityInPast = createError<'UNAVAILABILITY_IN_PAST', 422, [string]>('UNAVAILABILITY_IN_PAST', 'Unavailable dates start today (%s) or later', 422)
export const UnavailabilityTooFar = createError<'UNAVAILABILITY_TOO_FAR', 422, [string]>('UNAVAILABILITY_TOO_FAR', 'Unavailable dates end within a year, by %s', 422)
export const UnavailabilityOverlaps = createError<'UNAVAILABILITY_OVERLAPS', 409, [string, string]>('UNAVAILABILITY_OVERLAPS', 'These dates overlap dates already declared (%s to %s)', 409)
export const UnavailabilityNotFound = createError<'UNAVAILABILITY_NOT_FOUND', 404, [string]>('UNAVAILABILITY_NOT_FOUND', 'Unavailable dates %s not found', 404)
export const UnavailabilityStarted = createError('UNAVAILABILITY_STARTED', 'Unavailable dates that have begun stay on record', 409)

export const ChangePending = createError('PROFILE_CHANGE_PENDING', 'A proposed change is already waiting for the hall: withdraw it first', 409)
export const ChangeNotFound = createError<'PROFILE_CHANGE_NOT_FOUND', 404, [string]>('PROFILE_CHANGE_NOT_FOUND', 'Proposed change %s not found', 404)
export const ChangeDecided = createError('PROFILE_CHANGE_DECIDED', 'The proposed change was already decided', 409)

/** the import's one refusal: `details` holds every failing row ({ path, message, row, field, code }) */
export const ImportRowsInvalid = createError<'EXPERT_IMPORT_INVALID', 422, [number]>('EXPERT_IMPORT_INVALID', '%d row(s) of the file are wrong; nothing was imported', 422)
export const ImportEmpty = createError('EXPERT_IMPORT_EMPTY', 'The file has a header line but no expert rows', 422)
export const ImportHeaderInvalid = createError<'EXPERT_IMPORT_HEADER_INVALID', 422, [string]>('EXPERT_IMPORT_HEADER_INVALID', 'The header line is wrong: %s', 422)
export const ImportTooLarge = createError<'EXPERT_IMPORT_TOO_LARGE', 413, [string]>('EXPERT_IMPORT_TOO_LARGE', 'The file is too large: %s', 413)
export const ImportNotUtf8 = createError('EXPERT_IMPORT_NOT_UTF8', 'The file is not UTF-8 text (save it as "CSV UTF-8")', 422)
export const ImportMediaType = createError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv', 415)
