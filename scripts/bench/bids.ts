/**
 * Sealed-bid submission benchmarks, over real HTTP to the app listening on loopback.
 *
 *   bid-rush   the deadline rush: BENCH_BIDDERS (500) bidders each submit one sealed bid of a
 *              BENCH_BID_KB (1024) KB document, 100 uploads in flight, from a child process.
 *              Baseline: the same files, same client, same concurrency, to POST
 *              /bench/plain-upload (multipart streamed into the same store, nothing else).
 *              Each round uses a fresh tender, baseline first, and the median round's ratio is
 *              reported; afterwards every receipt is verified and the rows counted.
 *   bid-1gb    one sealed bid of a BENCH_BID_MB (1000) MB document uploaded with curl while the
 *              server's RSS is sampled every 50 ms. Baseline: the same file by curl to the plain
 *              upload route.
 *
 * Setup (accounts, certificates, tenders, sealing) goes through the real services and routes
 * and is never timed. One RSA key pair serves every bidder's CSR: each bidder still has its own
 * certificate, which is what the bid route checks, and 500 key generations would dominate setup.
 */
import { spawn } from 'node:child_process'
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { derToPem, pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { sealBid, signPackage } from '../../src/lib/sealed-bid/index.ts'
import { earliestLawfulTimetable } from '../../src/modules/tenders/tenders.rules.ts'
import { demoCreditCode } from '../demo/county.ts'

const MiB = 1024 * 1024
const IN_FLIGHT = 100
const OPENING = { priceFen: '1288800000', durationDays: 300 }

/**
 * The baseline route: the multipart package streamed into the store, as the bid route does,
 * without inspection, signatures, receipts or the database. Answers the key so the bench can
 * delete the object afterwards (outside the timing).
 */
export const plainUploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/bench/plain-upload', { config: { policy: 'authenticated' }, schema: { response: { 201: Type.Object({ key: Type.String(), sha256: Type.String() }) } } }, async (request, reply) => {
    const key = `bench/plain/${randomUUID()}`
    let sha256: string | undefined
    for await (const part of request.parts({ limits: { files: 2, fields: 0 } })) {
      if (part.type !== 'file') continue
      const file = part as MultipartFile
      if (file.fieldname === 'package') sha256 = (await app.store.put(key, file.file)).sha256
      else await file.toBuffer()
    }
    if (!sha256) throw new Error('no package part')
    return reply.code(201).send({ key, sha256 })
  })
}

// ---------------------------------------------------------------------------------------------
// setup through the real services and routes

let sharedKey: KeyObject | undefined
export const bidderKey = () => (sharedKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)

const PASSWORD = `Bench-Bids-${randomBytes(4).toString('hex')}-A1`
/** Unique per run, so a second run against the same DATABASE_URL does not collide. */
export const RUN = randomBytes(3).toString('hex')

export async function call (app: FastifyInstance, authorization: string, method: 'POST', url: string, payload?: object | Buffer, headers: Record<string, string> = {}) {
  const response = await app.inject({ method, url, headers: { authorization, ...headers }, ...(payload === undefined ? {} : { payload }) })
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
  return response.json()
}

async function signedIn (app: FastifyInstance, username: string, role: 'hall_admin' | 'agency' | 'bidder'): Promise<string> {
  const organisation = role !== 'hall_admin'
  const creditBody = Array.from(randomBytes(8), (byte) => '0123456789'[byte % 10]).join('')
  await app.services.accounts.createAccount(null, {
    kind: organisation ? 'organisation' : 'person',
    username,
    displayName: username,
    ...(organisation ? { creditCode: demoCreditCode('330100', creditBody) } : {}),
    password: PASSWORD,
    grants: [{ role, scopeType: 'hall' }]
  })
  const session = await app.services.sessions.signIn({ username, password: PASSWORD, ip: '127.0.0.1', userAgent: 'bench', requestId: 'bench' })
  return `Bearer ${session.token}`
}

/** Runs `work` over `items` with at most `limit` at once (setup only: password hashing is slow). */
export async function pooled<T, R> (items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!, index)
  }))
  return results
}

export interface Desk { hall: string, agency: string }

export interface Bidder { authorization: string, certificate: Uint8Array }

export async function createDesk (app: FastifyInstance, name: string): Promise<Desk> {
  return { hall: await signedIn(app, `bench.${name}.hall.${RUN}`, 'hall_admin'), agency: await signedIn(app, `bench.${name}.agency.${RUN}`, 'agency') }
}

