/**
 * The payment code (缴款码) printed on a payment notice and typed in at the bank counter or in a
 * banking app: 20 decimal digits = the 6-digit administrative region code (GB/T 2260) of the
 * collecting authority, the last two digits of the year, 11 random digits and a check digit.
 *
 * The check digit uses Damm's algorithm: unlike the Luhn digit it catches every single-digit
 * error and every transposition of adjacent digits, the two mistakes people make copying a
 * number from paper. The random part is unguessable, so a code alone does not reveal or let
 * anyone enumerate other payers' notices.
 */
import { randomInt } from 'node:crypto'

const PAYMENT_CODE_LENGTH = 20
const RANDOM_DIGIT_COUNT = 11

/** The totally anti-symmetric quasigroup of order 10 from Damm's 2004 thesis. */
const DAMM_TABLE = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]
]

/** The interim digit after `digits`; it is 0 exactly when `digits` ends in a correct check digit. */
function dammInterim (digits: string): number {
  let interim = 0
  for (let i = 0; i < digits.length; i++) interim = DAMM_TABLE[interim]![digits.charCodeAt(i) - 48]!
  return interim
}

export function dammCheckDigit (digits: string): string {
  if (!/^\d*$/.test(digits)) throw new RangeError('the Damm check digit is defined over decimal digits only')
  return String(dammInterim(digits))
}

/** `count` digits drawn uniformly from a CSPRNG (randomInt rejects biased draws, unlike `% 10`). */
export function cryptoRandomDigits (count: number): string {
  if (!Number.isInteger(count) || count < 0) throw new RangeError('digit count must be a non-negative integer')
  let digits = ''
  for (let i = 0; i < count; i++) digits += String(randomInt(10))
  return digits
}

export function createPaymentCode (regionCode: string, year: number, randomDigits: (count: number) => string): string {
  if (!/^\d{6}$/.test(regionCode)) throw new RangeError(`region code must be 6 digits (GB/T 2260), not ${JSON.stringify(regionCode)}`)
  // a four-digit year guards against passing an already shortened year or a month by mistake
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`year must be a four-digit calendar year, not ${year}`)
  const random = randomDigits(RANDOM_DIGIT_COUNT)
  if (!/^\d{11}$/.test(random)) throw new RangeError(`the random digit source returned ${JSON.stringify(random)}, not ${RANDOM_DIGIT_COUNT} digits`)
  const body = regionCode + String(year % 100).padStart(2, '0') + random
  return body + dammCheckDigit(body)
}

const FULL_WIDTH_ZERO = 0xff10
// ASCII hyphen, Unicode hyphens and dashes, minus sign, full-width hyphen-minus
const SEPARATORS = /[\s\-\u2010-\u2015\u2212\uff0d]/g

/**
 * What a person typed, in canonical form: spaces (including the ideographic space) and hyphens
 * removed, full-width digits ('０'..'９', as Chinese input methods produce) made ASCII. Anything
 * else is left in place, so the result of a mistyped code still fails validation.
 */
export function normalisePaymentCode (input: string): string {
  return input
    .replace(SEPARATORS, '')
    .replace(/[\uff10-\uff19]/g, (digit) => String(digit.charCodeAt(0) - FULL_WIDTH_ZERO))
}

export function isValidPaymentCode (code: string): boolean {
  return code.length === PAYMENT_CODE_LENGTH && /^\d+$/.test(code) && dammInterim(code) === 0
}

/** "34110225123456789017" printed as "3411 0225 1234 5678 9017", easier to read aloud and copy. */
export function formatPaymentCode (code: string): string {
  if (!/^\d{20}$/.test(code)) throw new RangeError('a payment code is 20 digits')
  return code.replace(/\d{4}(?=\d)/g, '$& ')
}
