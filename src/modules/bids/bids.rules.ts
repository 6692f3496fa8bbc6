/**
 * Pure rules of bid submission: which window problem becomes which refusal, what a receipt
 * states, and a bidder's bond status as the opening shows it.
 */
import type { BidWindowProblem } from '../tenders/tenders.rules.ts'
import { BidWindowClosed, TenderClosed, TenderNotBidding, TenderPaused } from './bids.errors.ts'

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/

export function windowError (problem: Exclude<BidWindowProblem, null>): Error {
  switch (problem) {
    case 'BID_WINDOW_CLOSED': return new BidWindowClosed()
    case 'TENDER_CLOSED': return new TenderClosed()
    case 'TENDER_PAUSED': return new TenderPaused()
    case 'TENDER_NOT_BIDDING': return new TenderNotBidding()
  }
}

/**
 * The receipt the platform signs (README, "Receipts"): what arrived, from whom, when (server time
 * at the moment the upload completed) and as which version of the bidder's submissions.
 * `tenderId` is the tender's code, the one the sealed package names in its header.
 */
export function receiptRecord (input: {
  kind: 'bid' | 'withdrawal'
  submissionId: string
  tenderCode: string
  bidderId: string
  receivedAt: Date
  sequence: number
  package?: { sha256: string, size: number, commitment: string }
}): Record<string, string | number> {
  return {
    type: input.kind === 'bid' ? 'openhall.bid_receipt' : 'openhall.bid_withdrawal_receipt',
    version: 1,
    submissionId: input.submissionId,
    tenderId: input.tenderCode,
    bidderId: input.bidderId,
    ...(input.package ? { ciphertextSha256: input.package.sha256, size: input.package.size, commitment: input.package.commitment } : {}),
    receivedAt: input.receivedAt.toISOString(),
    sequence: input.sequence
  }
}

/** What a submission is now: the latest version of a bidder's submissions counts (a bid) or withdrew. */
export function submissionStatus (kind: 'bid' | 'withdrawal', isLatest: boolean): 'counting' | 'superseded' | 'withdrawn' {
  if (!isLatest) return 'superseded'
  return kind === 'bid' ? 'counting' : 'withdrawn'
}

export type BondStatus = 'not_required' | 'paid' | 'guaranteed' | 'missing'

/** Paid when a bond notice of the bidder is paid; guaranteed by a letter covering the amount past the deadline. */
export function bondStatus (input: {
  bondFen: bigint
  bidDeadline: Date
  noticeStatuses: string[]
  guarantees: Array<{ amountFen: bigint, validUntil: Date }>
}): BondStatus {
  if (input.bondFen === 0n) return 'not_required'
  if (input.noticeStatuses.includes('paid')) return 'paid'
  if (input.guarantees.some((letter) => letter.amountFen >= input.bondFen && letter.validUntil.getTime() >= input.bidDeadline.getTime())) return 'guaranteed'
  return 'missing'
}
