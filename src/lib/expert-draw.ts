/**
 * The expert drawing as a pure function, so anyone can re-run it from the published record
 * (scripts/verify-draw.ts) and get the same committee:
 *
 *   drawn = drawCommittee(seedOf(secret, nonce, `drawing:<id>`), snapshot)
 *
 * The snapshot is the eligible pool the draw ran over, in a documented order: one entry per
 * request line in the request's order, each with its specialty code, how many members and
 * reserves it asks for, and the pseudonyms of its eligible experts sorted (code-unit order).
 * Its SHA-256 over canonical JSON (src/lib/canonical-json.ts) is published at the draw.
 *
 * One stream of the seed serves the whole committee: line by line, a partial Fisher–Yates
 * shuffle (as drawSample, uniform by rejection sampling) picks count + reserves pseudonyms from
 * the line's eligible experts not already drawn by an earlier line; the first `count` are the
 * members, the rest the reserves in the order they will be called. An expert qualified in
 * several lines is thereby never drawn twice, and can still be drawn for a later line when an
 * earlier one did not pick them.
 */
import { createCipheriv, createHash } from 'node:crypto'
import { canonicalJson } from './canonical-json.ts'
import { seededStream } from './commit-reveal.ts'

export const SNAPSHOT_FORMAT = 'openhall-drawing-snapshot-v1'

export interface SnapshotLine {
  /** 0-based position in the request */
  line: number
  specialtyCode: string
  side: 'technical' | 'economic'
  count: number
  reserves: number
  /** pseudonyms of the eligible experts, sorted */
  eligible: string[]
}

export interface DrawingSnapshot {
  format: typeof SNAPSHOT_FORMAT
  drawingId: string
  lines: SnapshotLine[]
}

export interface DrawnLine {
  line: number
  specialtyCode: string
  members: string[]
  reserves: string[]
}

export interface LineShortfall {
  line: number
  specialtyCode: string
  /** eligible experts of the line's specialty */
  eligible: number
  /** members and reserves asked for */
  needed: number
  /** of the eligible, how many earlier lines may take first (experts qualified in both) */
  sharedWithEarlierLines: number
  /** how many more eligible experts the line would need */
  short: number
}

/**
 * The names experts go by in one drawing's published snapshot and list: each expert's id (a UUID,
 * exactly one 16-byte block) encrypted with AES-256 under a key of that drawing alone (derived
 * from the master key), the first 8 bytes in hex. A block cipher is a keyed permutation: without
 * the key nobody can tell who a pseudonym is, nor link the same expert across drawings, and
 * within one drawing two experts collide only by the truncation (about 1 in 10^11 for a pool of
 * 20,000). One cipher call covers a whole pool: a keyed hash per expert cost tens of milliseconds
 * at 100,000 experts, this about one.
 */
export function pseudonymsOf (drawingKey: Uint8Array, expertIds: readonly string[]): string[] {
  return Array.from(pseudonymKeysOf(drawingKey, expertIds), pseudonymText)
}

/**
 * The same pseudonyms as 64-bit numbers (the 8 bytes read big-endian): their numeric order is
 * the hex strings' code-unit order, so a pool's pseudonyms sort natively (a typed array's sort)
 * instead of as strings, which cost a draw over 16,000 experts tens of milliseconds.
 */
export function pseudonymKeysOf (drawingKey: Uint8Array, expertIds: readonly string[]): BigUint64Array {
  const blocks = Buffer.allocUnsafe(expertIds.length * 16)
  expertIds.forEach((id, index) => uuidBytesInto(blocks, index * 16, id))
  const cipher = createCipheriv('aes-256-ecb', drawingKey, null).setAutoPadding(false)
  const encrypted = Buffer.concat([cipher.update(blocks), cipher.final()])
  const keys = new BigUint64Array(expertIds.length)
  for (let index = 0; index < keys.length; index++) keys[index] = encrypted.readBigUInt64BE(index * 16)
  return keys
}

/** A pseudonym's published form: 16 lower-case hex digits. */
export const pseudonymText = (key: bigint): string => key.toString(16).padStart(16, '0')

/** Pseudonyms as stored: their 8 bytes each, one after the other, in the list's order. */
export function packPseudonyms (pseudonyms: readonly string[]): Buffer {
  if (!pseudonyms.every((pseudonym) => /^[0-9a-f]{16}$/.test(pseudonym))) throw new RangeError('pseudonyms are 16 lower-case hex digits')
  return Buffer.from(pseudonyms.join(''), 'hex')
}

/** The list packPseudonyms stored. */
export function unpackPseudonyms (packed: Uint8Array): string[] {
  if (packed.length % 8 !== 0) throw new RangeError('a packed list is 8 bytes per pseudonym')
  const hex = Buffer.from(packed.buffer, packed.byteOffset, packed.length).toString('hex')
  return Array.from({ length: packed.length / 8 }, (_, index) => hex.slice(index * 16, index * 16 + 16))
}

