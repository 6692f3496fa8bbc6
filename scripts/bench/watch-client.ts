/**
 * Room watchers for the opening-fanout bench, run as a child process so that receiving never
 * shares the server's event loop; the same code watches the app and the bare `ws` baseline.
 * Reads a job from stdin, connects `count` sockets (at most CONNECTING handshakes at once),
 * subscribes each to `room` and prints one line {"subscribeMs"} once every socket is subscribed.
 * Then it notes the arrival of each event frame and, when every socket has `warmUp` + `events` of
 * them (or `timeoutMs` passed), prints one line { base, receipts, missing, unexpected, closed }:
 * receipts[n] are the arrival times of event n (its data.n) on every socket, wall-clock
 * milliseconds less base. Warm-up events (negative n) are only counted: the first burst through
 * cold code paths, on either side, is a start-up cost rather than the latency of a room.
 */
import WebSocket from 'ws'

interface WatchJob { url: string, room: string, since: number, count: number, warmUp: number, events: number, timeoutMs: number }

/** Sub-millisecond wall clock, comparable across processes on one machine. */
const wallNow = () => performance.timeOrigin + performance.now()
const CONNECTING = 100

let input = ''
for await (const chunk of process.stdin) input += chunk
const job = JSON.parse(input) as WatchJob

// the hot path only stamps and keeps the frame; parsing waits until the run is over, so the
// watcher's own work delays the later sockets' stamps as little as it can
const arrivals: Array<{ at: number, frame: Buffer }> = []
const sockets: WebSocket[] = []
let closedEarly = 0
let finish: () => void = () => {}
const finished = new Promise<void>((resolve) => { finish = resolve })

function watch (): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(job.url)
    sockets.push(socket)
    let subscribed = false
    socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', room: job.room, since: job.since })))
    socket.on('message', (frame: Buffer) => {
      if (subscribed) {
        arrivals.push({ at: wallNow(), frame })
        if (arrivals.length === job.count * (job.warmUp + job.events)) finish()
        return
      }
      const message = JSON.parse(frame.toString()) as { type: string, code?: string }
      if (message.type === 'subscribed') {
        subscribed = true
        resolve()
      } else if (message.type === 'error') {
        reject(new Error(`subscribe refused: ${message.code}`))
      }
    })
    socket.on('error', reject)
    socket.on('close', (code) => {
      if (!subscribed) reject(new Error(`closed before subscribing: ${code}`))
      else closedEarly++
    })
  })
}

const started = performance.now()
let next = 0
await Promise.all(Array.from({ length: Math.min(CONNECTING, job.count) }, async () => {
  while (next++ < job.count) await watch()
}))
process.stdout.write(`${JSON.stringify({ subscribeMs: performance.now() - started })}\n`)

const timeout = setTimeout(finish, job.timeoutMs)
await finished
clearTimeout(timeout)

// times go out relative to `base`, to 10 µs, which keeps the answer small
const base = Math.floor(arrivals[0]?.at ?? 0)
const receipts: number[][] = Array.from({ length: job.events }, () => [])
let unexpected = 0
for (const { at, frame } of arrivals) {
  const message = JSON.parse(frame.toString()) as { type: string, data?: { n?: number } }
  const n = message.data?.n
  if (message.type !== 'event' || typeof n !== 'number' || n < -job.warmUp || n >= job.events) unexpected++
  else if (n >= 0) receipts[n]!.push(Math.round((at - base) * 100) / 100)
}
const received = receipts.reduce((total, times) => total + times.length, 0)
for (const socket of sockets) socket.terminate()
// stdout is a pipe, written asynchronously: exit only once the answer is out
process.stdout.write(`${JSON.stringify({ base, receipts, missing: job.count * job.events - received, unexpected, closed: closedEarly })}\n`, () => process.exit(0))
