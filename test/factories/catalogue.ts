/** Service items and chief representatives' delegations, through the real API. */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ItemContent } from '../../src/modules/catalogue/catalogue.content.ts'
import type { DelegationView } from '../../src/modules/departments/departments.schemas.ts'
import { createUser, hallAdmin, type TestUser } from './accounts.ts'

/** A valid promised item (5 working days, two materials, no fee) with the given changes. */
export function itemContent (overrides: Partial<ItemContent> = {}): ItemContent {
  return {
    name: '食品经营许可（新办）',
    type: 'licence',
    legalBasis: '《中华人民共和国食品安全法》第三十五条',
    procedure: [{ title: '申请', description: '申请人提交申请材料' }, { title: '受理' }, { title: '审查' }, { title: '决定' }],
    conditions: ['有与经营的食品品种、数量相适应的经营场所'],
    materials: [
      { code: 'M1', name: '食品经营许可申请书', form: 'original', copies: 1, required: true },
      { code: 'M2', name: '营业执照复印件', form: 'copy', copies: 1, required: true }
    ],
    statutoryWorkingDays: 20,
    promisedWorkingDays: 5,
    warningWorkingDays: 2,
    progress: '可凭办件编号和查询码在线查询办理进度',
    fees: [],
    feeStandard: '不收费',
    feeBasis: '无',
    payBeforeResult: false,
    mode: 'promised',
    jointDepartments: [],
    agencyWindow: false,
    visitsNeeded: 1,
    resultKind: 'certificate',
    resultValidityYears: 5,
    ...overrides
  }
}

export const randomItemCode = (prefix = 'SX') => `${prefix}-${randomBytes(3).toString('hex').toUpperCase()}`

/** Who drafts a department's items (its administrator) and who approves them (the hall). */
export interface CatalogueDesk { drafter: TestUser, approver: TestUser }

export async function catalogueDesk (app: FastifyInstance, departmentId: string): Promise<CatalogueDesk> {
  return {
    drafter: await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: departmentId }] }),
    approver: await hallAdmin(app)
  }
}

async function expect (response: { statusCode: number, body: string, json: () => any }, status: number, what: string) {
  if (response.statusCode !== status) throw new Error(`${what}: ${response.statusCode} ${response.body}`)
  return response.json()
}

/**
 * A published item: drafted by the department's administrator, publication requested by them
 * and approved by a hall administrator (both created unless a desk is given).
 */
export async function publishedItem (
  app: FastifyInstance,
  options: { departmentId: string, code?: string, content?: Partial<ItemContent>, desk?: CatalogueDesk }
): Promise<{ id: string, code: string, version: number, desk: CatalogueDesk }> {
  const desk = options.desk ?? await catalogueDesk(app, options.departmentId)
  const code = options.code ?? randomItemCode()
  const created = await expect(await app.inject({
    method: 'POST',
    url: '/api/service-items',
    headers: desk.drafter.headers,
    payload: { code, departmentId: options.departmentId, content: itemContent(options.content) }
  }), 201, 'service item')
  const change = await expect(await app.inject({
    method: 'POST', url: `/api/service-items/${created.id}/changes`, headers: desk.drafter.headers, payload: { kind: 'publish', reason: '新设事项' }
  }), 201, 'publication request')
  const decided = await expect(await app.inject({
    method: 'POST', url: `/api/item-changes/${change.id}/decision`, headers: desk.approver.headers, payload: { approve: true }
  }), 200, 'publication approval')
  return { id: created.id, code, version: decided.resultVersion, desk }
}

/** An account holding the chief representative role of a department. */
export const chiefRep = (app: FastifyInstance, departmentId: string) =>
  createUser(app, { grants: [{ role: 'chief_rep', scopeType: 'department', scopeId: departmentId }] })

/** Records a delegation through the API, by a hall administrator unless `by` is given; in force from now unless validFrom is given. */
export async function recordDelegation (app: FastifyInstance, options: {
  departmentId: string
  chiefRepId: string
  itemCodes: string[]
  decisions?: Array<'approve' | 'deny'>
  reference?: string
  validFrom?: Date
  validUntil?: Date
  by?: TestUser
}): Promise<DelegationView> {
  const by = options.by ?? await hallAdmin(app)
  return expect(await app.inject({
    method: 'POST',
    url: `/api/departments/${options.departmentId}/delegations`,
    headers: by.headers,
    payload: {
      chiefRepId: options.chiefRepId,
      itemCodes: options.itemCodes,
      decisions: options.decisions ?? ['approve', 'deny'],
      reference: options.reference ?? `授权〔2026〕${randomBytes(2).toString('hex')}号`,
      ...(options.validFrom ? { validFrom: options.validFrom.toISOString() } : {}),
      ...(options.validUntil ? { validUntil: options.validUntil.toISOString() } : {})
    }
  }), 201, 'delegation')
}
