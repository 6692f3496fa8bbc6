/**
 * The printed page shared by the fees documents: A4 portrait, one CJK font embedded as a subset,
 * a header beside a QR code, label/value fields, an items table that flows over as many pages as
 * it needs (header repeated on each) and a footer stamped on every page once the page count is
 * known. Coordinates are PDF points (1/72 inch) from the top-left corner; every block is laid out
 * by measuring first and drawing second, so pdfkit never breaks a page on its own.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import QRCode from 'qrcode'
import { amountInChineseWords, formatMoney, formatYuan } from '../money.ts'

export interface PdfParty {
  name: string
  /** unified social credit code or identity document number */
  idNumber?: string | null
  /** bank account the payment came from; printed on receipts only */
  account?: string | null
}

export interface PdfLine {
  code: string
  name: string
  /** how the amount was reached, e.g. "面积 120.5 平方米 × ¥2.00" */
  detail?: string | null
  amountFen: bigint
}

type Doc = PDFKit.PDFDocument

const FONT_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../../media/fonts/wqy-microhei.ttc')
// postscript names of the two faces inside the collection; the family name is not accepted
const SANS_FACE = 'WenQuanYiMicroHei'
const MONO_FACE = 'WenQuanYiMicroHeiMono'
const SANS = 'sans'
const MONO = 'mono'

const PAGE_WIDTH = 595.28
const PAGE_HEIGHT = 841.89
const MARGIN = 50
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
/** the lowest y the body may reach; the footer lives below it */
const BODY_BOTTOM = PAGE_HEIGHT - MARGIN - 24
const FOOTER_Y = PAGE_HEIGHT - MARGIN - 8
const QR_SIZE = 100

const INK = '#000000'
const MUTED = '#555555'
const RULE = '#999999'
const SHADE = '#eeeeee'

const CELL_PAD_X = 4
const CELL_PAD_Y = 4
const TABLE_FONT_SIZE = 9
const FIELD_FONT_SIZE = 10

// 5 MB read once per process; a failed read is not cached so a fixed deployment recovers
let fontFile: Promise<Buffer> | undefined
function loadFont (): Promise<Buffer> {
  fontFile ??= readFile(FONT_PATH).catch((error: unknown) => {
    fontFile = undefined
    throw error
  })
  return fontFile
}

export interface DocumentInfo {
  title: string
  author: string
  subject: string
  /** also the creation date, so the same document renders to the same bytes */
  issuedAt: Date
}

/** What a continuation page repeats at its top so a loose sheet still says what it belongs to. */
export interface Continuation {
  title: string
  reference: string
}

/** A document being drawn, with what its continuation pages and footers repeat. */
export interface Sheet {
  doc: Doc
  continuation: Continuation
  bytes: Promise<Buffer>
}

/**
 * A new A4 document with the fonts registered and its bytes collected. pdfkit derives the file
 * ID from the info dictionary, so a fixed CreationDate keeps output byte-identical for equal input.
 */
export async function createSheet (info: DocumentInfo, continuation: Continuation): Promise<Sheet> {
  // imported here rather than at the top: pdfkit takes about a second to load, which the first document pays, not the start
  const [font, { default: PDFDocument }] = await Promise.all([loadFont(), import('pdfkit')])
  const doc: Doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    lang: 'zh-CN',
    displayTitle: true,
    info: { Title: info.title, Author: info.author, Subject: info.subject, Creator: 'OpenHall', CreationDate: info.issuedAt }
  })
  const chunks: Buffer[] = []
  const bytes = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  doc.registerFont(SANS, font, SANS_FACE)
  doc.registerFont(MONO, font, MONO_FACE)
  doc.font(SANS).fillColor(INK)
  return { doc, continuation, bytes }
}

const SHANGHAI = {
  minutes: new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
  seconds: new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
}

/**
 * Beijing time as printed on official documents: "2026年11月27日 14:05". Built from parts rather
 * than the zh-CN locale string, whose punctuation varies between ICU versions.
 */
export function formatShanghaiTime (date: Date, options: { seconds?: boolean } = {}): string {
  const parts: Record<string, string> = {}
  for (const part of (options.seconds ? SHANGHAI.seconds : SHANGHAI.minutes).formatToParts(date)) parts[part.type] = part.value
  const time = `${parts.hour}:${parts.minute}${options.seconds ? `:${parts.second}` : ''}`
  return `${parts.year}年${parts.month}月${parts.day}日 ${time}`
}

