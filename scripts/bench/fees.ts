/**
 * Unified-fees benchmarks.
 *
 *   bank-callbacks   N payments (BENCH_PAYMENTS, default 20,000), each announced by 3 signed
 *                    callbacks sent at once; checks exactly-once effects afterwards. Baseline: the
 *                    same number of validated single-row inserts over HTTP, same client, same run.
 *   reconciliation   a statement of BENCH_STATEMENT_LINES (default 1,000,000) lines streamed over
 *                    HTTP (curl) into the import, against as many recorded payments; server memory
 *                    sampled throughout. Baseline: a bare COPY of the same file into a plain table.
 */
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createReadStream } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FastifyInstance } from 'fastify'
import { shanghaiDate } from '../../src/lib/working-days.ts'

interface ClientResult { requests: number, seconds: number, statuses: Record<string, number> }

async function runClient (job: unknown): Promise<ClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('scripts/bench/request-client.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin.end(JSON.stringify(job))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number]
  if (code !== 0) throw new Error(`request client exited with ${code}`)
  return JSON.parse(output) as ClientResult
}

export interface Staff { admin: string, approver: string, cashier: string }

/** Accounts the fee benchmarks act as (bearer tokens). */
export async function createStaff (app: FastifyInstance): Promise<Staff> {
  const password = `Bench-Fees-${Date.now()}-A1`
  const tokenOf = async (username: string, role: 'hall_admin' | 'cashier') => {
    await app.services.accounts.createAccount(null, { kind: 'person', username, displayName: username, password, grants: [{ role, scopeType: 'hall' }] })
    const session = await app.services.sessions.signIn({ username, password, ip: '127.0.0.1', userAgent: 'bench', requestId: 'bench' })
    return `Bearer ${session.token}`
  }
  return { admin: await tokenOf('bench.finance', 'hall_admin'), approver: await tokenOf('bench.approver', 'hall_admin'), cashier: await tokenOf('bench.cashier', 'cashier') }
}

