/**
 * Shamir's secret sharing over GF(256) (the AES field, polynomial x^8 + x^4 + x^3 + x + 1).
 * Each byte of the secret is the constant term of its own random polynomial of degree k − 1;
 * a share is the evaluation of all of them at a distinct non-zero x. Any k shares recover the
 * secret by Lagrange interpolation at 0; k − 1 shares are consistent with every possible secret
 * (information-theoretic secrecy), as test/lib/shamir.test.ts checks exhaustively for one byte.
 */
const EXP = new Uint8Array(510)
const LOG = new Uint8Array(256)
{
  let value = 1
  for (let power = 0; power < 255; power++) {
    EXP[power] = value
    LOG[value] = power
    // multiply by the generator 3: value * 2 (xtime) xor value
    value ^= (value << 1) ^ (value & 0x80 ? 0x11b : 0)
    value &= 0xff
  }
  for (let power = 255; power < 510; power++) EXP[power] = EXP[power - 255]!
}

export function gfMultiply (a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!
}

export function gfDivide (a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(256)')
  return a === 0 ? 0 : EXP[(LOG[a]! + 255 - LOG[b]!) % 255]!
}

/** Evaluates the polynomial with coefficients (constant first) at x, by Horner's rule. */
export function evaluate (coefficients: Uint8Array | number[], x: number): number {
  let result = 0
  for (let i = coefficients.length - 1; i >= 0; i--) result = gfMultiply(result, x) ^ coefficients[i]!
  return result
}

export interface Share {
  /** 1..255, distinct per share */
  x: number
  y: Uint8Array
}

export function splitSecret (secret: Uint8Array, shares: number, threshold: number, randomBytes: (length: number) => Uint8Array): Share[] {
  if (!Number.isInteger(threshold) || threshold < 2) throw new RangeError('the threshold must be at least 2')
  if (!Number.isInteger(shares) || shares < threshold || shares > 255) throw new RangeError('need threshold ≤ shares ≤ 255')
  const result: Share[] = Array.from({ length: shares }, (_, index) => ({ x: index + 1, y: new Uint8Array(secret.length) }))
  const coefficients = new Uint8Array(threshold)
  for (let byte = 0; byte < secret.length; byte++) {
    coefficients[0] = secret[byte]!
    coefficients.set(randomBytes(threshold - 1), 1)
    for (const share of result) share.y[byte] = evaluate(coefficients, share.x)
  }
  coefficients.fill(0)
  return result
}

/** Recovers the secret from at least `threshold` shares (extra shares are fine if consistent). */
export function combineShares (shares: Share[]): Uint8Array {
  if (shares.length < 2) throw new RangeError('at least two shares are needed')
  const length = shares[0]!.y.length
  const xs = new Set<number>()
  for (const share of shares) {
    if (!Number.isInteger(share.x) || share.x < 1 || share.x > 255 || xs.has(share.x)) throw new RangeError('share x values must be distinct in 1..255')
    if (share.y.length !== length) throw new RangeError('shares differ in length')
    xs.add(share.x)
  }
  const secret = new Uint8Array(length)
  for (let i = 0; i < shares.length; i++) {
    // Lagrange basis polynomial i evaluated at 0: Π x_j / (x_j − x_i), subtraction is xor
    let basis = 1
    for (let j = 0; j < shares.length; j++) {
      if (i !== j) basis = gfMultiply(basis, gfDivide(shares[j]!.x, shares[j]!.x ^ shares[i]!.x))
    }
    const y = shares[i]!.y
    for (let byte = 0; byte < length; byte++) secret[byte]! ^= gfMultiply(y[byte]!, basis)
  }
  return secret
}

/** Wire form of a share: x (1 byte) followed by y. */
export function encodeShare (share: Share): Uint8Array {
  const out = new Uint8Array(1 + share.y.length)
  out[0] = share.x
  out.set(share.y, 1)
  return out
}

export function decodeShare (bytes: Uint8Array): Share {
  if (bytes.length < 2 || bytes[0] === 0) throw new RangeError('not a share')
  return { x: bytes[0]!, y: bytes.slice(1) }
}
