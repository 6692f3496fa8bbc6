/**
 * HTML forms send strings; these helpers turn them into the API's input shapes so pages call the
 * very same services (and validation) as the JSON API.
 */
import type { TSchema, Static } from 'typebox'
import { Value } from 'typebox/value'
import { createError } from '../lib/errors.ts'
import type { ScopeType } from '../lib/policy.ts'

export const FormInvalid = createError('VALIDATION_FAILED', 'The form contains invalid values', 400)

/** Empty fields mean "not given". */
export function optional (value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed || undefined
}

/** Checks a form-built input against the API schema of the same operation. */
export function checked<T extends TSchema> (schema: T, input: unknown): Static<T> {
  if (!Value.Check(schema, input)) throw new FormInvalid()
  return input as Static<T>
}

/** `hall`, `department:<id>` or `window:<id>` from a scope select. */
export function parseScope (value: string | undefined): { scopeType: Exclude<ScopeType, 'project'>, scopeId: string | null } {
  if (!value || value === 'hall') return { scopeType: 'hall', scopeId: null }
  const [type, id] = value.split(':')
  if ((type === 'department' || type === 'window') && id) return { scopeType: type, scopeId: id }
  throw new FormInvalid()
}

/** Only same-site paths may be redirect targets (no open redirects). */
export function safeNext (next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/'
}
