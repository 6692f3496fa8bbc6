// The start-time baseline: the smallest Fastify server, started like the compiled OpenHall (plain node, no transpiler).
import Fastify from 'fastify'

const app = Fastify()
app.get('/ready', async () => ({ status: 'ready' }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
