import fc from 'fast-check'
import t from 'tap'
import { canonicalJson } from '../../src/lib/canonical-json.ts'
import { sha256Hex } from '../../src/lib/crypto-bits.ts'
import {
  GENESIS_HASH, StreamVerifier, chainHash, checkpointHash, entryDigest, payloadDigest, type StoredAuditEntry
} from '../../src/lib/audit-chain.ts'

function chain (stream: string, count: number): StoredAuditEntry[] {
  const entries: StoredAuditEntry[] = []
  let previous = GENESIS_HASH
  for (let seq = 1; seq <= count; seq++) {
    const payload = { step: seq }
    const content = {
      stream,
      actorId: null,
      action: 'thing.done',
      subjectType: 'thing',
      subjectId: '1',
      occurredAt: new Date(Date.UTC(2026, 10, 27, 0, 0, seq)).toISOString(),
      payloadDigest: payloadDigest(payload),
      requestId: null
    }
    const hash = chainHash(previous, seq, entryDigest(content))
    entries.push({ ...content, id: String(seq), seq, hash, payload })
    previous = hash
  }
  return entries
}

function verify (entries: StoredAuditEntry[], head: { seq: number, hash: string }, anchor?: { seq: number, hash: string, checkpoint: number }) {
  const verifier = new StreamVerifier('thing:1', head, anchor)
  for (const entry of entries) {
    const broken = verifier.push(entry)
    if (broken) return broken
  }
  return verifier.end()
}

const entries = chain('thing:1', 5)
const head = { seq: 5, hash: entries[4]!.hash }

t.test('an untouched chain verifies', async (t) => {
  t.equal(verify(entries, head), null)
})

t.test('every kind of tampering is reported at the first broken entry', async (t) => {
  t.match(verify(entries.map((e) => e.seq === 3 ? { ...e, payload: { step: 33 } } : e), head), { reason: 'payload_altered', seq: 3 })
  t.match(verify(entries.map((e) => e.seq === 3 ? { ...e, action: 'thing.undone' } : e), head), { reason: 'entry_altered', seq: 3 })
  t.match(verify(entries.filter((e) => e.seq !== 2), head), { reason: 'entry_missing', seq: 2 })
  t.match(verify(entries.slice(0, 4), head), { reason: 'entry_missing', seq: 5 })
  const swapped = [entries[0]!, { ...entries[2]!, seq: 2 }, { ...entries[1]!, seq: 3 }, entries[3]!, entries[4]!]
  t.match(verify(swapped, head), { reason: 'entry_altered', seq: 2 })
  t.match(verify(entries, { seq: 5, hash: GENESIS_HASH }), { reason: 'head_mismatch' })
})

t.test('a rewritten tail is caught by the checkpoint anchor even when the head is forged to match', async (t) => {
  const anchor = { seq: 4, hash: entries[3]!.hash, checkpoint: 1 }
  const forged = chain('thing:1', 3)
  t.match(verify(forged, { seq: 3, hash: forged[2]!.hash }, anchor), { reason: 'checkpoint_mismatch', seq: 4 })
  t.equal(verify(entries, head, anchor), null)
})

t.test('checkpoint hashes do not depend on the order heads are listed in', async (t) => {
  const heads = [{ stream: 'b', seq: 1, hash: 'x' }, { stream: 'a', seq: 2, hash: 'y' }]
  const base = { number: 1, previousHash: GENESIS_HASH, createdAt: '2026-11-27T00:00:00.000Z' }
  t.equal(checkpointHash({ ...base, heads }), checkpointHash({ ...base, heads: [...heads].reverse() }))
  t.not(checkpointHash({ ...base, heads }), checkpointHash({ ...base, number: 2, heads }))
})

t.test('an entry digest is the SHA-256 of its content in canonical JSON, whatever the strings', async (t) => {
  const text = fc.string({ unit: 'binary', maxLength: 40 })
  t.doesNotThrow(() => fc.assert(fc.property(
    fc.record({
      stream: text, actorId: fc.option(fc.uuid()), action: text, subjectType: text, subjectId: text, occurredAt: text, payloadDigest: text, requestId: fc.option(text)
    }),
    (content) => entryDigest(content) === sha256Hex(canonicalJson(content))
  ), { numRuns: 2000 }), '2,000 random contents digested alike')
})
