/**
 * Checking a bid receipt (递交回执): the CMS SignedData the platform signed when a bid or a
 * withdrawal arrived (receiptRecord in bids.rules.ts). Anyone holding a receipt may check it: the
 * signature against the platform's trust (PkiService.verify, the same path as POST
 * /api/pki/verify), whether the platform's own signer made it and still holds the same receipt,
 * and what the receipt states. A receipt states only what its holder already knows, so the
 * answer names nobody the receipt does not.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../plugins/db.ts'
import { fingerprintOf } from '../../plugins/pki.ts'
import type { PkiService } from '../pki/pki.service.ts'
import * as repo from './bids.repository.ts'

export interface BidReceiptDeps {
  db: Database
  pkiService: PkiService
  /** the platform's document signer: a bidder's own certificate chains to the same root */
  signerCertificate: Uint8Array
  log: FastifyBaseLogger
}

/** What a receipt states, read from its signed content. */
export interface BidReceiptFacts {
  kind: 'bid' | 'withdrawal'
  submissionId: string
  tenderCode: string
  receivedAt: string
  /** the package's size and SHA-256 (a withdrawal names no package) */
  size: number | null
  sha256: string | null
  /** the version of the bidder's submissions in that tender */
  sequence: number
}

/**
 * `not_cms`: the file is not a CMS SignedData (or uses what the platform never signs with);
 * `signature`: it is one, but its content was changed after signing; `untrusted`: the signer's
 * certificate does not chain to the platform's trust, or is revoked or expired.
 */
export type BidReceiptProblem = 'not_cms' | 'signature' | 'untrusted'

export type BidReceiptCheck =
  | { valid: false, problem: BidReceiptProblem }
  | {
    valid: true
    signer: string
    signedAt: string | null
    /** signed by the platform's own signer, and the platform holds this very receipt */
    issuedByThisHall: boolean
    /** null when the signed content is not a bid receipt at all */
    receipt: BidReceiptFacts | null
  }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const RECEIPT_TYPES: Record<string, BidReceiptFacts['kind']> = {
  'openhall.bid_receipt': 'bid',
  'openhall.bid_withdrawal_receipt': 'withdrawal'
}

/** The signed JSON as a receipt, or null when it is anything else (a field missing or of the wrong kind). */
export function receiptFactsOf (json: string): BidReceiptFacts | null {
  let value: Record<string, unknown>
  try {
    value = JSON.parse(json) as Record<string, unknown>
  } catch {
    return null
  }
  if (value === null || typeof value !== 'object') return null
  const kind = RECEIPT_TYPES[String(value.type)]
  const { submissionId, tenderId, receivedAt, sequence } = value
  if (!kind || typeof submissionId !== 'string' || typeof tenderId !== 'string' || typeof receivedAt !== 'string' || typeof sequence !== 'number') return null
  return {
    kind,
    submissionId,
    tenderCode: tenderId,
    receivedAt,
    size: typeof value.size === 'number' ? value.size : null,
    sha256: typeof value.ciphertextSha256 === 'string' ? value.ciphertextSha256 : null,
    sequence
  }
}

function problemOf (code: string | null): BidReceiptProblem {
  if (code === 'CMS_MALFORMED' || code === 'CMS_UNSUPPORTED') return 'not_cms'
  if (code?.startsWith('CERTIFICATE_')) return 'untrusted'
  return 'signature'
}

export function createBidReceipts ({ db, pkiService, signerCertificate, log }: BidReceiptDeps) {
  const platformSigner = fingerprintOf(signerCertificate)

  /** Checks a receipt as uploaded (DER bytes). Never throws for what the file holds: the answer says what is wrong. */
  async function verifyReceipt (cms: Uint8Array): Promise<BidReceiptCheck> {
    if (cms.length < 16) return { valid: false, problem: 'not_cms' }
    let verified: Awaited<ReturnType<PkiService['verify']>>
    try {
      verified = await pkiService.verify({ signature: Buffer.from(cms).toString('base64') })
    } catch (error) {
      // the file is anyone's upload: a structure the parsers did not foresee is still a bad file
      log.warn({ err: error, bytes: cms.length }, 'an uploaded bid receipt could not be read')
      return { valid: false, problem: 'not_cms' }
    }
    if (!verified.valid || !verified.signer) return { valid: false, problem: problemOf(verified.code) }
    const json = verified.content ? Buffer.from(verified.content, 'base64').toString('utf8') : ''
    const receipt = receiptFactsOf(json)
    // any certificate holder can sign any JSON: only a well-formed id reaches the database
    const stored = receipt && UUID.test(receipt.submissionId) ? await repo.findSubmission(db, receipt.submissionId) : undefined
    return {
      valid: true,
      signer: verified.signer.subject,
      signedAt: verified.signingTime,
      issuedByThisHall: verified.signer.fingerprint === platformSigner && stored?.receipt === json,
      receipt
    }
  }

  return { verifyReceipt }
}
