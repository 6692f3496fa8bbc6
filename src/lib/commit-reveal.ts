/**
 * Randomness anyone can check afterwards (commit-reveal), for the random coefficient K of a works
 * price formula, expert drawing and auction tie-breaks:
 *
 *   1. before the draw the server picks a 32-byte secret and publishes commitment = SHA-256(
 *      "openhall-commit-reveal-v1" ‖ secret);
 *   2. at the draw a supervisor supplies a nonce the server could not know in advance;
 *   3. seed = HMAC-SHA256(secret, "openhall-seed-v1" ‖ 0x00 ‖ context ‖ 0x00 ‖ nonce), and the
 *      result is a pure function of (seed, rules, pool snapshot);
 *   4. after the draw the secret is revealed: anyone re-computes the commitment, the seed and the
 *      result (scripts/verify-draw.ts).
 *
 * The server cannot steer the result (it committed before it saw the nonce), the supervisor
 * cannot either (the secret is unknown at the draw), and nobody can rerun it quietly: the
 * commitment is published in the room log before the nonce is given.
 */
import { createHash, createHmac } from 'node:crypto'

const COMMIT_LABEL = 'openhall-commit-reveal-v1'
const SEED_LABEL = 'openhall-seed-v1'

export function commitmentOf (secret: Uint8Array): string {
  return createHash('sha256').update(COMMIT_LABEL).update(secret).digest('hex')
}

/** The seed of one draw; `context` names what is drawn (e.g. `tender:<id>:k`), so a secret never serves two draws alike. */
export function seedOf (secret: Uint8Array, nonce: string, context: string): Buffer {
  return createHmac('sha256', secret).update(`${SEED_LABEL}\u0000${context}\u0000${nonce}`).digest()
}

/**
 * A deterministic stream of integers from a seed: SHA-256(seed ‖ u64 counter) blocks, read as
 * unsigned 32-bit words, with rejection sampling so every value in [0, n) is equally likely.
 */
export function seededStream (seed: Uint8Array) {
  let counter = 0
  let block = Buffer.alloc(0)
  let offset = 0
  function nextWord (): number {
    if (offset + 4 > block.length) {
      const index = Buffer.alloc(8)
      index.writeBigUInt64BE(BigInt(counter++))
      block = createHash('sha256').update(seed).update(index).digest()
      offset = 0
    }
    const word = block.readUInt32BE(offset)
    offset += 4
    return word
  }
  return {
    /** A uniform integer in [0, n), 1 ≤ n ≤ 2^32. */
    below (n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError('n must be an integer in [1, 2^32]')
      const limit = 2 ** 32 - (2 ** 32 % n)
      for (;;) {
        const word = nextWord()
        if (word < limit) return word % n
      }
    }
  }
}

/**
 * A coefficient drawn from `min`, `min + step`, …, `max`, all as exact decimal strings with the
 * same number of decimals (e.g. K from "0.95" to "1.05" in steps of "0.01").
 */
export interface CoefficientRange { min: string, max: string, step: string }

/** The choices of a coefficient range as integers of 10^-scale; RangeError when the range is unusable. */
export function coefficientChoices (range: CoefficientRange): { min: bigint, step: bigint, count: number, scale: number } {
  const scale = Math.max(...[range.min, range.max, range.step].map((value) => (value.split('.')[1] ?? '').length))
  const toUnits = (value: string) => {
    if (!/^\d+(\.\d+)?$/.test(value)) throw new RangeError(`not a decimal: ${value}`)
    const [whole, fraction = ''] = value.split('.')
    return BigInt(whole!) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0')
  }
  const [min, max, step] = [toUnits(range.min), toUnits(range.max), toUnits(range.step)]
  if (step <= 0n || max < min || (max - min) % step !== 0n) throw new RangeError('the range must be min ≤ max with (max − min) a multiple of step')
  return { min, step, count: Number((max - min) / step) + 1, scale }
}

/**
 * A coefficient drawn from `min`, `min + step`, …, `max`, all as exact decimal strings with the
 * same number of decimals (e.g. K from "0.95" to "1.05" in steps of "0.01").
 */
export function drawCoefficient (seed: Uint8Array, range: CoefficientRange): string {
  const { min, step, count, scale } = coefficientChoices(range)
  const units = min + BigInt(seededStream(seed).below(count)) * step
  const text = units.toString().padStart(scale + 1, '0')
  return scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`
}

/** `count` distinct members of `pool` (in the pool's published order), by a partial Fisher–Yates shuffle. */
export function drawSample<T> (seed: Uint8Array, pool: readonly T[], count: number): T[] {
  if (!Number.isInteger(count) || count < 0 || count > pool.length) throw new RangeError('cannot draw more than the pool holds')
  const stream = seededStream(seed)
  const items = [...pool]
  for (let index = 0; index < count; index++) {
    const pick = index + stream.below(items.length - index)
    const chosen = items[pick]!
    items[pick] = items[index]!
    items[index] = chosen
  }
  return items.slice(0, count)
}
