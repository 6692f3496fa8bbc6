/**
 * HTTP conventions shared by every route: strict validation, security headers, cookies, form
 * bodies, per-route rate limits and multipart limits.
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
import { Ajv, type Options as AjvOptions } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import fp from 'fastify-plugin'

function createAjv (options: AjvOptions): Ajv {
  const ajv = new Ajv({ useDefaults: true, removeAdditional: false, allErrors: false, strict: false, ...options })
  addFormats.default(ajv)
  return ajv
}

export function createValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const asSent = createAjv({ coerceTypes: false })
  const fromStrings = createAjv({ coerceTypes: 'array' })
  return ({ schema, httpPart }) => (httpPart === 'body' ? asSent : fromStrings).compile(schema as object)
}

export interface HttpPluginOptions {
  maxFileBytes: number
}

export default fp<HttpPluginOptions>(async function httpPlugin (app, options) {
  app.setValidatorCompiler(createValidatorCompiler())
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
}, { name: 'http' })
