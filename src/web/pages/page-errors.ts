/**
 * A refused form shows the page again with the reason, in the page's language. Some refusals
 * carry a detail the catalogue cannot know (which parameter of a formula, which statement line);
 * it is shown beneath, as the service wrote it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isClientError } from '../../lib/errors.ts'
import { hasMessage } from '../i18n.ts'
import { pageContext } from '../render.ts'

export interface ShownError {
  error: string
  /** the service's own words (English), for refusals whose reason varies */
  errorDetail?: string
  /** malformed lines of an uploaded file */
  lineErrors?: Array<{ line: string, message: string }>
}

const DETAILED = new Set([
  'FEE_INPUT_INVALID', 'FEE_DEFINITION_INVALID', 'FEE_NOT_IN_FORCE', 'SIMULATED_BANK_REFUSED', 'STATEMENT_MALFORMED',
  // timing refusals name the earliest lawful date; project and tender refusals name the field
  'BID_PERIOD_TOO_SHORT', 'SALE_PERIOD_TOO_SHORT', 'BOND_ABOVE_CEILING', 'CLARIFICATION_TOO_LATE', 'OBJECTION_TOO_LATE', 'PROJECT_DETAILS_INVALID', 'TENDER_INVALID'
])

export function shownError (request: FastifyRequest, error: Error & { code?: string }): ShownError {
  const { t } = pageContext(request)
  const params = (error as { messageParams?: Record<string, string | number> }).messageParams
  const key = `errors.${error.code ?? ''}`
  const shown: ShownError = { error: error.code && hasMessage(key) ? t(key, params) : error.message }
  if (error.code && DETAILED.has(error.code) && shown.error !== error.message) shown.errorDetail = error.message
  const details = (error as { details?: unknown }).details
  if (Array.isArray(details)) {
    shown.lineErrors = details.map((detail: { path?: string, message?: string }) => {
      const line = /^line (\d+)$/.exec(detail.path ?? '')?.[1]
      return { line: line ? t('statements.line', { line }) : String(detail.path ?? ''), message: String(detail.message ?? '') }
    })
  }
  return shown
}

/** Renders the page again with the refusal (and its status); rethrows anything that is not the user's doing. */
export async function orShowError (request: FastifyRequest, reply: FastifyReply, error: unknown, show: (shown: ShownError) => unknown) {
  if (!isClientError(error)) throw error
  reply.code(error.statusCode)
  return show(shownError(request, error))
}
