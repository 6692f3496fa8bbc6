/**
 * The one error handler: every failure leaves as application/problem+json (RFC 9457) with a
 * stable `code`. User-caused errors are logged at info without their input; 5xx details are
 * logged and masked. Framework error codes are translated so clients never depend on Fastify's.
 * A coded error may carry `details` ({ path, message }[]) that say where the input is wrong.
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

export interface Problem {
  type: string
  title: string
  status: number
  code: string
  detail: string
  requestId: string
  errors?: Array<{ path: string, message: string }>
}

const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST',
  FST_REQ_FILE_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_PARTS_LIMIT: 'BODY_TOO_LARGE',
  FST_FILES_LIMIT: 'BODY_TOO_LARGE',
  FST_FIELDS_LIMIT: 'BODY_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE'
}

function problemCode (error: FastifyError, status: number): string {
  if (error.validation) return 'VALIDATION_FAILED'
  const code = error.code
  if (code && FRAMEWORK_CODES[code]) return FRAMEWORK_CODES[code]
  if (error instanceof SyntaxError && status === 400) return 'MALFORMED_JSON'
  if (status === 429) return 'RATE_LIMITED'
  if (code && /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith('FST_')) return code
  return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'
}

export function toProblem (error: FastifyError, request: FastifyRequest): Problem {
  const rawStatus = error.statusCode ?? 500
  const status = rawStatus >= 400 && rawStatus < 600 ? rawStatus : 500
  const code = problemCode(error, status)
  const problem: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    detail: status >= 500 ? 'An internal error occurred; it has been logged with the request id.' : error.message,
    requestId: String(request.id)
  }
  const details = (error as { details?: unknown }).details
  if (status < 500 && Array.isArray(details)) problem.errors = details as Problem['errors']
  if (error.validation) {
    problem.detail = 'The request does not match the schema.'
    problem.errors = error.validation.map((issue) => ({
      path: `/${error.validationContext ?? 'body'}${issue.instancePath}`,
      message: issue.keyword === 'additionalProperties'
        ? `unknown property "${String((issue.params as { additionalProperty?: string }).additionalProperty)}"`
        : issue.message ?? 'is invalid'
    }))
  }
  return problem
}

export function sendProblem (reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(problem)
}

export default fp(async function errorsPlugin (app) {
  app.setErrorHandler(function handleError (error: FastifyError, request, reply) {
    const problem = toProblem(error, request)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: problem.code, status: problem.status }, 'request refused')
    if (problem.status === 429 && error.message) problem.detail = error.message
    return sendProblem(reply, problem)
  })

  app.setNotFoundHandler(function handleNotFound (request, reply) {
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      detail: `No route ${request.method} ${request.url.split('?')[0] ?? ''}`,
      requestId: String(request.id)
    })
  })
}, { name: 'errors' })