/** Printing a total the lines do not add up to would make an official document contradict itself. */
export function assertLinesAddUp (items: readonly PdfLine[], totalFen: bigint): void {
  const sum = items.reduce((total, item) => total + item.amountFen, 0n)
  if (sum !== totalFen) throw new RangeError(`items add up to ${formatYuan(sum)} yuan, not the total ${formatYuan(totalFen)}`)
}

export interface Header {
  hallName: string
  title: string
  /** a line under the title; the documents are Chinese only, so none prints a translation there */
  subtitle?: string
  /** printed large under the title: the payment code or the receipt number */
  reference: { label: string, value: string }
  qr: { text: string, caption: string }
}

/** The first page's header with the QR code top-right; returns the y where the body starts. */
export function drawHeader ({ doc }: Sheet, header: Header): number {
  const qrX = PAGE_WIDTH - MARGIN - QR_SIZE
  drawQrCode(doc, header.qr.text, qrX, MARGIN, QR_SIZE)
  doc.font(SANS).fontSize(8).fillColor(MUTED)
    .text(header.qr.caption, qrX, MARGIN + QR_SIZE + 3, { width: QR_SIZE, align: 'center', lineBreak: false })

  const width = qrX - MARGIN - 16
  doc.fontSize(11).fillColor(MUTED).text(header.hallName, MARGIN, MARGIN, { width })
  doc.fontSize(24).fillColor(INK).text(header.title, MARGIN, doc.y + 6, { width })
  doc.fontSize(9).fillColor(MUTED)
  if (header.subtitle) doc.text(header.subtitle, MARGIN, doc.y, { width })
  doc.text(header.reference.label, MARGIN, doc.y + 10, { width })
  doc.font(MONO).fontSize(17).fillColor(INK).text(header.reference.value, MARGIN, doc.y + 1, { width })
  const y = Math.max(doc.y, MARGIN + QR_SIZE + 14) + 10
  rule(doc, y)
  return y + 8
}

/**
 * The QR code as filled rectangles (one per horizontal run of dark modules) rather than an
 * embedded bitmap: sharp at any print resolution and a few hundred bytes. Level M survives a
 * crease or a stamp across the code. One module of quiet zone is painted white; the blank page
 * around the code widens it.
 */
function drawQrCode (doc: Doc, text: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const quiet = 1
  const cell = size / (modules.size + 2 * quiet)
  doc.save()
  doc.rect(x, y, size, size).fill('#ffffff')
  for (let row = 0; row < modules.size; row++) {
    let column = 0
    while (column < modules.size) {
      if (!modules.get(row, column)) {
        column++
        continue
      }
      const start = column
      while (column < modules.size && modules.get(row, column)) column++
      doc.rect(x + (start + quiet) * cell, y + (row + quiet) * cell, (column - start) * cell, cell)
    }
  }
  doc.fill(INK)
  doc.restore()
}

function rule (doc: Doc, y: number, color = RULE): void {
  doc.save().moveTo(MARGIN, y).lineTo(MARGIN + CONTENT_WIDTH, y).lineWidth(0.6).strokeColor(color).stroke().restore()
}

/**
 * pdfkit stops wrapping once a line would pass `height`; measured heights are exact, so a little
 * slack keeps rounding from dropping the last line.
 */
const SLACK = 1

/** A new page headed by the document's title and reference; returns the y where the body continues. */
function continuePage ({ doc, continuation }: Sheet): number {
  doc.addPage()
  doc.font(SANS).fontSize(11).fillColor(INK)
    .text(`${continuation.title}（续）`, MARGIN, MARGIN, { width: CONTENT_WIDTH / 2, lineBreak: false })
  doc.fontSize(9).fillColor(MUTED)
    .text(continuation.reference, MARGIN + CONTENT_WIDTH / 2, MARGIN + 2, { width: CONTENT_WIDTH / 2, align: 'right', lineBreak: false })
  const y = MARGIN + 20
  rule(doc, y)
  return y + 8
}

/** The tallest block that fits on a continuation page below its title line and a table header. */
const TALLEST_BLOCK = BODY_BOTTOM - (MARGIN + 28) - 30

/** One label/value pair; a row of one pair spans the full width, a row of two splits it. */
export type Field = readonly [label: string, value: string]

const FIELD_LABEL_WIDTH = 64

