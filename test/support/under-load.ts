/**
 * Checks under ordinary load: writers keep committing while a check runs over and over, so a
 * check that reads in several statements meets commits between them (issue 19). The figures a
 * check reports must be of one moment however the commits fall.
 */
import type { FastifyInstance } from 'fastify'

/** Runs `lanes` copies of `write` (each in a loop) until `checks` resolves; answers what it answered. */
export async function whileWriting<T> (lanes: number, write: (lane: number, i: number) => Promise<unknown>, checks: () => Promise<T>): Promise<T> {
  const stopping = new AbortController()
  const writers = Array.from({ length: lanes }, async (_, lane) => {
    for (let i = 0; !stopping.signal.aborted; i++) await write(lane, i)
  })
  try {
    return await checks()
  } finally {
    stopping.abort()
    await Promise.all(writers)
  }
}

/** `loops` concurrent loops of `count` checks each; the results in order of completion. */
export async function checkRepeatedly<T> (loops: number, count: number, check: () => Promise<T>): Promise<T[]> {
  const results: T[] = []
  await Promise.all(Array.from({ length: loops }, async () => {
    for (let i = 0; i < count; i++) results.push(await check())
  }))
  return results
}

/**
 * Years of balanced ledger history (bank_clearing against suspense), so each read of the ledger
 * takes as long as it does in a real hall and commits land between a check's statements.
 */
export async function ledgerHistory (app: FastifyInstance, transactions = 25_000) {
  await app.db.$client`
    with history as (
      insert into ledger_transactions (kind, reference, business_date, occurred_at)
      select 'test.history', 'history', ${app.calendar.today()}::date - (g % 3650), now() from generate_series(1, ${transactions}) g
      returning id
    )
    insert into ledger_entries (transaction_id, account_code, amount_fen)
    select id, leg.account_code, leg.amount_fen from history, (values ('bank_clearing', 100), ('suspense', -100)) as leg (account_code, amount_fen)`
}
