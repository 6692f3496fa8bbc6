/**
 * The expert draw as a pure function (src/lib/expert-draw.ts), by properties: nobody outside the
 * eligible pool is drawn, counts hold, nobody is drawn twice, the same inputs give the same list
 * and another nonce another, and each eligible expert is equally likely (chi-square).
 */
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import { seedOf } from '../../src/lib/commit-reveal.ts'
import { drawCommittee, listSha256, normaliseSnapshot, packPseudonyms, pseudonymKeysOf, pseudonymsOf, pseudonymText, shortfallOf, snapshotSha256, SNAPSHOT_FORMAT, unpackPseudonyms, type DrawingSnapshot } from '../../src/lib/expert-draw.ts'

const secret = Buffer.alloc(32, 7)
const context = 'drawing:D-1'

/** A request of 1–4 lines over a pool of pseudonyms, some shared between lines, always fillable. */
const snapshots = fc.array(fc.record({
  count: fc.integer({ min: 1, max: 4 }),
  reserves: fc.integer({ min: 0, max: 3 }),
  extra: fc.integer({ min: 0, max: 5 }),
  shared: fc.boolean()
}), { minLength: 1, maxLength: 4 }).map((lines): DrawingSnapshot => {
  const sharedPool = Array.from({ length: 6 }, (_, index) => `shared${index}`)
  return normaliseSnapshot({
    format: SNAPSHOT_FORMAT,
    drawingId: 'D-1',
    lines: lines.map((line, index) => {
      // enough of its own experts that the worst case of sharing still fills the line
      const own = Array.from({ length: line.count + line.reserves + line.extra }, (_, n) => `l${index}e${n}`)
      return { line: index, specialtyCode: `A0${index}`, side: index % 2 ? 'economic' : 'technical', count: line.count, reserves: line.reserves, eligible: line.shared ? [...own, ...sharedPool] : own }
    })
  })
})

t.test('the draw keeps to the pool, the counts and the order, and draws nobody twice', async (t) => {
  fc.assert(fc.property(snapshots, fc.string({ minLength: 1, maxLength: 20 }), (snapshot, nonce) => {
    const drawn = drawCommittee(seedOf(secret, nonce, context), snapshot)
    const all = drawn.flatMap((line) => [...line.members, ...line.reserves])
    if (new Set(all).size !== all.length) return false
    return drawn.every((line, index) => {
      const asked = snapshot.lines[index]!
      return line.line === index && line.specialtyCode === asked.specialtyCode &&
        line.members.length === asked.count && line.reserves.length === asked.reserves &&
        [...line.members, ...line.reserves].every((pseudonym) => asked.eligible.includes(pseudonym))
    })
  }))
  t.pass('only eligible experts (the excluded are not in the snapshot), counts and splits per line, no expert twice')
})

t.test('the same inputs give the same list; another nonce another list', async (t) => {
  fc.assert(fc.property(snapshots, fc.string({ minLength: 1 }), (snapshot, nonce) => {
    const again = drawCommittee(seedOf(secret, nonce, context), JSON.parse(JSON.stringify(snapshot)) as DrawingSnapshot)
    return JSON.stringify(drawCommittee(seedOf(secret, nonce, context), snapshot)) === JSON.stringify(again)
  }))
  // a pool of 20 choosing 5: two nonces giving one list has probability 1/1,860,480
  const snapshot = normaliseSnapshot({ format: SNAPSHOT_FORMAT, drawingId: 'D-1', lines: [{ line: 0, specialtyCode: 'A01', side: 'technical', count: 5, reserves: 0, eligible: Array.from({ length: 20 }, (_, n) => `e${n}`) }] })
  fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
    fc.pre(a !== b)
    return JSON.stringify(drawCommittee(seedOf(secret, a, context), snapshot)) !== JSON.stringify(drawCommittee(seedOf(secret, b, context), snapshot))
  }))
  t.pass('deterministic in its inputs, and the nonce matters')
})

t.test('each eligible expert is equally likely to be drawn (chi-square, 5 of 8, 8,000 draws)', async (t) => {
  const pool = Array.from({ length: 8 }, (_, n) => `e${n}`)
  const snapshot = normaliseSnapshot({ format: SNAPSHOT_FORMAT, drawingId: 'D-1', lines: [{ line: 0, specialtyCode: 'A01', side: 'technical', count: 3, reserves: 2, eligible: pool }] })
  const draws = 8000
  const asMember = new Map(pool.map((pseudonym) => [pseudonym, 0]))
  const asFirst = new Map(pool.map((pseudonym) => [pseudonym, 0]))
  for (let index = 0; index < draws; index++) {
    const [line] = drawCommittee(seedOf(secret, `nonce-${index}`, context), snapshot)
    for (const member of line!.members) asMember.set(member, asMember.get(member)! + 1)
    asFirst.set(line!.members[0]!, asFirst.get(line!.members[0]!)! + 1)
  }
  const chiSquare = (counts: Map<string, number>, expected: number) => [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0)
  // 7 degrees of freedom: 24.32 is the 0.1% critical value (the nonces are fixed, so the test never flakes)
  const members = chiSquare(asMember, draws * 3 / 8)
  const first = chiSquare(asFirst, draws / 8)
  t.ok(members < 24.32, `membership chi-square ${members.toFixed(2)} < 24.32`)
  t.ok(first < 24.32, `first place chi-square ${first.toFixed(2)} < 24.32`)
})

