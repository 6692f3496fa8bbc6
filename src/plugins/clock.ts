/**
 * `app.clock`: server time is the only time. Every rule that depends on time asks the clock at
 * the moment of the action and compares with a persisted deadline.
 */
import fp from 'fastify-plugin'

export interface Clock {
  now (): Date
}

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock
  }
}

export const systemClock: Clock = { now: () => new Date() }

export default fp(async function clockPlugin (app) {
  app.decorate('clock', systemClock)
}, { name: 'clock' })
