/**
 * HTTP conventions shared by every route: strict validation, security headers, cookies, form
 * bodies, per-route rate limits and multipart limits, and the guards every request passes:
 *
 * - NUL characters are refused (400 NUL_CHARACTER) in the path, the query and any parsed body,
 *   before authentication or a bank's signature check: no text column can hold one, and an id
 *   with a NUL must never reach a query.
 * - A multipart body must name its boundary (400 MULTIPART_MALFORMED) before any route reads it.
 * - After an answer sent before the request body was read to its end (a refused upload), the
 *   rest is read and discarded, or, beyond a few megabytes, the connection closes: left unread,
 *   the rest would stall the connection and the next request on it would never get an answer.
 *
 * Validation: Fastify's default Ajv silently strips unknown properties and coerces body types;
 * here the body is validated as sent (unknown fields and wrong types are refused), while path
 * and query parameters, which arrive as strings, are coerced.
 */
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import { Ajv, type Options as AjvOptions, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'
import fp from 'fastify-plugin'
import { createError } from '../lib/errors.ts'

export const NulCharacter = createError<'NUL_CHARACTER', 400, [string]>('NUL_CHARACTER', 'The %s contains a NUL character, which is never valid', 400)
export const MultipartMalformed = createError<'MULTIPART_MALFORMED', 400, [string]>('MULTIPART_MALFORMED', 'The multipart body is malformed: %s', 400)

/** A refused body up to this size is read to its end and the connection kept; a larger one closes it. */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024
/** Node's parser refuses a raw NUL in the request line; an escaped one arrives as %00 */
const NUL_IN_URL = /%00/i
const BOUNDARY = /;\s*boundary\s*=\s*(?:"[^"]+"|[^\s;"]+)/i

/**
 * True when a parsed body holds a NUL in any string, key or value, at any depth. Only what a
 * parser builds is walked (arrays and plain objects): a streamed body (a statement, a bid) is a
 * stream whose properties reach the socket and the server, and is read by its route.
 */
export function containsNul (value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (value === null || typeof value !== 'object' || depth > 32) return false
  if (Array.isArray(value)) return value.some((item) => containsNul(item, depth + 1))
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return false
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item, depth + 1))
}

function createAjv (options: AjvOptions): Ajv {
  const ajv = new Ajv({ useDefaults: true, removeAdditional: false, allErrors: false, strict: false, ...options })
  addFormats.default(ajv)
  return ajv
}

/*
 * Fastify compiles every route's validators and response serializers while the app starts: for
 * the hall's hundreds of routes, Ajv's and fast-json-stringify's code generation was the largest
 * part of the start's CPU. Each is compiled at its route's first use instead, once.
 */

/** An Ajv validator compiled on first use; Fastify reads `errors` and `schemaEnv` (to pass the request as parent data) from it. */
function validatorOnFirstUse (compile: () => ValidateFunction): ValidateFunction {
  let compiled: ValidateFunction | undefined
  const get = () => (compiled ??= compile())
  const validate = (data: unknown, context?: Parameters<ValidateFunction>[1]) => get()(data, context)
  Object.defineProperties(validate, {
    schemaEnv: { get: () => get().schemaEnv },
    errors: { get: () => get().errors }
  })
  return validate as ValidateFunction
}

export function createValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const asSent = createAjv({ coerceTypes: false })
  const fromStrings = createAjv({ coerceTypes: 'array' })
  return ({ schema, httpPart }) => validatorOnFirstUse(() => (httpPart === 'body' ? asSent : fromStrings).compile(schema as object))
}

/** Fastify's own serializer compiler (fast-json-stringify, no shared schemas), compiling on first use. */
export function createSerializerCompiler (): FastifySerializerCompiler<unknown> {
  const compile = SerializerSelector()({}, {})
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined
    // Fastify always names the status of a response schema
    return (data) => (serialize ??= compile(route as Parameters<typeof compile>[0]) as (data: unknown) => string)(data)
  }
}

export interface HttpPluginOptions {
  maxFileBytes: number
}

export default fp<HttpPluginOptions>(async function httpPlugin (app, options) {
  app.setValidatorCompiler(createValidatorCompiler())
  app.setSerializerCompiler(createSerializerCompiler())
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        mediaSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null
      }
    },
    crossOriginEmbedderPolicy: false,
    // with helmet's default no-referrer, browsers send `Origin: null` on form posts, which the
    // cross-site check (src/plugins/auth.ts) cannot tell from a forged request
    referrerPolicy: { policy: 'same-origin' }
  })
  await app.register(cookie)
  await app.register(formbody, { bodyLimit: 64 * 1024 })
  await app.register(rateLimit, { global: false })
  await app.register(multipart, { limits: { fileSize: options.maxFileBytes, files: 20, fields: 50, fieldSize: 64 * 1024 } })

  // registered before the auth plugin, so it runs before a token or a signature is looked up
  app.addHook('onRequest', async (request) => {
    if (!NUL_IN_URL.test(request.url)) return
    const path = request.url.split('?', 1)[0] ?? ''
    throw new NulCharacter(NUL_IN_URL.test(path) ? 'path' : 'query')
  })

  app.addHook('preValidation', async (request) => {
    if (request.isMultipart()) {
      if (!BOUNDARY.test(request.headers['content-type'] ?? '')) throw new MultipartMalformed('the content type names no boundary')
    } else if (containsNul(request.body)) {
      throw new NulCharacter('body')
    }
  })

  // `complete` is false while body bytes have still to arrive (an injected request has no such flag)
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete !== false) return
    const declared = Number(request.headers['content-length'])
    if (!(declared <= DRAIN_LIMIT_BYTES)) reply.header('connection', 'close')
  })
  app.addHook('onResponse', async (request) => {
    // discard what was received and not read (a paused body holds the socket still): the
    // connection then carries the next request, or, closing, ends without resetting an answer
    // the client has not read yet
    if (request.raw.readableEnded) return
    request.raw.unpipe() // a parser left waiting on a part nobody reads would pause the body again
    request.raw.resume()
  })
}, { name: 'http' })
