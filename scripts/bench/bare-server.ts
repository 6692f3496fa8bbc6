// The start-time baseline: the smallest Fastify server, started exactly like OpenHall (node + tsx).
import Fastify from 'fastify'

const app = Fastify()
app.get('/ready', async () => ({ status: 'ready' }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
