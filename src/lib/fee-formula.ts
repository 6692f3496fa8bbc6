/**
 * Fee standards (收费标准) written as formulas over declared parameters, e.g. a land-transaction
 * service fee charged by 差额定率累进 tiers with a floor: `max(progressive(price, 1000000, 0.01,
 * 5000000, 0.007, 0.005), 500)`. Standards are published in yuan, so a formula's value is yuan;
 * the amount charged is that value rounded half away from zero to whole fen, once, at the end.
 *
 * Arithmetic is exact: literals and parameter values become rationals of bigints (0.1 + 0.2 is
 * 3/10, and 1 / 3 * 3 is 1), never floating-point numbers, so the fee a payer is asked for does
 * not depend on evaluation order or on how a decimal happened to be represented.
 *
 * The language is small on purpose — numbers, declared parameters, + - * /, comparisons (1 or
 * 0), min max floor ceil round if progressive — and bounded (source length, tokens, nesting,
 * size of every intermediate value), because formulas are typed in by administrators and one
 * must not be able to stall the server.
 */
import { MAX_FEN } from './money.ts'

export interface FeeParameter {
  name: string
  label: string
  unit?: string
  /** decimal strings; without `min` a value must not be negative */
  min?: string
  max?: string
  /** the most decimal places a value may have, 0..4 */
  scale: number
}

export interface CompiledFormula {
  readonly source: string
  /** the parameters the formula uses, in order of first use */
  readonly parameters: readonly string[]
}

/** An exact rational number: gcd(n, d) = 1 and d > 0. */
export interface Rational {
  readonly n: bigint
  readonly d: bigint
}

export class FormulaError extends Error {
  /** offset in the formula source (0-based) when the error belongs to a place in it */
  readonly position: number | null

  constructor (message: string, position: number | null = null) {
    super(message)
    this.name = 'FormulaError'
    this.position = position
  }
}

const MAX_SOURCE_LENGTH = 500
const MAX_TOKENS = 200
const MAX_DEPTH = 32
/** Bounds every numerator and denominator, so each operation costs at most a few small bigint steps. */
const MAX_MAGNITUDE = 10n ** 40n
const MAX_SCALE = 4
const MAX_VALUE_LENGTH = 40

const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/

type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!='
const COMPARISONS: ReadonlySet<string> = new Set<Comparison>(['<', '<=', '>', '>=', '==', '!='])
type FunctionName = 'min' | 'max' | 'floor' | 'ceil' | 'round' | 'if' | 'progressive'

const FUNCTIONS: Record<FunctionName, { accepts: (count: number) => boolean, expected: string }> = {
  min: { accepts: (count) => count >= 2, expected: 'at least 2 arguments' },
  max: { accepts: (count) => count >= 2, expected: 'at least 2 arguments' },
  floor: { accepts: (count) => count === 1, expected: '1 argument' },
  ceil: { accepts: (count) => count === 1, expected: '1 argument' },
  round: { accepts: (count) => count === 2, expected: '2 arguments: round(value, decimal places)' },
  if: { accepts: (count) => count === 3, expected: '3 arguments: if(condition, then, else)' },
  // x, then (bound, rate) pairs, then the rate above the last bound
  progressive: {
    accepts: (count) => count >= 4 && count % 2 === 0,
    expected: 'progressive(amount, bound1, rate1, …, boundN, rateN, rateAboveLastBound)'
  }
}

function isFunctionName (name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name)
}

type Node = { position: number } & (
  | { kind: 'number', value: Rational }
  | { kind: 'parameter', name: string }
  | { kind: 'negate', operand: Node }
  | { kind: 'arithmetic', operator: '+' | '-' | '*' | '/', left: Node, right: Node }
  | { kind: 'compare', operator: Comparison, left: Node, right: Node }
  | { kind: 'round', operand: Node, digits: number }
  | { kind: 'call', name: Exclude<FunctionName, 'round'>, args: Node[] }
)

interface Program {
  root: Node
  declared: ReadonlyMap<string, FeeParameter>
}

/** The AST stays private to this module; a CompiledFormula is an inert, reusable handle. */
const programs = new WeakMap<CompiledFormula, Program>()

