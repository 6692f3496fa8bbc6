/**
 * The reveal-burst client, run as a child process so it never shares the server's event loop.
 * Reads a job from stdin; watches the opening's room over WebSocket (anonymous, like the public)
 * and, once subscribed, POSTs every reveal with at most `inFlight` at once. Times are taken here,
 * on one clock, from the first request: to each answer, to the `opening.recorded` event, and to
 * each bid's `opening.bid_decrypted` event, which tells how far the room lags behind the commits
 * while the burst goes on. Prints { answeredMs, recordedMs, codes, latencies, answered,
 * roomLags, failures }: answered holds when each answer came, in order; roomLags, for each
 * answered bid, its event's arrival less its answer's (negative when the event came first);
 * recordedMs is null if the record was not announced within `timeoutMs`.
 */
import WebSocket from 'ws'

interface Reveal { authorization: string, body: string }
interface RevealJob { baseUrl: string, tenderId: string, inFlight: number, timeoutMs: number, reveals: Reveal[] }
interface LiveMessage { type: string, event?: string, code?: string, data?: { bidderId?: string } }

let input = ''
for await (const chunk of process.stdin) input += chunk
const job = JSON.parse(input) as RevealJob

let started = 0
const since = () => performance.now() - started
/** per bidder: when its reveal was answered, and when the room announced its bid decrypted */
const answeredAt = new Map<string, number>()
const decryptedAt = new Map<string, number>()

const socket = new WebSocket(`${job.baseUrl.replace(/^http/, 'ws')}/api/live`)
let recordedMs: number | null = null
let onRecorded: () => void = () => {}
const recorded = new Promise<void>((resolve) => { onRecorded = resolve })
await new Promise<void>((resolve, reject) => {
  socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', room: `opening:${job.tenderId}`, since: 0 })))
  socket.on('message', (frame: Buffer) => {
    const at = since()
    const message = JSON.parse(frame.toString()) as LiveMessage
    if (message.type === 'subscribed') resolve()
    else if (message.type === 'error') reject(new Error(`subscribe refused: ${message.code}`))
    else if (message.event === 'opening.bid_decrypted' && message.data?.bidderId) decryptedAt.set(message.data.bidderId, at)
    else if (message.event === 'opening.recorded' && recordedMs === null) {
      recordedMs = at
      onRecorded()
    }
  })
  socket.on('error', reject)
})

const codes: number[] = new Array(job.reveals.length)
const latencies: number[] = new Array(job.reveals.length)
const answered: number[] = []
const failures: string[] = []

async function reveal (item: Reveal, index: number) {
  const sent = performance.now()
  try {
    const response = await fetch(`${job.baseUrl}/api/openings/${job.tenderId}/reveals`, {
      method: 'POST', body: item.body, headers: { authorization: item.authorization, 'content-type': 'application/json' }
    })
    codes[index] = response.status
    const body = await response.text()
    if (response.status === 200) answeredAt.set((JSON.parse(body) as { bidderId: string }).bidderId, since())
    else if (failures.length < 5) failures.push(`${response.status} ${body.slice(0, 300)}`)
  } catch (error) {
    codes[index] = 0
    if (failures.length < 5) failures.push(String(error))
  }
  latencies[index] = performance.now() - sent
  answered.push(since())
}

started = performance.now()
let next = 0
await Promise.all(Array.from({ length: Math.min(job.inFlight, job.reveals.length) }, async () => {
  for (let index = next++; index < job.reveals.length; index = next++) await reveal(job.reveals[index]!, index)
}))
const answeredMs = since()
const timeout = setTimeout(onRecorded, job.timeoutMs)
await recorded
clearTimeout(timeout)
socket.terminate()
const roomLags = [...answeredAt].map(([bidderId, at]) => (decryptedAt.get(bidderId) ?? Infinity) - at)
// stdout is a pipe, written asynchronously: exit only once the answer is out
process.stdout.write(JSON.stringify({ answeredMs, recordedMs, codes, latencies, answered, roomLags, failures }), () => process.exit(0))
