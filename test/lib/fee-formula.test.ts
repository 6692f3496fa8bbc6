import fc from 'fast-check'
import t from 'tap'
import { compileFormula, decimalText, evaluateFormula, FormulaError, formulaShape, parseParameterValue, perUnitAmount, type CompiledFormula, type FeeParameter } from '../../src/lib/fee-formula.ts'

const price: FeeParameter = { name: 'price', label: '成交价', unit: '元', scale: 2 }
const area: FeeParameter = { name: 'area', label: '建筑面积', unit: '㎡', scale: 2, max: '100000' }
const floors: FeeParameter = { name: 'floors', label: '层数', scale: 0, min: '1', max: '99' }
const x: FeeParameter = { name: 'x', label: 'x', scale: 4, min: '-1000' }
const everything = [price, area, floors, x]

const fee = (source: string, values: Record<string, string>, declared = everything) =>
  evaluateFormula(compileFormula(source, declared), values)

/** The error a formula gets when it is saved, and where it points. */
function compileError (source: string, declared: FeeParameter[] = everything): { message: string, position: number | null } {
  try {
    compileFormula(source, declared)
  } catch (error) {
    if (error instanceof FormulaError) return { message: error.message, position: error.position }
    throw error
  }
  throw new Error(`${source} compiled`)
}

