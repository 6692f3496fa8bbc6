/**
 * Printable A4 documents (payment notices, receipts, opening records), rendered with pdfkit and the bundled
 * WenQuanYi Micro Hei font (media/fonts). Framework-free: bytes in memory, nothing written to disk.
 */
export type { PdfLine, PdfParty } from './layout.ts'
export { renderPaymentNoticePdf, type PaymentNoticeDocument } from './payment-notice.ts'
export { renderReceiptPdf, type ReceiptDocument } from './receipt.ts'
export { renderOpeningRecordPdf, type OpeningRecordDocument } from './opening-record.ts'
export { renderCaseDocumentPdf, type CaseDocument } from './case-document.ts'
