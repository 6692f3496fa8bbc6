/**
 * 缴款通知书: what the payer takes to a bank counter or scans to pay online. The payment code is
 * the key the bank reconciles on, so it is printed large and grouped in fours; the amount appears
 * in figures and in capital numerals, as banks require.
 */
import { assertLinesAddUp, createSheet, drawFields, drawHeader, drawItemsTable, drawNotes, drawTotals, finishSheet, formatShanghaiTime, type PdfLine, type PdfParty } from './layout.ts'
import { formatPaymentCode } from '../payment-code.ts'

export interface PaymentNoticeDocument {
  hallName: string
  /** the department that levies the fee */
  issuer: string
  /** 20-digit payment code; anything else is refused with a RangeError */
  code: string
  payer: PdfParty
  /** e.g. '投标保证金', '行政事业性收费' */
  purpose: string
  items: PdfLine[]
  totalFen: bigint
  issuedAt: Date
  /** the payment must arrive before this instant */
  dueAt: Date
  /** e.g. '示范县财政局非税收入汇缴结算户 6217 0000 1234 5678' */
  receivingAccount: string
  /** encoded in the QR code; the payer scans it to pay online */
  payUrl: string
  /** a few short lines printed at the bottom */
  instructions: string[]
}

const TITLE = '缴款通知书'

export async function renderPaymentNoticePdf (notice: PaymentNoticeDocument): Promise<Buffer> {
  assertLinesAddUp(notice.items, notice.totalFen)
  const code = formatPaymentCode(notice.code)
  const sheet = await createSheet(
    { title: `${TITLE} ${code}`, author: notice.hallName, subject: notice.purpose, issuedAt: notice.issuedAt },
    { title: TITLE, reference: `缴款码 ${code}` }
  )
  let y = drawHeader(sheet, {
    hallName: notice.hallName,
    title: TITLE,
    reference: { label: '缴款码', value: code },
    qr: { text: notice.payUrl, caption: '扫码在线缴款' }
  })
  y = drawFields(sheet, y, [
    [['缴款人', notice.payer.name], ['证件号码', notice.payer.idNumber ?? '']],
    [['执收单位', notice.issuer], ['款项类型', notice.purpose]],
    [['开具时间', formatShanghaiTime(notice.issuedAt)], ['缴款期限', `${formatShanghaiTime(notice.dueAt)} 前到账`]],
    [['收款账户', notice.receivingAccount]]
  ])
  y = drawItemsTable(sheet, y + 6, notice.items)
  y = drawTotals(sheet, y, notice.totalFen)
  drawNotes(sheet, y, '缴款须知', [
    ...notice.instructions.map((text, index) => ({ text: `${index + 1}. ${text}` })),
    { text: `在线缴款：${notice.payUrl}`, mono: true }
  ])
  return finishSheet(sheet)
}
