/**
 * `app.live`: live rooms. A room (`<kind>:<id>`) has an append-only, densely sequenced event log
 * in PostgreSQL. Modules append events inside their transaction; the same statement issues
 * NOTIFY, which PostgreSQL delivers only at commit, to every instance. Each instance keeps one
 * hub per room that has local subscribers: it reads new events from the database once and fans
 * them out to its sockets, filtered by each event's audience.
 *
 * Guarantees: a subscriber that passes the last seq it saw gets every visible event after it,
 * in order, exactly once per connection; a rolled-back transaction publishes nothing; a socket
 * that does not drain (bufferedAmount over the limit) is closed with 4008 and resumes later; a
 * socket that floods is refused message by message (RATE_LIMITED) and closed with 4029 after
 * 200 refusals within 10 seconds. Signed-in subscribers are listed in `live_presence` so supervisors see, across
 * instances, who is connected to a room.
 * Sequence numbers are room-wide, so events a subscriber may not see leave gaps; a module that
 * must hide even the existence of events uses a separate room.
 * Protocol: README.md, "Live rooms".
 */
import { randomUUID } from 'node:crypto'
import { and, asc, eq, gt, lte, sql } from 'drizzle-orm'
import fp from 'fastify-plugin'
import type { WebSocket } from 'ws'
import { livePresence, roomEvents, rooms } from '../../schema/index.ts'
import { hasRole, type Principal, type Role } from '../lib/policy.ts'
import type { Database, Queryable } from './db.ts'

export type Audience = { public: true } | { roles?: Role[], parties?: string[] }

export interface RoomEventInput {
  /** dotted event type, e.g. `opening.bid_decrypted` */
  type: string
  data: Record<string, unknown>
  audience: Audience
}

export interface RoomEvent {
  room: string
  seq: number
  type: string
  at: string
  data: unknown
}

export interface RoomKind {
  /** May this caller join the room? false answers ROOM_NOT_FOUND, as if it did not exist. */
  canJoin (principal: Principal | null, roomId: string): boolean | Promise<boolean>
}

export interface Live {
  defineRoomKind (kind: string, definition: RoomKind): void
  append (tx: Queryable, roomId: string, event: RoomEventInput): Promise<{ seq: number }>
  /** Visible events after `since` (HTTP fallback and archives); null when the room may not be joined. */
  read (principal: Principal | null, roomId: string, since: number, limit: number): Promise<{ head: number, events: RoomEvent[] } | null>
  /** Serves one WebSocket connection with the room protocol. */
  serve (socket: WebSocket, principal: Principal | null): void
  /** Signed-in accounts connected to the room now, on any instance. */
  presence (roomId: string): Promise<PresenceEntry[]>
  /** Closes the sockets of a revoked session or account (code 4001; clients sign in again). */
  disconnect (match: { sessionId?: string, accountId?: string }): void
}

export interface PresenceEntry { accountId: string, displayName: string, connections: number, since: string }

declare module 'fastify' {
  interface FastifyInstance {
    live: Live
  }
}

export const ROOM_ID_PATTERN = '^[a-z][a-z0-9_-]{0,31}:[A-Za-z0-9_.:-]{1,200}$'
const ROOM_ID = new RegExp(ROOM_ID_PATTERN)
const NOTIFY_CHANNEL = 'openhall_live'
const PAGE = 200
const RECENT_LIMIT = 512
const MAX_SUBSCRIPTIONS = 64
export const CLOSE_SLOW_CONSUMER = 4008
export const CLOSE_SESSION_ENDED = 4001
export const CLOSE_FLOODING = 4029

export function isVisible (principal: Principal | null, audience: Audience): boolean {
  if ('public' in audience) return audience.public
  if (!principal) return false
  if (audience.parties?.includes(principal.accountId)) return true
  return audience.roles?.some((role) => hasRole(principal, role)) ?? false
}

interface StoredEvent { seq: number, type: string, audience: Audience, data: unknown, createdAt: Date }

interface Connection {
  id: string
  socket: WebSocket
  principal: Principal | null
  subscriptions: Map<string, Subscription>
  alive: boolean
  /** token bucket of the per-socket message rate */
  tokens: number
  refilledAt: number
  presence: Promise<void>
  /** refusals since refusedSince; a flood is counted over a window, not reset by one admitted message */
  refused: number
  refusedSince: number
  refusalNotedAt: number
}

