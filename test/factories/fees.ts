/** Fee items, banks and payment notices, through the real services. */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { signBankRequest } from '../../src/lib/bank-signature.ts'
import type { CreateFeeItem, FeeVersionInput } from '../../src/modules/fees/fees.schemas.ts'
import type { CreateNotice, NoticeView } from '../../src/modules/payments/payments.schemas.ts'
import { createUser, hallAdmin, type TestUser } from './accounts.ts'

export interface FeeDesk { proposer: TestUser, approver: TestUser }

/** Two administrators: fee versions need someone other than the proposer to approve them. */
export async function feeDesk (app: FastifyInstance): Promise<FeeDesk> {
  return { proposer: await hallAdmin(app), approver: await hallAdmin(app) }
}

export function feeVersion (overrides: Partial<FeeVersionInput> = {}): FeeVersionInput {
  return {
    name: '不动产登记费（住宅）',
    basis: 'fixed',
    amountFen: 8000,
    legalBasis: '《不动产登记暂行条例》',
    standardDocument: '发改价格规〔2016〕2559号',
    receivingAccount: '示范县财政局非税收入汇缴结算户 6217000012345678',
    validFrom: '2026-01-01',
    ...overrides
  }
}

/** Creates and approves a fee item whose version is in force from today. */
export async function approvedFee (app: FastifyInstance, desk: FeeDesk, item: Partial<Omit<CreateFeeItem, 'version'>> & { version?: Partial<FeeVersionInput> } = {}) {
  const created = await app.inject({
    method: 'POST',
    url: '/api/fee-items',
    headers: desk.proposer.headers,
    payload: {
      code: item.code ?? `F-${randomBytes(3).toString('hex').toUpperCase()}`,
      category: item.category ?? 'non_tax',
      ...(item.departmentId ? { departmentId: item.departmentId } : {}),
      version: feeVersion({ validFrom: app.calendar.today(), ...item.version })
    }
  })
  if (created.statusCode !== 201) throw new Error(`fee item: ${created.body}`)
  const versionId = created.json().versions[0].id as string
  const approved = await app.inject({ method: 'POST', url: `/api/fee-versions/${versionId}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })
  if (approved.statusCode !== 200) throw new Error(`approval: ${approved.body}`)
  return approved.json() as { id: string, code: string }
}

export interface TestBank { id: string, code: string, key: Buffer }

export async function registerBank (app: FastifyInstance, admin: TestUser, code = `bank-${randomBytes(3).toString('hex')}`): Promise<TestBank> {
  const response = await app.inject({ method: 'POST', url: '/api/banks', headers: admin.headers, payload: { code, name: `测试银行 ${code}`, authMethod: 'hmac' } })
  if (response.statusCode !== 201) throw new Error(`bank: ${response.body}`)
  const body = response.json()
  return { id: body.bank.id, code, key: Buffer.from(body.hmacKey, 'base64') }
}

export async function issueNotice (app: FastifyInstance, issuer: TestUser, input: Partial<CreateNotice> & Pick<CreateNotice, 'lines'>): Promise<NoticeView> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/payment-notices',
    headers: issuer.headers,
    payload: { purpose: 'case', reference: `case:${randomBytes(4).toString('hex')}`, payer: { name: '张三' }, ...input }
  })
  if (response.statusCode !== 201) throw new Error(`notice: ${response.body}`)
  return response.json()
}

/** A bank's signed request, as the bank would send it. */
export function signedBankRequest (bank: TestBank, method: 'GET' | 'POST', url: string, body?: unknown, options: { now?: Date, nonce?: string } = {}) {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body))
  const headers = signBankRequest(bank.key, { method, path: url, body: payload, ...options })
  return {
    method,
    url,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload })
  }
}

export function bankPayment (notice: Pick<NoticeView, 'code' | 'totalFen'>, overrides: Record<string, unknown> = {}) {
  return {
    paymentCode: notice.code,
    bankTxnId: `T${randomBytes(6).toString('hex')}`,
    amountFen: notice.totalFen,
    paidAt: new Date().toISOString(),
    payerAccountNo: '6222020200112233445',
    payerAccountName: '张三',
    ...overrides
  }
}

export const cashier = (app: FastifyInstance) => createUser(app, { grants: [{ role: 'cashier', scopeType: 'hall' }] })

/** What most finance tests start from: the fee desk, a bank it registered, and a hall cashier. */
export async function financeDesk (app: FastifyInstance): Promise<{ desk: FeeDesk, bank: TestBank, teller: TestUser }> {
  const desk = await feeDesk(app)
  return { desk, bank: await registerBank(app, desk.proposer), teller: await cashier(app) }
}
