/** A real WebSocket client for the room protocol, with helpers to await messages. */
import WebSocket from 'ws'

export interface LiveMessage { type: string, room?: string, seq?: number, event?: string, data?: unknown, code?: string, head?: number }

export interface TestLiveClient {
  socket: WebSocket
  messages: LiveMessage[]
  /** resolves with the first message (already received or future) matching the predicate */
  next (predicate: (message: LiveMessage) => boolean, timeoutMs?: number): Promise<LiveMessage>
  send (message: Record<string, unknown>): void
  closed: Promise<{ code: number, reason: string }>
  close (): void
}

export async function connectLive (baseUrl: string, token?: string): Promise<TestLiveClient> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/live`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  const messages: LiveMessage[] = []
  const waiters: Array<{ predicate: (message: LiveMessage) => boolean, resolve: (message: LiveMessage) => void }> = []
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as LiveMessage
    messages.push(message)
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(message)
      }
    }
  })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  return {
    socket,
    messages,
    closed,
    next (predicate, timeoutMs = 5000) {
      const found = messages.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching live message within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-5).map((m) => ({ type: m.type, seq: m.seq, event: m.event, code: m.code })))}`)), timeoutMs)
        waiters.push({ predicate, resolve: (message) => { clearTimeout(timer); resolve(message) } })
      })
    },
    send (message) { socket.send(JSON.stringify(message)) },
    close () { socket.close() }
  }
}
