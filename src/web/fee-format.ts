/**
 * What the unified-fees pages need beyond the shell's page context: money and payment codes as
 * people read them, and form amounts typed in yuan turned into integer fen without ever passing
 * through a floating-point number.
 */
import { createError } from '../lib/errors.ts'
import { formatMoney, formatYuan, MAX_FEN, parseYuan } from '../lib/money.ts'
import { formatPaymentCode } from '../lib/payment-code.ts'
import { feeInWords } from './fee-words.ts'

export const AmountInvalid = createError('AMOUNT_INVALID', 'Enter an amount in yuan with at most two decimals, such as 80 or 80.50', 400)

/** Integer fen (as views receive it) → "¥1,234.56". */
export function money (fen: number | bigint | null | undefined): string {
  if (fen === null || fen === undefined) return ''
  return formatMoney(BigInt(fen))
}

/** Fen → "1234.56", the way a yuan input field is prefilled. */
export function yuanInput (fen: number | bigint | null | undefined): string {
  return fen === null || fen === undefined ? '' : formatYuan(BigInt(fen), { grouping: false })
}

/** "3411 0225 1234 5678 9017"; anything that is not a code is shown as given. */
export function paymentCode (code: string): string {
  return /^\d{20}$/.test(code) ? formatPaymentCode(code) : code
}

/** A positive amount typed in yuan → fen (a number, as the API carries it). */
export function yuanToFen (text: string | undefined): number {
  const fen = parseYuan(text ?? '')
  if (fen === null || fen <= 0n || fen > MAX_FEN) throw new AmountInvalid()
  return Number(fen)
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000
const DAY_MS = 86_400_000
const DEADLINE_FORMATS = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' })
}
const DAY_FORMATS = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { timeZone: 'UTC', dateStyle: 'medium' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium' })
}

/**
 * A deadline as people read it: deadlines that fall at midnight in the hall's time zone (the end
 * of a working day) read "4 Dec 2026 24:00" rather than "5 Dec 2026 00:00", the day they belong to.
 */
export function deadline (value: string, lang: 'zh-CN' | 'en'): string {
  const at = Date.parse(value)
  if (Number.isNaN(at)) return ''
  const local = at + SHANGHAI_OFFSET_MS
  if (local % DAY_MS !== 0) return DEADLINE_FORMATS[lang].format(new Date(at))
  return `${DAY_FORMATS[lang].format(new Date(local - DAY_MS))} 24:00`
}

/** Spread into the data of every unified-fees page. */
export const feeViewHelpers = { money, yuanInput, paymentCode, deadline, feeInWords }
