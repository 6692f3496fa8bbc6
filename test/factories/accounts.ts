/** Accounts with roles, signed in, through the real services. */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Grant } from '../../src/lib/policy.ts'

export const TEST_PASSWORD = 'Correct-Horse-9-Battery'

export interface TestUser {
  id: string
  username: string
  password: string
  token: string
  /** Authorization header for app.inject */
  headers: { authorization: string }
}

export async function createUser (
  app: FastifyInstance,
  options: { grants?: Array<Pick<Grant, 'role' | 'scopeType'> & { scopeId?: string | null }>, username?: string, kind?: 'person' | 'organisation', creditCode?: string } = {}
): Promise<TestUser> {
  const username = options.username ?? `user_${randomBytes(5).toString('hex')}`
  const { account } = await app.services.accounts.createAccount(null, {
    kind: options.kind ?? 'person',
    username,
    displayName: `Test ${username}`,
    creditCode: options.creditCode,
    password: TEST_PASSWORD,
    grants: options.grants
  })
  const session = await app.services.sessions.signIn({ username, password: TEST_PASSWORD, ip: '127.0.0.1', userAgent: 'test', requestId: 'factory' })
  return { id: account.id, username, password: TEST_PASSWORD, token: session.token, headers: { authorization: `Bearer ${session.token}` } }
}

export const hallAdmin = (app: FastifyInstance) => createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
export const supervisor = (app: FastifyInstance) => createUser(app, { grants: [{ role: 'supervisor', scopeType: 'hall' }] })
