/**
 * `app.services`: the registry through which modules reach each other's exported services
 * (never each other's tables or routes). A module fills its entry when it is registered; app.ts
 * registers modules in dependency order, so a module only uses entries registered before it.
 * Each module adds its entry to the Services interface next to its own code.
 */
import fp from 'fastify-plugin'

export interface Services {}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

export default fp(async function servicesPlugin (app) {
  app.decorate('services', {} as Services)
}, { name: 'services' })