/** 123456n with 4 places → "12.3456"; -5n → "-0.0005" */
function decimal (scaled: bigint, places: number): string {
  const negative = scaled < 0n
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -places)}.${digits.slice(-places)}`
}

/** The reference rounding, written independently of the module: n / d to an integer, halves away from zero. */
function roundHalfAwayFromZero (n: bigint, d: bigint): bigint {
  const quotient = n / d
  const remainder = n % d
  if (2n * (remainder < 0n ? -remainder : remainder) < d) return quotient
  return n < 0n ? quotient - 1n : quotient + 1n
}

function refusedAsNegative (evaluate: () => bigint): boolean {
  try {
    evaluate()
    return false
  } catch (error) {
    return error instanceof FormulaError && /negative fee/.test(error.message)
  }
}

t.test('progressive tiers charge each rate on its own slice (差额定率累进)', async (t) => {
  const tiers = compileFormula('progressive(price, 1000000, 0.01, 5000000, 0.007, 0.005)', [price])
  const charge = (value: string) => evaluateFormula(tiers, { price: value })
  t.equal(charge('6000000'), 4_300_000n, '1,000,000 × 1% + 4,000,000 × 0.7% + 1,000,000 × 0.5% = 43,000 yuan')
  t.equal(charge('0'), 0n)
  t.equal(charge('500000'), 500_000n, 'inside the first tier')
  t.equal(charge('1000000'), 1_000_000n, 'exactly on the first bound')
  t.equal(charge('3000000'), 2_400_000n, '10,000 + 2,000,000 × 0.7%')
  t.equal(charge('5000000'), 3_800_000n, 'exactly on the last bound')
  t.equal(charge('1000000.01'), 1_000_000n, 'one fen into the second tier adds 0.007 fen, which rounds away')
  t.equal(charge('1000000.72'), 1_000_001n, '0.72 yuan × 0.7% = 0.504 fen rounds up')
  t.equal(fee('progressive(x, 100, 0.5, 0.1)', { x: '300' }), 7_000n, 'one bound: 50 + 20 yuan')
  t.equal(fee('progressive(x, area, 0.5, 0.1)', { x: '300', area: '100' }), 7_000n, 'a bound may be a parameter')
  t.throws(() => fee('progressive(x, area, 0.5, 200, 0.2, 0.1)', { x: '300', area: '300' }), { name: 'FormulaError', position: 26 },
    'a parameter bound out of order is refused when evaluated, pointing at the later bound')
  t.throws(() => fee('progressive(x, 100, 0.5, 0.1)', { x: '-1' }), { message: /negative amount/, position: 0 })
})

t.test('progressive() agrees with adding up the tiers by hand', async (t) => {
  // amounts in fen, rates in ten-thousandths: the reference works in yuan × 10^6, all integers
  const rate = fc.bigInt({ min: 0n, max: 10_000n })
  fc.assert(fc.property(
    fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.uniqueArray(fc.bigInt({ min: 1n, max: 10n ** 11n }), { minLength: 1, maxLength: 4 }),
    fc.array(rate, { minLength: 5, maxLength: 5 }),
    (amount, unsortedBounds, rates) => {
      const bounds = unsortedBounds.sort((a, b) => (a < b ? -1 : 1))
      const args = bounds.flatMap((bound, index) => [decimal(bound, 2), decimal(rates[index]!, 4)])
      const source = `progressive(price, ${args.join(', ')}, ${decimal(rates[4]!, 4)})`
      let reference = 0n
      let lower = 0n
      for (const [index, bound] of bounds.entries()) {
        const top = amount < bound ? amount : bound
        if (top > lower) reference += (top - lower) * rates[index]!
        lower = bound
      }
      if (amount > lower) reference += (amount - lower) * rates[4]!
      return fee(source, { price: decimal(amount, 2) }, [price]) === roundHalfAwayFromZero(reference, 10_000n)
    }))
})

t.test('minimum and maximum charges, and conditions', async (t) => {
  const capped = compileFormula('min(max(area * 1.5, 50), 2000)', [area])
  t.equal(evaluateFormula(capped, { area: '10' }), 5_000n, 'the 50 yuan floor')
  t.equal(evaluateFormula(capped, { area: '100' }), 15_000n)
  t.equal(evaluateFormula(capped, { area: '99999' }), 200_000n, 'the 2,000 yuan cap')
  t.equal(fee('min(3, 1, 2) + max(0.5, 0.25, 0.75)', {}), 175n, 'any number of arguments')

  const stepped = compileFormula('if(area <= 100, 200, 200 + (area - 100) * 1.2)', [area])
  t.equal(evaluateFormula(stepped, { area: '100' }), 20_000n)
  t.equal(evaluateFormula(stepped, { area: '100.5' }), 20_060n)
  t.equal(fee('if(floors > 1 - 1, 1000 / floors, 0)', { floors: '3' }), 33_333n, 'the condition is an expression')
  t.equal(fee('if(x != 0, 100 / x, 0)', { x: '0' }), 0n, 'the branch not taken is not evaluated, so it cannot divide by zero')
  t.equal(fee('if(x, 1, 2)', { x: '0.0001' }), 100n, 'any value other than zero is true')
  t.equal(fee('10 * (area >= 50) + 5', { area: '50' }), 1_500n, 'a comparison is 1 or 0')
  for (const [operator, expected] of [['<', 0n], ['<=', 100n], ['>', 0n], ['>=', 100n], ['==', 100n], ['!=', 0n]] as const) {
    t.equal(fee(`2 ${operator} 2`, {}), expected, `2 ${operator} 2`)
  }
  t.equal(fee('2 < 3 + 1', {}), 100n, 'comparison binds loosest')
  t.equal(fee('-2 * -3 - -1', {}), 700n, 'unary minus')
  t.equal(fee('20 - 8 / 2 * 3 - 1', {}), 700n, 'left to right, * and / before + and -')
})

t.test('arithmetic is exact and rounds to fen once, half away from zero', async (t) => {
  t.equal(fee('if(0.1 + 0.2 == 0.3, 1, 0)', {}), 100n, '0.1 + 0.2 is exactly 0.3')
  t.equal(fee('1 / 3 * 3', {}), 100n)
  t.equal(fee('price / 7 * 7', { price: '1234.56' }), 123_456n)
  t.equal(fee('price * 1', { price: '1.005' }, [{ ...price, scale: 3 }]), 101n, '1.005 yuan is 101 fen (as a float it is just below)')
  t.equal(fee('x * 0.001', { x: '5' }), 1n, '0.005 yuan rounds up')
  t.equal(fee('x * 0.001', { x: '4.9999' }), 0n, 'just below half a fen rounds down')
  t.equal(fee('x / 3', { x: '0.01' }), 0n, 'a third of a fen')
  t.equal(fee('x / 3', { x: '0.02' }), 1n, 'two thirds of a fen')
  t.equal(fee('0.125 + 0.125 + 0.125', {}), 38n, '37.5 fen summed before rounding; rounding each term would give 39')
  t.equal(fee('round(x, 0)', { x: '2.5' }), 300n)
  t.equal(fee('10 + round(x, 0)', { x: '-2.5' }), 700n, 'round() goes away from zero for negatives too')
  t.equal(fee('round(x, 2)', { x: '0.0049' }), 0n)
  t.equal(fee('round(x, 2)', { x: '0.005' }), 1n)
  t.equal(fee('10 + round(x, 2)', { x: '-0.005' }), 999n)
  t.equal(fee('round(x / 3, 4) * 3', { x: '1' }), 100n, '0.3333 × 3 = 0.9999 yuan, 99.99 fen')
  t.equal(fee('floor(x) + ceil(x)', { x: '2.7' }), 500n)
  t.equal(fee('10 + floor(x)', { x: '-1.5' }), 800n, 'floor goes down, not towards zero')
  t.equal(fee('10 + ceil(x)', { x: '-1.5' }), 900n)
  t.equal(fee('floor(x)', { x: '3' }), 300n)
})

t.test('random linear formulas agree with a bigint reference', async (t) => {
  const parameters = [0, 1, 2, 3, 4].map((index): FeeParameter => ({ name: `p${index}`, label: `p${index}`, scale: 2 }))
  // coefficients with 4 decimals, values with 2: the reference works in yuan × 10^6
  const coefficient = fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n })
  const value = fc.bigInt({ min: 0n, max: 10n ** 10n })
  fc.assert(fc.property(
    fc.array(fc.tuple(coefficient, value), { minLength: 1, maxLength: 5 }), coefficient,
    (terms, constant) => {
      const source = `${terms.map(([c], index) => `${decimal(c, 4)} * p${index}`).join(' + ')} + ${decimal(constant, 4)}`
      const values = Object.fromEntries(terms.map(([, v], index) => [`p${index}`, decimal(v, 2)]))
      const reference = terms.reduce((sum, [c, v]) => sum + c * v, constant * 100n)
      if (reference < 0n) return refusedAsNegative(() => fee(source, values, parameters))
      return fee(source, values, parameters) === roundHalfAwayFromZero(reference, 10_000n)
    }))
})

t.test('division undoes multiplication exactly', async (t) => {
  const scaled = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n })
  const wide: FeeParameter = { ...x, min: '-10000000000' }
  const y: FeeParameter = { ...wide, name: 'y', label: 'y' }
  fc.assert(fc.property(scaled, scaled.filter((n) => n !== 0n), (a, b) =>
    fee('10000000000 + x / y * y', { x: decimal(a, 2), y: decimal(b, 4) }, [wide, y]) === fee('10000000000 + x', { x: decimal(a, 2) }, [wide])))
})

t.test('a compiled formula is a reusable, inert handle', async (t) => {
  const formula = compileFormula('if(floors > 1, area * floors, area) * 2 + price * 0', everything)
  t.same(formula.parameters, ['floors', 'area', 'price'], 'the parameters used, in order of first use')
  t.equal(formula.source, 'if(floors > 1, area * floors, area) * 2 + price * 0')
  t.ok(Object.isFrozen(formula) && Object.isFrozen(formula.parameters))
  for (let count = 1; count <= 20; count++) {
    t.equal(evaluateFormula(formula, { floors: String(count), area: '10.5', price: '1' }), BigInt(count > 1 ? 2100 * count : 2100))
  }
  t.same(JSON.parse(JSON.stringify(formula)), { source: formula.source, parameters: ['floors', 'area', 'price'] }, 'no syntax tree leaks out')
  const lookalike: CompiledFormula = { source: formula.source, parameters: formula.parameters }
  t.throws(() => evaluateFormula(lookalike, {}), TypeError, 'only compileFormula makes formulas')
})

t.test('parameter values are plain decimals within the declaration', async (t) => {
  t.same(parseParameterValue(area, '120.50'), { n: 241n, d: 2n }, 'an exact rational in lowest terms')
  t.same(parseParameterValue(area, ' 12 '), { n: 12n, d: 1n }, 'surrounding spaces are ignored')
  t.same(parseParameterValue(floors, '3.00'), { n: 3n, d: 1n }, 'trailing zeros add no precision')
  t.same(parseParameterValue(x, '-5.5'), { n: -11n, d: 2n }, 'negative where the declared min allows')
  t.throws(() => parseParameterValue(area, '120.505'), { name: 'FormulaError', message: '建筑面积 (area) accepts at most 2 decimal places' })
  t.throws(() => parseParameterValue(floors, '3.5'), { message: '层数 (floors) must be a whole number' })
  t.throws(() => parseParameterValue(floors, '0'), { message: '层数 (floors) must be at least 1' })
  t.throws(() => parseParameterValue(floors, '100'), { message: '层数 (floors) must be at most 99' })
  t.throws(() => parseParameterValue(area, '100000.01'), { message: '建筑面积 (area) must be at most 100000 ㎡' })
  t.throws(() => parseParameterValue(area, '-1'), { message: '建筑面积 (area) must be at least 0 ㎡' }, 'not negative unless declared')
  for (const text of ['', '1,200', '1e3', '.5', '5.', '+5', '１２', '12元', 'NaN', '0x10', '1'.repeat(41)]) {
    t.throws(() => parseParameterValue(area, text), { message: '建筑面积 (area) must be a number such as 12 or 0.5' }, JSON.stringify(text))
  }
})

t.test('values handed to a formula must match its declaration', async (t) => {
  const formula = compileFormula('area * 2', [area, floors])
  t.equal(evaluateFormula(formula, { area: '1' }), 200n, 'a declared parameter the formula does not use may be left out')
  t.equal(evaluateFormula(formula, { area: '1', floors: '2' }), 200n)
  t.throws(() => evaluateFormula(formula, { area: '1', floors: '0' }), { message: /层数 \(floors\) must be at least 1/ }, 'but if given, it is checked')
  t.throws(() => evaluateFormula(formula, {}), { message: '建筑面积 (area) is missing', position: null })
  t.throws(() => evaluateFormula(formula, { area: '1', aera: '2' }), { message: 'unknown parameter aera' })
  t.throws(() => evaluateFormula(formula, JSON.parse('{"area": "1", "__proto__": "2"}')), { message: 'unknown parameter __proto__' })
  t.throws(() => evaluateFormula(formula, { area: 5 as unknown as string }), FormulaError, 'a number instead of a string')
  t.throws(() => fee('x - 10', { x: '5' }), { message: /negative fee/ })
  t.equal(fee('x - 5', { x: '5' }), 0n, 'a zero fee is allowed')
  t.throws(() => fee('price * price', { price: '99999999999' }), { message: /larger than any amount/ })
  t.throws(() => fee('1 + x / (x - 2)', { x: '2' }), { message: 'division by zero', position: 6 })
})

t.test('mistakes in a formula are reported where they are', async (t) => {
  const cases: Array<[string, RegExp, number]> = [
    ['1 +', /ends too soon/, 3],
    ['area * / 2', /unexpected \//, 7],
    ['area 2', /unexpected 2/, 5],
    ['price * 1e5', /unexpected e5/, 9],
    ['areaa * 2', /unknown parameter areaa/, 0],
    ['price + sqrt(area)', /unknown function sqrt/, 8],
    ['price + MAX(area, 1)', /unknown function MAX/, 8],
    ['min + 1', /min is a function/, 0],
    ['area(2)', /area is a parameter, not a function/, 0],
    ['min(area)', /min\(\) takes at least 2 arguments/, 0],
    ['1 + if(area, 1)', /if\(\) takes 3 arguments/, 4],
    ['floor()', /floor\(\) takes 1 argument/, 0],
    ['round(area, x)', /decimal places/, 12],
    ['round(area, 1.5)', /decimal places/, 12],
    ['round(area, 5)', /decimal places/, 12],
    ['progressive(price, 100, 0.1)', /progressive\(amount, bound1/, 0],
    ['progressive(price, 100, 0.1, 50, 0.2, 0.3)', /bounds must be positive and increasing/, 29],
    ['progressive(price, 0, 0.1, 0.2)', /bounds must be positive and increasing/, 19],
    ['(area * 2', /expected \) but found the end of the formula/, 9],
    ['area * 2)', /unexpected \)/, 8],
    ['max(area, 2', /expected \)/, 11],
    ['2 * （area）', /full-width （ — type the ASCII \(/, 4],
    ['area × 2', /unexpected character ×/, 5],
    ['area = 2', /use ==/, 5],
    ['1 < 2 < 3', /cannot be chained/, 6],
    ['area * .5', /digits before its decimal point/, 7],
    ['1.2.3', /at most one decimal point/, 0],
    ['', /ends too soon/, 0]
  ]
  for (const [source, message, position] of cases) t.match(compileError(source), { message, position }, source)
})

t.test('declarations are checked when a formula is compiled', async (t) => {
  t.match(compileError('1', [{ name: '1st', label: 'first', scale: 0 }]), { message: /parameter name "1st"/, position: null })
  t.match(compileError('1', [{ name: 'round', label: 'round', scale: 0 }]), { message: /name of a function/ })
  t.match(compileError('1', [area, { ...area }]), { message: /declared twice/ })
  t.match(compileError('1', [{ ...area, scale: 5 }]), { message: /decimal places of 建筑面积 \(area\) must be 0 to 4/ })
  t.match(compileError('1', [{ ...area, scale: 1.5 }]), { message: /decimal places/ })
  t.match(compileError('1', [{ ...area, min: 'ten' }]), { message: /min of 建筑面积 \(area\) is not a decimal number/ })
  t.match(compileError('1', [{ ...area, min: '10', max: '9' }]), { message: /above its max/ })
})

t.test('hostile formulas hit limits instead of the CPU', async (t) => {
  t.match(compileError('1' + ' '.repeat(500)), { message: /at most 500 characters/, position: 500 })
  t.doesNotThrow(() => compileFormula('1' + ' + 1'.repeat(99), []), '199 tokens')
  t.match(compileError('1' + ' + 1'.repeat(100)), { message: /at most 200 tokens/, position: 400 })
  t.equal(fee('('.repeat(32) + '1' + ')'.repeat(32), {}), 100n, '32 levels of parentheses')
  t.match(compileError('('.repeat(33) + '1' + ')'.repeat(33)), { message: /nests at most 32 levels/, position: 32 })
  t.match(compileError('min(1, '.repeat(33) + '1' + ')'.repeat(33)), { message: /nests at most 32 levels/, position: 7 * 32 + 3 })
  t.match(compileError('-'.repeat(33) + '1'), { message: /nests at most 32 levels/, position: 32 })
  t.match(compileError('1' + '0'.repeat(41)), { message: /exceeds 10\^40/, position: 0 }, 'a literal beyond 10^40')
  t.match(compileError('area + 0.' + '0'.repeat(40) + '1'), { message: /exceeds 10\^40/, position: 7 }, 'a literal finer than 10^-40')
  t.throws(() => fee('1' + ' / 3'.repeat(90), {}), { message: /exceeds 10\^40/, position: 2 + 4 * 83 },
    'repeated division: 3^84 is the first power of 3 beyond 10^40')
  t.throws(() => fee('x * x * x * x * x', { x: '1000000000' }), { message: /exceeds 10\^40/, position: 14 },
    'values can push an intermediate beyond the bound too: (10^9)^5')
})

t.test('unit price times a decimal quantity', async (t) => {
  t.equal(perUnitAmount(250n, '1.5', 1), 375n)
  t.equal(perUnitAmount(333n, '0.5', 1), 167n, '166.5 fen rounds half away from zero')
  t.equal(perUnitAmount(333n, '0.25', 2), 83n, '83.25 fen')
  t.equal(perUnitAmount(1n, '0.5', 1), 1n)
  t.equal(perUnitAmount(1n, '0.4999', 4), 0n)
  t.equal(perUnitAmount(250n, '2.50', 1), 625n, 'trailing zeros are fine')
  t.equal(perUnitAmount(0n, '7', 0), 0n)
  t.equal(perUnitAmount(9_900n, '12', 0), 118_800n)
  t.throws(() => perUnitAmount(250n, '1.25', 1), { name: 'FormulaError', message: /at most 1 decimal places/ })
  t.throws(() => perUnitAmount(250n, '1.5', 0), { message: /whole number/ })
  t.throws(() => perUnitAmount(250n, '-1', 0), { message: /at least 0/ })
  t.throws(() => perUnitAmount(250n, 'two', 0), FormulaError)
  t.throws(() => perUnitAmount(10n ** 15n, '100', 0), { message: /larger than any amount/ })
  t.throws(() => perUnitAmount(-1n, '1', 0), RangeError)
  t.throws(() => perUnitAmount(1n, '1', 5), RangeError)
})

t.test('the shape of a standard, for reading it in words', async (t) => {
  const price = [{ name: 'price', label: '成交价', unit: '元', scale: 2 }, { name: 'area', label: '面积', scale: 2 }]
  const shape = (source: string) => {
    const found = formulaShape(compileFormula(source, price))
    return found && { ...found, brackets: found.brackets.map((b) => [decimalText(b.from), b.to && decimalText(b.to), decimalText(b.rate)]), floor: found.floor && decimalText(found.floor), cap: found.cap && decimalText(found.cap) }
  }
  t.same(shape('max(progressive(price, 1000000, 0.01, 5000000, 0.007, 0.005), 500)'), {
    parameter: 'price', brackets: [['0', '1000000', '0.01'], ['1000000', '5000000', '0.007'], ['5000000', null, '0.005']], floor: '500', cap: null
  })
  t.same(shape('min(100000, max(500, 0.002 * price))'), { parameter: 'price', brackets: [['0', null, '0.002']], floor: '500', cap: '100000' })
  t.same(shape('area * 2.5'), { parameter: 'area', brackets: [['0', null, '2.5']], floor: null, cap: null })
  for (const other of ['price * 0.01 + 5', 'max(max(price * 0.01, 5), 6)', 'progressive(price * 2, 100, 0.1, 0.2)', 'progressive(price, 100, 0.1, area)', 'max(price, area)', 'if(price > 5, 1, 2)']) {
    t.equal(shape(other), null, `${other} is shown as written`)
  }
})

t.test('exact decimals as text', async (t) => {
  const text = (n: bigint, d: bigint) => decimalText({ n, d })
  t.equal(text(7n, 1000n), '0.007')
  t.equal(text(-3n, 4n), '-0.75')
  t.equal(text(5000000n, 1n), '5000000')
  t.equal(text(0n, 1n), '0')
  t.equal(text(1n, 3n), '0.333333', 'a rational with no finite decimal is rounded to six places')
})
