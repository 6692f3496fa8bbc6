/**
 * Money is integer fen (1 yuan = 100 fen) held as bigint from the wire to the database; no
 * amount ever passes through a floating-point number. Decimal yuan strings ("1,234.50") are
 * parsed digit by digit; display formats are produced from the integer.
 */

/** The largest amount accepted anywhere: JSON integers above 2^53 - 1 are not exact in clients. */
export const MAX_FEN = BigInt(Number.MAX_SAFE_INTEGER)

/** "1234.5", "1,234.50", "-0.01" → fen; null when not a yuan amount with at most two decimals. */
export function parseYuan (text: string): bigint | null {
  const match = /^(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/.exec(text.trim())
  if (!match) return null
  const [, sign, whole, decimals = ''] = match
  const fen = BigInt(whole!.replaceAll(',', '')) * 100n + BigInt(decimals.padEnd(2, '0'))
  return sign ? -fen : fen
}

/** 123456n → "1,234.56"; with `grouping: false` → "1234.56". */
export function formatYuan (fen: bigint, options: { grouping?: boolean } = {}): string {
  const negative = fen < 0n
  const absolute = negative ? -fen : fen
  const whole = (absolute / 100n).toString()
  const cents = (absolute % 100n).toString().padStart(2, '0')
  const grouped = options.grouping === false ? whole : whole.replace(/\B(?=(\d{3})+$)/g, ',')
  return `${negative ? '-' : ''}${grouped}.${cents}`
}

/** The amount as the web shows it: "¥1,234.56". */
export function formatMoney (fen: bigint): string {
  return fen < 0n ? `-¥${formatYuan(-fen)}` : `¥${formatYuan(fen)}`
}

const DIGITS = '零壹贰叁肆伍陆柒捌玖'
const SMALL_UNITS = ['', '拾', '佰', '仟']
// the fourth group is 万 of 亿: 1_2345_0000_0000 yuan is 壹万贰仟叁佰肆拾伍亿, not 壹万亿贰仟…亿
const GROUP_UNITS = ['', '万', '亿', '万']

/** Four digits (0..9999) in financial numerals, without leading zeros; '' for 0. */
function groupInWords (value: number): string {
  let text = ''
  let pendingZero = false
  for (let position = 3; position >= 0; position--) {
    const digit = Math.floor(value / 10 ** position) % 10
    if (digit === 0) {
      if (text) pendingZero = true
      continue
    }
    if (pendingZero) text += '零'
    pendingZero = false
    text += DIGITS[digit]! + SMALL_UNITS[position]!
  }
  return text
}

/**
 * The amount in capital financial numerals, as receipts and notices print it (大写金额):
 * 100_200_300n fen → "壹佰万贰仟零叁元整", 1205n → "壹拾贰元零伍分".
 */
export function amountInChineseWords (fen: bigint): string {
  if (fen < 0n) return `负${amountInChineseWords(-fen)}`
  if (fen >= 10n ** 18n) throw new RangeError('amount too large to write in words')
  const yuan = fen / 100n
  const jiao = Number((fen / 10n) % 10n)
  const cents = Number(fen % 10n)
  let words = ''
  if (yuan > 0n) {
    const groups: number[] = []
    for (let rest = yuan; rest > 0n; rest /= 10_000n) groups.push(Number(rest % 10_000n))
    let needZero = false
    for (let index = groups.length - 1; index >= 0; index--) {
      const group = groups[index]!
      if (group === 0) {
        if (words) needZero = true
        continue
      }
      // a gap inside the number ("1,0005") is read with one 零
      if (words && (needZero || group < 1000)) words += '零'
      words += groupInWords(group) + GROUP_UNITS[index]!
      // with no 亿 group of its own, the 亿 follows the 万 group: 壹万亿零伍万元
      if (index === 3 && groups[2] === 0) words += '亿'
      needZero = false
    }
    words += '元'
  }
  if (jiao === 0 && cents === 0) return yuan > 0n ? `${words}整` : '零元整'
  if (jiao > 0) words += `${DIGITS[jiao]!}角`
  else if (yuan > 0n) words += '零'
  if (cents > 0) words += `${DIGITS[cents]!}分`
  else words += '整'
  return words
}
