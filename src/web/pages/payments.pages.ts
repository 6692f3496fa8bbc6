/**
 * Paying fees: the cashier's window (look a payment code up, confirm the amount, record the
 * bank transaction), the payer's notices and receipts (with the signed receipt for offline
 * checking), the public page a notice's QR code opens, and a public receipt checker (a printed
 * receipt's QR code, or the signed files).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import type { ReceiptDocument } from '../../modules/payments/payments.rules.ts'
import { ReceiptParams, WindowPaymentSchema, type NoticeSummary, type NoticeView } from '../../modules/payments/payments.schemas.ts'
import { feeViewHelpers, yuanToFen } from '../fee-format.ts'
import { assertNoProblems, formErrors, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { shownError, type ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
/** Refusals of a looked-up payment code, beside the code's field. */
const LOOKUP_FIELDS = { PAYMENT_CODE_INVALID: 'cashier-code', PAYMENT_CODE_UNKNOWN: 'cashier-code', PAYMENT_NOTICE_NOT_FOUND: 'cashier-code' }
/** A receipt and its signature are a few kilobytes; anything much larger is not one. */
const MAX_RECEIPT_FILE_BYTES = 256 * 1024
/** Today's window payments are read in pages of this size (a busy window takes a few hundred a day). */
const TODAY_PAGE = 200
/** As the API's summary and check routes: a code or a receipt number cannot be guessed by trying. */
const LOOKUPS_PER_MINUTE = { pay: 30, check: 60 }

