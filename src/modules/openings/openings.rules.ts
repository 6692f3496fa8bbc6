/**
 * Pure rules of a live bid opening (开标): the room's state machine, Art. 31 outcomes of a failed
 * decryption, the confirmation deadline and the opening record's rows.
 *
 *   scheduled → sign_in → frozen → [k_drawn] → decrypting → [remedy] → recorded → confirming → closed
 *   → failed: fewer than 3 bids, or fewer than 3 opened (流标, the tender is tendered again), or the
 *     tender was cancelled while its opening ran
 * `frozen` with a declared K waits for the nonce until its deadline (yellow before, red after; then
 * the host may give it too), so it never waits unseen.
 * `paused` is a flag with a reason, not a state: the host pauses and resumes any open state.
 */
import { OPENING_STATES } from '../../../schema/openings.ts'

export { OPENING_STATES }
export type OpeningState = typeof OPENING_STATES[number]

export const OPENING_TRANSITIONS: Record<OpeningState, readonly OpeningState[]> = {
  scheduled: ['sign_in', 'failed'],
  sign_in: ['frozen', 'failed'],
  frozen: ['k_drawn', 'decrypting', 'failed'],
  k_drawn: ['decrypting', 'failed'],
  decrypting: ['remedy', 'recorded', 'failed'],
  remedy: ['recorded', 'failed'],
  recorded: ['confirming', 'failed'],
  confirming: ['closed', 'failed'],
  closed: [],
  failed: []
}

export function canMove (from: OpeningState, to: OpeningState): boolean {
  return OPENING_TRANSITIONS[from].includes(to)
}

/** The law's minimum: fewer than three bidders and the tender fails (招标投标法 第28条). */
export const MIN_VALID_BIDS = 3

/** Why a bid could not be opened in the window. */
export type DecryptionFailure =
  | 'not_revealed' // the bidder did not reveal in the window
  | 'wrong_key' // the revealed key (or nonce) does not open the package
  | 'commitment_mismatch' // the opening fields or nonce are not the ones committed to
  | 'signer_mismatch' // the inner signature is not a valid one of the submitting bidder
  | 'package_corrupt' // the bidder's own package does not decrypt to a well-formed bid
  | 'package_changed' // the stored bytes differ from those anchored at submission
  | 'platform_fault' // the platform could not read or process the stored package

/** What a decryption error (its code) means for the bid; anything unrecognised is the platform's fault. */
export function failureOfError (code: string | undefined): DecryptionFailure {
  switch (code) {
    case 'CONTENT_KEY_WRONG':
    case 'REVEALED_NONCE_WRONG': return 'wrong_key'
    case 'COMMITMENT_MISMATCH':
    case 'NONCE_REUSED': return 'commitment_mismatch'
    case 'PACKAGE_TAMPERED':
    case 'PACKAGE_MALFORMED': return 'package_corrupt'
    case 'PACKAGE_CHANGED': return 'package_changed'
    case 'SIGNER_MISMATCH': return 'signer_mismatch'
    default: return code?.startsWith('CERTIFICATE_') ? 'signer_mismatch' : 'platform_fault'
  }
}

/** Failures a bidder may retry in the window (another key file, a passing fault); the rest are final. */
export function isRetryable (failure: DecryptionFailure): boolean {
  return failure === 'wrong_key' || failure === 'platform_fault'
}

/** Refused reveals per bid before the last cause becomes final. */
export const MAX_REVEAL_ATTEMPTS = 5

/** Sign-in opens this long before the bid deadline (the opening starts at the deadline). */
export const SIGN_IN_LEAD_MS = 30 * 60_000

/** Bidders confirm the record or object within this many minutes of its publication. */
export const CONFIRM_MINUTES = 30

/**
 * The supervisor gives K's nonce within this many minutes of the freeze (the deadline is
 * published with the commitment); a yellow warning is raised this many minutes before it, a red
 * alarm at it, and from then on the host may give the nonce instead.
 */
export const K_NONCE_MINUTES = 15
export const K_WARNING_MINUTES = 5

export type DrawColour = 'green' | 'yellow' | 'red'

export function kNonceDeadline (frozenAt: Date): Date {
  return new Date(frozenAt.getTime() + K_NONCE_MINUTES * 60_000)
}

export function kWarningAt (deadline: Date): Date {
  return new Date(deadline.getTime() - K_WARNING_MINUTES * 60_000)
}

/** Red from the deadline on, yellow in the warning minutes before it, green before. */
export function drawColour (deadline: Date, now: Date): DrawColour {
  if (now.getTime() >= deadline.getTime()) return 'red'
  return now.getTime() >= kWarningAt(deadline).getTime() ? 'yellow' : 'green'
}

