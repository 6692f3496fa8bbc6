/**
 * OpenAPI: every route's TypeBox schema is collected into /docs/json and browsable at /docs.
 * The UI's assets are served by OpenHall itself (no CDN), as halls often run on an intranet.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

export default fp<{ version: string }>(async function docsPlugin (app, options) {
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
          cookie: { type: 'apiKey', in: 'cookie', name: 'openhall_session' }
        }
      },
      security: [{ bearer: [] }, { cookie: [] }]
    },
    // page routes render HTML for people; the API document lists the API
    hideUntagged: true
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
}, { name: 'docs' })
