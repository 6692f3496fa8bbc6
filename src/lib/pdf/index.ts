/**
 * Printable A4 documents of the unified-fees module, rendered with pdfkit and the bundled
 * WenQuanYi Micro Hei font (media/fonts). Framework-free: bytes in memory, nothing written to disk.
 */
export type { PdfLine, PdfParty } from './layout.ts'
export { renderPaymentNoticePdf, type PaymentNoticeDocument } from './payment-notice.ts'
export { renderReceiptPdf, type ReceiptDocument } from './receipt.ts'
