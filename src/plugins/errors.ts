/**
 * The one error handler: every failure leaves as application/problem+json (RFC 9457) with a
 * stable `code`. User-caused errors are logged at info without their input; 5xx details are
 * logged and masked. Framework error codes are translated so clients never depend on Fastify's.
 * A coded error may carry `details` ({ path, message }[]) that say where the input is wrong.
 */
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
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
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST',
  FST_REQ_FILE_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_PARTS_LIMIT: 'BODY_TOO_LARGE',
  FST_FILES_LIMIT: 'BODY_TOO_LARGE',
  FST_FIELDS_LIMIT: 'BODY_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE'
}

/** Seconds a client is told to wait (`Retry-After`) when a dependency is down: every 503. */
export const RETRY_AFTER_SECONDS = 5
/** SQLSTATEs and postgres.js / socket codes meaning PostgreSQL cannot be reached right now */
const DATABASE_DOWN = /^(08[0-9A-Z]{3}|57P0[123]|53300|CONNECTION_(CLOSED|ENDED|DESTROYED)|CONNECT_TIMEOUT|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/

/**
 * An uncoded failure caused by the database being unreachable (restarting, failing over). The
 * object store translates its own socket errors (STORE_UNAVAILABLE), so a raw socket error that
 * reaches this handler came from the one other connection a request holds: PostgreSQL's.
 */
function isDatabaseUnavailable (error: FastifyError): boolean {
  if (typeof error.statusCode === 'number') return false
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && DATABASE_DOWN.test(code)) return true
  }
  return false
}

/** Framework errors whose status says the wrong thing: a body that is not multipart is an unsupported media type. */
const FRAMEWORK_STATUSES: Record<string, number> = { FST_INVALID_MULTIPART_CONTENT_TYPE: 415 }

/**
 * Uncoded failures that are the request's fault. The multipart parser (busboy) throws plain
 * errors known only by their words, for a body cut off before its closing boundary (an aborted
 * upload); PostgreSQL refuses a NUL in text that no guard caught (a multipart field) and a
 * reference to a row that does not exist that no service checked. None of these echoes SQL.
 */
const MULTIPART_CUT_OFF = /^(Unexpected end of multipart data|(Part|Preamble) terminated early due to unexpected end of multipart data|Multipart: Boundary not found)$/
function inputProblem (error: FastifyError): { status: number, code: string, detail: string } | null {
  if (typeof error.statusCode === 'number') return null
  if (MULTIPART_CUT_OFF.test(error.message)) return { status: 400, code: 'MULTIPART_MALFORMED', detail: `The multipart body is malformed: ${error.message.toLowerCase()}` }
  // drizzle wraps the driver's error (DrizzleQueryError) with it as the cause
  const database = error.cause instanceof Error ? error.cause : error
  const sqlState = (database as { code?: unknown }).code
  if (sqlState === '22021' && /0x00/.test(database.message)) return { status: 400, code: 'NUL_CHARACTER', detail: 'The request contains a NUL character, which is never valid' }
  if (sqlState === '23503' && /^insert or update/.test(database.message)) return { status: 422, code: 'REFERENCE_NOT_FOUND', detail: 'The request refers to something that does not exist' }
  return null
}

function problemCode (error: FastifyError, status: number): string {
  if (error.validation) return 'VALIDATION_FAILED'
  const code = error.code
  if (code && FRAMEWORK_CODES[code]) return FRAMEWORK_CODES[code]
  if (error instanceof SyntaxError && status === 400) return 'MALFORMED_JSON'
  if (code && /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith('FST_')) return code
  if (status === 429) return 'RATE_LIMITED'
  return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'
}

export function toProblem (error: FastifyError, request: FastifyRequest): Problem {
  const databaseDown = isDatabaseUnavailable(error)
  const input = databaseDown ? null : inputProblem(error)
  const rawStatus = databaseDown ? 503 : input?.status ?? FRAMEWORK_STATUSES[error.code] ?? error.statusCode ?? 500
  const status = rawStatus >= 400 && rawStatus < 600 ? rawStatus : 500
  const code = databaseDown ? 'DATABASE_UNAVAILABLE' : input?.code ?? problemCode(error, status)
  const problem: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    // a 503 is a passing condition the client can act on (wait, retry); its words reveal nothing internal
    detail: databaseDown
      ? 'The database cannot be reached; try again shortly.'
      : input ? input.detail : status >= 500 && status !== 503 ? 'An internal error occurred; it has been logged with the request id.' : error.message,
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

const PARSER_REFUSALS: Record<string, { status: number, code: string, detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', detail: 'The request line and headers must stay under 16 KB.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', detail: 'The request did not arrive in time.' }
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refuses some requests before any route sees
 * them (a request line or headers over 16 KB, a malformed request, a timeout); they too leave
 * as problem+json, and the connection closes as the parser cannot continue on it.
 */
export function answerClientError (this: FastifyInstance, error: Error & { code?: string }, socket: Duplex) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const refusal = PARSER_REFUSALS[error.code ?? ''] ?? { status: 400, code: 'BAD_REQUEST', detail: 'The request is not valid HTTP.' }
  const title = STATUS_CODES[refusal.status] ?? 'Error'
  const body = JSON.stringify({ type: 'about:blank', title, status: refusal.status, code: refusal.code, detail: refusal.detail, requestId: randomUUID() } satisfies Problem)
  this.log.debug({ code: refusal.code, status: refusal.status }, 'request refused by the HTTP parser')
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(`HTTP/1.1 ${refusal.status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy())
}

/**
 * Browsers that follow a dead link get the site's page, in its layout and language; the web
 * module sets `render` (the renderer lives in its own scope), and without it every answer is
 * problem+json.
 */
export interface NotFoundPage {
  render: ((request: FastifyRequest, reply: FastifyReply) => unknown) | null
}

declare module 'fastify' {
  interface FastifyInstance {
    notFoundPage: NotFoundPage
  }
}

/** A browser asking for a page: the API and the assets answer problem+json whatever the Accept. */
function wantsPage (request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  if (request.url.startsWith('/api/') || request.url.startsWith('/assets/')) return false
  return /\btext\/html\b/.test(request.headers.accept ?? '')
}

export default fp(async function errorsPlugin (app) {
  app.setErrorHandler(function handleError (error: FastifyError, request, reply) {
    const problem = toProblem(error, request)
    // an outage of the database or the store is known and retried by clients: a warning, not an error
    if (problem.status === 503) request.log.warn({ code: problem.code, err: error }, 'request refused while degraded')
    else if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: problem.code, status: problem.status }, 'request refused')
    if (problem.status === 429 && error.message) problem.detail = error.message
    // a coded refusal that says when to come back (sign-in throttling)
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds
    if (problem.status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter))
    if (problem.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS))
    return sendProblem(reply, problem)
  })

  const notFoundPage: NotFoundPage = { render: null }
  app.decorate('notFoundPage', notFoundPage)
  app.setNotFoundHandler(function handleNotFound (request, reply) {
    if (notFoundPage.render && wantsPage(request)) return notFoundPage.render(request, reply)
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
