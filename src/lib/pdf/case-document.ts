/**
 * The documents of an approval case: the acceptance / refusal receipts and the correction notice
 * (受理通知书, 不予受理通知书, 一次性告知书) and the result (the licence or the decision). For the result the
 * signed JSON is the record, as with receipts: this page prints its SHA-256 and the seal's signer so
 * a paper copy can be checked against the original.
 */
import { createSheet, drawFields, drawHeader, drawNotes, finishSheet, formatShanghaiTime, type Field, type Note } from './layout.ts'

export interface CaseDocument {
  hallName: string
  /** e.g. 受理通知书 */
  title: string
  caseNumber: string
  departmentName: string
  itemName: string
  applicantName: string
  issuedAt: Date
  /** further rows of label / value pairs */
  fields: ReadonlyArray<readonly Field[]>
  /** what the document says: reasons, the materials to bring, the decision */
  body: { heading: string, lines: readonly string[] }
  /** the public progress page, encoded in the QR code */
  progressUrl: string
  /** the result only: the seal that signed its JSON and that JSON's SHA-256 */
  seal?: { signerSubject: string, contentSha256: string }
}

export async function renderCaseDocumentPdf (document: CaseDocument): Promise<Buffer> {
  const sheet = await createSheet(
    { title: `${document.title} ${document.caseNumber}`, author: document.hallName, subject: document.itemName, issuedAt: document.issuedAt },
    { title: document.title, reference: document.caseNumber }
  )
  let y = drawHeader(sheet, {
    hallName: document.hallName,
    title: document.title,
    reference: { label: '办件编号', value: document.caseNumber },
    qr: { text: document.progressUrl, caption: '扫码查询办理进度' }
  })
  y = drawFields(sheet, y, [
    [['申请人', document.applicantName], ['办理部门', document.departmentName]],
    [['事项名称', document.itemName]],
    ...document.fields,
    [['出具时间', formatShanghaiTime(document.issuedAt)]]
  ])
  const notes: Note[] = document.body.lines.map((text) => ({ text }))
  y = drawNotes(sheet, y + 10, document.body.heading, notes)
  if (document.seal) {
    drawNotes(sheet, y + 10, '电子印章', [
      { text: `签章证书：${document.seal.signerSubject}` },
      { text: '内容摘要（SHA-256，签章的 JSON 文书）：' },
      { text: document.seal.contentSha256, mono: true }
    ])
  }
  return finishSheet(sheet)
}