/**
 * Who may give the nonce at `now`: an overseeing supervisor always, the host only once the
 * deadline has passed. Neither knows the committed secret, so neither can choose K.
 */
export function mayGiveNonce (capacity: 'host' | 'supervisor', deadline: Date, now: Date): boolean {
  return capacity === 'supervisor' || drawColour(deadline, now) === 'red'
}

export const RUNNING_STATES: readonly OpeningState[] = ['sign_in', 'frozen', 'k_drawn', 'decrypting', 'remedy', 'recorded', 'confirming']

export function signInOpensAt (bidDeadline: Date): Date {
  return new Date(bidDeadline.getTime() - SIGN_IN_LEAD_MS)
}

export type RevealProblem = 'OPENING_PAUSED' | 'DECRYPTION_NOT_OPEN' | 'DECRYPTION_CLOSED' | null

/** Whether a reveal received at `at` is in time: in the window (both ends inclusive), not paused. */
export function revealProblem (opening: { state: OpeningState, pausedAt: Date | null, windowEndsAt: Date | null }, at: Date): RevealProblem {
  if (opening.state !== 'decrypting') {
    return OPENING_STATES.indexOf(opening.state) < OPENING_STATES.indexOf('decrypting') ? 'DECRYPTION_NOT_OPEN' : 'DECRYPTION_CLOSED'
  }
  if (opening.pausedAt) return 'OPENING_PAUSED'
  if (opening.windowEndsAt && at.getTime() > opening.windowEndsAt.getTime()) return 'DECRYPTION_CLOSED'
  return null
}

/**
 * The reference price of a works price formula: the mean of the opened bids' prices times K,
 * in whole fen, rounded half up, computed exactly (no floating point).
 */
export function referencePriceFen (prices: readonly bigint[], k: string): bigint | null {
  if (prices.length === 0) return null
  const [whole, fraction = ''] = k.split('.')
  const scale = 10n ** BigInt(fraction.length)
  const kUnits = BigInt(whole!) * scale + BigInt(fraction || '0')
  const numerator = prices.reduce((sum, price) => sum + price, 0n) * kUnits
  const denominator = BigInt(prices.length) * scale
  return (2n * numerator + denominator) / (2n * denominator)
}

/**
 * Art. 31 of the electronic bidding measures: a failure caused by the bidder makes the bid
 * deemed revoked (视为撤销); one the bidder did not cause makes it deemed withdrawn (视为撤回),
 * unless the tender documents offer a remedy (here: the K-of-N key escrow).
 */
export function art31Outcome (failure: DecryptionFailure): 'deemed_revoked' | 'deemed_withdrawn' {
  // the platform's own faults are never the bidder's
  return failure === 'package_changed' || failure === 'platform_fault' ? 'deemed_withdrawn' : 'deemed_revoked'
}

/**
 * The cause a bid still sealed when the window ends is recorded with: it is judged by its final
 * state, not by a try it was free to retry. A wrong key the bidder did not follow up leaves the
 * bid unrevealed (and the escrow remedy open to it, as to a bidder who never tried); a platform
 * fault stays the platform's.
 */
export function failureAtWindowEnd (lastFailure: DecryptionFailure | null): DecryptionFailure {
  return lastFailure === 'platform_fault' ? 'platform_fault' : 'not_revealed'
}

/** A failure the escrow can remedy: the bid is sound, only its key is missing. */
export function escrowCanRemedy (failure: DecryptionFailure): boolean {
  return failure === 'not_revealed' || failure === 'platform_fault'
}

/** Bidders confirm the record or object until this instant; silence counts as confirmation. */
export function confirmationDeadline (recordedAt: Date, minutes: number): Date {
  return new Date(recordedAt.getTime() + minutes * 60_000)
}

export interface RecordRow {
  bidderId: string
  bidderName: string
  bond: string
  outcome: 'opened' | 'deemed_revoked' | 'deemed_withdrawn' | 'withdrawn'
  fields: Record<string, string | number | null>
}

/**
 * The opening record's rows (开标记录表), in the order bids were received: every declared field of
 * an opened bid, nothing of a bid that was not opened.
 */
export function recordRows (
  fields: ReadonlyArray<{ key: string }>,
  bids: ReadonlyArray<{ bidderId: string, bidderName: string, bond: string, receivedAt: Date, outcome: RecordRow['outcome'], opening: Record<string, unknown> | null }>
): RecordRow[] {
  return [...bids].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime()).map((bid) => ({
    bidderId: bid.bidderId,
    bidderName: bid.bidderName,
    bond: bid.bond,
    outcome: bid.outcome,
    fields: Object.fromEntries(fields.map((field) => {
      const value = bid.outcome === 'opened' ? bid.opening?.[field.key] : undefined
      return [field.key, typeof value === 'string' || typeof value === 'number' ? value : null]
    }))
  }))
}
