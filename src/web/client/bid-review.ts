/**
 * What the bid page checks and shows before anything is sealed, as pure functions (no DOM; the
 * sealer draws them, test/web/bid-review.test.ts proves them): the opening fields read from the
 * form into the values the package commits to, each money field in figures and in Chinese
 * capitals (大写, src/lib/money.ts — what binds is read twice), and the price held against the
 * tender's ceiling and estimate. Money stays integer fen from the keyboard to the package.
 */
import { amountInChineseWords, formatMoney } from '../../lib/money.ts'

export interface OpeningField { key: string, label: string, kind: 'fen' | 'days' | 'percent' | 'text', required: boolean }
export type OpeningValues = Record<string, string | number>
export type FieldProblem = 'required' | 'amount' | 'days'

/** A price further than this from the tender's estimate is shown as a likely slip (a digit too many or too few). */
export const ESTIMATE_TOLERANCE_PERCENT = 30n

/** Yuan typed by a person ("12,888,000.5") → an exact integer of fen, as text; null when not an amount. */
export function yuanToFen (value: string): string | null {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(value.trim().replace(/[,，]/g, ''))
  if (!match) return null
  return String(BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0')))
}

/** The form's raw values → the package's opening object, or each field's problem. */
export function readOpening (fields: OpeningField[], raw: Record<string, string>): { opening: OpeningValues, problems: Array<{ key: string, problem: FieldProblem }> } {
  const opening: OpeningValues = {}
  const problems: Array<{ key: string, problem: FieldProblem }> = []
  for (const field of fields) {
    const value = (raw[field.key] ?? '').trim()
    if (value === '') {
      if (field.required) problems.push({ key: field.key, problem: 'required' })
      continue
    }
    if (field.kind === 'fen') {
      const fen = yuanToFen(value)
      if (fen === null) problems.push({ key: field.key, problem: 'amount' })
      else opening[field.key] = fen
    } else if (field.kind === 'days') {
      if (/^\d{1,5}$/.test(value)) opening[field.key] = Number(value)
      else problems.push({ key: field.key, problem: 'days' })
    } else {
      opening[field.key] = value
    }
  }
  return { opening, problems }
}

/** The bid price is the first money field, as the opening record reads it (openings.record.ts). */
export function priceFieldOf (fields: OpeningField[]): OpeningField | undefined {
  return fields.find((field) => field.kind === 'fen')
}

export interface ReviewRow {
  key: string
  label: string
  kind: OpeningField['kind']
  /** what was typed, as it will be read out: ¥ and grouping for money; null when left empty */
  figures: string | null
  /** money in capitals (大写金额); null for other kinds */
  words: string | null
  isPrice: boolean
}

/** Every declared field, filled or not, in the tender's order. */
export function reviewRows (fields: OpeningField[], opening: OpeningValues): ReviewRow[] {
  const price = priceFieldOf(fields)
  return fields.map((field) => {
    const value = opening[field.key]
    const money = field.kind === 'fen' && value !== undefined ? BigInt(value) : null
    return {
      key: field.key,
      label: field.label,
      kind: field.kind,
      figures: value === undefined ? null : money !== null ? formatMoney(money) : String(value),
      words: money !== null ? amountInChineseWords(money) : null,
      isPrice: field === price
    }
  })
}

export type PriceWarning =
  | { kind: 'aboveCeiling', ceilingFen: bigint, overFen: bigint }
  | { kind: 'farFromEstimate', estimateFen: bigint, direction: 'above' | 'below', percent: string }

/** An amount the page was given (a JSON number or a string of fen); null when absent or zero. */
function amountOf (value: number | string | null | undefined): bigint | null {
  if (value === null || value === undefined || value === '') return null
  const amount = BigInt(value)
  return amount > 0n ? amount : null
}

/**
 * What the bidder should look at twice: a price above the tender's ceiling (最高投标限价, such a
 * bid is rejected), or more than ESTIMATE_TOLERANCE_PERCENT away from its estimate.
 */
export function priceWarnings (priceFen: bigint, tender: { estimateFen?: number | string | null, priceCeilingFen?: number | string | null }): PriceWarning[] {
  const warnings: PriceWarning[] = []
  const ceiling = amountOf(tender.priceCeilingFen)
  if (ceiling !== null && priceFen > ceiling) warnings.push({ kind: 'aboveCeiling', ceilingFen: ceiling, overFen: priceFen - ceiling })
  const estimate = amountOf(tender.estimateFen)
  if (estimate !== null) {
    const gap = priceFen > estimate ? priceFen - estimate : estimate - priceFen
    if (gap * 100n > estimate * ESTIMATE_TOLERANCE_PERCENT) {
      // to a tenth of a percent, rounded down, so it never reads as more than it is
      const tenths = gap * 1000n / estimate
      const percent = tenths % 10n === 0n ? String(tenths / 10n) : `${tenths / 10n}.${tenths % 10n}`
      warnings.push({ kind: 'farFromEstimate', estimateFen: estimate, direction: priceFen > estimate ? 'above' : 'below', percent })
    }
  }
  return warnings
}