export async function createBidders (app: FastifyInstance, name: string, count: number): Promise<Bidder[]> {
  const csr = derToPem(createCsr(bidderKey(), encodeName([['CN', 'OpenHall bench bidder']])), 'CERTIFICATE REQUEST')
  return pooled(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const authorization = await signedIn(app, `bench.${name}.${RUN}.${String(i).padStart(4, '0')}`, 'bidder')
    const issued = await call(app, authorization, 'POST', '/api/pki/certificates', { csr, profile: 'organisation' })
    return { authorization, certificate: pemToDer(issued.certificatePem)[0]! }
  })
}

function multipartBody (fields: Record<string, string>, file: { name: string, content: Buffer }) {
  const boundary = `----openhall-bench-${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
  chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), file.content, Buffer.from(`\r\n--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/**
 * A published tender open for bids: its own venue, an accepted project with the opening slot at
 * the bid deadline, documents issued. The deadline is the first one the statutory 20-day rule
 * allows, 09:30 Shanghai time.
 */
export async function publishTender (app: FastifyInstance, desk: Desk, options: { maxBidMegabytes?: number } = {}): Promise<{ id: string, code: string, bidDeadline: Date }> {
  const now = app.clock.now()
  const { saleUntil, bidDeadline } = earliestLawfulTimetable(app.calendar.current(), now)
  const venue = await call(app, desk.hall, 'POST', '/api/venues', { code: `B${randomBytes(3).toString('hex').toUpperCase()}`, name: `压力测试开标室 ${randomBytes(2).toString('hex')}`, seats: 40 })
  const project = await call(app, desk.agency, 'POST', '/api/projects', {
    tradeType: 'construction_works',
    name: '示范县压力测试教学楼建设工程',
    tendererName: '示范县教育局',
    tendererCreditCode: demoCreditCode('330100', '12345678'),
    agencyName: '示范招标代理有限公司',
    estimateFen: 1_500_000_000,
    priceCeilingFen: 1_480_000_000,
    fundingSource: '财政资金',
    mandatoryTendering: true,
    details: { site: '示范县城东新区', scale: '教学楼 12,000 平方米', qualification: '建筑工程施工总承包二级及以上', plannedDays: 365 }
  })
  await call(app, desk.hall, 'POST', `/api/projects/${project.id}/decision`, {
    decision: 'accept', slot: { venueId: venue.id, startsAt: bidDeadline.toISOString(), endsAt: new Date(bidDeadline.getTime() + 3 * 3_600_000).toISOString() }
  })
  const drafted = await call(app, desk.agency, 'POST', '/api/tenders', {
    projectId: project.id,
    title: '示范县压力测试教学楼建设工程施工招标',
    announcement: '招标公告：本项目已具备招标条件，现进行公开招标，欢迎符合条件的投标人参加。',
    documentsFrom: now.toISOString(),
    saleUntil: saleUntil.toISOString(),
    bidDeadline: bidDeadline.toISOString(),
    openingFields: [{ key: 'priceFen', label: '投标报价', kind: 'fen', required: true }, { key: 'durationDays', label: '工期', kind: 'days', required: true }],
    evaluationMethod: { method: 'comprehensive' },
    ...options
  })
  const documents = multipartBody({ kind: 'tender_documents', title: '招标文件' }, { name: '招标文件.pdf', content: Buffer.from('%PDF-1.4 招标文件 正文') })
  await call(app, desk.agency, 'POST', `/api/tenders/${drafted.id}/documents`, documents.payload, documents.headers)
  const published = await call(app, desk.agency, 'POST', `/api/tenders/${drafted.id}/publication`)
  return { id: published.id, code: published.code, bidDeadline }
}

export async function registerAll (app: FastifyInstance, bidders: Bidder[], tenderId: string): Promise<void> {
  await pooled(bidders, 8, (bidder) => call(app, bidder.authorization, 'POST', `/api/tenders/${tenderId}/registration`))
}

interface SealedFiles { package: string, signature: string, sha256: string, size: number }

async function * single (bytes: Uint8Array) { yield bytes }

/** Seals `document` for the tender as the bidder client does, to `<base>` and `<base>.p7s`. */
async function sealToFiles (bidder: Bidder, tenderCode: string, document: Buffer, base: string): Promise<SealedFiles> {
  const signer = nodeSigner(bidder.certificate, bidderKey())
  const sealed = await sealBid({
    provider: nodeCrypto,
    signer,
    tenderId: tenderCode,
    opening: OPENING,
    files: [{ name: '投标文件.pdf', size: document.length, content: single(document) }],
    recipients: [bidder.certificate]
  })
  await pipeline(Readable.from(sealed.bytes), createWriteStream(base))
  const { sha256, size } = sealed.summary()
  await writeFile(`${base}.p7s`, await signPackage({ provider: nodeCrypto, signer, packageSha256: sha256 }))
  return { package: base, signature: `${base}.p7s`, sha256, size }
}

// ---------------------------------------------------------------------------------------------
// clients in their own processes

interface UploadResult { seconds: number, statuses: Record<string, number>, codes: number[], latencies: number[], bodies: string[] }

async function runUploads (job: { url: string, inFlight: number, uploads: Array<{ authorization: string, idempotencyKey: string, signature: string, package: string }> }): Promise<UploadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('scripts/bench/upload-client.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin.end(JSON.stringify(job))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number]
  if (code !== 0) throw new Error(`upload client exited with ${code}`)
  return JSON.parse(output) as UploadResult
}

/** Runs a command to completion; rejects with its stderr when it fails. */
function run (command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(0, 2000)}`))))
  })
}

/**
 * One curl upload (streamed from disk) while this process's RSS is sampled every 50 ms; the
 * growth is the peak over the level just before the upload started.
 */
async function curlUpload (url: string, authorization: string, idempotencyKey: string, files: SealedFiles) {
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 50)
  const started = performance.now()
  try {
    const output = await run('curl', ['-sS', '-w', '\n%{http_code}', '-H', `authorization: ${authorization}`, '-H', `idempotency-key: ${idempotencyKey}`,
      '-F', `signature=@${files.signature}`, '-F', `package=@${files.package}`, url])
    const seconds = (performance.now() - started) / 1000
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
    const newline = output.lastIndexOf('\n')
    return { status: Number(output.slice(newline + 1)), body: output.slice(0, newline), seconds, growthMb: (rssPeak - rssBefore) / MiB }
  } finally {
    clearInterval(sampler)
  }
}

// ---------------------------------------------------------------------------------------------
// receipts

interface Submission { id: string, sha256: string, receipt: { json: string, cms: string } }

/** A receipt is valid when its CMS verifies to the platform, attaches exactly the JSON, and names the package's SHA-256. */
async function receiptIsValid (app: FastifyInstance, body: string, packageSha256: string): Promise<boolean> {
  try {
    const submission = JSON.parse(body) as Submission
    const { content } = await app.pki.verifySignature({ cms: new Uint8Array(Buffer.from(submission.receipt.cms, 'base64')) })
    if (!content || !Buffer.from(content).equals(Buffer.from(submission.receipt.json))) return false
    const receipt = JSON.parse(submission.receipt.json) as { ciphertextSha256?: string }
    return receipt.ciphertextSha256 === packageSha256 && submission.sha256 === packageSha256
  } catch {
    return false
  }
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0
}

// ---------------------------------------------------------------------------------------------
// scenarios

export interface RushSide { uploadsPerSecond: number, mbPerSecond: number, p50: number, p99: number, statuses: Record<string, number> }

function sideOf (result: UploadResult, bytes: number): RushSide {
  return {
    uploadsPerSecond: result.codes.length / result.seconds,
    mbPerSecond: bytes / MiB / result.seconds,
    p50: percentile(result.latencies, 0.5),
    p99: percentile(result.latencies, 0.99),
    statuses: result.statuses
  }
}

export async function measureBidRush (app: FastifyInstance, appUrl: string) {
  const count = Number(process.env.BENCH_BIDDERS ?? 500)
  const kilobytes = Number(process.env.BENCH_BID_KB ?? 1024)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const work = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-rush-'))
  try {
    const desk = await createDesk(app, 'rush')
    const bidders = await createBidders(app, 'rush', count)
    // incompressible like a real bid; sealing encrypts it anyway
    const document = randomBytes(kilobytes * 1024)
    const results: Array<{ scenario: RushSide, baseline: RushSide, ratio: number }> = []
    let valid = 0
    let invalidShown = 0
    let rowsOk = true
    const tenderRows: number[] = []
    for (let round = 0; round < rounds; round++) {
      // a fresh tender each round, so that every round is a full rush of first submissions
      const tender = await publishTender(app, desk)
      await registerAll(app, bidders, tender.id)
      const dir = path.join(work, `round-${round}`)
      await mkdir(dir)
      const sealed: SealedFiles[] = []
      for (const [i, bidder] of bidders.entries()) sealed.push(await sealToFiles(bidder, tender.code, document, path.join(dir, `bid-${i}.ohsb`)))
      const bytes = sealed.reduce((total, files) => total + files.size, 0)
      const uploads = sealed.map((files, i) => ({ authorization: bidders[i]!.authorization, idempotencyKey: `rush-${RUN}-${round}-${i}`, signature: files.signature, package: files.package }))

      // every timed phase starts with dirty pages written back, so none pays for another's writes
      await run('sync', [])
      const plain = await runUploads({ url: `${appUrl}/bench/plain-upload`, inFlight: IN_FLIGHT, uploads })
      if (plain.statuses['201'] !== count) throw new Error(`plain uploads failed: ${JSON.stringify(plain.statuses)} ${plain.bodies.find((_, i) => plain.codes[i] !== 201)?.slice(0, 500)}`)
      // outside the timing: the baseline's objects would otherwise fill the disk round after round
      for (const body of plain.bodies) await app.store.delete((JSON.parse(body) as { key: string }).key)

      await run('sync', [])
      const bids = await runUploads({ url: `${appUrl}/api/tenders/${tender.id}/bids`, inFlight: IN_FLIGHT, uploads })
      const scenario = sideOf(bids, bytes)
      const baseline = sideOf(plain, bytes)
      results.push({ scenario, baseline, ratio: scenario.uploadsPerSecond / baseline.uploadsPerSecond })

      for (const [i, body] of bids.bodies.entries()) {
        if (bids.codes[i] === 201 && await receiptIsValid(app, body, sealed[i]!.sha256)) valid++
        else if (invalidShown++ < 3) process.stdout.write(`  round ${round} bid ${i}: ${bids.codes[i]} ${body.slice(0, 300)}\n`)
      }
      const [row] = await app.db.$client`select count(*)::int as n from bid_submissions where tender_id = ${tender.id}`
      tenderRows.push(row!.n as number)
      if (row!.n !== count) rowsOk = false
      await rm(dir, { recursive: true, force: true })
    }
    const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)]!
    return { count, kilobytes, rounds, ...median, ratios: results.map((result) => result.ratio), valid, expected: count * rounds, rowsOk, tenderRows }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

export async function measureBigBid (app: FastifyInstance, appUrl: string) {
  const megabytes = Number(process.env.BENCH_BID_MB ?? 1000)
  const work = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-1gb-'))
  try {
    const desk = await createDesk(app, 'big')
    const [bidder] = await createBidders(app, 'big', 1)
    const tender = await publishTender(app, desk, { maxBidMegabytes: 1024 })
    await registerAll(app, [bidder!], tender.id)

    // the document: incompressible bytes streamed to disk (AES-CTR of zeros, fast, never in memory)
    const document = path.join(work, '投标文件.bin')
    await run('sh', ['-c', `head -c ${megabytes * MiB} /dev/zero | openssl enc -aes-256-ctr -pass pass:bench -pbkdf2 -nosalt -out '${document}'`])
    // sealed by the bidder client in its own process (streaming), so this process's memory stays the server's
    const cert = path.join(work, 'bidder.pem')
    const key = path.join(work, 'bidder.key')
    const opening = path.join(work, 'opening.json')
    await writeFile(cert, derToPem(bidder!.certificate))
    await writeFile(key, bidderKey().export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
    await writeFile(opening, JSON.stringify(OPENING))
    const packageFile = path.join(work, 'bid.ohsb')
    const sealed = JSON.parse(await run(process.execPath, ['--import', 'tsx', 'scripts/bidder.ts', 'seal', '--tender', tender.code, '--cert', cert, '--key', key, '--opening', opening, '--out', packageFile, document])) as { size: number, sha256: string }
    await rm(document)
    const files: SealedFiles = { package: packageFile, signature: `${packageFile}.p7s`, sha256: sealed.sha256, size: sealed.size }

    await run('sync', [])
    const plain = await curlUpload(`${appUrl}/bench/plain-upload`, bidder!.authorization, `plain-${RUN}`, files)
    if (plain.status !== 201) throw new Error(`plain upload failed: ${plain.status} ${plain.body.slice(0, 500)}`)
    await app.store.delete((JSON.parse(plain.body) as { key: string }).key)

    await run('sync', [])
    const bid = await curlUpload(`${appUrl}/api/tenders/${tender.id}/bids`, bidder!.authorization, `big-${RUN}`, files)
    const accepted = bid.status === 201 && await receiptIsValid(app, bid.body, files.sha256)
    if (!accepted) process.stdout.write(`  1 GB bid: ${bid.status} ${bid.body.slice(0, 500)}\n`)
    const mbps = (seconds: number) => files.size / MiB / seconds
    return {
      megabytes: files.size / MiB,
      status: bid.status,
      accepted,
      growthMb: bid.growthMb,
      mbPerSecond: mbps(bid.seconds),
      baselineGrowthMb: plain.growthMb,
      baselineMbPerSecond: mbps(plain.seconds)
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
