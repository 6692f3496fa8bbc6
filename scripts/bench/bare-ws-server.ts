/**
 * The opening-fanout baseline: a bare `ws` WebSocketServer on loopback, alone in its process.
 * It answers each subscribe with `subscribed` and nothing else. The job (JSON, argv[2]) holds
 * the room and each event's data; prints {"port"} once listening. On a line on stdin it sends
 * the events `spacingMs` apart, each framed as the app frames a room event and sent to every
 * socket; data.sentAt is the wall-clock time just before its send loop, the moment the bare
 * server "has" the event, as the commit is for the app. Prints { sentAt, memory } at the end.
 */
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocketServer } from 'ws'

interface BareJob { room: string, spacingMs: number, data: Array<Record<string, unknown>> }

const wallNow = () => performance.timeOrigin + performance.now()
const MiB = 1024 * 1024

const job = JSON.parse(process.argv[2]!) as BareJob
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 })
server.on('connection', (socket) => {
  socket.on('message', (frame: Buffer) => {
    const message = JSON.parse(frame.toString()) as { type?: string }
    if (message.type === 'subscribe') socket.send(JSON.stringify({ type: 'subscribed', room: job.room, head: 0 }))
  })
})
await once(server, 'listening')
const memoryAt = () => ({ rss: process.memoryUsage().rss / MiB, heap: process.memoryUsage().heapUsed / MiB })
const listening = memoryAt()
process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`)

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
await lines.next()
const subscribed = memoryAt()
let peakRss = subscribed.rss
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss / MiB) }, 50)
const sentAt: number[] = []
for (const [n, data] of job.data.entries()) {
  if (n > 0) await sleep(job.spacingMs)
  const at = wallNow()
  sentAt.push(at)
  const text = JSON.stringify({ type: 'event', room: job.room, seq: n + 1, event: 'opening.bench_tick', at: new Date(at).toISOString(), data: { ...data, sentAt: at } })
  for (const socket of server.clients) socket.send(text)
}
clearInterval(sampler)
process.stdout.write(`${JSON.stringify({ sentAt, memory: { listening, subscribed, peakRss: Math.max(peakRss, process.memoryUsage().rss / MiB) } })}\n`)
await lines.next()
process.exit(0)
