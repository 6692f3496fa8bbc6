/** An approvals hall (department, windows, clerk, chief representative, seal) and cases through the real API. */
import type { KeyObject } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createSignedData } from '../../src/lib/cms/index.ts'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { derToPem, pemToDer } from '../../src/lib/pki/x509-parts.ts'
import type { ItemContent } from '../../src/modules/catalogue/catalogue.content.ts'
import type { CaseView } from '../../src/modules/cases/cases.schemas.ts'
import { multipart } from '../support/multipart.ts'
import { rsaKey } from '../support/pki.ts'
import { createUser, hallAdmin, type TestUser } from './accounts.ts'
import { catalogueDesk, chiefRep, publishedItem, recordDelegation, type CatalogueDesk } from './catalogue.ts'
import { createDepartment, createWindow } from './departments.ts'

export interface Seal { key: KeyObject, certificate: Uint8Array, certificatePem: string }

export interface ApprovalsDesk {
  admin: TestUser
  department: { id: string, code: string, name: string }
  window: { id: string }
  clerk: TestUser
  chief: TestUser
  deptAdmin: TestUser
  applicant: TestUser
  catalogue: CatalogueDesk
  seal: Seal
  /** the item codes the chief representative's delegation covers so far */
  delegated: string[]
}

/** A department's seal certificate (电子印章), requested by its administrator for a key it generated. */
export async function sealOf (app: FastifyInstance, deptAdmin: TestUser, departmentId: string): Promise<Seal> {
  const key = rsaKey()
  const issued = await app.inject({
    method: 'POST',
    url: '/api/pki/certificates',
    headers: deptAdmin.headers,
    payload: { csr: derToPem(createCsr(key, encodeName([['CN', 'seal']])), 'CERTIFICATE REQUEST'), profile: 'seal', departmentId }
  })
  if (issued.statusCode !== 201) throw new Error(`seal: ${issued.body}`)
  const certificatePem = issued.json().certificatePem as string
  return { key, certificate: pemToDer(certificatePem)[0]!, certificatePem }
}

export async function approvalsDesk (app: FastifyInstance, name = '县市场监督管理局'): Promise<ApprovalsDesk> {
  const admin = await hallAdmin(app)
  const department = await createDepartment(app, admin.id, name)
  const window = await createWindow(app, admin.id, department.id)
  const clerk = await createUser(app, { grants: [{ role: 'clerk', scopeType: 'department', scopeId: department.id }] })
  const chief = await chiefRep(app, department.id)
  const catalogue = await catalogueDesk(app, department.id)
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const seal = await sealOf(app, catalogue.drafter, department.id)
  return { admin, department, window, clerk, chief, deptAdmin: catalogue.drafter, applicant, catalogue, seal, delegated: [] }
}

/**
 * Publishes an item of the desk's department and delegates its decisions to the chief
 * representative: a new delegation covering every item delegated so far supersedes the last.
 */
export async function delegatedItem (app: FastifyInstance, desk: ApprovalsDesk, content: Partial<ItemContent> = {}) {
  const item = await publishedItem(app, { departmentId: desk.department.id, content, desk: desk.catalogue })
  desk.delegated.push(item.code)
  // recorded (and in force) early in the year, so tests may move the clock back
  const now = app.clock.now
  app.clock.now = () => new Date(Date.parse('2026-01-01T00:00:00+08:00') + desk.delegated.length * 60_000)
  try {
    await recordDelegation(app, { departmentId: desk.department.id, chiefRepId: desk.chief.id, itemCodes: [...desk.delegated], by: desk.admin })
  } finally {
    app.clock.now = now
  }
  return item
}

export const PDF = (text: string) => ({ name: `${text}.pdf`, type: 'application/pdf', content: `%PDF-1.4 ${text}` })

/** Applies online with the given materials (all of the default item's by default). */
export async function applyOnline (app: FastifyInstance, applicant: TestUser, itemId: string, materials: string[] = ['M1', 'M2'], fields: Record<string, string> = {}) {
  const body = multipart({ itemId, request: '申请新办食品经营许可证', ...fields }, Object.fromEntries(materials.map((code) => [code, PDF(code)])))
  return app.inject({ method: 'POST', url: '/api/cases', headers: { ...applicant.headers, ...body.headers }, payload: body.payload })
}

