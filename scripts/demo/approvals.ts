/**
 * Demo approvals: three published items of the market supervision bureau (a promised licence, an
 * instant filing, a joint item with the construction bureau), the chief representative's
 * delegation, the bureau's seal key (under DATA_DIR/demo/pki/, so the workbench can issue a
 * sealed result) and a few of 张三's cases at different steps, so the guide, the workbench and the
 * supervision dashboard have something to show. Idempotent.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import type { ItemContent } from '../../src/modules/catalogue/catalogue.content.ts'
import type { UploadedMaterial } from '../../src/modules/cases/cases.service.ts'
import { actorFor } from './actor.ts'

const FOOD_LICENCE = 'SCJG-SPJY-001'
const INSTANT_FILING = 'SCJG-GTBA-002'
const JOINT_OPENING = 'SCJG-KYLB-003'

const BASE: Omit<ItemContent, 'name' | 'type' | 'legalBasis' | 'materials'> = {
  procedure: [{ title: '申请', description: '网上或窗口提交申请材料' }, { title: '受理' }, { title: '审查' }, { title: '决定', description: '首席代表依授权作出决定' }, { title: '送达' }],
  conditions: ['申请人具有相应的经营场所和设施'],
  statutoryWorkingDays: 20,
  promisedWorkingDays: 5,
  warningWorkingDays: 2,
  progress: '凭办件编号和查询码在“办件查询”页查询，无需登录',
  fees: [],
  feeStandard: '不收费',
  feeBasis: '国务院关于取消和停征一批行政事业性收费的通知',
  payBeforeResult: false,
  mode: 'promised',
  jointDepartments: [],
  agencyWindow: true,
  visitsNeeded: 0,
  resultKind: 'certificate'
}

function contents (constructionBureau: string | undefined): Array<{ code: string, content: ItemContent }> {
  return [
    {
      code: FOOD_LICENCE,
      content: {
        ...BASE,
        name: '食品经营许可（新办）',
        type: 'licence',
        legalBasis: '《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》',
        materials: [
          { code: 'SQS', name: '食品经营许可申请书', form: 'original', copies: 1, required: true },
          { code: 'YYZZ', name: '营业执照复印件', form: 'copy', copies: 1, required: true },
          { code: 'PMT', name: '经营场所平面图', form: 'original', copies: 1, required: false }
        ],
        majorProjectWorkingDays: 3,
        resultValidityYears: 5
      }
    },
    {
      code: INSTANT_FILING,
      content: {
        ...BASE,
        name: '个体工商户名称变更登记',
        type: 'other_power',
        legalBasis: '《促进个体工商户发展条例》；《市场主体登记管理条例》第二十四条',
        materials: [{ code: 'BGSQ', name: '变更登记申请书', form: 'original', copies: 1, required: true }],
        promisedWorkingDays: 0,
        mode: 'instant',
        resultKind: 'decision'
      }
    },
    ...(constructionBureau
      ? [{
          code: JOINT_OPENING,
          content: {
            ...BASE,
            name: '餐饮店开业联办（食品经营许可 + 装修备案）',
            type: 'licence' as const,
            legalBasis: '《优化营商环境条例》第三十五条（一件事一次办）',
            materials: [
              { code: 'SQS', name: '联办申请表', form: 'original' as const, copies: 1, required: true },
              { code: 'ZXFA', name: '装修设计方案', form: 'copy' as const, copies: 1, required: true }
            ],
            promisedWorkingDays: 8,
            jointDepartments: [constructionBureau]
          }
        }]
      : [])
  ]
}

export async function seedApprovals (app: FastifyInstance, dataDir: string): Promise<string[]> {
  const { accounts, departments, catalogue, cases, pki } = app.services
  const byCode = new Map((await departments.listDepartments()).map((department) => [department.code, department.id]))
  const bureau = byCode.get('SCJGJ')
  const people = new Map((await accounts.listAccounts({ limit: 200, offset: 0 })).items.map((account) => [account.username, account]))
  const [drafter, approver, chief, applicant] = ['scjg.admin', 'hall.deputy', 'scjg.chief', 'zhang.san'].map((name) => people.get(name))
  if (!bureau || !drafter || !approver || !chief || !applicant) return []

  const codes: string[] = []
  for (const { code, content } of contents(byCode.get('ZJJ'))) {
    codes.push(code)
    if (await catalogue.findByCode(code)) continue
    const item = await catalogue.createItem(actorFor(drafter), { code, departmentId: bureau, content })
    const change = await catalogue.requestChange(actorFor(drafter), item.id, { kind: 'publish', reason: '事项目录首批发布' })
    await catalogue.decideChange(actorFor(approver), change.id, { approve: true })
  }
  if (!await departments.delegationInForce(bureau, app.clock.now())) {
    await departments.recordDelegation(actorFor(approver), bureau, { chiefRepId: chief.id, itemCodes: codes, decisions: ['approve', 'deny'], reference: '示政务〔2026〕8号' })
  }

  // the bureau's electronic seal: its key stays with the bureau (here: the demo's files)
  const directory = path.join(dataDir, 'demo', 'pki')
  const keyFile = path.join(directory, 'SCJGJ-seal.key')
  if (!existsSync(keyFile)) {
    await mkdir(directory, { recursive: true })
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const certificate = await pki.requestCertificate(actorFor(drafter), {
      csr: derToPem(createCsr(privateKey, encodeName([['CN', 'SCJGJ seal']])), 'CERTIFICATE REQUEST'), profile: 'seal', departmentId: bureau
    })
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
    await writeFile(path.join(directory, 'SCJGJ-seal.pem'), certificate.certificatePem)
  }

  const lines = [`Approvals: items ${codes.join(', ')}; the bureau's seal for issuing results: ${keyFile} (+ .pem)`]
  if ((await cases.myCases(actorFor(applicant))).length > 0) return lines
  const food = (await catalogue.findByCode(FOOD_LICENCE))!
  const material = async (code: string): Promise<UploadedMaterial> => {
    const blobKey = cases.newMaterialKey()
    const stored = await app.store.put(blobKey, Buffer.from(`%PDF-1.4 示范材料 ${code} ${randomUUID()}`))
    return { code, fileName: `${code}.pdf`, blobKey, size: stored.size, sha256: stored.sha256 }
  }
  const file = async (materials: string[]) => cases.file(actorFor(applicant), 'online', { itemId: food.id, request: '申请新办小餐饮店食品经营许可' }, await Promise.all(materials.map(material)))
  const clerk = actorFor(people.get('scjg.clerk')!)
  const waiting = await file(['SQS', 'YYZZ'])
  // online every required material comes with the application; this copy lacks the company's stamp
  const incomplete = await file(['SQS', 'YYZZ'])
  await cases.noticeCorrection(clerk, incomplete.case.id, { materials: ['YYZZ'], note: '营业执照复印件未加盖公章，请补交加盖公章的复印件' })
  const inReview = await file(['SQS', 'YYZZ', 'PMT'])
  await cases.accept(clerk, inReview.case.id)
  await cases.startReview(clerk, inReview.case.id)
  lines.push(`  张三's cases: ${waiting.case.number} (query code ${waiting.queryCode}), ${incomplete.case.number} (correction), ${inReview.case.number} (in review)`)
  return lines
}
