/** Helpers for the unified-fees pages: page cookies, paid notices, statements, browser sign-in. */
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Page } from 'playwright-core'
import { dammCheckDigit } from '../../src/lib/payment-code.ts'
import type { NoticeView } from '../../src/modules/payments/payments.schemas.ts'
import { TEST_PASSWORD, type TestUser } from './accounts.ts'
import type { TestBank } from './fees.ts'

/** The session cookie a browser would send for this user. */
export function pageHeaders (app: FastifyInstance, user: TestUser): { cookie: string } {
  return { cookie: `${app.auth.cookieName}=${user.token}` }
}

/** Pays a notice at the window through the API, as a cashier would. */
export async function payAtWindow (app: FastifyInstance, teller: TestUser, bank: TestBank | { code: string }, notice: Pick<NoticeView, 'code' | 'totalFen'>, payerAccountNo = '6222020200112233445'): Promise<NoticeView> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/window-payments',
    headers: teller.headers,
    payload: { code: notice.code, amountFen: notice.totalFen, bankCode: bank.code, bankTxnId: `W${randomBytes(5).toString('hex')}`, payerAccountNo, payerAccountName: '张三' }
  })
  if (response.statusCode !== 201) throw new Error(`window payment: ${response.body}`)
  return response.json()
}

/** A valid payment code (correct check digit) that differs from this one: no notice has it. */
export function otherValidCode (code: string): string {
  const body = code.slice(0, 18) + String((Number(code[18]) + 1) % 10)
  return body + dammCheckDigit(body)
}

/** The SHA-256 a receipt prints (and its QR code carries): of the exact signed JSON. */
export const sha256Hex = (content: Buffer | string) => createHash('sha256').update(content).digest('hex')

export { multipart } from '../support/multipart.ts'

/** Signs in through the login page of a listening app. */
export async function signInPage (page: Page, url: string, username: string) {
  await page.goto(`${url}/login`)
  await page.getByRole('main').getByLabel('用户名').fill(username)
  await page.getByRole('main').getByLabel('密码').fill(TEST_PASSWORD)
  await page.getByRole('main').getByRole('button', { name: '登录' }).click()
  await page.waitForURL(`${url}/`)
}