// ---- exact rationals -------------------------------------------------------------------------

function gcd (a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

function rational (n: bigint, d: bigint, position: number | null): Rational {
  if (d < 0n) [n, d] = [-n, -d]
  const divisor = gcd(n < 0n ? -n : n, d)
  if (divisor > 1n) [n, d] = [n / divisor, d / divisor]
  if (n > MAX_MAGNITUDE || -n > MAX_MAGNITUDE || d > MAX_MAGNITUDE) {
    throw new FormulaError('a value in the calculation exceeds 10^40 (numerator or denominator)', position)
  }
  return { n, d }
}

const ZERO: Rational = { n: 0n, d: 1n }
const ONE: Rational = { n: 1n, d: 1n }

const add = (a: Rational, b: Rational, at: number) => rational(a.n * b.d + b.n * a.d, a.d * b.d, at)
const subtract = (a: Rational, b: Rational, at: number) => rational(a.n * b.d - b.n * a.d, a.d * b.d, at)
const multiply = (a: Rational, b: Rational, at: number) => rational(a.n * b.n, a.d * b.d, at)

function compare (a: Rational, b: Rational): -1 | 0 | 1 {
  const left = a.n * b.d
  const right = b.n * a.d
  return left < right ? -1 : left > right ? 1 : 0
}

function floorDivide (n: bigint, d: bigint): bigint {
  const quotient = n / d
  return n < 0n && quotient * d !== n ? quotient - 1n : quotient
}

/** n / d (d > 0) rounded to an integer, halves away from zero — the rounding fee rules prescribe. */
function divideRoundingHalfAway (n: bigint, d: bigint): bigint {
  const magnitude = n < 0n ? -n : n
  const quotient = magnitude / d + ((magnitude % d) * 2n >= d ? 1n : 0n)
  return n < 0n ? -quotient : quotient
}

function parseDecimal (text: string, position: number | null): Rational | null {
  const match = DECIMAL.exec(text)
  if (!match) return null
  const [, sign, whole, fraction = ''] = match
  const n = BigInt(whole! + fraction)
  return rational(sign ? -n : n, 10n ** BigInt(fraction.length), position)
}

// ---- parameter values ------------------------------------------------------------------------

function describe (parameter: FeeParameter): string {
  return parameter.label && parameter.label !== parameter.name ? `${parameter.label} (${parameter.name})` : parameter.name
}

function declaredBound (parameter: FeeParameter, which: 'min' | 'max'): Rational | null {
  const text = parameter[which]
  if (text === undefined) return null
  const bound = parseDecimal(text, null)
  if (!bound) throw new FormulaError(`the ${which} of ${describe(parameter)} is not a decimal number: ${JSON.stringify(text)}`)
  return bound
}

function checkDeclaration (parameter: FeeParameter): void {
  if (!IDENTIFIER.test(parameter.name)) throw new FormulaError(`parameter name ${JSON.stringify(parameter.name)} must be letters, digits and _ and not start with a digit`)
  if (isFunctionName(parameter.name)) throw new FormulaError(`parameter name ${parameter.name} is the name of a function`)
  if (!Number.isInteger(parameter.scale) || parameter.scale < 0 || parameter.scale > MAX_SCALE) {
    throw new FormulaError(`the decimal places of ${describe(parameter)} must be 0 to ${MAX_SCALE}`)
  }
  const min = declaredBound(parameter, 'min')
  const max = declaredBound(parameter, 'max')
  if (min && max && compare(min, max) > 0) throw new FormulaError(`the min of ${describe(parameter)} is above its max`)
}

/** A value typed in for `parameter`: a plain decimal within its decimal places, min and max. */
export function parseParameterValue (parameter: FeeParameter, value: string): Rational {
  checkDeclaration(parameter)
  const subject = describe(parameter)
  const unit = parameter.unit ? ` ${parameter.unit}` : ''
  const text = typeof value === 'string' ? value.trim() : ''
  const parsed = text.length <= MAX_VALUE_LENGTH ? parseDecimal(text, null) : null
  if (!parsed) throw new FormulaError(`${subject} must be a number such as 12 or 0.5`)
  // trailing zeros carry no precision: "3.00" rooms is 3 rooms
  const decimals = (DECIMAL.exec(text)![3] ?? '').replace(/0+$/, '').length
  if (decimals > parameter.scale) {
    throw new FormulaError(parameter.scale === 0 ? `${subject} must be a whole number` : `${subject} accepts at most ${parameter.scale} decimal places`)
  }
  const min = declaredBound(parameter, 'min') ?? ZERO
  if (compare(parsed, min) < 0) throw new FormulaError(`${subject} must be at least ${parameter.min ?? '0'}${unit}`)
  const max = declaredBound(parameter, 'max')
  if (max && compare(parsed, max) > 0) throw new FormulaError(`${subject} must be at most ${parameter.max!}${unit}`)
  return parsed
}

// ---- tokens and parsing ----------------------------------------------------------------------

interface Token {
  kind: 'number' | 'name' | 'symbol' | 'end'
  text: string
  position: number
}

function tokenise (source: string): Token[] {
  const tokens: Token[] = []
  const pattern = /(\d+(?:\.\d+)?)|([a-zA-Z_][a-zA-Z0-9_]*)|(<=|>=|==|!=|[-+*/(),<>])/y
  let index = 0
  for (;;) {
    while (index < source.length && /\s/.test(source[index]!)) index++
    if (index >= source.length) break
    if (tokens.length === MAX_TOKENS) throw new FormulaError(`a formula has at most ${MAX_TOKENS} tokens`, index)
    pattern.lastIndex = index
    const match = pattern.exec(source)
    if (!match) throw new FormulaError(unexpectedCharacter(source, index), index)
    const [, number, name, symbol] = match
    const text = (number ?? name ?? symbol)!
    const position = index
    if (number !== undefined && source[pattern.lastIndex] === '.') {
      throw new FormulaError('a number is digits with at most one decimal point and digits after it, such as 0.5', position)
    }
    tokens.push({ kind: number !== undefined ? 'number' : name !== undefined ? 'name' : 'symbol', text, position })
    index = pattern.lastIndex
  }
  tokens.push({ kind: 'end', text: '', position: source.length })
  return tokens
}

function unexpectedCharacter (source: string, index: number): string {
  const character = String.fromCodePoint(source.codePointAt(index)!)
  const code = character.codePointAt(0)!
  // full-width punctuation and digits from a Chinese input method: name the ASCII one to type
  if (code >= 0xff01 && code <= 0xff5e) return `full-width ${character} — type the ASCII ${String.fromCharCode(code - 0xfee0)} instead`
  if (character === '=') return 'use == to compare'
  if (character === '.') return 'a number needs digits before its decimal point, such as 0.5'
  return `unexpected character ${character}`
}

function parse (source: string, declared: ReadonlyMap<string, FeeParameter>, used: Set<string>): Node {
  const tokens = tokenise(source)
  let index = 0
  let depth = 0
  const peek = () => tokens[index]!
  const next = () => tokens[index++]!
  const describeToken = (token: Token) => token.kind === 'end' ? 'the end of the formula' : token.text
  const unexpected = (token: Token) => new FormulaError(token.kind === 'end' ? 'the formula ends too soon' : `unexpected ${token.text}`, token.position)

  function expect (text: string): Token {
    const token = next()
    if (token.text !== text || token.kind !== 'symbol') throw new FormulaError(`expected ${text} but found ${describeToken(token)}`, token.position)
    return token
  }

  function nested<T> (position: number, parseInner: () => T): T {
    if (++depth > MAX_DEPTH) throw new FormulaError(`a formula nests at most ${MAX_DEPTH} levels deep`, position)
    const inner = parseInner()
    depth--
    return inner
  }

  function comparison (): Node {
    const left = additive()
    const operator = peek()
    if (operator.kind !== 'symbol' || !COMPARISONS.has(operator.text)) return left
    next()
    const right = additive()
    const following = peek()
    if (following.kind === 'symbol' && COMPARISONS.has(following.text)) {
      throw new FormulaError('comparisons cannot be chained; nest if() instead', following.position)
    }
    return { kind: 'compare', operator: operator.text as Comparison, left, right, position: operator.position }
  }

  function additive (): Node {
    let left = multiplicative()
    while (peek().kind === 'symbol' && (peek().text === '+' || peek().text === '-')) {
      const operator = next()
      left = { kind: 'arithmetic', operator: operator.text as '+' | '-', left, right: multiplicative(), position: operator.position }
    }
    return left
  }

  function multiplicative (): Node {
    let left = unary()
    while (peek().kind === 'symbol' && (peek().text === '*' || peek().text === '/')) {
      const operator = next()
      left = { kind: 'arithmetic', operator: operator.text as '*' | '/', left, right: unary(), position: operator.position }
    }
    return left
  }

  function unary (): Node {
    const token = peek()
    if (token.kind === 'symbol' && token.text === '-') {
      next()
      return nested(token.position, () => ({ kind: 'negate', operand: unary(), position: token.position }))
    }
    return primary()
  }

  function primary (): Node {
    const token = next()
    if (token.kind === 'number') return { kind: 'number', value: parseDecimal(token.text, token.position)!, position: token.position }
    if (token.kind === 'symbol' && token.text === '(') {
      const inner = nested(token.position, comparison)
      expect(')')
      return inner
    }
    if (token.kind === 'name') {
      const isCall = peek().kind === 'symbol' && peek().text === '('
      if (isCall) return call(token)
      if (isFunctionName(token.text)) throw new FormulaError(`${token.text} is a function: write ${token.text}(…)`, token.position)
      if (!declared.has(token.text)) throw new FormulaError(`unknown parameter ${token.text}`, token.position)
      used.add(token.text)
      return { kind: 'parameter', name: token.text, position: token.position }
    }
    throw unexpected(token)
  }

  function call (nameToken: Token): Node {
    const name = nameToken.text
    if (!isFunctionName(name)) {
      throw new FormulaError(declared.has(name) ? `${name} is a parameter, not a function` : `unknown function ${name}`, nameToken.position)
    }
    const open = expect('(')
    const args = nested(open.position, () => {
      const parsed: Node[] = []
      if (peek().kind === 'symbol' && peek().text === ')') return parsed
      parsed.push(comparison())
      while (peek().kind === 'symbol' && peek().text === ',') {
        next()
        parsed.push(comparison())
      }
      return parsed
    })
    expect(')')
    if (!FUNCTIONS[name].accepts(args.length)) throw new FormulaError(`${name}() takes ${FUNCTIONS[name].expected}`, nameToken.position)
    const position = nameToken.position
    if (name === 'round') {
      const digits = args[1]!
      if (digits.kind !== 'number' || digits.value.d !== 1n || digits.value.n > BigInt(MAX_SCALE)) {
        throw new FormulaError(`round() takes its decimal places as a whole number 0 to ${MAX_SCALE}`, digits.position)
      }
      return { kind: 'round', operand: args[0]!, digits: Number(digits.value.n), position }
    }
    if (name === 'progressive') checkLiteralBounds(args)
    return { kind: 'call', name, args, position }
  }

  const root = comparison()
  const rest = peek()
  if (rest.kind !== 'end') throw unexpected(rest)
  return root
}

/** Tier bounds written as literals are checked when the formula is saved, not when a fee is due. */
function checkLiteralBounds (args: Node[]): void {
  let previous = ZERO
  for (let index = 1; index < args.length - 1; index += 2) {
    const bound = args[index]!
    if (bound.kind !== 'number') return
    if (compare(bound.value, previous) <= 0) throw new FormulaError('progressive() bounds must be positive and increasing', bound.position)
    previous = bound.value
  }
}

export function compileFormula (source: string, declared: readonly FeeParameter[]): CompiledFormula {
  if (source.length > MAX_SOURCE_LENGTH) throw new FormulaError(`a formula has at most ${MAX_SOURCE_LENGTH} characters`, MAX_SOURCE_LENGTH)
  const byName = new Map<string, FeeParameter>()
  for (const parameter of declared) {
    checkDeclaration(parameter)
    if (byName.has(parameter.name)) throw new FormulaError(`parameter ${parameter.name} is declared twice`)
    byName.set(parameter.name, parameter)
  }
  const used = new Set<string>()
  const root = parse(source, byName, used)
  const formula: CompiledFormula = Object.freeze({ source, parameters: Object.freeze([...used]) })
  programs.set(formula, { root, declared: byName })
  return formula
}

// ---- evaluation ------------------------------------------------------------------------------

function evaluate (node: Node, values: ReadonlyMap<string, Rational>): Rational {
  switch (node.kind) {
    case 'number': return node.value
    case 'parameter': return values.get(node.name)!
    case 'negate': {
      const operand = evaluate(node.operand, values)
      return { n: -operand.n, d: operand.d }
    }
    case 'arithmetic': {
      const left = evaluate(node.left, values)
      const right = evaluate(node.right, values)
      if (node.operator === '+') return add(left, right, node.position)
      if (node.operator === '-') return subtract(left, right, node.position)
      if (node.operator === '*') return multiply(left, right, node.position)
      if (right.n === 0n) throw new FormulaError('division by zero', node.position)
      return rational(left.n * right.d, left.d * right.n, node.position)
    }
    case 'compare': {
      const order = compare(evaluate(node.left, values), evaluate(node.right, values))
      const holds = { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0, '==': order === 0, '!=': order !== 0 }[node.operator]
      return holds ? ONE : ZERO
    }
    case 'round': {
      const operand = evaluate(node.operand, values)
      const scale = 10n ** BigInt(node.digits)
      return rational(divideRoundingHalfAway(operand.n * scale, operand.d), scale, node.position)
    }
    case 'call': return evaluateCall(node.name, node.args, node.position, values)
  }
}

function evaluateCall (name: Exclude<FunctionName, 'round'>, args: Node[], position: number, values: ReadonlyMap<string, Rational>): Rational {
  switch (name) {
    case 'min':
    case 'max': {
      const wanted = name === 'min' ? -1 : 1
      return args.map((arg) => evaluate(arg, values)).reduce((best, value) => compare(value, best) === wanted ? value : best)
    }
    case 'floor':
    case 'ceil': {
      const value = evaluate(args[0]!, values)
      const whole = name === 'floor' ? floorDivide(value.n, value.d) : -floorDivide(-value.n, value.d)
      return { n: whole, d: 1n }
    }
    // only the branch taken is evaluated, so if(count > 0, total / count, 0) is safe
    case 'if': return evaluate(args[compare(evaluate(args[0]!, values), ZERO) !== 0 ? 1 : 2]!, values)
    case 'progressive': return progressive(args, position, values)
  }
}

/** 差额定率累进: each rate applies only to the part of the amount inside its tier. */
function progressive (args: Node[], position: number, values: ReadonlyMap<string, Rational>): Rational {
  const amount = evaluate(args[0]!, values)
  if (amount.n < 0n) throw new FormulaError('progressive() of a negative amount', position)
  let total = ZERO
  let lower = ZERO
  for (let index = 1; index < args.length - 1; index += 2) {
    const bound = evaluate(args[index]!, values)
    if (compare(bound, lower) <= 0) throw new FormulaError('progressive() bounds must be positive and increasing', args[index]!.position)
    const rate = evaluate(args[index + 1]!, values)
    const top = compare(amount, bound) < 0 ? amount : bound
    if (compare(top, lower) > 0) total = add(total, multiply(subtract(top, lower, position), rate, position), position)
    lower = bound
  }
  if (compare(amount, lower) > 0) total = add(total, multiply(subtract(amount, lower, position), evaluate(args[args.length - 1]!, values), position), position)
  return total
}

/**
 * The fee in fen for these parameter values. Every parameter the formula uses needs a value;
 * values for declared parameters it does not use are still validated; undeclared names are
 * refused, since they mean the form and the standard disagree.
 */
export function evaluateFormula (formula: CompiledFormula, values: Record<string, string>): bigint {
  const program = programs.get(formula)
  if (!program) throw new TypeError('not a compiled formula: pass the result of compileFormula')
  for (const name of Object.keys(values)) {
    if (!program.declared.has(name)) throw new FormulaError(`unknown parameter ${name}`)
  }
  const parsed = new Map<string, Rational>()
  for (const [name, parameter] of program.declared) {
    if (Object.hasOwn(values, name)) parsed.set(name, parseParameterValue(parameter, values[name]!))
    else if (formula.parameters.includes(name)) throw new FormulaError(`${describe(parameter)} is missing`)
  }
  const yuan = evaluate(program.root, parsed)
  if (yuan.n < 0n) throw new FormulaError('the formula gives a negative fee for these values')
  const fen = divideRoundingHalfAway(yuan.n * 100n, yuan.d)
  if (fen > MAX_FEN) throw new FormulaError('the fee is larger than any amount the platform can collect')
  return fen
}

/** A unit price times a decimal quantity (1.5 tonnes, 0.5 days), rounded half away from zero to fen. */
export function perUnitAmount (unitPriceFen: bigint, quantity: string, scale: number): bigint {
  if (unitPriceFen < 0n) throw new RangeError('a unit price cannot be negative')
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) throw new RangeError(`quantity decimal places must be 0 to ${MAX_SCALE}`)
  const parsed = parseParameterValue({ name: 'quantity', label: 'quantity', scale }, quantity)
  const fen = divideRoundingHalfAway(unitPriceFen * parsed.n, parsed.d)
  if (fen > MAX_FEN) throw new FormulaError('the amount is larger than any amount the platform can collect')
  return fen
}

