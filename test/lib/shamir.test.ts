import { randomBytes } from 'node:crypto'
import t from 'tap'
import { combineShares, decodeShare, encodeShare, evaluate, gfDivide, gfMultiply, splitSecret, type Share } from '../../src/lib/shamir.ts'

t.test('GF(256) arithmetic is a field', async (t) => {
  t.equal(gfMultiply(0x53, 0xca), 0x01, 'the AES textbook inverse pair')
  for (let a = 1; a < 256; a++) t.equal(gfMultiply(a, gfDivide(1, a)), 1)
  t.throws(() => gfDivide(5, 0))
})

function subsets<T> (items: T[], size: number): T[][] {
  if (size === 0) return [[]]
  return items.flatMap((item, index) => subsets(items.slice(index + 1), size - 1).map((rest) => [item, ...rest]))
}

t.test('any k of n shares reconstruct the secret', async (t) => {
  const secret = randomBytes(1218) // the size of a PKCS#8 RSA-2048 private key
  for (const [n, k] of [[3, 2], [5, 3], [7, 7]] as const) {
    const shares = splitSecret(secret, n, k, randomBytes)
    for (const chosen of subsets(shares, k)) t.same(Buffer.from(combineShares(chosen)), secret, `${k} of ${n}: ${chosen.map((s) => s.x).join(',')}`)
    t.same(Buffer.from(combineShares(shares)), secret, 'all shares work too')
    t.same(combineShares(shares.map((share) => decodeShare(encodeShare(share)))), new Uint8Array(secret), 'the wire form round-trips')
  }
})

t.test('k − 1 shares give nothing: every candidate secret is equally consistent', async (t) => {
  // a one-byte secret, k = 3: for any two shares, each of the 256 possible secrets is matched by
  // exactly one polynomial of degree 2, so the shares favour no candidate
  const k = 3
  const shares = splitSecret(Uint8Array.of(0x5a), 5, k, randomBytes).slice(0, k - 1)
  const consistent = new Map<number, number>()
  for (let candidate = 0; candidate < 256; candidate++) {
    for (let a1 = 0; a1 < 256; a1++) {
      // the degree-2 coefficient is then forced by the first share; check it also fits the second
      const [s1, s2] = shares as [Share, Share]
      const partial = evaluate([candidate, a1, 0], s1.x)
      const a2 = gfDivide(partial ^ s1.y[0]!, gfMultiply(s1.x, s1.x))
      if (evaluate([candidate, a1, a2], s2.x) === s2.y[0]) consistent.set(candidate, (consistent.get(candidate) ?? 0) + 1)
    }
  }
  t.equal(consistent.size, 256, 'every secret value is possible')
  t.same(new Set(consistent.values()), new Set([1]), 'each by exactly one polynomial')
  t.not(Buffer.from(combineShares(splitSecret(Uint8Array.of(9, 9, 9), 4, 3, randomBytes).slice(0, 2))).toString('hex'), '090909',
    'interpolating too few shares yields noise, not the secret (with overwhelming probability)')
})

t.test('bad parameters are refused', async (t) => {
  t.throws(() => splitSecret(Uint8Array.of(1), 3, 1, randomBytes))
  t.throws(() => splitSecret(Uint8Array.of(1), 2, 3, randomBytes))
  t.throws(() => splitSecret(Uint8Array.of(1), 256, 3, randomBytes))
  t.throws(() => combineShares([{ x: 1, y: Uint8Array.of(1) }, { x: 1, y: Uint8Array.of(2) }]))
})
