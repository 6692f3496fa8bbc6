/**
 * Experts in the pool, through the real experts service: an account (role expert, hall scope)
 * with a known password, specialties, and a current employment. Shared with the drawing tests.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { TEST_PASSWORD } from './accounts.ts'

/** A valid, random unified social credit code (an organisation in `region`). */
export function randomCreditCode (region = '330100'): string {
  return demoCreditCode(region, Array.from(randomBytes(8), (byte) => '0123456789'[byte % 10]).join(''))
}

/** A random mainland mobile number. */
export function randomMobile (): string {
  return `139${Array.from(randomBytes(8), (byte) => String(byte % 10)).join('')}`
}

export interface ExpertOptions {
  /** level-3 codes of the seeded classification, e.g. A010101 (default: A010101) */
  specialties?: string[]
  /** the current employer's credit code (default: a random one) */
  creditCode?: string
  organisationName?: string
  /** the day the current employment began (default 2015-03-01) */
  employedFrom?: string
  /** no employment at all (a retired expert) */
  unemployed?: boolean
  regionCode?: string
  title?: 'senior' | 'associate_senior' | 'intermediate' | 'none'
  practiceSince?: number
  fullName?: string
  username?: string
  phone?: string
}

export interface TestExpert {
  expertId: string
  accountId: string
  code: string
  username: string
  password: string
  phone: string
  creditCode: string | null
}

export async function createExpert (app: FastifyInstance, options: ExpertOptions = {}): Promise<TestExpert> {
  const username = options.username ?? `expert_${randomBytes(5).toString('hex')}`
  const phone = options.phone ?? randomMobile()
  const creditCode = options.unemployed ? null : options.creditCode ?? randomCreditCode()
  const { expert } = await app.services.experts.createExpert(null, {
    account: { username, phone, password: TEST_PASSWORD },
    fullName: options.fullName ?? `专家${username.slice(-4)}`,
    title: options.title ?? 'senior',
    practiceSince: options.practiceSince ?? 2008,
    regionCode: options.regionCode ?? '330102',
    specialties: options.specialties ?? ['A010101'],
    ...(creditCode
      ? { employment: { organisationName: options.organisationName ?? `某某建设有限公司${username.slice(-4)}`, creditCode, fromDate: options.employedFrom ?? '2015-03-01' } }
      : {})
  })
  return { expertId: expert.id, accountId: expert.accountId, code: expert.code, username, password: TEST_PASSWORD, phone, creditCode }
}

/** Signs an expert in; the Authorization header for app.inject. */
export async function signInExpert (app: FastifyInstance, expert: Pick<TestExpert, 'username' | 'password'>): Promise<{ authorization: string }> {
  const session = await app.services.sessions.signIn({ username: expert.username, password: expert.password, ip: '127.0.0.1', userAgent: 'test', requestId: 'factory' })
  return { authorization: `Bearer ${session.token}` }
}
