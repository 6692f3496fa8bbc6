/**
 * Pure rules of project entry (统一进场): what each trade type must declare, lots that add up,
 * human-readable codes, and sane opening slots.
 */
import { isValidCreditCode } from '../../lib/credit-code.ts'
import type { TradeType } from './projects.schemas.ts'

/** Code prefixes by trade type, as printed on announcements and in the schedule. */
export const CODE_PREFIXES: Record<TradeType, string> = {
  construction_works: 'GC',
  procurement_goods: 'ZCHW',
  procurement_services: 'ZCFW',
  procurement_works: 'ZCGC',
  land_use_rights: 'TD',
  mining_rights: 'KY',
  state_property: 'GZ'
}

export function projectCode (tradeType: TradeType, year: number, number: bigint | number): string {
  return `${CODE_PREFIXES[tradeType]}-${year}-${String(number).padStart(5, '0')}`
}

export function isProcurement (tradeType: TradeType): boolean {
  return tradeType.startsWith('procurement_')
}

/** Why a project's figures do not hold together, or null. */
export function projectProblem (input: {
  tradeType: TradeType
  tendererCreditCode: string
  estimateFen: bigint
  priceCeilingFen: bigint | null
  lots: Array<{ number: number, estimateFen: bigint }>
}): string | null {
  if (!isValidCreditCode(input.tendererCreditCode)) return 'The tenderer\'s unified social credit code is not valid (check character)'
  if (input.priceCeilingFen !== null && isProcurement(input.tradeType) && input.priceCeilingFen > input.estimateFen) {
    return 'In government procurement the price ceiling may not exceed the budget'
  }
  if (input.lots.length > 0) {
    const numbers = input.lots.map((lot) => lot.number)
    if (numbers.some((number, index) => number !== index + 1)) return 'Lots are numbered 1, 2, 3, … in order'
    const total = input.lots.reduce((sum, lot) => sum + lot.estimateFen, 0n)
    if (total !== input.estimateFen) return `The lots' estimates add up to ${total} fen, not the project's ${input.estimateFen} fen`
  }
  return null
}

/** Opening slots: in the future, at least 30 minutes, at most one day. */
export function slotProblem (startsAt: Date, endsAt: Date, now: Date): string | null {
  if (startsAt.getTime() <= now.getTime()) return 'The slot must start in the future'
  const minutes = (endsAt.getTime() - startsAt.getTime()) / 60_000
  if (minutes < 30) return 'A slot lasts at least 30 minutes'
  if (minutes > 24 * 60) return 'A slot lasts at most one day'
  return null
}
