/** Openings through the real routes: tenders with sealed bids at their deadline, bidders signed in by certificate. */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createSignedData } from '../../src/lib/cms/index.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { toHex } from '../../src/lib/sealed-bid/index.ts'
import type { RegisterProject } from '../../src/modules/projects/projects.schemas.ts'
import type { CreateTender } from '../../src/modules/tenders/tenders.schemas.ts'
import { supervisor, type TestUser } from './accounts.ts'
import { bidderWithCertificate, passDeadline, publishedTender, registerFor, sealedPackage, submitBid, tradingDesk, type TestBidder, type TradingDesk } from './trading.ts'

/** A session opened by signing a challenge with the bidder's certificate key (authMethod certificate). */
export async function certificateHeaders (app: FastifyInstance, bidder: TestBidder): Promise<{ authorization: string }> {
  const challenge = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
  const signature = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificate, bidder.key), content: Buffer.from(challenge.challenge), detached: false })
  const session = await app.inject({ method: 'POST', url: '/api/auth/certificate', payload: { challengeId: challenge.challengeId, signature: Buffer.from(signature).toString('base64') } })
  if (session.statusCode !== 200) throw new Error(`certificate sign-in: ${session.body}`)
  return { authorization: `Bearer ${session.json().token as string}` }
}

export interface OpeningBidder extends TestBidder {
  certHeaders: { authorization: string }
  submissionId: string
  priceFen: string
  reveal: { submissionId: string, contentKey: string, nonce: string }
}

export interface OpeningSetup {
  desk: TradingDesk
  supervisor: TestUser
  tender: Awaited<ReturnType<typeof publishedTender>>
  bidders: OpeningBidder[]
}

/** A published tender with one sealed bid per price, still before its deadline. */
export async function tenderWithBids (app: FastifyInstance, prices: string[], overrides: Partial<CreateTender> = {}, options: { recipients?: (tender: OpeningSetup['tender']) => Uint8Array[], project?: Partial<RegisterProject> } = {}): Promise<OpeningSetup> {
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk, overrides, { project: options.project })
  const bidders: OpeningBidder[] = []
  for (const [index, priceFen] of prices.entries()) {
    const bidder = await bidderWithCertificate(app, `bidder_${index}_${randomBytes(3).toString('hex')}`)
    await registerFor(app, bidder, tender.id)
    const sealed = await sealedPackage(bidder, tender.code, { opening: { priceFen, durationDays: 300 + index }, extraRecipients: options.recipients?.(tender), size: 20_000 })
    const submitted = await submitBid(app, bidder, tender.id, sealed)
    if (submitted.statusCode !== 201) throw new Error(`bid: ${submitted.body}`)
    const submissionId = submitted.json().id as string
    bidders.push({
      ...bidder,
      certHeaders: await certificateHeaders(app, bidder),
      submissionId,
      priceFen,
      reveal: { submissionId, contentKey: Buffer.from(sealed.secrets.contentKey).toString('base64'), nonce: toHex(sealed.secrets.nonce) }
    })
  }
  return { desk, supervisor: await supervisor(app), tender, bidders }
}

/** The same, past the deadline: bids frozen, the opening under way. */
export async function openingUnderWay (app: FastifyInstance, t: { teardown (fn: () => void): void }, prices: string[], overrides: Partial<CreateTender> = {}, options: Parameters<typeof tenderWithBids>[3] = {}): Promise<OpeningSetup> {
  const setup = await tenderWithBids(app, prices, overrides, options)
  await passDeadline(app, t, setup.tender)
  return setup
}

/** Moves this instance's clock on (tests only ever move it forward) and fires the timer `key` if due. */
export async function advance (app: FastifyInstance, ms: number, timerKey?: string): Promise<void> {
  const from = app.clock.now().getTime()
  app.clock.now = () => new Date(from + ms)
  if (timerKey) {
    await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key = ${timerKey} and fired_at is null`
    await app.timers.fireDue()
  }
}

export const openingApi = (app: FastifyInstance, tenderId: string) => ({
  get: async (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/api/openings/${tenderId}`, headers }),
  post: async (path: string, headers: Record<string, string>, payload?: object) => app.inject({ method: 'POST', url: `/api/openings/${tenderId}/${path}`, headers, ...(payload ? { payload } : {}) })
})