t.test('the shortfall says which line is short and by how many, sharing assumed at worst', async (t) => {
  const snapshot = normaliseSnapshot({
    format: SNAPSHOT_FORMAT,
    drawingId: 'D-1',
    lines: [
      { line: 0, specialtyCode: 'A01', side: 'technical', count: 3, reserves: 1, eligible: ['a', 'b', 'c', 'd', 's1'] },
      { line: 1, specialtyCode: 'B01', side: 'economic', count: 2, reserves: 1, eligible: ['s1', 'x', 'y'] },
      { line: 2, specialtyCode: 'C01', side: 'technical', count: 2, reserves: 0, eligible: ['z'] }
    ]
  })
  t.same(shortfallOf(snapshot), [
    { line: 1, specialtyCode: 'B01', eligible: 3, needed: 3, sharedWithEarlierLines: 1, short: 1 },
    { line: 2, specialtyCode: 'C01', eligible: 1, needed: 2, sharedWithEarlierLines: 0, short: 1 }
  ])
  t.throws(() => drawCommittee(seedOf(secret, 'n', context), snapshot), RangeError, 'a line that cannot be filled is never drawn half-way')
})

t.test('hashes and pseudonyms', async (t) => {
  const snapshot = normaliseSnapshot({ format: SNAPSHOT_FORMAT, drawingId: 'D-1', lines: [{ line: 0, specialtyCode: 'A01', side: 'technical', count: 1, reserves: 0, eligible: ['b', 'a', 'a'] }] })
  t.same(snapshot.lines[0]!.eligible, ['a', 'b'], 'the documented order: sorted, once each')
  t.match(snapshotSha256(snapshot), /^[0-9a-f]{64}$/)
  t.not(snapshotSha256(snapshot), snapshotSha256({ ...snapshot, lines: [{ ...snapshot.lines[0]!, eligible: ['a'] }] }))
  const drawn = drawCommittee(seedOf(secret, 'n', context), snapshot)
  t.equal(listSha256('D-1', drawn), listSha256('D-1', JSON.parse(JSON.stringify(drawn))))
  const key = Buffer.alloc(32, 1)
  const ids = Array.from({ length: 1000 }, () => randomUUID())
  const named = pseudonymsOf(key, ids)
  t.match(named[0], /^[0-9a-f]{16}$/)
  t.equal(new Set(named).size, ids.length, 'one pseudonym per expert')
  t.same(pseudonymsOf(key, ids.slice(500, 502)), named.slice(500, 502), 'an expert\'s pseudonym does not depend on the rest of the pool')
  t.not(pseudonymsOf(Buffer.alloc(32, 2), ids.slice(0, 1))[0], named[0], 'another drawing\'s key, another pseudonym')
  t.throws(() => pseudonymsOf(key, ['expert-1']), RangeError)
  t.throws(() => pseudonymsOf(key, [ids[0]!.replace('-', 'g')]), RangeError, 'a UUID\'s dashes are where they belong')
  t.throws(() => pseudonymsOf(key, [`${ids[0]!.slice(0, 35)}z`]), RangeError, 'hex digits only')
  t.same(pseudonymsOf(key, [ids[0]!.toUpperCase()]), [named[0]], 'a UUID in capitals is the same id')
  // the same pseudonyms from the AES block as a plain reading of it computes them
  const { createCipheriv } = await import('node:crypto')
  const block = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(Buffer.from(ids[7]!.replaceAll('-', ''), 'hex'))
  t.equal(named[7], block.subarray(0, 8).toString('hex'), 'the first 8 bytes of the encrypted id, in hex')
  const keys = pseudonymKeysOf(key, ids)
  t.same(Array.from(keys, pseudonymText), named, 'the numeric form is the same pseudonym')
  t.same(Array.from(BigUint64Array.from(keys).sort(), pseudonymText), [...named].sort(), 'numeric order is the published (code-unit) order')
  const packed = packPseudonyms(named)
  t.equal(packed.length, named.length * 8, '8 bytes a pseudonym')
  t.same(unpackPseudonyms(packed), named, 'unpacked as they were, in their order')
  t.same(unpackPseudonyms(packPseudonyms([])), [])
  t.throws(() => packPseudonyms(['ABCDEF0123456789']), RangeError, 'only the published form is packed')
  t.throws(() => unpackPseudonyms(Buffer.alloc(12)), RangeError)
})