/** Label/value rows; values wrap within their column. Returns the y below the last row. */
export function drawFields (sheet: Sheet, y: number, rows: ReadonlyArray<readonly Field[]>): number {
  const { doc } = sheet
  doc.font(SANS).fontSize(FIELD_FONT_SIZE)
  for (const row of rows) {
    const columnWidth = CONTENT_WIDTH / row.length
    const valueWidth = columnWidth - FIELD_LABEL_WIDTH - 8
    const height = Math.min(TALLEST_BLOCK, Math.max(...row.map(([, value]) => doc.heightOfString(value || '—', { width: valueWidth }))))
    if (y + height > BODY_BOTTOM) y = continuePage(sheet)
    row.forEach(([label, value], index) => {
      const x = MARGIN + index * columnWidth
      doc.font(SANS).fontSize(FIELD_FONT_SIZE)
      doc.fillColor(MUTED).text(label, x, y, { width: FIELD_LABEL_WIDTH, lineBreak: false })
      doc.fillColor(INK).text(value || '—', x + FIELD_LABEL_WIDTH, y, { width: valueWidth, height: height + SLACK, ellipsis: true })
    })
    y += height + 5
  }
  return y
}

export interface Column {
  title: string
  width: number
  align: 'left' | 'right'
  /** 'mono' for codes and digits compared character by character */
  font?: 'sans' | 'mono'
}

// the widths add up to CONTENT_WIDTH
const COLUMNS: readonly Column[] = [
  { title: '序号', width: 30, align: 'right' },
  { title: '项目编码', width: 78, align: 'left', font: 'mono' },
  { title: '项目名称', width: 152, align: 'left' },
  { title: '计费依据', width: 145, align: 'left' },
  { title: '金额（元）', width: CONTENT_WIDTH - 30 - 78 - 152 - 145, align: 'right' }
]

/** Column widths for a table that spans the content width: the last column takes what is left. */
export function spanColumns (columns: ReadonlyArray<Omit<Column, 'width'> & { width?: number }>): Column[] {
  const fixed = columns.slice(0, -1).reduce((sum, column) => sum + (column.width ?? 0), 0)
  return columns.map((column, index) => ({ ...column, width: index === columns.length - 1 ? CONTENT_WIDTH - fixed : column.width ?? 0 }))
}

function drawTableHeader (doc: Doc, y: number, columns: readonly Column[]): number {
  doc.font(SANS).fontSize(TABLE_FONT_SIZE)
  const height = doc.currentLineHeight(true) + 2 * CELL_PAD_Y
  doc.save().rect(MARGIN, y, CONTENT_WIDTH, height).fill(SHADE).restore()
  let x = MARGIN
  doc.fillColor(INK)
  for (const column of columns) {
    doc.text(column.title, x + CELL_PAD_X, y + CELL_PAD_Y, { width: column.width - 2 * CELL_PAD_X, align: column.align, lineBreak: false })
    x += column.width
  }
  rule(doc, y + height, INK)
  return y + height
}

/** The items table of notices and receipts. */
export function drawItemsTable (sheet: Sheet, y: number, items: readonly PdfLine[]): number {
  return drawTable(sheet, y, COLUMNS, items.map((item, index) => [String(index + 1), item.code, item.name, item.detail ?? '', formatYuan(item.amountFen)]))
}

/**
 * A table of text cells under a shaded header. A row never splits across pages: it moves whole to
 * the next page, under a repeated header. A row taller than a page (pathological input) is cut
 * with an ellipsis rather than letting pdfkit break the page in the middle of a cell.
 */
export function drawTable (sheet: Sheet, y: number, columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): number {
  const { doc } = sheet
  const fontOf = (column: Column) => (column.font === 'mono' ? MONO : SANS)
  y = drawTableHeader(doc, y, columns)
  for (const cells of rows) {
    let textHeight = 0
    cells.forEach((cell, c) => {
      const column = columns[c]!
      doc.font(fontOf(column)).fontSize(TABLE_FONT_SIZE)
      textHeight = Math.max(textHeight, doc.heightOfString(cell || ' ', { width: column.width - 2 * CELL_PAD_X }))
    })
    textHeight = Math.min(textHeight, TALLEST_BLOCK)
    const height = textHeight + 2 * CELL_PAD_Y
    if (y + height > BODY_BOTTOM) y = drawTableHeader(doc, continuePage(sheet), columns)
    let x = MARGIN
    cells.forEach((cell, c) => {
      const column = columns[c]!
      doc.font(fontOf(column)).fontSize(TABLE_FONT_SIZE).fillColor(INK)
        .text(cell, x + CELL_PAD_X, y + CELL_PAD_Y, { width: column.width - 2 * CELL_PAD_X, height: textHeight + SLACK, align: column.align, ellipsis: true })
      x += column.width
    })
    y += height
    rule(doc, y, SHADE)
  }
  return y
}

