import fc from 'fast-check'
import t from 'tap'
import { amountInChineseWords, formatMoney, formatYuan, MAX_FEN, parseYuan } from '../../src/lib/money.ts'

const fen = fc.bigInt({ min: -MAX_FEN, max: MAX_FEN })

t.test('yuan strings parse to exact fen', async (t) => {
  t.equal(parseYuan('1234.5'), 123_450n)
  t.equal(parseYuan('1,234.50'), 123_450n)
  t.equal(parseYuan('1,234,567'), 123_456_700n)
  t.equal(parseYuan('-0.01'), -1n)
  t.equal(parseYuan('0'), 0n)
  t.equal(parseYuan(' 12 '), 1_200n, 'surrounding spaces')
  t.equal(parseYuan('0.1'), 10n)
  t.equal(parseYuan('90,071,992,547,409.91'), MAX_FEN, 'the largest amount, exactly')
  for (const text of ['', '.5', '1.', '12.345', '1,23', '12,345,6', '1,2345', '¥12', '１２', '1e3', '+1', '--1', '1 000', 'NaN']) {
    t.equal(parseYuan(text), null, JSON.stringify(text))
  }
})

t.test('formatting and parsing round-trip every amount', async (t) => {
  t.equal(formatYuan(123_456n), '1,234.56')
  t.equal(formatYuan(123_456n, { grouping: false }), '1234.56')
  t.equal(formatYuan(5n), '0.05')
  t.equal(formatYuan(-1n), '-0.01')
  t.equal(formatYuan(100_000_000n), '1,000,000.00')
  t.equal(formatYuan(MAX_FEN), '90,071,992,547,409.91')
  t.equal(formatMoney(123_456n), '¥1,234.56')
  t.equal(formatMoney(-123_456n), '-¥1,234.56', 'the sign goes before the currency symbol')
  t.equal(formatMoney(0n), '¥0.00')
  fc.assert(fc.property(fen, (amount) =>
    parseYuan(formatYuan(amount)) === amount && parseYuan(formatYuan(amount, { grouping: false })) === amount))
  fc.assert(fc.property(fen, (amount) => /^-?¥\d{1,3}(,\d{3})*\.\d\d$/.test(formatMoney(amount))))
})

t.test('amounts in capital numerals, as receipts print them (大写金额)', async (t) => {
  const cases: Array<[bigint, string]> = [
    [0n, '零元整'],
    [1n, '壹分'],
    [5n, '伍分'],
    [10n, '壹角整'],
    [50n, '伍角整'],
    [1_000n, '壹拾元整'],
    [1_050n, '壹拾元伍角整'],
    [1_205n, '壹拾贰元零伍分'],
    [32_504n, '叁佰贰拾伍元零肆分'],
    [168_032n, '壹仟陆佰捌拾元叁角贰分'],
    [1_640_902n, '壹万陆仟肆佰零玖元零贰分'],
    [3_502_000n, '叁万伍仟零贰拾元整'],
    [10_500_000n, '壹拾万伍仟元整'],
    [10_700_053n, '壹拾万柒仟元伍角叁分'],
    [100_000_000n, '壹佰万元整'],
    [100_200_300n, '壹佰万贰仟零叁元整'],
    [6_003_600_000n, '陆仟零叁万陆仟元整'],
    [10_000_000_500n, '壹亿零伍元整'],
    [100_000_000_500n, '壹拾亿零伍元整'],
    [100_001_000_000n, '壹拾亿零壹万元整'],
    [100_000_000_000_000n, '壹万亿元整'],
    [100_000_005_000_000n, '壹万亿零伍万元整'],
    [100_010_000_000_000n, '壹万零壹亿元整'],
    [123_456_789_012_300n, '壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元整'],
    [-1_205n, '负壹拾贰元零伍分']
  ]
  for (const [amount, words] of cases) t.equal(amountInChineseWords(amount), words, formatYuan(amount))
  t.equal(amountInChineseWords(10n ** 18n - 1n), '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分')
  t.throws(() => amountInChineseWords(10n ** 18n), RangeError)
})

const DIGIT_VALUES = new Map([...'零壹贰叁肆伍陆柒捌玖'].map((digit, value) => [digit, BigInt(value)]))
const SMALL_UNITS = new Map([['拾', 10n], ['佰', 100n], ['仟', 1000n]])

/** Reads capital numerals back to fen, written independently of the module and lenient about 零. */
function readChineseAmount (words: string): bigint {
  const negative = words.startsWith('负')
  let aboveYi = 0n
  let aboveWan = 0n
  let section = 0n
  let digit = 0n
  let yuan = 0n
  let fraction = 0n
  for (const character of negative ? words.slice(1) : words) {
    if (DIGIT_VALUES.has(character)) {
      digit = DIGIT_VALUES.get(character)!
    } else if (SMALL_UNITS.has(character)) {
      section += digit * SMALL_UNITS.get(character)!
      digit = 0n
    } else if (character === '万') {
      aboveWan = (aboveWan + section + digit) * 10_000n
      section = digit = 0n
    } else if (character === '亿') {
      aboveYi = (aboveYi + aboveWan + section + digit) * 100_000_000n
      aboveWan = section = digit = 0n
    } else if (character === '元') {
      yuan = aboveYi + aboveWan + section + digit
      digit = 0n
    } else if (character === '角') {
      fraction += digit * 10n
      digit = 0n
    } else if (character === '分') {
      fraction += digit
      digit = 0n
    } else if (character !== '整') {
      throw new Error(`unexpected ${character}`)
    }
  }
  const amount = yuan * 100n + fraction
  return negative ? -amount : amount
}

t.test('capital numerals read back to the amount and follow the writing rules', async (t) => {
  const anyAmount = fc.oneof(fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), fc.bigInt({ min: 0n, max: 10n ** 6n }),
    // sparse amounts exercise the zero rules: digits separated by runs of zeros
    fc.array(fc.tuple(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 9 })), { maxLength: 4 })
      .map((digits) => digits.reduce((sum, [place, digit]) => sum + BigInt(digit) * 10n ** BigInt(place), 0n) % 10n ** 18n))
  fc.assert(fc.property(anyAmount, (amount) => {
    const words = amountInChineseWords(amount)
    if (amount === 0n) return words === '零元整'
    return readChineseAmount(words) === amount &&
      !/零零/.test(words) && // one 零 stands for any run of zeros
      !/零[万亿元角分整]/.test(words) && // never a zero right before a unit or the end
      !/^负?零/.test(words) &&
      /(整|分)$/.test(words)
  }), { numRuns: 2000 })
})
