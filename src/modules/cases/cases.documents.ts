/**
 * The case's documents as PDFs (the acceptance and refusal receipts, the correction notice, the
 * result), the signed result as filed, and the material files, for those who may read the case;
 * the result also for whoever holds the receipt.
 */
import { canonicalJson } from '../../lib/canonical-json.ts'
import { renderCaseDocumentPdf } from '../../lib/pdf/index.ts'
import type { Principal } from '../../lib/policy.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import * as errors from './cases.errors.ts'
import type { CasePublicSide } from './cases.public.ts'
import * as repo from './cases.repository.ts'
import type { CaseHelpers, CasesDeps } from './cases.service.ts'

export type CaseDocumentsDeps = Pick<CasesDeps, 'db' | 'store' | 'departments' | 'hallName' | 'publicUrl'>
  & Pick<CaseHelpers, 'contentOf' | 'readable'> & Pick<CasePublicSide, 'byQueryCode'>

export function createCaseDocuments ({ db, store, departments, hallName, publicUrl, contentOf, readable, byQueryCode }: CaseDocumentsDeps) {
  const DOCUMENT_TITLES = {
    acceptance: '受理通知书',
    refusal: '不予受理通知书',
    correction: '一次性告知书',
    result: '办理结果'
  } as const
  type DocumentKind = keyof typeof DOCUMENT_TITLES

  async function documentPdf (row: repo.CaseRow, kind: DocumentKind): Promise<Buffer> {
    const content = await contentOf(row)
    const department = await departments.getDepartment(row.departmentId)
    const applicant = row.applicant as { name: string }
    const base = {
      hallName,
      caseNumber: row.number,
      departmentName: department.name,
      itemName: row.itemName,
      applicantName: applicant.name,
      progressUrl: `${publicUrl}/progress?number=${encodeURIComponent(row.number)}`
    }
    const title = DOCUMENT_TITLES[kind]
    const materialName = (code: string) => content.materials.find((material) => material.code === code)?.name ?? code
    if (kind === 'acceptance') {
      if (!row.acceptedAt) throw new errors.DocumentNotAvailable('acceptance receipt')
      const lines = [
        row.deemedAccepted ? '您的申请在法定期限内未获答复，依法自收到申请材料之日起视为受理。' : '您的申请材料齐全、符合法定形式，本机关决定受理。',
        `承诺办结时限：${row.promisedWorkingDays === 0 ? '即办' : `${row.promisedWorkingDays} 个工作日`}${row.dueAt ? `，应于 ${shanghaiDate(new Date(row.dueAt.getTime() - 1))} 前办结` : ''}。`
      ]
      return renderCaseDocumentPdf({ ...base, title, issuedAt: row.acceptedAt, fields: [], body: { heading: '受理决定', lines } })
    }
    if (kind === 'refusal') {
      if (row.state !== 'refused') throw new errors.DocumentNotAvailable('refusal receipt')
      return renderCaseDocumentPdf({ ...base, title, issuedAt: row.updatedAt, fields: [], body: { heading: '不予受理的理由', lines: row.refusalReasons ?? [] } })
    }
    if (kind === 'correction') {
      const correction = await repo.correctionOf(db, row.id)
      if (!correction) throw new errors.DocumentNotAvailable('correction notice')
      const lines = [...correction.materials.map((code, index) => `${index + 1}. ${materialName(code)}`), ...(correction.note ? [correction.note] : [])]
      return renderCaseDocumentPdf({ ...base, title, issuedAt: correction.givenAt, fields: [], body: { heading: '请一次性补齐以下材料', lines } })
    }
    if (!row.result || !row.resultIssuedAt) throw new errors.ResultNotIssued()
    const result = row.result as { kind: string, number: string, decision: string, reasons: string[], validUntil: string | null, request: string }
    const heading = result.kind === 'licence' ? '准予行政许可' : result.kind === 'approval_decision' ? '准予决定' : '不予许可决定'
    const lines = [row.request, ...result.reasons, ...(result.validUntil ? [`有效期至 ${result.validUntil}`] : [])]
    return renderCaseDocumentPdf({
      ...base,
      title: result.kind === 'licence' ? `${row.itemName} 许可证` : '行政许可决定书',
      issuedAt: row.resultIssuedAt,
      fields: [[['文书编号', result.number]]],
      body: { heading, lines },
      seal: { signerSubject: row.resultSigner!, contentSha256: row.resultSha256! }
    })
  }

  async function document (principal: Principal, caseId: string, kind: DocumentKind) {
    return documentPdf(await readable(principal, caseId), kind)
  }

  async function publicResult (number: string, queryCode: string) {
    return documentPdf(await byQueryCode(number, queryCode), 'result')
  }

  /** The signed result as filed: its JSON and the detached CMS, for `openssl cms -verify`. */
  async function signedResult (principal: Principal, caseId: string) {
    const row = await readable(principal, caseId)
    if (!row.result || !row.resultSignature) throw new errors.ResultNotIssued()
    return { json: canonicalJson(row.result), signature: row.resultSignature.toString('base64'), signer: row.resultSigner! }
  }

  async function material (principal: Principal, caseId: string, materialId: string) {
    const row = await readable(principal, caseId)
    const found = await repo.findMaterial(db, row.id, materialId)
    if (!found) throw new errors.CaseNotFound(caseId)
    return { fileName: found.fileName, size: found.size, stream: await store.get(found.blobKey) }
  }

  return { document, publicResult, signedResult, material }
}
