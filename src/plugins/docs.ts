/**
 * OpenAPI: every route's TypeBox schema is collected into /docs/json and browsable at /docs.
 * The UI's assets are served by OpenHall itself (no CDN), as halls often run on an intranet.
 *
 * Each operation's `security` is written from its route policy (src/plugins/auth.ts), never by
 * hand, so the document cannot drift from what is enforced: public routes have none, bank
 * routes a bank's signature, every other route a session (bearer token or cookie). Pages are
 * listed too, under the 'pages' tag, so the document names everything the server answers.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { BANK_HEADERS } from '../lib/bank-signature.ts'

type Security = Array<Record<string, string[]>>
const SESSION: Security = [{ bearer: [] }, { cookie: [] }]
const PAGE_SESSION: Security = [{ cookie: [] }]
const BANK: Security = [{ bankSignature: [] }]
/** Added by third-party plugins: the docs UI itself and static assets. */
const UNLISTED_PREFIXES = ['/docs', '/assets/']

/** The route's schema with its tags and security as its policy makes them. */
export function documentRoute (route: RouteOptions): void {
  // a GET's automatic HEAD shares its schema, already written
  if (route.method === 'HEAD' || UNLISTED_PREFIXES.some((prefix) => route.url.startsWith(prefix))) return
  const schema = (route.schema ??= {}) as { tags?: string[], security?: Security, summary?: string, operationId?: string, hide?: boolean }
  if (schema.hide) return
  const policy = (route.config as { policy?: string } | undefined)?.policy
  const page = !schema.tags?.length
  if (page) {
    schema.tags = ['pages']
    // e.g. GET /admin/accounts/:accountId → pageGetAdminAccountsAccountId
    schema.operationId ??= `page${[String(route.method).toLowerCase(), ...route.url.split(/[^A-Za-z0-9]+/)]
      .filter(Boolean).map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}`
    schema.summary ??= 'HTML page (server-rendered; forms post application/x-www-form-urlencoded or multipart/form-data)'
  }
  schema.security = policy === 'public' ? [] : policy === 'bank' ? BANK : page ? PAGE_SESSION : SESSION
}

export default fp<{ version: string }>(async function docsPlugin (app, options) {
  // before swagger's own hook, so the document is built from the completed schemas
  app.addHook('onRoute', documentRoute)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'OpenHall API',
        description: 'County government service hall: approvals, unified fees and public-resource trading. ' +
          'Errors are application/problem+json with a stable `code`. Authenticate with `Authorization: Bearer <token>` ' +
          'from POST /api/auth/login, or the session cookie set by the login page.',
        version: options.version
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'openhall_session' },
          bankSignature: {
            type: 'apiKey',
            in: 'header',
            name: BANK_HEADERS.signature,
            description: `a registered bank's signature over the request, sent with the ${BANK_HEADERS.timestamp} and single-use ${BANK_HEADERS.nonce} headers`
          }
        }
      },
      security: SESSION
    },
    // routes of the docs UI and static assets stay out (see documentRoute)
    hideUntagged: true
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
}, { name: 'docs' })
