/**
 * `app.timers`: persisted timers that fire once across all instances.
 *
 * The `timers` table is the truth; each instance keeps one setTimeout armed for the earliest
 * pending timer and re-arms it at start-up, when a timer is scheduled anywhere (NOTIFY), and
 * after every firing. A due timer is claimed with `FOR UPDATE SKIP LOCKED` inside the transaction
 * that runs its handler and marks it fired, so exactly one instance fires it and a crash
 * mid-handler leaves it pending for the next attempt.
 *
 * A timer is due by the app's clock (`app.clock`), the one time every rule is judged by, so a
 * handler that asks the clock and the firing that called it agree on what "now" is. The alarm is
 * set by that clock too: judged by the wall clock, a timer the app's clock has not reached but the
 * wall clock has passed (a clock held in the past, as tests hold it) looked due at every alarm,
 * and the instance looked again and again without firing it, and fired it in the background the
 * moment the clock moved past it.
 *
 * A firing gives way to requests. It holds its timer row while the handler locks the domain row
 * (a case, a tender), and a request does the reverse: it locks that row, then moves the same
 * timer. PostgreSQL breaks such a deadlock after `deadlock_timeout` (1 s) by failing whichever
 * transaction started waiting first, which may be the request (a clerk's step answered 500). So
 * the firing waits for a lock at most TIMER_LOCK_TIMEOUT_MS, well under that, and is tried again
 * a moment later; the request goes through.
 */
import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm'
import fp from 'fastify-plugin'
import { timers } from '../../schema/index.ts'
import { postgresErrorOf, write, type Queryable, type Transaction } from './db.ts'

export interface TimerRow {
  id: string
  kind: string
  key: string
  fireAt: Date
  intervalSeconds: number | null
  payload: unknown
  attempts: number
}

export type TimerHandler = (tx: Transaction, timer: TimerRow) => Promise<void>

export interface ScheduleInput {
  kind: string
  /** idempotency key; scheduling it again moves the timer (and re-arms a fired one) */
  key: string
  fireAt: Date
  payload?: Record<string, unknown>
  /** recurring: after firing, the timer moves forward by this many seconds */
  intervalSeconds?: number
}

export interface Timers {
  define (kind: string, handler: TimerHandler): void
  schedule (tx: Queryable, input: ScheduleInput): Promise<void>
  /** Creates a recurring timer unless it exists (keeping its next firing); updates its interval. */
  ensureRecurring (tx: Queryable, input: { kind: string, key: string, firstAt: Date, intervalSeconds: number }): Promise<void>
  cancel (tx: Queryable, key: string): Promise<boolean>
  /** Fires everything due now (also called by the alarm); returns how many fired here. */
  fireDue (): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    timers: Timers
  }
}

const NOTIFY_CHANNEL = 'openhall_timers'
/** Upper bound of one alarm, so a wrong system clock or a missed notification heals itself. */
const MAX_ALARM_MS = 60_000
const RETRY_BACKOFF_MS = [5_000, 30_000, 120_000, 600_000]
/** How long a firing waits for a lock a request holds before it gives way (see above). */
const TIMER_LOCK_TIMEOUT_MS = 250
/** A firing that gave way is tried again this soon: nothing failed, a request was busy with its rows. */
const GAVE_WAY_RETRY_MS = 1_000
/** PostgreSQL's lock_not_available: the lock_timeout passed. */
const LOCK_NOT_AVAILABLE = '55P03'

/**
 * The claimed timer's row, unless it was scheduled anew since it was claimed (fire_at may carry
 * microseconds the Date read back lost: compared at millisecond precision).
 */
function unmoved (row: TimerRow) {
  return and(eq(timers.id, row.id), sql`date_trunc('milliseconds', ${timers.fireAt}) = ${row.fireAt.toISOString()}::timestamptz`)
}

