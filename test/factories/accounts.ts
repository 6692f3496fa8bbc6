/** Accounts with roles, signed in, through the real services. */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Grant } from '../../src/lib/policy.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'

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

/** An organisation (company, agency) with a valid, random unified social credit code. */
export async function organisation (app: FastifyInstance, role: Grant['role'], username?: string): Promise<TestUser> {
  const body = Array.from(randomBytes(8), (byte) => '0123456789'[byte % 10]).join('')
  return createUser(app, { kind: 'organisation', username, creditCode: demoCreditCode('330100', body), grants: [{ role, scopeType: 'hall' }] })
}