async function call (app: FastifyInstance, authorization: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const response = await app.inject({ method, url, headers: { authorization }, ...(payload === undefined ? {} : { payload: payload as object }) })
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.body}`)
  return response.json()
}

export async function feeAndBank (app: FastifyInstance, staff: Staff, bankCode: string) {
  const code = `BENCH-${bankCode.toUpperCase()}`
  const item = await call(app, staff.admin, 'POST', '/api/fee-items', {
    code,
    category: 'non_tax',
    version: { name: '压力测试收费', basis: 'fixed', amountFen: 8000, legalBasis: 'bench', standardDocument: 'bench', receivingAccount: 'bench', validFrom: app.calendar.today() }
  })
  await call(app, staff.approver, 'POST', `/api/fee-versions/${item.versions[0].id}/decision`, { decision: 'approve' })
  const bank = await call(app, staff.admin, 'POST', '/api/banks', { code: bankCode, name: bankCode, authMethod: 'hmac' })
  return { feeCode: code, bankId: bank.bank.id as string, key: bank.hmacKey as string }
}

export async function measureCallbacks (app: FastifyInstance, appUrl: string, staff: Staff, insertUrl: string, insertAuthorization: string) {
  const count = Number(process.env.BENCH_PAYMENTS ?? 20_000)
  const { feeCode, key } = await feeAndBank(app, staff, 'benchbank')
  const notices: Array<{ code: string, amountFen: number, txnId: string }> = []
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < count) {
      const notice = await app.services.payments.createNotice(null, { purpose: 'case', reference: `case:bench-${next}`, payer: { name: '压力测试' }, lines: [{ code: feeCode }] })
      notices.push({ code: notice.code, amountFen: notice.totalFen, txnId: `BENCH-${notice.code}` })
    }
  }))
  // the same client shape for both (48 requests in flight), alternating in rounds so that noise
  // from neighbours hits both sides; the median round's ratio is reported
  const inFlight = 16
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const perRound = Math.ceil(count / rounds)
  const results: Array<{ baseline: ClientResult, measured: ClientResult, ratio: number }> = []
  for (let round = 0; round < rounds; round++) {
    const payments = notices.slice(round * perRound, (round + 1) * perRound)
    const baseline = await runClient({ kind: 'inserts', url: insertUrl, authorization: insertAuthorization, count: payments.length * 3, inFlight: inFlight * 3 })
    const measured = await runClient({ kind: 'callbacks', url: appUrl, path: '/api/bank/benchbank/payments', key, copies: 3, inFlight, payments })
    results.push({ baseline, measured, ratio: (measured.requests / measured.seconds) / (baseline.requests / baseline.seconds) })
  }
  const statuses: Record<string, number> = {}
  for (const result of results) for (const [status, n] of Object.entries(result.measured.statuses)) statuses[status] = (statuses[status] ?? 0) + n
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)]!
  const [effects] = await app.db.$client`
    select count(*)::int as payments, count(distinct p.notice_id)::int as notices, (select count(*)::int from receipts r join payments q on q.id = r.payment_id join banks b on b.id = q.bank_id where b.code = 'benchbank') as receipts
    from payments p join banks b on b.id = p.bank_id where b.code = 'benchbank'`
  const books = await app.services.ledger.checkBooks()
  const exactlyOnce = effects!.payments === count && effects!.notices === count && effects!.receipts === count &&
    statuses['201'] === count && statuses['200'] === 2 * count && books.balanced
  return {
    count,
    callbackRps: median.measured.requests / median.measured.seconds,
    insertRps: median.baseline.requests / median.baseline.seconds,
    ratio: median.ratio,
    exactlyOnce,
    statuses
  }
}

export async function measureReconciliation (app: FastifyInstance, appUrl: string, staff: Staff) {
  const lines = Number(process.env.BENCH_STATEMENT_LINES ?? 1_000_000)
  const extra = Math.max(1, Math.floor(lines / 2000))
  const { bankId } = await feeAndBank(app, staff, 'benchrecon')
  const date = shanghaiDate(app.clock.now())
  const sql = app.db.$client
  // recorded payments for the statement to match, inserted in bulk (one balanced bulk posting)
  await sql.begin(async (tx) => {
    const [posting] = await tx`insert into ledger_transactions (kind, reference, business_date, occurred_at) values ('bench.bulk', 'bench', ${date}, now()) returning id`
    const total = BigInt(lines) * 8000n
    await tx`insert into ledger_entries (transaction_id, account_code, amount_fen) values (${posting!.id}, 'bank_clearing', ${total.toString()}), (${posting!.id}, 'non_tax_revenue', ${(-total).toString()})`
    await tx`
      insert into payment_notices (id, code, purpose, reference, payer_name, total_fen, status, issued_at, due_at, issue_transaction_id)
      select md5('bench' || i)::uuid, 'R' || lpad(i::text, 19, '0'), 'case', 'case:bench', '压力测试', 8000, 'paid', now(), now() + interval '1 day', ${posting!.id}
      from generate_series(1, ${lines}) as i`
    await tx`
      insert into payments (notice_id, channel, bank_id, bank_txn_id, amount_fen, payer_account_no, payer_account_name, paid_at, business_date, recorded_at, ledger_transaction_id)
      select md5('bench' || i)::uuid, 'bank_callback', ${bankId}, 'R' || i, 8000, '6222020200112233445', '压力测试', now(), ${date}, now(), ${posting!.id}
      from generate_series(1, ${lines}) as i`
  })
  // as autovacuum would have by now on a live system
  await sql`analyze payments`
  await sql`analyze payment_notices`
  const work = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-statement-'))
  try {
    // the statement: every payment but the last `extra` (missing), one in 2000 with another amount, and `extra` unknown lines
    const file = path.join(work, 'statement.csv')
    const out = createWriteStream(file)
    const bookedAt = `${date} 10:00:00`
    out.write('txn_id,booked_at,direction,amount,payment_code,counterparty_account,counterparty_name,memo\n')
    let chunk = ''
    for (let i = 1; i <= lines; i++) {
      const unknown = i > lines - extra
      const amount = !unknown && i % 2000 === 0 ? '80.01' : '80.00'
      chunk += `${unknown ? `U${i}` : `R${i}`},${bookedAt},C,${amount},,6222020200112233445,压力测试,缴款\n`
      if (chunk.length > 1 << 16) {
        if (!out.write(chunk)) await once(out, 'drain')
        chunk = ''
      }
    }
    out.end(chunk)
    await once(out, 'finish')
    const bytes = (await stat(file)).size

    // baseline: the same bytes through a bare COPY into a plain table
    await sql`create unlogged table if not exists bench_statement_raw (txn_id text, booked_at text, direction text, amount text, payment_code text, account text, name text, memo text)`
    const copyStarted = performance.now()
    const writable = await sql`copy bench_statement_raw from stdin with (format csv, header true)`.writable()
    await pipeline(createReadStream(file), writable)
    const copyMs = performance.now() - copyStarted
    await sql`drop table bench_statement_raw`

    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 50)
    const started = performance.now()
    const curl = spawn('curl', ['-sS', '-X', 'POST', '-T', file, '-H', 'content-type: text/csv', '-H', `authorization: ${staff.cashier}`, `${appUrl}/api/bank-statements?bankCode=benchrecon&date=${date}`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let response = ''
    curl.stdout.on('data', (data: Buffer) => { response += data.toString() })
    await once(curl, 'exit')
    const importMs = performance.now() - started
    clearInterval(sampler)
    const statement = JSON.parse(response) as { lineCount?: number, matchedCount?: number, differences?: number, detail?: string }
    if (statement.lineCount !== lines) throw new Error(`statement import failed: ${response.slice(0, 500)}`)
    return {
      lines,
      megabytes: bytes / 1e6,
      importMs,
      copyMs,
      rssGrowthMb: (rssPeak - rssBefore) / (1024 * 1024),
      matched: statement.matchedCount!,
      differences: statement.differences!,
      expectedDifferences: Math.floor((lines - extra) / 2000) + 2 * extra
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
