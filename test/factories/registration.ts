/** People who registered themselves, through the real routes and the simulated SMS gateway. */
import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { TEST_PASSWORD, type TestUser } from './accounts.ts'

/** A fresh mainland mobile number. */
export const mobile = () => `139${String(randomInt(0, 1e8)).padStart(8, '0')}`

/** Delivers what is queued and returns the newest code texted to the number (simulated gateway). */
export async function lastCode (app: FastifyInstance, phone: string): Promise<string | null> {
  await app.timers.fireDue()
  const [latest] = await app.services.notifier.listSimulated({ phone, limit: 1 })
  return latest ? /(\d{6})/.exec(latest.text)?.[1] ?? null : null
}

export async function registerPerson (app: FastifyInstance, input: { username: string, phone?: string, displayName?: string, password?: string, ip?: string }) {
  const phone = input.phone ?? mobile()
  const response = await app.inject({
    method: 'POST',
    url: '/api/registrations/person',
    remoteAddress: input.ip,
    payload: { username: input.username, displayName: input.displayName ?? `注册人 ${input.username}`, phone, password: input.password ?? TEST_PASSWORD }
  })
  return { response, phone }
}

/** A person registered and confirmed by the code, signed in. */
export async function confirmedPerson (app: FastifyInstance, username: string): Promise<TestUser & { phone: string }> {
  const { response, phone } = await registerPerson(app, { username })
  if (response.statusCode !== 201) throw new Error(`register: ${response.body}`)
  const { registrationId } = response.json() as { registrationId: string }
  const code = await lastCode(app, phone)
  const verified = await app.inject({ method: 'POST', url: `/api/registrations/person/${registrationId}/verify`, payload: { code } })
  if (verified.statusCode !== 200) throw new Error(`verify: ${verified.body}`)
  const session = await app.services.sessions.signIn({ username, password: TEST_PASSWORD, ip: '127.0.0.1', userAgent: 'test', requestId: 'factory' })
  return { id: registrationId, username, password: TEST_PASSWORD, token: session.token, headers: { authorization: `Bearer ${session.token}` }, phone }
}