export default fp(async function timersPlugin (app) {
  const db = app.db
  const handlers = new Map<string, TimerHandler>()
  let alarm: NodeJS.Timeout | undefined
  /** when the alarm set now goes off, by the app's clock (epoch ms) */
  let alarmAt = Number.POSITIVE_INFINITY
  let closing = false
  let firing: Promise<number> | undefined

  async function fireOne (): Promise<'fired' | 'none'> {
    const kinds = [...handlers.keys()]
    if (kinds.length === 0) return 'none'
    let claimed: TimerRow | undefined
    try {
      return await db.transaction(async (tx) => {
        const [row] = await tx.select().from(timers)
          .where(and(isNull(timers.firedAt), lte(timers.fireAt, app.clock.now()), inArray(timers.kind, kinds)))
          .orderBy(asc(timers.fireAt)).limit(1).for('update', { skipLocked: true })
        if (!row) return 'none'
        claimed = row
        // only once a timer is claimed: most passes find nothing due and need no limit
        await tx.execute(sql.raw(`set local lock_timeout = '${TIMER_LOCK_TIMEOUT_MS}ms'`))
        await handlers.get(row.kind)!(tx, row)
        if (row.intervalSeconds) {
          const next = Math.max(row.fireAt.getTime() + row.intervalSeconds * 1000, app.clock.now().getTime())
          await tx.update(timers).set({ fireAt: new Date(next), attempts: 0, lastError: null }).where(eq(timers.id, row.id))
        } else {
          // a handler that scheduled its own key again (a later check) keeps the timer armed
          await tx.update(timers).set({ firedAt: app.clock.now(), attempts: row.attempts + 1 }).where(unmoved(row))
        }
        return 'fired'
      })
    } catch (error) {
      if (!claimed) throw error
      const gaveWay = postgresErrorOf(error)?.code === LOCK_NOT_AVAILABLE
      if (gaveWay) app.log.info({ timer: claimed.key, kind: claimed.kind }, 'timer gave way to a request holding its rows; will retry')
      else app.log.error({ err: error, timer: claimed.key, kind: claimed.kind }, 'timer handler failed; will retry')
      const delay = gaveWay ? GAVE_WAY_RETRY_MS : RETRY_BACKOFF_MS[Math.min(claimed.attempts, RETRY_BACKOFF_MS.length - 1)]!
      const fireAt = new Date(app.clock.now().getTime() + delay)
      const failed = { attempts: claimed.attempts + 1, lastError: String((error as Error).message ?? error).slice(0, 1000) }
      // unless the timer was moved meanwhile (the request it gave way to may have scheduled it anew)
      await db.update(timers).set(gaveWay ? { fireAt } : { fireAt, ...failed }).where(and(unmoved(claimed), isNull(timers.firedAt)))
      return 'fired'
    }
  }

  async function fireDue (): Promise<number> {
    let count = 0
    // `closing` is set by preClose while this loop awaits
    for (;;) {
      if (closing || await fireOne() !== 'fired') return count
      count++
    }
  }

  async function arm () {
    if (closing) return
    const kinds = [...handlers.keys()]
    const [next] = kinds.length === 0
      ? []
      : await db.select({ fireAt: timers.fireAt }).from(timers)
        .where(and(isNull(timers.firedAt), inArray(timers.kind, kinds))).orderBy(asc(timers.fireAt)).limit(1)
    clearTimeout(alarm)
    const delay = Math.min(next ? Math.max(0, next.fireAt.getTime() - app.clock.now().getTime()) : MAX_ALARM_MS, MAX_ALARM_MS)
    alarmAt = app.clock.now().getTime() + delay
    alarm = setTimeout(onAlarm, delay)
    alarm.unref()
  }

  /**
   * Passes run one at a time in an instance: a concurrent pass would skip the timers another
   * holds locked (SKIP LOCKED) and answer before they fired.
   */
  let passes: Promise<number> = Promise.resolve(0)
  function queuePass (): Promise<number> {
    const pass = passes.catch(() => 0).then(fireDue)
    passes = pass
    return pass
  }

  function onAlarm () {
    firing ??= queuePass()
      .catch((error: unknown) => { app.log.error({ err: error }, 'firing timers failed'); return 0 })
      .finally(() => { firing = undefined; arm().catch((error: unknown) => app.log.error({ err: error }, 'arming timers failed')) })
  }

  /**
   * Tells every instance of a timer due before their next look at the table. One due later than
   * the longest alarm needs no notice: every alarm re-reads the next due timer within
   * MAX_ALARM_MS. That matters: PostgreSQL serialises the commits of transactions that NOTIFY,
   * and most timers (acceptance limits, deadline warnings) are days away.
   */
  async function announce (tx: Queryable, fireAt: Date): Promise<void> {
    if (fireAt.getTime() - app.clock.now().getTime() > MAX_ALARM_MS) return
    await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, ${String(fireAt.getTime())})`)
  }

  const service: Timers = {
    define (kind, handler) {
      if (handlers.has(kind)) throw new Error(`timer kind ${kind} is already defined`)
      handlers.set(kind, handler)
    },
    async schedule (tx, input) {
      // hand-written: most steps of a case schedule or move a timer, and the builder cost more than the upsert
      await write(tx, sql`
        insert into timers (kind, key, fire_at, payload, interval_seconds)
        values (${input.kind}, ${input.key}, ${input.fireAt.toISOString()}::timestamptz, ${JSON.stringify(input.payload ?? {})}::jsonb, ${input.intervalSeconds ?? null}::int)
        on conflict (key) do update set kind = excluded.kind, fire_at = excluded.fire_at, payload = excluded.payload,
          interval_seconds = excluded.interval_seconds, fired_at = null, attempts = 0, last_error = null`)
      await announce(tx, input.fireAt)
    },
    async ensureRecurring (tx, input) {
      await tx.insert(timers).values({ kind: input.kind, key: input.key, fireAt: input.firstAt, intervalSeconds: input.intervalSeconds })
        .onConflictDoUpdate({ target: timers.key, set: { intervalSeconds: input.intervalSeconds } })
      await announce(tx, input.firstAt)
    },
    async cancel (tx, key) {
      const removed = await tx.delete(timers).where(and(eq(timers.key, key), isNull(timers.firedAt))).returning({ id: timers.id })
      return removed.length > 0
    },
    fireDue: queuePass
  }

  app.decorate('timers', service)
  // a notice carries the new timer's instant: only one due before the alarm already set re-arms it
  // (a busy hall schedules timers by the hundred; most are days away)
  const listener = await db.$client.listen(NOTIFY_CHANNEL, (payload) => {
    const at = Number(payload)
    if (Number.isFinite(at) && at >= alarmAt) return
    arm().catch(() => {})
  })
  app.addHook('onReady', async () => {
    // handlers are defined by plugins registered after this one; fire what is overdue, then arm
    onAlarm()
  })
  app.addHook('preClose', async () => {
    closing = true
    clearTimeout(alarm)
    await listener.unlisten().catch(() => {})
    await passes.catch(() => 0)
  })
}, { name: 'timers', dependencies: ['db', 'clock'] })
