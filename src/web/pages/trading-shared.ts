/**
 * What the trading pages share: instants typed in the hall's time zone, the project form's
 * details by trade type, the views' helpers, and the small checks behind errors in place (each
 * form checks on the server whatever the browser checks, and says so in the catalogue's words).
 */
import { MAX_FEN, parseYuan } from '../../lib/money.ts'
import { TRADE_TYPES } from '../../../schema/trading.ts'
import { DETAILS_SCHEMAS } from '../../modules/projects/projects.schemas.ts'
import { feeViewHelpers } from '../fee-format.ts'
import type { FormProblem } from '../form-problems.ts'

const LOCAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/

/** `YYYY-MM-DDTHH:mm` typed in the hall's time zone → RFC 3339; '' when it is not one. */
export function shanghaiInstant (value: string | undefined): string {
  const text = value?.trim() ?? ''
  if (!LOCAL_INSTANT.test(text)) return ''
  const instant = new Date(`${text}:00+08:00`)
  // a day the month does not have (02-30) would roll over into the next month: not a date
  return Number.isNaN(instant.getTime()) || localInput(instant) !== text ? '' : instant.toISOString()
}

/** RFC 3339 → the `datetime-local` value in the hall's time zone. */
export function localInput (value: string | Date): string {
  return new Date(new Date(value).getTime() + 8 * 3_600_000).toISOString().slice(0, 16)
}

export type DetailKind = 'text' | 'integer' | 'choice'

/** The details each trade type declares at entry; their limits are the API schema's (DETAILS_SCHEMAS). */
export const DETAIL_FIELDS: Record<keyof typeof DETAILS_SCHEMAS, Array<{ name: string, kind: DetailKind }>> = {
  construction_works: [{ name: 'site', kind: 'text' }, { name: 'scale', kind: 'text' }, { name: 'qualification', kind: 'text' }, { name: 'plannedDays', kind: 'integer' }],
  procurement: [{ name: 'method', kind: 'choice' }, { name: 'budgetReference', kind: 'text' }, { name: 'deliveryPlace', kind: 'text' }],
  land_use_rights: [{ name: 'parcelNumber', kind: 'text' }, { name: 'location', kind: 'text' }, { name: 'areaSqm', kind: 'text' }, { name: 'landUse', kind: 'text' }, { name: 'tenureYears', kind: 'integer' }],
  mining_rights: [{ name: 'mineral', kind: 'text' }, { name: 'location', kind: 'text' }, { name: 'areaSqKm', kind: 'text' }, { name: 'licenceYears', kind: 'integer' }],
  state_property: [{ name: 'assetDescription', kind: 'text' }, { name: 'holder', kind: 'text' }, { name: 'appraisalReport', kind: 'text' }]
}
export const detailGroup = (tradeType: string): keyof typeof DETAILS_SCHEMAS =>
  (tradeType.startsWith('procurement_') ? 'procurement' : tradeType) as keyof typeof DETAILS_SCHEMAS

/** The choices of a `choice` detail (the procurement method), as the API names them. */
export const DETAIL_CHOICES: Record<string, readonly string[]> = { method: DETAILS_SCHEMAS.procurement.properties.method.enum }

export const EVALUATION_METHODS = ['comprehensive', 'lowest_evaluated_price', 'reasonable_lowest_price', 'highest_price'] as const

export const tradingHelpers = {
  ...feeViewHelpers,
  localInput,
  tradeTypes: TRADE_TYPES,
  detailFields: DETAIL_FIELDS,
  detailChoices: DETAIL_CHOICES,
  evaluationMethods: EVALUATION_METHODS,
  detailGroup
}

/** The problem of one field when `ok` is false. */
export function unless (ok: boolean, field: string, message: string): FormProblem[] {
  return ok ? [] : [{ field, message }]
}

/** Text as typed, trimmed; null when empty or longer than `max`. */
export function textWithin (value: string | undefined, max: number): string | null {
  const text = value?.trim() ?? ''
  return text.length >= 1 && text.length <= max ? text : null
}

/** A positive amount typed in yuan → fen; null when it is not one. */
export function positiveFen (value: string | undefined): number | null {
  const fen = parseYuan(value ?? '')
  return fen === null || fen <= 0n || fen > MAX_FEN ? null : Number(fen)
}

/** A whole number typed as digits within [min, max]; null otherwise. */
export function wholeNumber (value: string | undefined, min: number, max: number): number | null {
  const text = value?.trim() ?? ''
  if (!/^\d{1,7}$/.test(text)) return null
  const number = Number(text)
  return number >= min && number <= max ? number : null
}

/** A form's field ids: `prefix-name`. */
export const fieldIds = (prefix: string) => (name: string) => `${prefix}-${name}`
