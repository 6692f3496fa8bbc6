/**
 * What the drawing pages' tests share: a form post as a browser sends it, an expert's page
 * session, and a tender with a pool of experts (two excluded, with reasons the supervisor reads)
 * whose drawing is requested and approved through the API, the clock moved to when it may be drawn.
 */
import type { FastifyInstance } from 'fastify'
import { clockAt, drawingApi, drawingDesk, drawingInput, experts, HOUR, recordPenalty, TENDERER_CREDIT_CODE } from './drawings.ts'
import { createExpert, type TestExpert } from './experts.ts'

export const form = (headers: Record<string, string>, fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
})

/** The session cookie an expert's browser carries after signing in. */
export async function expertCookie (app: FastifyInstance, expert: Pick<TestExpert, 'username' | 'password'>): Promise<{ cookie: string }> {
  const session = await app.services.sessions.signIn({ username: expert.username, password: expert.password, ip: '127.0.0.1', userAgent: 'test', requestId: 'drawing-pages' })
  return { cookie: `${app.auth.cookieName}=${session.token}` }
}

/** Eight technical experts (A010101) and three economic (A020101), the tenderer's own staff and a suspended expert. */
export async function drawingPool (app: FastifyInstance) {
  const technical = await experts(app, 8, { specialties: ['A010101'] })
  const economic = await experts(app, 3, { specialties: ['A020101'] })
  const tendererStaff = await createExpert(app, { specialties: ['A010101'], creditCode: TENDERER_CREDIT_CODE, organisationName: '示范县教育局', fullName: '回避甲' })
  const suspended = await createExpert(app, { specialties: ['A010101'], fullName: '暂停乙' })
  await recordPenalty(app, suspended.expertId, '2020-01-01', null)
  return { technical, economic, tendererStaff, suspended, everyone: [...technical, ...economic, tendererStaff, suspended] }
}

/** A requested and approved drawing, the clock an hour into the time it may be drawn. */
export async function approvedDrawing (app: FastifyInstance) {
  const api = drawingApi(app)
  const { desk, supervisor, tender } = await drawingDesk(app)
  const pool = await drawingPool(app)
  const input = drawingInput(tender)
  const requested = await api.request(desk.agency, tender.id, input)
  if (requested.statusCode !== 201) throw new Error(`request: ${requested.body}`)
  const id = requested.json().id as string
  const approved = await api.post(desk.hall.headers, id, 'approve')
  if (approved.statusCode !== 200) throw new Error(`approve: ${approved.body}`)
  const evaluationAt = new Date(input.evaluationAt)
  await clockAt(app, new Date(evaluationAt.getTime() - 47 * HOUR))
  return { api, desk, supervisor, tender, pool, id, evaluationAt }
}
