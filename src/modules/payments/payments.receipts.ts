/**
 * Receipts: signed by the platform after their payment commits, read and printed by those who
 * may read the notice, and checked by anyone (by the number and SHA-256 printed on them, or by
 * their signature); the printed payment notice shares their PDF lines.
 */
import { X509Certificate } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { renderPaymentNoticePdf, renderReceiptPdf, type PdfLine } from '../../lib/pdf/index.ts'
import { derToPem } from '../../lib/pki/x509-parts.ts'
import type { Principal } from '../../lib/policy.ts'
import { fingerprintOf } from '../../plugins/pki.ts'
import { SIGN_TIMER } from './payments.constants.ts'
import { NoticeNotFound, ReceiptNotFound, ReceiptSignatureInvalid } from './payments.errors.ts'
import * as repo from './payments.repository.ts'
import { CHANNEL_LABELS, NOTICE_INSTRUCTIONS, PURPOSE_LABELS } from './payments.rules.ts'
import type { PaymentHelpers, PaymentsDeps, RecordedPayment } from './payments.service.ts'

export type PaymentReceiptsDeps = Pick<PaymentsDeps, 'db' | 'timers' | 'pki' | 'departments' | 'log' | 'settings'> & Pick<PaymentHelpers, 'mayRead'>