const HEX_VALUE = new Int8Array(128).fill(-1)
for (const [index, digit] of [...'0123456789abcdef'].entries()) {
  HEX_VALUE[digit.charCodeAt(0)] = index
  HEX_VALUE[digit.toUpperCase().charCodeAt(0)] = index
}

/** Writes a UUID's 16 bytes at `offset`; RangeError for anything but a UUID (8-4-4-4-12 hex digits). */
function uuidBytesInto (target: Buffer, offset: number, id: string): void {
  if (id.length !== 36) throw new RangeError('expert ids are UUIDs')
  let written = 0
  for (let at = 0; at < 36; at += 2) {
    if (at === 8 || at === 13 || at === 18 || at === 23) {
      if (id.charCodeAt(at) !== 45) throw new RangeError('expert ids are UUIDs')
      at -= 1
      continue
    }
    const high = HEX_VALUE[id.charCodeAt(at)] ?? -1
    const low = HEX_VALUE[id.charCodeAt(at + 1)] ?? -1
    if (high < 0 || low < 0) throw new RangeError('expert ids are UUIDs')
    target[offset + written++] = high * 16 + low
  }
}

/** The snapshot with every eligible list sorted and deduplicated: the order the draw depends on. */
export function normaliseSnapshot (snapshot: DrawingSnapshot): DrawingSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    drawingId: snapshot.drawingId,
    lines: snapshot.lines.map((line, index) => ({
      line: index,
      specialtyCode: line.specialtyCode,
      side: line.side,
      count: line.count,
      reserves: line.reserves,
      // the default sort compares UTF-16 code units: the documented order, without a comparator's cost
      eligible: [...new Set(line.eligible)].sort()
    }))
  }
}

export function snapshotSha256 (snapshot: DrawingSnapshot): string {
  return createHash('sha256').update(canonicalJson(snapshot)).digest('hex')
}

/** SHA-256 of the drawn list (members and reserves per line, in order): in the audit chain at the draw. */
export function listSha256 (drawingId: string, drawn: DrawnLine[]): string {
  return createHash('sha256').update(canonicalJson({ drawingId, lines: drawn })).digest('hex')
}

/**
 * The lines that cannot be filled whatever the seed, of a normalised snapshot (normaliseSnapshot:
 * each list sorted and without repeats). A line's eligible experts may already be taken by
 * earlier lines (an expert qualified in both); the check assumes the worst, that each earlier
 * line takes as many shared experts as it draws, so a draw that passes it never runs out
 * half-way. Lines with disjoint pools (the usual case) are judged exactly.
 */
export function shortfallOf (snapshot: DrawingSnapshot): LineShortfall[] {
  const shortfalls: LineShortfall[] = []
  snapshot.lines.forEach((line, index) => {
    let shared = 0
    for (const earlier of snapshot.lines.slice(0, index)) {
      shared += Math.min(overlapOfSorted(earlier.eligible, line.eligible), earlier.count + earlier.reserves)
    }
    const needed = line.count + line.reserves
    const size = line.eligible.length
    const available = size - Math.min(shared, size)
    if (available < needed) {
      shortfalls.push({ line: index, specialtyCode: line.specialtyCode, eligible: size, needed, sharedWithEarlierLines: Math.min(shared, size), short: needed - available })
    }
  })
  return shortfalls
}

/** How many entries two sorted lists without repeats share, in one pass over both. */
function overlapOfSorted (a: readonly string[], b: readonly string[]): number {
  let shared = 0
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) { shared++; i++; j++ } else if (a[i]! < b[j]!) i++
    else j++
  }
  return shared
}

/** The committee drawn from a snapshot; RangeError when a line cannot be filled (check shortfallOf first). */
export function drawCommittee (seed: Uint8Array, snapshot: DrawingSnapshot): DrawnLine[] {
  const stream = seededStream(seed)
  const taken = new Set<string>()
  return snapshot.lines.map((line, index) => {
    const items = line.eligible.filter((pseudonym) => !taken.has(pseudonym))
    const need = line.count + line.reserves
    if (need > items.length) throw new RangeError(`line ${index} (${line.specialtyCode}) needs ${need} experts, ${items.length} are left`)
    for (let position = 0; position < need; position++) {
      const pick = position + stream.below(items.length - position)
      const chosen = items[pick]!
      items[pick] = items[position]!
      items[position] = chosen
      taken.add(chosen)
    }
    return { line: index, specialtyCode: line.specialtyCode, members: items.slice(0, line.count), reserves: items.slice(line.count, need) }
  })
}