/**
 * The shape of a standard as the public reads it: a rate on one parameter, or 差额定率累进
 * brackets, with an optional floor (max with a number) and cap (min with a number). Null for any
 * other formula, which is then shown as written.
 */
export interface FormulaShape {
  parameter: string
  brackets: Array<{ from: Rational, to: Rational | null, rate: Rational }>
  floor: Rational | null
  cap: Rational | null
}

export function formulaShape (formula: CompiledFormula): FormulaShape | null {
  const program = programs.get(formula)
  if (!program) throw new TypeError('not a compiled formula: pass the result of compileFormula')
  let node = program.root
  let floor: Rational | null = null
  let cap: Rational | null = null
  // max(x, 500) and min(x, 100000), in either order and either argument order
  for (;;) {
    if (node.kind !== 'call' || (node.name !== 'max' && node.name !== 'min') || node.args.length !== 2) break
    const literal = node.args.find((arg) => arg.kind === 'number')
    const inner = node.args.find((arg) => arg !== literal)
    if (!literal || literal.kind !== 'number' || !inner) return null
    if (node.name === 'max' ? floor : cap) return null
    if (node.name === 'max') floor = literal.value
    else cap = literal.value
    node = inner
  }
  if (node.kind === 'arithmetic' && node.operator === '*') {
    const [parameter, rate] = node.left.kind === 'parameter' ? [node.left, node.right] : [node.right, node.left]
    if (parameter.kind !== 'parameter' || rate.kind !== 'number') return null
    return { parameter: parameter.name, brackets: [{ from: ZERO, to: null, rate: rate.value }], floor, cap }
  }
  if (node.kind === 'call' && node.name === 'progressive') {
    const [amount, ...tiers] = node.args
    if (amount?.kind !== 'parameter' || tiers.some((tier) => tier.kind !== 'number')) return null
    const values = tiers.map((tier) => (tier as { value: Rational }).value)
    const brackets: FormulaShape['brackets'] = []
    let from = ZERO
    for (let index = 0; index < values.length - 1; index += 2) {
      brackets.push({ from, to: values[index]!, rate: values[index + 1]! })
      from = values[index]!
    }
    brackets.push({ from, to: null, rate: values.at(-1)! })
    return { parameter: amount.name, brackets, floor, cap }
  }
  return null
}

/** A rational with a finite decimal expansion (every literal of a formula has one) as decimal text; others to 6 places. */
export function decimalText (value: Rational): string {
  const exact = (places: number) => 10n ** BigInt(places) % value.d === 0n
  let places = 0
  while (!exact(places) && places < 12) places++
  if (!exact(places)) places = 6
  const scaled = divideRoundingHalfAway(value.n * 10n ** BigInt(places), value.d)
  const negative = scaled < 0n
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0')
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`.replace(/\.?0+$/, '')
  return negative ? `-${text}` : text
}
