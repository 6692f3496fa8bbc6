import { randomBytes } from 'node:crypto'
import t from 'tap'
import { commitmentOf, drawCoefficient, drawSample, seededStream, seedOf } from '../../src/lib/commit-reveal.ts'

const secret = Buffer.from('7f1c0d5e9a3b2c4d6e8f00112233445566778899aabbccddeeff001122334455', 'hex')

t.test('the commitment binds the secret and the seed binds secret, nonce and context', async (t) => {
  t.equal(commitmentOf(secret), commitmentOf(Buffer.from(secret)), 'deterministic')
  t.not(commitmentOf(secret), commitmentOf(randomBytes(32)))
  t.match(commitmentOf(secret), /^[0-9a-f]{64}$/)
  const seed = seedOf(secret, 'supervisor-nonce-4711', 'tender:T-1:k')
  t.same(seed, seedOf(secret, 'supervisor-nonce-4711', 'tender:T-1:k'), 'anyone holding the revealed secret re-derives the seed')
  t.not(seed.toString('hex'), seedOf(secret, 'supervisor-nonce-4712', 'tender:T-1:k').toString('hex'), 'another nonce, another seed')
  t.not(seed.toString('hex'), seedOf(secret, 'supervisor-nonce-4711', 'tender:T-2:k').toString('hex'), 'another draw, another seed')
})

t.test('the stream is uniform without modulo bias', async (t) => {
  const stream = seededStream(randomBytes(32))
  const counts = new Array(7).fill(0)
  for (let i = 0; i < 70_000; i++) counts[stream.below(7)]++
  const expected = 10_000
  const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0)
  t.ok(chiSquare < 22.46, `chi-square ${chiSquare.toFixed(2)} below the 0.1% critical value for 6 degrees of freedom`)
  t.throws(() => stream.below(0), RangeError)
  t.equal(seededStream(secret).below(1), 0)
})

t.test('a coefficient is one of the declared steps, exactly, and re-computable', async (t) => {
  const seed = seedOf(secret, 'nonce', 'tender:T-1:k')
  const k = drawCoefficient(seed, { min: '0.95', max: '1.05', step: '0.01' })
  t.match(k, /^(0\.9[5-9]|1\.0[0-5])$/)
  t.equal(drawCoefficient(seed, { min: '0.95', max: '1.05', step: '0.01' }), k, 'the same inputs give the same K')
  const seen = new Set(Array.from({ length: 400 }, () => drawCoefficient(randomBytes(32), { min: '0.95', max: '1.05', step: '0.01' })))
  t.equal(seen.size, 11, 'all eleven steps occur')
  t.equal(drawCoefficient(seed, { min: '3', max: '3', step: '1' }), '3')
  t.throws(() => drawCoefficient(seed, { min: '0.95', max: '1.05', step: '0.03' }), RangeError, 'the range must be whole steps')
})

t.test('a sample draws distinct members, reproducibly', async (t) => {
  const pool = Array.from({ length: 50 }, (_, index) => `expert-${index}`)
  const seed = seedOf(secret, 'nonce', 'drawing:D-1')
  const drawn = drawSample(seed, pool, 7)
  t.equal(new Set(drawn).size, 7)
  t.ok(drawn.every((member) => pool.includes(member)))
  t.same(drawSample(seed, pool, 7), drawn)
  t.same(drawSample(seed, pool, 50).sort(), [...pool].sort(), 'drawing everyone is a permutation')
  t.throws(() => drawSample(seed, pool, 51), RangeError)
})
