/**
 * Expert drawings through the real routes: a published works tender, a supervisor, experts of the
 * seeded classification (test/factories/experts.ts) and the dated facts recusal rules read
 * (penalties, unavailability, relations) written as rows, as the pool's hall would record them.
 */
import type { FastifyInstance } from 'fastify'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import type { CreateDrawing } from '../../src/modules/drawings/drawings.schemas.ts'
import { supervisor, type TestUser } from './accounts.ts'
import { createExpert, type ExpertOptions, type TestExpert } from './experts.ts'
import { publishedTender, tradingDesk, type TradingDesk } from './trading.ts'

/** The works project's tenderer (test/factories/trading.ts worksProject). */
export const TENDERER_CREDIT_CODE = demoCreditCode('330100', '12345678')
export const HOUR = 3_600_000

export interface DrawingDesk {
  desk: TradingDesk
  supervisor: TestUser
  tender: Awaited<ReturnType<typeof publishedTender>>
}

export async function drawingDesk (app: FastifyInstance): Promise<DrawingDesk> {
  const desk = await tradingDesk(app)
  return { desk, supervisor: await supervisor(app), tender: await publishedTender(app, desk) }
}

/** A works committee of 5: four technical experts of A010101 (two reserves), one economic of A020101 (one reserve). */
export function drawingInput (tender: { bidDeadline: string }, overrides: Partial<CreateDrawing> = {}): CreateDrawing {
  return {
    committeeSize: 5,
    tendererRepresentatives: 0,
    lines: [
      { specialtyCode: 'A010101', side: 'technical', count: 4, reserves: 2 },
      { specialtyCode: 'A020101', side: 'economic', count: 1, reserves: 1 }
    ],
    // a day after the deadline: with the default 48 h lead time the draw may run a day before it
    evaluationAt: new Date(new Date(tender.bidDeadline).getTime() + 24 * HOUR).toISOString(),
    evaluationPlace: '示范县公共资源交易中心第三评标室',
    regionsInclude: [],
    regionsExclude: [],
    ...overrides
  }
}

export async function experts (app: FastifyInstance, count: number, options: ExpertOptions = {}): Promise<TestExpert[]> {
  const made: TestExpert[] = []
  for (let index = 0; index < count; index++) made.push(await createExpert(app, options))
  return made
}

export async function recordPenalty (app: FastifyInstance, expertId: string, fromDate: string, toDate: string | null, kind: 'penalty' | 'suspension' = 'suspension') {
  await app.db.$client`insert into expert_penalties (expert_id, kind, reason, from_date, to_date) values (${expertId}, ${kind}, '评标中违反纪律', ${fromDate}, ${toDate})`
}

export async function recordUnavailable (app: FastifyInstance, expertId: string, fromDate: string, toDate: string) {
  await app.db.$client`insert into expert_unavailability (expert_id, from_date, to_date, reason) values (${expertId}, ${fromDate}, ${toDate}, '出差')`
}

export async function recordRelation (app: FastifyInstance, expertId: string, creditCode: string) {
  await app.db.$client`insert into expert_relations (expert_id, kind, organisation_name, credit_code) values (${expertId}, 'relative', '亲属任职单位', ${creditCode})`
}

/** Sets this instance's clock to `at` (tests only move it forward) and fires the timer `key` when given. */
export async function clockAt (app: FastifyInstance, at: Date | string, timerKey?: string): Promise<void> {
  const instant = new Date(at).getTime()
  app.clock.now = () => new Date(instant)
  if (timerKey) {
    await app.db.$client`update timers set fire_at = ${new Date(instant).toISOString()}::timestamptz where key = ${timerKey} and fired_at is null`
    await app.timers.fireDue()
  }
}

export const drawingApi = (app: FastifyInstance) => ({
  request: async (user: TestUser, tenderId: string, payload: CreateDrawing) => app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/drawings`, headers: user.headers, payload }),
  get: async (headers: Record<string, string>, id: string, path = '') => app.inject({ method: 'GET', url: `/api/drawings/${id}${path}`, headers }),
  post: async (headers: Record<string, string>, id: string, path: string, payload?: object) => app.inject({ method: 'POST', url: `/api/drawings/${id}/${path}`, headers, ...(payload ? { payload } : {}) }),
  answer: async (headers: Record<string, string>, id: string, decision: 'confirm' | 'decline') => app.inject({ method: 'POST', url: `/api/me/invitations/${id}/${decision}`, headers, ...(decision === 'decline' ? { payload: { reason: '当天另有安排' } } : {}) }),
  room: async (headers: Record<string, string>, id: string) => app.inject({ method: 'GET', url: `/api/live/rooms/drawing:${id}/events?since=0&limit=500`, headers })
})

/**
 * A drawing of the default committee (drawingInput) approved and drawn a day before its tender's
 * deadline, over six technical and two economic experts; the clock stays there (restored at teardown).
 */
export async function drawnDrawing (app: FastifyInstance, t: { teardown (fn: () => void): void }, nonce: string) {
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const api = drawingApi(app)
  const { desk, supervisor, tender } = await drawingDesk(app)
  const pool = [...await experts(app, 6, { specialties: ['A010101'] }), ...await experts(app, 2, { specialties: ['A020101'] })]
  const id = (await api.request(desk.agency, tender.id, drawingInput(tender))).json().id as string
  const approved = await api.post(desk.hall.headers, id, 'approve')
  if (approved.statusCode !== 200) throw new Error(`approve: ${approved.body}`)
  await clockAt(app, new Date(new Date(tender.bidDeadline).getTime() - 23 * HOUR))
  const drawn = await api.post(supervisor.headers, id, 'draw', { nonce })
  if (drawn.statusCode !== 200) throw new Error(`draw: ${drawn.body}`)
  return { api, desk, supervisor, tender, pool, id }
}