const WORDS_INDENT = 90

/** The total in figures under the amount column, then in capital numerals across the page. */
export function drawTotals (sheet: Sheet, y: number, totalFen: bigint): number {
  const { doc } = sheet
  const amountWidth = COLUMNS[COLUMNS.length - 1]!.width
  const words = amountInChineseWords(totalFen)
  const wordsWidth = CONTENT_WIDTH - WORDS_INDENT - CELL_PAD_X
  doc.font(SANS).fontSize(11)
  const lineHeight = doc.currentLineHeight(true)
  const wordsHeight = doc.heightOfString(words, { width: wordsWidth })
  if (y + lineHeight + wordsHeight + 4 * CELL_PAD_Y + 2 > BODY_BOTTOM) y = continuePage(sheet)
  rule(doc, y, INK)
  y += CELL_PAD_Y + 1
  doc.font(SANS).fontSize(11).fillColor(INK)
    .text('合计', MARGIN + CELL_PAD_X, y, { lineBreak: false })
    // wider than the column: a total can be longer than any line
    .text(formatMoney(totalFen), MARGIN + CONTENT_WIDTH - 2 * amountWidth, y, { width: 2 * amountWidth - CELL_PAD_X, align: 'right', lineBreak: false })
  y += lineHeight + CELL_PAD_Y
  rule(doc, y, SHADE)
  y += CELL_PAD_Y + 1
  doc.text('合计（大写）', MARGIN + CELL_PAD_X, y, { lineBreak: false })
    .text(words, MARGIN + WORDS_INDENT, y, { width: wordsWidth, height: wordsHeight + SLACK })
  y += wordsHeight + CELL_PAD_Y
  rule(doc, y, INK)
  return y + 12
}

export interface Note {
  text: string
  /** hashes and addresses: set in the monospaced face so they can be compared character by character */
  mono?: boolean
}

/** A heading and short paragraphs; the heading never sits alone at the foot of a page. */
export function drawNotes (sheet: Sheet, y: number, heading: string, notes: readonly Note[]): number {
  const { doc } = sheet
  const measure = (note: Note): number => {
    doc.font(note.mono ? MONO : SANS).fontSize(9)
    return Math.min(TALLEST_BLOCK, doc.heightOfString(note.text, { width: CONTENT_WIDTH }))
  }
  doc.font(SANS).fontSize(10)
  const headingHeight = doc.currentLineHeight(true) + 3
  if (y + headingHeight + (notes[0] ? measure(notes[0]) : 0) > BODY_BOTTOM) y = continuePage(sheet)
  doc.font(SANS).fontSize(10).fillColor(INK).text(heading, MARGIN, y, { width: CONTENT_WIDTH, lineBreak: false })
  y += headingHeight
  for (const note of notes) {
    const height = measure(note)
    if (y + height > BODY_BOTTOM) y = continuePage(sheet)
    doc.fillColor(MUTED).text(note.text, MARGIN, y, { width: CONTENT_WIDTH, height: height + SLACK, ellipsis: true })
    y += height + 3
  }
  return y + 6
}

/**
 * Stamps the reference and "第 n 页 / 共 m 页" on every page, then ends the document. The bottom
 * margin is lifted while writing so pdfkit does not take footer text for overflow.
 */
export function finishSheet (sheet: Sheet): Promise<Buffer> {
  const { doc, continuation } = sheet
  const range = doc.bufferedPageRange()
  for (let index = range.start; index < range.start + range.count; index++) {
    doc.switchToPage(index)
    const bottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    rule(doc, FOOTER_Y - 6, SHADE)
    doc.font(SANS).fontSize(8).fillColor(MUTED)
      .text(`${continuation.title} · ${continuation.reference}`, MARGIN, FOOTER_Y, { width: CONTENT_WIDTH / 2, lineBreak: false })
      .text(`第 ${index + 1 - range.start} 页 / 共 ${range.count} 页`, MARGIN + CONTENT_WIDTH / 2, FOOTER_Y, { width: CONTENT_WIDTH / 2, align: 'right', lineBreak: false })
    doc.page.margins.bottom = bottom
  }
  doc.end()
  return sheet.bytes
}