export async function filed (app: FastifyInstance, applicant: TestUser, itemId: string, materials?: string[], fields?: Record<string, string>): Promise<{ case: CaseView, queryCode: string }> {
  const response = await applyOnline(app, applicant, itemId, materials, fields)
  if (response.statusCode !== 201) throw new Error(`application: ${response.body}`)
  return response.json()
}

/** Files at the desk's window for an applicant in person, with the given materials (a window may receive fewer than required). */
export async function filedAtWindow (app: FastifyInstance, desk: ApprovalsDesk, itemId: string, materials: string[] = ['M1', 'M2']): Promise<{ case: CaseView, queryCode: string }> {
  const body = multipart({ itemId, request: '现场申请新办食品经营许可证', windowId: desk.window.id, 'applicant.name': '王五', 'applicant.idNumber': '110101199003071234' },
    Object.fromEntries(materials.map((code) => [code, PDF(code)])))
  const response = await app.inject({ method: 'POST', url: '/api/cases/window', headers: { ...desk.clerk.headers, ...body.headers }, payload: body.payload })
  if (response.statusCode !== 201) throw new Error(`window filing: ${response.body}`)
  return response.json()
}

export async function step (app: FastifyInstance, user: TestUser, caseId: string, path: string, payload?: unknown) {
  return app.inject({ method: 'POST', url: `/api/cases/${caseId}/${path}`, headers: user.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })
}

export async function ok (response: { statusCode: number, body: string, json: () => any }, status = 200): Promise<CaseView> {
  if (response.statusCode !== status) throw new Error(`${response.statusCode} ${response.body}`)
  return response.json()
}

/** The result JSON signed (CMS, detached) with a seal, as the department's client does. */
export async function signResult (app: FastifyInstance, user: TestUser, caseId: string, seal: Seal): Promise<string> {
  const draft = await app.inject({ method: 'GET', url: `/api/cases/${caseId}/result-draft`, headers: user.headers })
  if (draft.statusCode !== 200) throw new Error(`draft: ${draft.body}`)
  // the issuing CA goes along, so anyone holding only the platform root can verify the seal
  const issuing = pemToDer((await app.inject({ method: 'GET', url: '/api/pki/ca' })).json().issuing)[0]!
  const signature = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(seal.certificate, seal.key), content: Buffer.from(draft.json().json), detached: true, extraCertificates: [issuing] })
  return Buffer.from(signature).toString('base64')
}

/** Accept → review → approve → result, the promised path after an application. */
export async function approve (app: FastifyInstance, desk: ApprovalsDesk, caseId: string): Promise<CaseView> {
  await ok(await step(app, desk.clerk, caseId, 'acceptance'))
  await ok(await step(app, desk.clerk, caseId, 'review'))
  await ok(await step(app, desk.chief, caseId, 'decision', { decision: 'approve', reasons: [] }))
  return ok(await step(app, desk.clerk, caseId, 'result', { signature: await signResult(app, desk.clerk, caseId, desk.seal) }))
}

/**
 * Fires a timer now, as the app's clock sees it (timers are due by the app's clock); one that
 * already fired (and found nothing to do) is re-armed. Once: what is due already fires first, in
 * the instance's own queue of passes, so a timer the clock just passed is not fired by the
 * instance's alarm and then re-armed and fired again here.
 */
export async function fire (app: FastifyInstance, key: string): Promise<void> {
  const firedAt = async () => (await app.db.$client<Array<{ fired_at: string | null }>>`select fired_at::text from timers where key = ${key}`)[0]?.fired_at ?? null
  const before = await firedAt()
  await app.timers.fireDue()
  if (await firedAt() !== before) return
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz, fired_at = null where key = ${key}`
  await app.timers.fireDue()
}

/** Moves the app's clock (the rules' now); the database keeps its own. */
export function setClock (app: FastifyInstance, at: Date | string): void {
  const instant = typeof at === 'string' ? new Date(at) : at
  app.clock.now = () => new Date(instant)
}