interface Subscription { connection: Connection, roomId: string, lastSeq: number }

function serialise (roomId: string, event: StoredEvent): string {
  return JSON.stringify({ type: 'event', room: roomId, seq: event.seq, event: event.type, at: event.createdAt.toISOString(), data: event.data })
}

export interface LivePluginOptions {
  heartbeatSeconds: number
  maxBufferedBytes: number
  /** sustained messages per second a socket may send, and the burst above it */
  messagesPerSecond: number
  messageBurst: number
}

/** Refused messages within FLOOD_WINDOW_MS after which a flooding socket is closed. */
const MAX_REFUSED = 200
const FLOOD_WINDOW_MS = 10_000

export default fp<LivePluginOptions>(async function livePlugin (app, options) {
  const db: Database = app.db
  const kinds = new Map<string, RoomKind>()
  const hubs = new Map<string, Hub>()
  const connections = new Set<Connection>()
  const instanceId = randomUUID()
  let closing = false

  async function fetchEvents (roomId: string, after: number, upTo?: number): Promise<StoredEvent[]> {
    return db.select({ seq: roomEvents.seq, type: roomEvents.type, audience: roomEvents.audience, data: roomEvents.data, createdAt: roomEvents.createdAt })
      .from(roomEvents)
      .where(and(eq(roomEvents.roomId, roomId), gt(roomEvents.seq, after), upTo === undefined ? undefined : lte(roomEvents.seq, upTo)))
      .orderBy(asc(roomEvents.seq)).limit(PAGE) as Promise<StoredEvent[]>
  }

  async function roomHead (roomId: string): Promise<number> {
    const [row] = await db.select({ headSeq: rooms.headSeq }).from(rooms).where(eq(rooms.id, roomId))
    return row?.headSeq ?? 0
  }

  /** Sends unless the socket is backed up; a backed-up socket is cut off and must resume. */
  function send (connection: Connection, text: string): boolean {
    const socket = connection.socket
    if (socket.readyState !== socket.OPEN) return false
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      cutOff(connection, CLOSE_SLOW_CONSUMER, 'slow consumer: resume with since')
      return false
    }
    socket.send(text)
    return true
  }

  /**
   * Waits (briefly: the room's other subscribers wait behind a replay) until the socket's send
   * buffer is below the limit again.
   */
  async function drained (connection: Connection, timeoutMs = 2_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (connection.socket.bufferedAmount > options.maxBufferedBytes) {
      if (connection.socket.readyState !== connection.socket.OPEN || Date.now() > deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return true
  }

  function cutOff (connection: Connection, code: number, reason: string) {
    drop(connection)
    const socket = connection.socket
    socket.close(code, reason)
    // a consumer that stopped reading may never complete the closing handshake
    setTimeout(() => socket.terminate(), 2000).unref()
  }

  function drop (connection: Connection) {
    if (!connections.delete(connection)) return
    for (const subscription of connection.subscriptions.values()) hubs.get(subscription.roomId)?.unsubscribe(subscription)
    if (connection.principal && connection.subscriptions.size > 0) leave(connection)
    connection.subscriptions.clear()
  }

  /** Presence writes of one connection run in order, so a leave never overtakes its join. */
  function track (connection: Connection, work: () => Promise<unknown>) {
    connection.presence = connection.presence.then(async () => { await work() }).catch((error: unknown) => { app.log.warn({ err: error }, 'live presence not recorded') })
  }

  function join (connection: Connection, roomId: string) {
    const principal = connection.principal!
    track(connection, () => db.insert(livePresence).values({ connectionId: connection.id, roomId, instanceId, accountId: principal.accountId, displayName: principal.displayName }).onConflictDoNothing())
  }

  function leave (connection: Connection, roomId?: string) {
    track(connection, () => db.delete(livePresence).where(and(eq(livePresence.connectionId, connection.id), roomId === undefined ? undefined : eq(livePresence.roomId, roomId))))
  }

  /** Token bucket: false (and the message is dropped) when the socket sends faster than allowed. */
  function admit (connection: Connection): boolean {
    const now = Date.now()
    connection.tokens = Math.min(options.messageBurst, connection.tokens + (now - connection.refilledAt) * options.messagesPerSecond / 1000)
    connection.refilledAt = now
    if (connection.tokens >= 1) {
      connection.tokens -= 1
      return true
    }
    if (now - connection.refusedSince > FLOOD_WINDOW_MS) {
      connection.refused = 0
      connection.refusedSince = now
    }
    connection.refused++
    if (connection.refused >= MAX_REFUSED) {
      app.log.warn({ account: connection.principal?.accountId ?? null, connection: connection.id }, 'live socket closed for flooding')
      cutOff(connection, CLOSE_FLOODING, 'too many messages')
    } else if (now - connection.refusalNotedAt >= 1000) {
      connection.refusalNotedAt = now
      app.log.warn({ account: connection.principal?.accountId ?? null, connection: connection.id }, 'live socket rate-limited')
      send(connection, JSON.stringify({ type: 'error', code: 'RATE_LIMITED', detail: `at most ${options.messagesPerSecond} messages per second` }))
    }
    return false
  }

  class Hub {
    headSeq = -1
    readonly recent: StoredEvent[] = []
    readonly subscribers = new Set<Subscription>()
    /** subscribe messages queued on this hub: it must not retire under them */
    pending = 0
    private catchUpQueued = false
    private queue: Promise<void> = Promise.resolve()

    constructor (readonly roomId: string) {}

    /** Serialises everything that touches this hub's cursor, so replay and live never interleave. */
    run (task: () => Promise<void>): Promise<void> {
      this.queue = this.queue.then(async () => { if (!closing) await task() }).catch((error: unknown) => {
        app.log.error({ err: error, room: this.roomId }, 'live room fan-out failed')
      })
      return this.queue
    }

    /**
     * Queues one read of what was committed after headSeq: a burst of notifications while one
     * read waits in the queue adds nothing, since that read takes everything up to then.
     */
    catchUp () {
      if (this.catchUpQueued) return
      this.catchUpQueued = true
      this.run(async () => {
        this.catchUpQueued = false
        await this.advance()
      })
    }

    /** Reads what was committed after headSeq and delivers it. */
    async advance () {
      if (this.headSeq < 0) return
      for (;;) {
        const events = await fetchEvents(this.roomId, this.headSeq)
        for (const event of events) this.deliver(event)
        if (events.length < PAGE) return
      }
    }

    private deliver (event: StoredEvent) {
      this.headSeq = event.seq
      this.recent.push(event)
      if (this.recent.length > RECENT_LIMIT) this.recent.shift()
      let text: string | undefined
      for (const subscription of this.subscribers) {
        if (event.seq <= subscription.lastSeq) continue
        subscription.lastSeq = event.seq
        if (!isVisible(subscription.connection.principal, event.audience)) continue
        text ??= serialise(this.roomId, event)
        send(subscription.connection, text)
      }
    }

    async subscribe (subscription: Subscription, since: number) {
      if (this.headSeq < 0) this.headSeq = await roomHead(this.roomId)
      const { connection } = subscription
      if (!send(connection, JSON.stringify({ type: 'subscribed', room: this.roomId, head: this.headSeq }))) return
      let cursor = Math.max(0, since)
      while (cursor < this.headSeq) {
        const fromMemory = this.recent.length > 0 && this.recent[0]!.seq <= cursor + 1
        const page = fromMemory
          ? this.recent.filter((event) => event.seq > cursor).slice(0, PAGE)
          : await fetchEvents(this.roomId, cursor, this.headSeq)
        if (page.length === 0) break
        for (const event of page) {
          if (!isVisible(connection.principal, event.audience)) continue
          // replay is pulled from the log, so it can wait a little for a reader that drains slowly;
          // one that does not is cut off and resumes with `since`
          if (!await drained(connection)) {
            cutOff(connection, CLOSE_SLOW_CONSUMER, 'slow consumer: resume with since')
            return
          }
          if (!send(connection, serialise(this.roomId, event))) return
        }
        cursor = page.at(-1)!.seq
      }
      if (connection.socket.readyState !== connection.socket.OPEN || !connections.has(connection)) return
      subscription.lastSeq = this.headSeq
      this.subscribers.add(subscription)
      if (connection.principal) join(connection, this.roomId)
    }

    unsubscribe (subscription: Subscription) {
      this.subscribers.delete(subscription)
      this.retireIfIdle()
    }

    /** Drops the hub once nobody is subscribed or about to be (after queued work has finished). */
    retireIfIdle () {
      const idle = () => this.subscribers.size === 0 && this.pending === 0
      if (idle()) this.run(async () => { if (idle() && hubs.get(this.roomId) === this) hubs.delete(this.roomId) })
    }
  }

  function hubFor (roomId: string): Hub {
    let hub = hubs.get(roomId)
    if (!hub) {
      hub = new Hub(roomId)
      hubs.set(roomId, hub)
    }
    return hub
  }

  async function mayJoin (principal: Principal | null, roomId: string): Promise<boolean> {
    if (!ROOM_ID.test(roomId)) return false
    const kind = kinds.get(roomId.slice(0, roomId.indexOf(':')))
    return kind ? await kind.canJoin(principal, roomId) : false
  }

  const listener = await db.$client.listen(NOTIFY_CHANNEL, (payload) => {
    const space = payload.lastIndexOf(' ')
    const hub = hubs.get(payload.slice(0, space))
    if (hub && Number(payload.slice(space + 1)) > hub.headSeq) hub.catchUp()
  }, () => {
    // (re)connected: notifications sent while disconnected are lost, the log is not
    for (const hub of hubs.values()) hub.catchUp()
  })

  async function handleMessage (connection: Connection, raw: string) {
    let message: { type?: unknown, room?: unknown, since?: unknown, id?: unknown }
    try {
      message = JSON.parse(raw) as typeof message
    } catch {
      send(connection, JSON.stringify({ type: 'error', code: 'BAD_MESSAGE', detail: 'messages are JSON objects' }))
      return
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      send(connection, JSON.stringify({ type: 'error', code: 'BAD_MESSAGE', detail: 'messages are JSON objects' }))
      return
    }
    const room = typeof message.room === 'string' ? message.room : ''
    switch (message.type) {
      case 'ping':
        send(connection, JSON.stringify({ type: 'pong', id: message.id ?? null, serverTime: app.clock.now().toISOString() }))
        return
      case 'subscribe': {
        const since = message.since ?? 0
        if (!Number.isInteger(since) || (since as number) < 0) {
          send(connection, JSON.stringify({ type: 'error', code: 'BAD_MESSAGE', room, detail: 'since must be a non-negative integer' }))
          return
        }
        if (connection.subscriptions.has(room)) {
          send(connection, JSON.stringify({ type: 'error', code: 'ALREADY_SUBSCRIBED', room, detail: 'already subscribed to this room' }))
          return
        }
        if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS) {
          send(connection, JSON.stringify({ type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', room, detail: `at most ${MAX_SUBSCRIPTIONS} rooms per connection` }))
          return
        }
        if (!await mayJoin(connection.principal, room)) {
          app.log.info({ account: connection.principal?.accountId ?? null, room: room.slice(0, 240) }, 'live subscription refused')
          send(connection, JSON.stringify({ type: 'error', code: 'ROOM_NOT_FOUND', room, detail: 'no such room' }))
          return
        }
        const subscription: Subscription = { connection, roomId: room, lastSeq: Number.MAX_SAFE_INTEGER }
        connection.subscriptions.set(room, subscription)
        const hub = hubFor(room)
        hub.pending++
        try {
          await hub.run(() => hub.subscribe(subscription, since as number))
        } finally {
          hub.pending--
          hub.retireIfIdle()
        }
        return
      }
      case 'unsubscribe': {
        const subscription = connection.subscriptions.get(room)
        if (subscription) {
          connection.subscriptions.delete(room)
          hubs.get(room)?.unsubscribe(subscription)
          if (connection.principal) leave(connection, room)
        }
        send(connection, JSON.stringify({ type: 'unsubscribed', room }))
        return
      }
      default:
        send(connection, JSON.stringify({ type: 'error', code: 'BAD_MESSAGE', detail: 'unknown message type' }))
    }
  }

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        drop(connection)
        connection.socket.terminate()
        continue
      }
      connection.alive = false
      connection.socket.ping()
    }
    db.update(livePresence).set({ seenAt: sql`now()` }).where(eq(livePresence.instanceId, instanceId))
      .catch((error: unknown) => { app.log.warn({ err: error }, 'live presence not refreshed') })
  }, options.heartbeatSeconds * 1000)
  heartbeat.unref()

  const live: Live = {
    defineRoomKind (kind, definition) {
      if (kinds.has(kind)) throw new Error(`room kind ${kind} is already defined`)
      kinds.set(kind, definition)
    },
    async append (tx, roomId, event) {
      if (!ROOM_ID.test(roomId)) throw new Error(`invalid room id ${roomId}`)
      const kind = roomId.slice(0, roomId.indexOf(':'))
      const [row] = await tx.execute<{ seq: number }>(sql`
        with room as (
          insert into rooms as r (id, kind, head_seq) values (${roomId}, ${kind}, 1)
          on conflict (id) do update set head_seq = r.head_seq + 1
          returning head_seq
        ), event as (
          insert into room_events (room_id, seq, type, audience, data)
          select ${roomId}, head_seq, ${event.type}, ${JSON.stringify(event.audience)}::jsonb, ${JSON.stringify(event.data)}::jsonb from room
          returning seq
        )
        select seq, pg_notify(${NOTIFY_CHANNEL}, ${roomId} || ' ' || seq) from event`)
      return { seq: row!.seq }
    },
    async presence (roomId) {
      const rows = await db.select({
        accountId: livePresence.accountId,
        displayName: sql<string>`min(${livePresence.displayName})`,
        connections: sql<number>`count(*)::int`,
        since: sql<Date>`min(${livePresence.connectedAt})`
      }).from(livePresence)
        .where(and(eq(livePresence.roomId, roomId), sql`${livePresence.seenAt} > now() - make_interval(secs => ${options.heartbeatSeconds * 3})`))
        .groupBy(livePresence.accountId).orderBy(sql`min(${livePresence.connectedAt})`)
      return rows.map((row) => ({ ...row, since: new Date(row.since).toISOString() }))
    },
    async read (principal, roomId, since, limit) {
      if (!await mayJoin(principal, roomId)) return null
      const head = await roomHead(roomId)
      const events: RoomEvent[] = []
      let cursor = since
      while (events.length < limit && cursor < head) {
        const page = await fetchEvents(roomId, cursor, head)
        if (page.length === 0) break
        for (const event of page) {
          if (events.length < limit && isVisible(principal, event.audience)) {
            events.push({ room: roomId, seq: event.seq, type: event.type, at: event.createdAt.toISOString(), data: event.data })
          }
        }
        cursor = page.at(-1)!.seq
      }
      return { head, events }
    },
    serve (socket, principal) {
      const connection: Connection = {
        id: randomUUID(), socket, principal, subscriptions: new Map(), alive: true, tokens: options.messageBurst, refilledAt: Date.now(), presence: Promise.resolve(), refused: 0, refusedSince: 0, refusalNotedAt: 0
      }
      connections.add(connection)
      socket.on('pong', () => { connection.alive = true })
      socket.on('message', (data, isBinary) => {
        // frames still arriving from a socket already cut off are ignored
        if (!connections.has(connection)) return
        connection.alive = true
        if (!admit(connection)) return
        if (isBinary) {
          send(connection, JSON.stringify({ type: 'error', code: 'BAD_MESSAGE', detail: 'text frames only' }))
          return
        }
        handleMessage(connection, data.toString()).catch((error: unknown) => {
          app.log.error({ err: error }, 'live message failed')
          send(connection, JSON.stringify({ type: 'error', code: 'INTERNAL_ERROR', detail: 'the message could not be handled' }))
        })
      })
      socket.on('close', () => drop(connection))
      socket.on('error', () => drop(connection))
      send(connection, JSON.stringify({
        type: 'welcome',
        serverTime: app.clock.now().toISOString(),
        heartbeatSeconds: options.heartbeatSeconds,
        account: principal ? { id: principal.accountId, displayName: principal.displayName } : null
      }))
    },
    disconnect (match) {
      for (const connection of connections) {
        const principal = connection.principal
        if (principal && (principal.sessionId === match.sessionId || principal.accountId === match.accountId)) {
          cutOff(connection, CLOSE_SESSION_ENDED, 'session ended')
        }
      }
    }
  }

  app.decorate('live', live)
  app.auth.onRevoked((match) => live.disconnect(match))
  app.addHook('preClose', async () => {
    closing = true
    clearInterval(heartbeat)
    await listener.unlisten().catch(() => {})
    for (const connection of [...connections]) {
      drop(connection)
      connection.socket.close(1001, 'server shutting down')
    }
    await db.delete(livePresence).where(eq(livePresence.instanceId, instanceId)).catch(() => {})
  })
}, { name: 'live', dependencies: ['db', 'clock', 'auth'] })
