/**
 * Errors where they happen (the GOV.UK pattern, STYLE.md "Pages"): a refused form comes back with
 * an error summary at the top whose items link to the fields (_error-summary.eta), the message
 * beside each field (_field-error.eta) and the field marked (_invalid.eta: aria-invalid,
 * aria-describedby). A refusal that belongs to no field is listed in the summary only. Fields are
 * named by their element id, which the summary links to.
 */
import type { FastifyRequest } from 'fastify'
import { isClientError } from '../lib/errors.ts'
import { pageContext } from './render.ts'

export interface FormProblem {
  /** the id of the field at fault; null when the refusal belongs to no field */
  field: string | null
  message: string
}

export interface FormErrors {
  summary: FormProblem[]
  /** the first message of each field, by its id */
  fieldErrors: Record<string, string>
  /** the id of the form the problems belong to, when a page holds several */
  failedForm?: string
}

/** The view model of a refused form: problems for the summary and, by field, for the fields. */
export function formErrors (problems: FormProblem[], failedForm?: string): FormErrors {
  const fieldErrors: Record<string, string> = {}
  for (const problem of problems) if (problem.field && !fieldErrors[problem.field]) fieldErrors[problem.field] = problem.message
  return { summary: problems, fieldErrors, ...(failedForm ? { failedForm } : {}) }
}

/**
 * A service's refusal as one problem of a form: its words from the catalogue (under `prefix`,
 * then the site's `errors.`), beside the field its code belongs to. Anything not the user's doing
 * is rethrown, for the error page.
 */
export function refusalProblem (request: FastifyRequest, error: unknown, fieldOf: Record<string, string>, prefix = 'errors.', params?: Record<string, string | number>): FormProblem {
  if (!isClientError(error)) throw error
  const { t } = pageContext(request)
  const code = error.code
  const own = `${prefix}${code}`
  const common = `errors.${code}`
  const found = t(own, params)
  const message = found !== own ? found : t(common, params) !== common ? t(common, params) : t('form.refused')
  return { field: fieldOf[code] ?? null, message }
}

/** A form refused by the page itself, field by field (the service never saw it). */
export class FormRefused extends Error {
  readonly code = 'FORM_INVALID'
  constructor (readonly problems: FormProblem[], readonly statusCode = 400) {
    super('The form has problems; each is shown beside its field')
  }
}

/** Throws the page's own problems, if any. */
export function assertNoProblems (problems: FormProblem[], statusCode = 400): void {
  if (problems.length > 0) throw new FormRefused(problems, statusCode)
}

/** A refusal, the page's own or a service's, as the problems of a form. */
export function refusalProblems (request: FastifyRequest, error: unknown, fieldOf: Record<string, string>, prefix = 'errors.'): FormProblem[] {
  if (error instanceof FormRefused) return error.problems
  return [refusalProblem(request, error, fieldOf, prefix)]
}

/** Form values as the page keeps them: text as typed, a repeated field (ticked boxes) as its list. */
export function keptValues (body: unknown): Record<string, string | string[]> {
  if (!body || typeof body !== 'object') return {}
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).flatMap(([name, value]): Array<[string, string | string[]]> => {
    if (typeof value === 'string') return [[name, value]]
    return Array.isArray(value) && value.every((one) => typeof one === 'string') ? [[name, value as string[]]] : []
  }))
}