export function createPaymentReceipts ({ db, timers, pki, departments, log, settings, mayRead }: PaymentReceiptsDeps) {
  const signerFingerprint = fingerprintOf(pki.signerCertificate)
  const signerSubject = new X509Certificate(pki.signerCertificate).subject.replaceAll('\n', ', ')

  /**
   * Receipts are signed just after their payment commits, off the request path (a bank waits
   * for its answer, not for the signature); whatever a stopped process left unsigned is signed
   * by a periodic sweep or when first read.
   */
  const signingQueue = new Set<string>()
  let signing: Promise<void> | null = null

  function signSoon (recorded: RecordedPayment) {
    if (recorded.replay) return
    signingQueue.add(recorded.receiptNumber)
    signing ??= (async () => {
      for (const number of signingQueue) {
        signingQueue.delete(number)
        await signedReceipt(number).catch((error: unknown) => log.error({ err: error, receipt: number }, 'signing a receipt failed; the sweep retries'))
      }
    })().finally(() => { signing = null })
  }

  async function signUnsigned (limit = 500): Promise<number> {
    const numbers = await repo.unsignedReceipts(db, limit)
    for (const number of numbers) await signedReceipt(number)
    return numbers.length
  }

  /**
   * At shutdown: finishes the receipt being signed and leaves the rest of the queue to the sweep
   * of the next start (or to the first read), so a backlog after a burst does not hold up a stop.
   */
  async function stopSigning () {
    signingQueue.clear()
    for (let running = signing; running; running = signing) await running
  }

  /** The receipt with its signature, signing it now if the process stopped before it could. */
  async function signedReceipt (number: string) {
    const receipt = await repo.findReceipt(db, number)
    if (!receipt) throw new ReceiptNotFound(number)
    const signature = receipt.signature ?? await repo.signReceipt(db, receipt.id, Buffer.from(await pki.sign({ content: Buffer.from(receipt.document), detached: true })))
    return { ...receipt, signature }
  }

  async function receiptAccess (principal: Principal | null, number: string) {
    const receipt = await signedReceipt(number)
    const payment = (await repo.findPayment(db, receipt.paymentId))!
    const notice = (await repo.findNotice(db, payment.noticeId))!
    if (!principal || !mayRead(principal, notice)) throw new ReceiptNotFound(number)
    return { receipt, payment, notice }
  }

  async function getReceipt (actor: Actor, number: string) {
    const { receipt, notice } = await receiptAccess(actor.principal, number)
    return {
      number: receipt.number,
      noticeId: notice.id,
      issuedAt: receipt.issuedAt.toISOString(),
      document: JSON.parse(receipt.document) as unknown,
      documentText: receipt.document,
      signature: receipt.signature.toString('base64'),
      signerCertificate: derToPem(pki.signerCertificate)
    }
  }

  /**
   * A printed receipt checked by its number and the SHA-256 it shows: genuine when a receipt
   * with that number and exactly that content was issued here. Answers only what is printed.
   */
  async function checkReceipt (number: string, sha256: string) {
    const receipt = await repo.findReceipt(db, number)
    if (!receipt || sha256Hex(receipt.document) !== sha256) return { genuine: false, number, noticeCode: null, totalFen: null, paidAt: null, issuedAt: null }
    const document = JSON.parse(receipt.document) as { noticeCode: string, totalFen: number, paidAt: string }
    return { genuine: true, number, noticeCode: document.noticeCode, totalFen: document.totalFen, paidAt: document.paidAt, issuedAt: receipt.issuedAt.toISOString() }
  }

  /** Anyone holding a receipt and its signature can check it here (or offline with OpenSSL). */
  async function verifyReceipt (input: { documentText: string, signature: string }) {
    const cms = Buffer.from(input.signature, 'base64')
    if (cms.length < 16) throw new ReceiptSignatureInvalid()
    const verified = await pki.verifySignature({ cms, content: Buffer.from(input.documentText) }).catch(() => null)
    if (!verified) return { valid: false, number: null, signer: null, signedAt: null, issuedByThisHall: false }
    let number: string | null = null
    try {
      number = String((JSON.parse(input.documentText) as { number?: unknown }).number ?? '') || null
    } catch {}
    const stored = number ? await repo.findReceipt(db, number) : undefined
    return {
      valid: true,
      number,
      signer: verified.signer.subject,
      signedAt: verified.signingTime?.toISOString() ?? null,
      issuedByThisHall: verified.signer.fingerprint === signerFingerprint && stored?.document === input.documentText
    }
  }

  function pdfLines (items: repo.NoticeItemRow[]): PdfLine[] {
    return items.map((item) => ({ code: item.code, name: item.name, detail: item.detail || null, amountFen: item.amountFen }))
  }

  async function noticePdf (actor: Actor, noticeId: string): Promise<Buffer> {
    const notice = await repo.findNotice(db, noticeId)
    if (!notice || !mayRead(actor.principal, notice)) throw new NoticeNotFound(noticeId)
    const items = await repo.itemsOf(db, [notice.id])
    return renderPaymentNoticePdf({
      hallName: settings.hallName,
      issuer: notice.departmentId ? (await departments.getDepartment(notice.departmentId)).name : settings.hallName,
      code: notice.code,
      payer: { name: notice.payerName, idNumber: notice.payerIdNumber },
      purpose: PURPOSE_LABELS[notice.purpose],
      items: pdfLines(items),
      totalFen: notice.totalFen,
      issuedAt: notice.issuedAt,
      dueAt: notice.dueAt,
      receivingAccount: [...new Set(items.map((item) => item.receivingAccount))].join('；'),
      payUrl: `${settings.publicUrl}/pay/${notice.code}`,
      instructions: NOTICE_INSTRUCTIONS
    })
  }

  async function receiptPdf (actor: Actor, number: string): Promise<Buffer> {
    const { receipt, payment, notice } = await receiptAccess(actor.principal, number)
    const items = await repo.itemsOf(db, [notice.id])
    return renderReceiptPdf({
      hallName: settings.hallName,
      number: receipt.number,
      noticeCode: notice.code,
      payer: { name: notice.payerName, idNumber: notice.payerIdNumber, account: payment.payerAccountNo },
      items: pdfLines(items),
      totalFen: payment.amountFen,
      paidAt: payment.paidAt,
      channel: CHANNEL_LABELS[payment.channel],
      bankTxnId: payment.bankTxnId,
      issuedAt: receipt.issuedAt,
      verifyUrl: `${settings.publicUrl}/receipts/verify?number=${receipt.number}&sha256=${sha256Hex(receipt.document)}`,
      contentSha256: sha256Hex(receipt.document),
      signerSubject
    })
  }

  timers.define(SIGN_TIMER, async () => { await signUnsigned() })

  return { signSoon, signUnsigned, stopSigning, getReceipt, checkReceipt, verifyReceipt, noticePdf, receiptPdf }
}

export type PaymentReceipts = ReturnType<typeof createPaymentReceipts>
