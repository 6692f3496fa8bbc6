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

export default fp(async function clockPlugin (app) {
  // one object per instance, which every service keeps and asks: an embedding process (or a
  // test) that needs another time source replaces `now` on this instance only
  app.decorate('clock', { now: () => new Date() } satisfies Clock)
}, { name: 'clock' })
