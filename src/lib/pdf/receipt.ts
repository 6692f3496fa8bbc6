/**
 * 电子缴款收据: the printable face of a signed JSON receipt. The signed JSON is the record; this
 * page prints its SHA-256 and a QR code to the verification page, so a reader can check a paper
 * copy against the original without trusting the paper.
 */
import { assertLinesAddUp, createSheet, drawFields, drawHeader, drawItemsTable, drawNotes, drawTotals, finishSheet, formatShanghaiTime, type PdfLine, type PdfParty } from './layout.ts'
import { formatPaymentCode } from '../payment-code.ts'

export interface ReceiptDocument {
  hallName: string
  number: string
  /** the payment code of the notice this receipt settles */
  noticeCode: string
  payer: PdfParty
  items: PdfLine[]
  totalFen: bigint
  paidAt: Date
  /** e.g. '银行窗口', '银行回调' */
  channel: string
  bankTxnId: string
  issuedAt: Date
  /** encoded in the QR code */
  verifyUrl: string
  /** hex SHA-256 of the signed JSON receipt */
  contentSha256: string
  /** e.g. 'CN=示范县政务服务中心 文书签名' */
  signerSubject: string
}

const TITLE = '电子缴款收据'

export async function renderReceiptPdf (receipt: ReceiptDocument): Promise<Buffer> {
  assertLinesAddUp(receipt.items, receipt.totalFen)
  const noticeCode = formatPaymentCode(receipt.noticeCode)
  const sheet = await createSheet(
    { title: `${TITLE} ${receipt.number}`, author: receipt.hallName, subject: `缴款码 ${noticeCode}`, issuedAt: receipt.issuedAt },
    { title: TITLE, reference: `收据号码 ${receipt.number}` }
  )
  let y = drawHeader(sheet, {
    hallName: receipt.hallName,
    title: TITLE,
    reference: { label: '收据号码', value: receipt.number },
    qr: { text: receipt.verifyUrl, caption: '扫码核验真伪' }
  })
  y = drawFields(sheet, y, [
    [['缴款人', receipt.payer.name], ['证件号码', receipt.payer.idNumber ?? '']],
    [['付款账户', receipt.payer.account ?? ''], ['缴款码', noticeCode]],
    [['缴款渠道', receipt.channel], ['银行流水号', receipt.bankTxnId]],
    [['缴款时间', formatShanghaiTime(receipt.paidAt, { seconds: true })], ['开具时间', formatShanghaiTime(receipt.issuedAt)]]
  ])
  y = drawItemsTable(sheet, y + 6, receipt.items)
  y = drawTotals(sheet, y, receipt.totalFen)
  drawNotes(sheet, y, '电子签名与核验', [
    { text: `电子签名：${receipt.signerSubject}` },
    { text: '内容摘要（SHA-256，签名的 JSON 收据）：' },
    { text: receipt.contentSha256, mono: true },
    { text: `核验地址：${receipt.verifyUrl}`, mono: true },
    { text: '本页是电子签名 JSON 收据的打印件，以核验结果为准：扫码或访问核验地址，比对上方摘要。' }
  ])
  return finishSheet(sheet)
}
