/** Projects, tenders and bidders through the real services and routes. */
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { derToPem, pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { sealBid, signPackage } from '../../src/lib/sealed-bid/index.ts'
import { earliestLawfulTimetable } from '../../src/modules/tenders/tenders.rules.ts'
import type { RegisterProject } from '../../src/modules/projects/projects.schemas.ts'
import type { CreateTender } from '../../src/modules/tenders/tenders.schemas.ts'
import { hallAdmin, organisation, type TestUser } from './accounts.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { multipart } from '../support/multipart.ts'
import { rsaKey } from '../support/pki.ts'

export interface TradingDesk { hall: TestUser, agency: TestUser, venueId: string }

export async function addVenue (app: FastifyInstance, hall: TestUser): Promise<string> {
  const venue = await app.inject({ method: 'POST', url: '/api/venues', headers: hall.headers, payload: { code: `K${randomBytes(3).toString('hex').toUpperCase()}`, name: `开标室 ${randomBytes(2).toString('hex')}`, seats: 40 } })
  if (venue.statusCode !== 201) throw new Error(`venue: ${venue.body}`)
  return venue.json().id
}

export async function tradingDesk (app: FastifyInstance): Promise<TradingDesk> {
  const hall = await hallAdmin(app)
  return { hall, agency: await organisation(app, 'agency'), venueId: await addVenue(app, hall) }
}

export function worksProject (overrides: Partial<RegisterProject> = {}): RegisterProject {
  return {
    tradeType: 'construction_works',
    name: '示范县第一中学教学楼建设工程',
    tendererName: '示范县教育局',
    tendererCreditCode: demoCreditCode('330100', '12345678'),
    agencyName: '示范招标代理有限公司',
    estimateFen: 1_500_000_000,
    priceCeilingFen: 1_480_000_000,
    fundingSource: '财政资金',
    mandatoryTendering: true,
    details: { site: '示范县城东新区', scale: '教学楼 12,000 平方米', qualification: '建筑工程施工总承包二级及以上', plannedDays: 365 },
    ...overrides
  } as RegisterProject
}

/** Instants for a tender published now that satisfies every statutory period. */
export function lawfulTiming (app: FastifyInstance, now = app.clock.now()) {
  const timetable = earliestLawfulTimetable(app.calendar.current(), now)
  return { documentsFrom: timetable.documentsFrom.toISOString(), saleUntil: timetable.saleUntil.toISOString(), bidDeadline: timetable.bidDeadline.toISOString(), deadlineDate: timetable.deadlineDate }
}

/** A registered project accepted into the schedule with an opening slot at `openingAt`. */
export async function acceptedProject (app: FastifyInstance, desk: TradingDesk, options: { project?: Partial<RegisterProject>, openingAt?: string, venueId?: string } = {}) {
  const registered = await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject(options.project) })
  if (registered.statusCode !== 201) throw new Error(`project: ${registered.body}`)
  const projectId = registered.json().id as string
  const startsAt = options.openingAt ?? lawfulTiming(app).bidDeadline
  const accepted = await app.inject({
    method: 'POST',
    url: `/api/projects/${projectId}/decision`,
    headers: desk.hall.headers,
    payload: { decision: 'accept', slot: { venueId: options.venueId ?? desk.venueId, startsAt, endsAt: new Date(new Date(startsAt).getTime() + 3 * 3_600_000).toISOString() } }
  })
  if (accepted.statusCode !== 200) throw new Error(`acceptance: ${accepted.body}`)
  return accepted.json() as { id: string, code: string }
}

export function tenderInput (app: FastifyInstance, projectId: string, overrides: Partial<CreateTender> = {}): CreateTender {
  const timing = lawfulTiming(app)
  return {
    projectId,
    title: '示范县第一中学教学楼建设工程施工招标',
    announcement: '招标公告：本项目已具备招标条件，现进行公开招标，欢迎符合条件的投标人参加。',
    documentsFrom: timing.documentsFrom,
    saleUntil: timing.saleUntil,
    bidDeadline: timing.bidDeadline,
    openingFields: [
      { key: 'priceFen', label: '投标报价', kind: 'fen', required: true },
      { key: 'durationDays', label: '工期', kind: 'days', required: true }
    ],
    evaluationMethod: { method: 'comprehensive' },
    ...overrides
  }
}