export const paymentsPages: FastifyPluginAsyncTypebox<{ publicUrl: string }> = async (app, { publicUrl }) => {
  const { payments, banks } = app.services

  // the cashier's window ----------------------------------------------------------------------

  interface CashierState extends Partial<ShownError>, Partial<FormErrors> {
    code?: string
    notice?: NoticeView | null
    values?: Record<string, string | string[]>
    recorded?: NoticeView
    /** the same bank transaction had been recorded before (a form sent twice): nothing new was taken */
    replay?: boolean
  }

  /** Every notice paid at the window on this business day (refunded since or not), the latest payment first. */
  async function windowPaymentsOn (request: FastifyRequest, day: string): Promise<NoticeView[]> {
    const actor = actorOf(request)
    const found: NoticeView[] = []
    for (let offset = 0; ; offset += TODAY_PAGE) {
      const page = await payments.listNotices(actor, { channel: 'window', paidOn: day, limit: TODAY_PAGE, offset })
      found.push(...page)
      if (page.length < TODAY_PAGE) break
    }
    return found.sort((a, b) => Date.parse(b.payment?.paidAt ?? '') - Date.parse(a.payment?.paidAt ?? ''))
  }

  async function showCashier (request: FastifyRequest, reply: FastifyReply, state: CashierState) {
    const paidToday = await windowPaymentsOn(request, app.calendar.today())
    const now = app.clock.now().getTime()
    return renderPage(request, reply, 'payments/cashier', {
      titleKey: 'cashier.title',
      banks: (await banks.listBanks()).filter((bank) => bank.active),
      paidToday,
      paidTodayFen: paidToday.reduce((sum, notice) => sum + notice.totalFen, 0),
      payable: state.notice ? state.notice.status === 'issued' && Date.parse(state.notice.dueAt) > now : false,
      values: {},
      ...state,
      ...feeViewHelpers
    })
  }

  app.get('/cashier', {
    config: { policy: 'payments.collect' },
    schema: { querystring: StrictObject({ code: FormText(60) }) }
  }, async (request, reply) => {
    const code = optional(request.query.code)
    if (!code) return showCashier(request, reply, {})
    try {
      const notice = await payments.findByCode(actorOf(request), code)
      return showCashier(request, reply, { code, notice, values: { payerAccountName: notice.payer.name } })
    } catch (error) {
      const problems = refusalProblems(request, error, LOOKUP_FIELDS)
      reply.code((error as { statusCode: number }).statusCode)
      return showCashier(request, reply, { code, ...formErrors(problems, 'lookup') })
    }
  })

  app.post('/cashier/payments', {
    config: { policy: 'payments.collect' },
    schema: {
      body: StrictObject({
        code: Type.String({ maxLength: 60 }),
        amount: Type.String({ maxLength: 24 }),
        bankCode: Type.String({ maxLength: 32 }),
        bankTxnId: Type.String({ maxLength: 64 }),
        payerAccountNo: Type.String({ maxLength: 40 }),
        payerAccountName: Type.String({ maxLength: 200 })
      })
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    const { code, amount, ...rest } = request.body
    try {
      // every field at once, beside itself; the service checks them again
      const { t } = pageContext(request)
      const active = (await banks.listBanks()).filter((bank) => bank.active).map((bank) => bank.code)
      const fields = { bankCode: rest.bankCode, bankTxnId: rest.bankTxnId.trim(), payerAccountNo: rest.payerAccountNo.trim(), payerAccountName: rest.payerAccountName.trim() }
      let amountFen = 0
      const problems: FormProblem[] = []
      try {
        amountFen = yuanToFen(amount)
      } catch {
        problems.push({ field: 'cashier-amount', message: t('errors.AMOUNT_INVALID') })
      }
      if (!active.includes(fields.bankCode)) problems.push({ field: 'cashier-bank', message: t('cashier.error.bank') })
      if (!Value.Check(WindowPaymentSchema.properties.bankTxnId, fields.bankTxnId)) problems.push({ field: 'cashier-txn', message: t('cashier.error.txn') })
      if (!Value.Check(WindowPaymentSchema.properties.payerAccountNo, fields.payerAccountNo)) problems.push({ field: 'cashier-account-no', message: t('cashier.error.accountNo') })
      if (!Value.Check(WindowPaymentSchema.properties.payerAccountName, fields.payerAccountName)) problems.push({ field: 'cashier-account-name', message: t('cashier.error.accountName') })
      assertNoProblems(problems)
      const input = checked(WindowPaymentSchema, { code: code.trim(), amountFen, ...fields })
      const { notice, replay } = await payments.collectAtWindow(actor, input)
      return showCashier(request, reply, { recorded: notice, replay })
    } catch (error) {
      const problems = refusalProblems(request, error, { ...LOOKUP_FIELDS, AMOUNT_MISMATCH: 'cashier-amount', AMOUNT_INVALID: 'cashier-amount', BANK_UNKNOWN: 'cashier-bank', DUPLICATE_BANK_TRANSACTION: 'cashier-txn' })
      reply.code((error as { statusCode: number }).statusCode)
      const notice = await payments.findByCode(actor, code).catch(() => null)
      return showCashier(request, reply, { code, notice, values: request.body, ...formErrors(problems, 'payment') })
    }
  })

  // the payer's notices and receipts ----------------------------------------------------------

  app.get('/account/payments', { config: { policy: 'authenticated' } }, async (request, reply) =>
    renderPage(request, reply, 'payments/mine', {
      titleKey: 'myPayments.title',
      notices: await payments.listMine(actorOf(request)),
      ...feeViewHelpers
    }))

  app.get('/payments/:noticeId', {
    config: { policy: 'authenticated' },
    schema: { params: StrictObject({ noticeId: Uuid }) }
  }, async (request, reply) => {
    const notice = await payments.getNotice(actorOf(request), request.params.noticeId)
    return renderPage(request, reply, 'payments/notice', {
      title: feeViewHelpers.paymentCode(notice.code),
      notice,
      ...feeViewHelpers
    })
  })

  // a printed receipt's QR code opens /receipts/verify?number=…&sha256=… (both are printed on it
  // too, to be typed in); the page answers only what the receipt itself shows
  app.get('/receipts/verify', {
    config: { policy: 'public', rateLimit: { max: LOOKUPS_PER_MINUTE.check, timeWindow: '1 minute' } },
    schema: { querystring: StrictObject({ number: FormText(40), sha256: FormText(100) }) }
  }, async (request, reply) => {
    const number = optional(request.query.number)?.replace(/\s+/g, '')
    const sha256 = optional(request.query.sha256)?.replace(/\s+/g, '').toLowerCase()
    const values = { number: number ?? '', sha256: sha256 ?? '' }
    if (number === undefined && sha256 === undefined) return renderPage(request, reply, 'payments/verify', { titleKey: 'verify.title', values })
    const { t } = pageContext(request)
    const problems = [
      ...(number && /^[0-9]{18,20}$/.test(number) ? [] : [{ field: 'verify-number', message: t('verify.numberInvalid') }]),
      ...(sha256 && /^[0-9a-f]{64}$/.test(sha256) ? [] : [{ field: 'verify-sha256', message: t('verify.sha256Invalid') }])
    ]
    if (problems.length > 0) {
      reply.code(400)
      return renderPage(request, reply, 'payments/verify', { titleKey: 'verify.title', values, ...formErrors(problems, 'printed') })
    }
    const check = await payments.checkReceipt(number!, sha256!)
    return renderPage(request, reply, 'payments/verify', { titleKey: 'verify.title', values, check, ...feeViewHelpers })
  })

  app.post('/receipts/verify', { config: { policy: 'public', rateLimit: { max: 60, timeWindow: '1 minute' } } }, async (request, reply) => {
    try {
      const files: Record<string, Buffer> = {}
      for await (const part of request.parts({ limits: { files: 2, fields: 0, fileSize: MAX_RECEIPT_FILE_BYTES } })) {
        if (part.type === 'file') files[part.fieldname] = await part.toBuffer()
      }
      const { t } = pageContext(request)
      assertNoProblems([
        ...(files.document?.length ? [] : [{ field: 'verify-document', message: t('verify.documentMissing') }]),
        ...(files.signature?.length ? [] : [{ field: 'verify-signature', message: t('verify.signatureMissing') }])
      ])
      const documentText = files.document!.toString('utf8')
      const signature = signatureBase64(files.signature)
      const result = await payments.verifyReceipt({ documentText, signature })
      return renderPage(request, reply, 'payments/verify', { titleKey: 'verify.title', values: {}, result })
    } catch (error) {
      const problems = refusalProblems(request, error, { RECEIPT_SIGNATURE_INVALID: 'verify-signature', FST_REQ_FILE_TOO_LARGE: 'verify-document' })
      reply.code((error as { statusCode: number }).statusCode)
      return renderPage(request, reply, 'payments/verify', { titleKey: 'verify.title', values: {}, ...formErrors(problems, 'files') })
    }
  })

  app.get('/receipts/:number', {
    config: { policy: 'authenticated' },
    schema: { params: ReceiptParams }
  }, async (request, reply) => {
    const receipt = await payments.getReceipt(actorOf(request), request.params.number)
    return renderPage(request, reply, 'payments/receipt', {
      title: receipt.number,
      receipt,
      document: receipt.document as ReceiptDocument,
      // printed on the PDF and in its QR code: the receipt checks online by number and digest
      sha256: sha256Hex(receipt.documentText),
      rootPemUrl: `${publicUrl}/api/pki/ca/root.pem`,
      ...feeViewHelpers
    })
  })

  app.get('/receipts/:number/json', {
    config: { policy: 'authenticated' },
    schema: { params: ReceiptParams }
  }, async (request, reply) => {
    const receipt = await payments.getReceipt(actorOf(request), request.params.number)
    // the exact signed bytes: any change, even of white space, breaks the signature
    return reply.type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="receipt-${receipt.number}.json"`)
      .send(Buffer.from(receipt.documentText, 'utf8'))
  })

  app.get('/receipts/:number/p7s', {
    config: { policy: 'authenticated' },
    schema: { params: ReceiptParams }
  }, async (request, reply) => {
    const receipt = await payments.getReceipt(actorOf(request), request.params.number)
    return reply.type('application/pkcs7-signature')
      .header('content-disposition', `attachment; filename="receipt-${receipt.number}.p7s"`)
      .send(Buffer.from(receipt.signature, 'base64'))
  })

  // the page a notice's QR code opens ---------------------------------------------------------

  app.get('/pay/:code', {
    config: { policy: 'public', rateLimit: { max: LOOKUPS_PER_MINUTE.pay, timeWindow: '1 minute' } },
    schema: { params: StrictObject({ code: Type.String({ maxLength: 60 }) }) }
  }, async (request, reply) => {
    // to everyone: what the code is for, as a bank shows it before taking the money (amount, due
    // time, state); never who owes it (name, id number) — the code is printed on paper
    let summary: NoticeSummary | null = null
    let shown: Partial<ShownError> = {}
    try {
      summary = await payments.summaryByCode(request.params.code)
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      shown = shownError(request, error)
    }
    // the payer and the staff who may read the notice also get a link to it
    const principal = request.principal
    let noticeId: string | null = null
    if (summary && principal) {
      const notice = await payments.findByCode(actorOf(request), summary.code).catch((error: unknown) => {
        if (isClientError(error)) return null
        throw error
      })
      if (notice && (notice.payer.accountId === principal.accountId || mayAttempt(principal, 'payments.read'))) noticeId = notice.id
    }
    return renderPage(request, reply, 'payments/pay', {
      titleKey: 'pay.title',
      summary,
      noticeId,
      simulatedBank: Boolean(app.services.simulatedBank),
      ...shown,
      ...feeViewHelpers
    })
  })
}

/** A detached CMS signature as uploaded: DER (the .p7s download), PEM or bare base64 → base64. */
function signatureBase64 (file: Buffer | undefined): string {
  if (!file || file.length === 0) return ''
  const text = file.toString('latin1')
  if (/^[\sA-Za-z0-9+/=-]+$/.test(text)) {
    const base64 = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
    if (base64.length > 0) return base64
  }
  return file.toString('base64')
}
