/**
 * Bid receipts (递交回执) as people read them: the bidder's receipt page for one of its
 * submissions (what arrived, when, how large, its SHA-256, who signed the receipt and when, the
 * .p7s to keep), and a public verifier where anyone holding a receipt uploads it (and, if they
 * like, the bid package) and is told in plain words whether the platform signed it and what it
 * states — as the payments' receipt checker does for payment receipts.
 */
import { createHash } from 'node:crypto'
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import type { BidReceiptCheck } from '../../modules/bids/bids.receipts.ts'
import type { Language } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'

const SubmissionParams = StrictObject({ submissionId: Uuid })
/** A receipt is a few kilobytes; anything much larger is not one. */
const MAX_RECEIPT_FILE_BYTES = 256 * 1024
/** The largest bid any tender accepts (maxBidMegabytes is at most 1024). */
const MAX_PACKAGE_BYTES = 1024 * 1024 * 1024
/** As the payments' checker: a public page that hashes uploads is not for bulk use. */
const CHECKS_PER_MINUTE = 30

/** A size as people read it: 1.5 MB (1,572,864 字节). Binary multiples, as file managers on Windows show them. */
export function humanSize (bytes: number, lang: Language): string {
  const units = ['KB', 'MB', 'GB']
  const exact = bytes.toLocaleString('en-US')
  const unitWord = lang === 'en' ? 'bytes' : '字节'
  if (bytes < 1024) return `${exact} ${unitWord}`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const shown = value >= 100 ? value.toFixed(0) : value.toFixed(1)
  return lang === 'en' ? `${shown} ${units[unit]} (${exact} bytes)` : `${shown} ${units[unit]}（${exact} 字节）`
}

/** A SHA-256 in groups of eight, so two can be compared by eye group by group. */
export function hashGroups (hex: string): string[] {
  return hex.match(/.{1,8}/g) ?? []
}

/** A CMS file as uploaded: DER (the .p7s download), PEM or bare base64 → DER bytes. */
function cmsBytes (file: Buffer): Buffer {
  const text = file.toString('latin1')
  if (/^[\sA-Za-z0-9+/=-]+$/.test(text)) {
    const base64 = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
    if (base64.length > 0) return Buffer.from(base64, 'base64')
  }
  return file
}

type FieldName = 'receipt' | 'package'
interface VerifyState {
  check?: BidReceiptCheck
  /** the uploaded package's SHA-256 and size, when one came with the receipt */
  uploaded?: { sha256: string, size: number } | null
  fieldErrors?: Partial<Record<FieldName, string>>
}

export const bidReceiptsPages: FastifyPluginAsyncTypebox = async (app) => {
  const { bids, tenders } = app.services
  const helpers = { humanSize, hashGroups }

  // the bidder's receipt ----------------------------------------------------------------------

  app.get('/bidder/submissions/:submissionId/receipt', {
    config: { policy: 'tenders.participate' },
    schema: { params: SubmissionParams }
  }, async (request, reply) => {
    const actor = actorOf(request)
    // another bidder's submission does not exist for this one (404)
    const submission = await bids.getSubmission(actor, request.params.submissionId)
    const tender = await tenders.getTender(actor.principal, submission.tenderId)
    const check = await bids.verifyReceipt(Buffer.from(submission.receipt.cms, 'base64'))
    return renderPage(request, reply, 'trading/bid-receipt', {
      titleKey: 'bidReceipt.title',
      submission,
      tender,
      check,
      ...helpers
    })
  })

  app.get('/bidder/submissions/:submissionId/receipt/p7s', {
    config: { policy: 'tenders.participate' },
    schema: { params: SubmissionParams }
  }, async (request, reply) => {
    const submission = await bids.getSubmission(actorOf(request), request.params.submissionId)
    return reply.type('application/pkcs7-signature')
      .header('content-disposition', `attachment; filename="bid-receipt-${submission.id}.p7s"`)
      .send(Buffer.from(submission.receipt.cms, 'base64'))
  })

  // the public verifier -----------------------------------------------------------------------

  function showVerifier (request: FastifyRequest, reply: FastifyReply, state: VerifyState) {
    const fieldErrors = state.fieldErrors ?? {}
    // the site's error summary (_error-summary.eta), each problem linking to its field
    const summary = (['receipt', 'package'] as const).filter((name) => fieldErrors[name]).map((name) => ({ field: `verify-${name}`, message: fieldErrors[name]! }))
    if (summary.length > 0) reply.code(422)
    return renderPage(request, reply, 'trading/bid-receipt-verify', {
      titleKey: 'bidReceiptVerify.title',
      check: state.check ?? null,
      uploaded: state.uploaded ?? null,
      fieldErrors,
      summary,
      ...helpers
    })
  }

  app.get('/bids/receipts/verify', { config: { policy: 'public' } }, async (request, reply) => showVerifier(request, reply, {}))

  app.post('/bids/receipts/verify', {
    config: { policy: 'public', rateLimit: { max: CHECKS_PER_MINUTE, timeWindow: '1 minute' } }
  }, async (request, reply) => {
    const { t } = pageContext(request)
    let receipt: Buffer | null | undefined
    let uploaded: { sha256: string, size: number } | null = null
    try {
      for await (const part of request.parts({ limits: { files: 2, fields: 0, fileSize: MAX_PACKAGE_BYTES } })) {
        if (part.type !== 'file') continue
        const file = part as MultipartFile
        if (file.fieldname === 'receipt') {
          receipt = await readAtMost(file, MAX_RECEIPT_FILE_BYTES)
          if (receipt === null) return showVerifier(request, reply, { fieldErrors: { receipt: t('bidReceiptVerify.error.receiptTooLarge') } })
        } else if (file.fieldname === 'package') {
          const digest = await digestOf(file)
          if (digest === 'too_large') return showVerifier(request, reply, { fieldErrors: { package: t('bidReceiptVerify.error.packageTooLarge') } })
          if (digest !== 'empty') uploaded = digest
        } else {
          file.file.resume()
        }
      }
    } catch (error) {
      // not a multipart form, or a form cut short: the person is asked to choose the file again
      if (!isClientError(error)) throw error
      if (error.code === 'FST_REQ_FILE_TOO_LARGE') return showVerifier(request, reply, { fieldErrors: { package: t('bidReceiptVerify.error.packageTooLarge') } })
      request.log.info({ err: error }, 'bid receipt check: the upload could not be read')
      return showVerifier(request, reply, { fieldErrors: { receipt: t('bidReceiptVerify.error.receiptMissing') } })
    }
    if (!receipt || receipt.length === 0) return showVerifier(request, reply, { fieldErrors: { receipt: t('bidReceiptVerify.error.receiptMissing') } })
    const check = await bids.verifyReceipt(cmsBytes(receipt))
    if (!check.valid) return showVerifier(request, reply, { fieldErrors: { receipt: t(`bidReceiptVerify.error.${check.problem}`) } })
    return showVerifier(request, reply, { check, uploaded })
  })
}

/** The whole file if it is at most `max` bytes; null (the rest drained) if larger. */
async function readAtMost (file: MultipartFile, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of file.file as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= max) chunks.push(chunk)
  }
  return size > max ? null : Buffer.concat(chunks)
}

/** SHA-256 and size of an uploaded package, streamed (a bid may be a gigabyte). A form with no file chosen sends an empty part. */
async function digestOf (file: MultipartFile): Promise<{ sha256: string, size: number } | 'empty' | 'too_large'> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of file.file as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
  }
  if (file.file.truncated) return 'too_large'
  return size === 0 ? 'empty' : { sha256: hash.digest('hex'), size }
}