export async function uploadDocument (app: FastifyInstance, user: TestUser, tenderId: string, fields: Record<string, string>, file?: { name: string, content: Uint8Array }) {
  const body = multipart(fields, file ? { file: { name: file.name, content: file.content } } : {})
  return app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/documents`, headers: { ...user.headers, ...body.headers }, payload: body.payload })
}

/** A drafted tender with its documents uploaded, then published. */
export async function publishedTender (app: FastifyInstance, desk: TradingDesk, overrides: Partial<CreateTender> = {}, options: { venueId?: string, project?: Partial<RegisterProject> } = {}) {
  const input = tenderInput(app, '', overrides)
  const project = await acceptedProject(app, desk, { openingAt: input.bidDeadline, venueId: options.venueId, project: options.project })
  const drafted = await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: { ...input, projectId: project.id } })
  if (drafted.statusCode !== 201) throw new Error(`draft: ${drafted.body}`)
  const tenderId = drafted.json().id as string
  const uploaded = await uploadDocument(app, desk.agency, tenderId, { kind: 'tender_documents', title: '招标文件' }, { name: '招标文件.pdf', content: Buffer.from('%PDF-1.4 招标文件 正文') })
  if (uploaded.statusCode !== 201) throw new Error(`documents: ${uploaded.body}`)
  const published = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/publication`, headers: desk.agency.headers })
  if (published.statusCode !== 200) throw new Error(`publication: ${published.body}`)
  return published.json() as { id: string, code: string, bidDeadline: string, projectId: string, escrow: { certificatePem: string } | null }
}

/** The hall's bid-bond item: a deposit whose formula is the amount the tender documents set. */
export const bondFeeVersion = { name: '投标保证金', basis: 'formula' as const, formula: 'amount', parameters: [{ name: 'amount', label: '招标文件规定的保证金', unit: '元', scale: 2 }], amountFen: undefined }

export interface TestBidder { user: TestUser, key: ReturnType<typeof rsaKey>, certificate: Uint8Array }

/** A bidder with a platform certificate for a key it generated itself. */
export async function bidderWithCertificate (app: FastifyInstance, username = `bidder_${randomBytes(4).toString('hex')}`): Promise<TestBidder> {
  const user = await organisation(app, 'bidder', username)
  const key = rsaKey()
  const issued = await app.inject({ method: 'POST', url: '/api/pki/certificates', headers: user.headers, payload: { csr: derToPem(createCsr(key, encodeName([['CN', username]])), 'CERTIFICATE REQUEST'), profile: 'organisation' } })
  if (issued.statusCode !== 201) throw new Error(`certificate: ${issued.body}`)
  return { user, key, certificate: pemToDer(issued.json().certificatePem)[0]! }
}

async function * once (bytes: Uint8Array) { yield bytes }

/** Seals a bid for a tender the way the bidder client does; returns the package and its outer signature. */
export async function sealedPackage (bidder: TestBidder, tenderCode: string, options: { opening?: Record<string, string | number>, extraRecipients?: Uint8Array[], size?: number } = {}) {
  const signer = nodeSigner(bidder.certificate, bidder.key)
  const document = randomBytes(options.size ?? 50_000)
  const sealed = await sealBid({
    provider: nodeCrypto,
    signer,
    tenderId: tenderCode,
    opening: options.opening ?? { priceFen: '1288800000', durationDays: 300 },
    files: [{ name: '投标文件.pdf', size: document.length, content: once(document) }],
    recipients: [bidder.certificate, ...(options.extraRecipients ?? [])]
  })
  const parts: Uint8Array[] = []
  for await (const part of sealed.bytes) parts.push(part)
  const bytes = Buffer.concat(parts)
  const signature = await signPackage({ provider: nodeCrypto, signer, packageSha256: sealed.summary().sha256 })
  return { bytes, signature, sha256: sealed.summary().sha256, secrets: sealed.secrets }
}

export async function registerFor (app: FastifyInstance, bidder: TestBidder, tenderId: string) {
  const response = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/registration`, headers: bidder.user.headers })
  if (response.statusCode !== 200) throw new Error(`registration: ${response.body}`)
  return response.json()
}

export async function submitBid (app: FastifyInstance, bidder: TestBidder, tenderId: string, sealed: { bytes: Uint8Array, signature: Uint8Array }, idempotencyKey = randomBytes(12).toString('hex')) {
  const body = multipart({}, { signature: { name: 'bid.ohsb.p7s', content: sealed.signature }, package: { name: 'bid.ohsb', content: sealed.bytes } })
  return app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/bids`, headers: { ...bidder.user.headers, ...body.headers, 'idempotency-key': idempotencyKey }, payload: body.payload })
}

/**
 * Moves this instance's clock past the tender's deadline (until the test ends) and fires the
 * deadline timer, which is due by the database's clock only later.
 */
export async function passDeadline (app: FastifyInstance, t: { teardown (fn: () => void): void }, tender: { id: string, bidDeadline: string }, afterMs = 1000) {
  const realNow = app.clock.now
  app.clock.now = () => new Date(new Date(tender.bidDeadline).getTime() + afterMs)
  t.teardown(() => { app.clock.now = realNow })
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key = ${`tenders.deadline:${tender.id}`}`
  await app.timers.fireDue()
}

/** The bid objects the fs store holds (one file each under DATA_DIR/blobs/objects/bids/). */
export async function storedBidObjects (dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'blobs', 'objects', 'bids')
  return (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])).filter((entry) => entry.isFile()).map((entry) => entry.name)
}
