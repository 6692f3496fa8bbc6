/**
 * 开标记录表: the printable face of the signed opening record (canonical JSON). As with receipts,
 * the signed JSON is the record; this page prints its SHA-256 so a paper copy can be checked
 * against the original.
 */
import { createSheet, drawFields, drawHeader, drawNotes, drawTable, finishSheet, formatShanghaiTime, spanColumns } from './layout.ts'

export interface OpeningRecordDocument {
  hallName: string
  tenderCode: string
  tenderTitle: string
  tendererName: string
  venueName: string | null
  /** 开标时间: by law the bid deadline, printed as such (not when decryption began) */
  bidDeadline: Date
  /** when the opening reached decryption: the document's date, not printed as 开标时间 */
  openedAt: Date
  /** the declared fields, in order, with how to print them */
  fields: ReadonlyArray<{ key: string, label: string, kind: 'fen' | 'days' | 'percent' | 'text' }>
  /** bond and outcome are the record's codes; the sheet prints them in words */
  rows: ReadonlyArray<{ bidderName: string, bond: string, outcome: string, fields: Record<string, string | number | null> }>
  priceCeiling: string | null
  referencePrice: string | null
  /** e.g. the random coefficient K and how it was drawn */
  remarks: readonly string[]
  /** the public record page, encoded in the QR code */
  recordUrl: string
  contentSha256: string
  signerSubject: string
}

const TITLE = '开标记录表'

/**
 * Every state the signed record can carry (bids.rules BondStatus, openings.rules RecordRow), in
 * words short enough for their narrow columns: under 保证金 and 开标结果 each fits one line.
 */
const BOND_WORDS: Readonly<Record<string, string>> = { not_required: '无需缴纳', paid: '已缴纳', guaranteed: '保函', missing: '未缴纳' }
const OUTCOME_WORDS: Readonly<Record<string, string>> = { opened: '已解密', deemed_revoked: '视为撤销', deemed_withdrawn: '视为撤回', withdrawn: '已撤回' }

/** An official sheet never shows an internal code: a state it has no words for prints as unknown. */
function wordsFor (words: Readonly<Record<string, string>>, code: string): string {
  return Object.hasOwn(words, code) ? words[code]! : '未知'
}

function printed (value: string | number | null, kind: OpeningRecordDocument['fields'][number]['kind']): string {
  if (value === null) return '—'
  if (kind === 'fen') {
    const fen = BigInt(value)
    const yuan = fen / 100n
    return `${yuan.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${(fen % 100n).toString().padStart(2, '0')}`
  }
  if (kind === 'days') return `${value} 天`
  return String(value)
}

export async function renderOpeningRecordPdf (record: OpeningRecordDocument): Promise<Buffer> {
  const sheet = await createSheet(
    { title: `${TITLE} ${record.tenderCode}`, author: record.hallName, subject: record.tenderTitle, issuedAt: record.openedAt },
    { title: TITLE, reference: record.tenderCode }
  )
  let y = drawHeader(sheet, { hallName: record.hallName, title: TITLE, reference: { label: '招标编号', value: record.tenderCode }, qr: { text: record.recordUrl, caption: '扫码查看开标记录' } })
  y = drawFields(sheet, y, [
    [['项目名称', record.tenderTitle]],
    [['招标人', record.tendererName], ['开标地点', record.venueName ?? '远程开标']],
    [['开标时间', formatShanghaiTime(record.bidDeadline)], ['最高投标限价', record.priceCeiling ?? '—']]
  ])
  const columns = spanColumns([
    { title: '序号', width: 30, align: 'right' },
    { title: '投标人', width: 130, align: 'left' },
    ...record.fields.map((field) => ({ title: field.kind === 'fen' ? `${field.label}（元）` : field.label, width: field.kind === 'text' ? 70 : 80, align: field.kind === 'text' ? 'left' as const : 'right' as const })),
    { title: '保证金', width: 50, align: 'left' },
    { title: '开标结果', align: 'left' }
  ])
  y = drawTable(sheet, y + 6, columns, record.rows.map((row, index) => [
    String(index + 1), row.bidderName, ...record.fields.map((field) => printed(row.fields[field.key] ?? null, field.kind)), wordsFor(BOND_WORDS, row.bond), wordsFor(OUTCOME_WORDS, row.outcome)
  ]))
  drawNotes(sheet, y + 10, '说明', [
    ...(record.referencePrice ? [{ text: `参考价：${record.referencePrice}` }] : []),
    ...record.remarks.map((text) => ({ text })),
    { text: `电子签名：${record.signerSubject}` },
    { text: '内容摘要（SHA-256，签名的 JSON 开标记录）：' },
    { text: record.contentSha256, mono: true },
    { text: `记录地址：${record.recordUrl}`, mono: true }
  ])
  return finishSheet(sheet)
}
