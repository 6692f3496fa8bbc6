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
  const cipher = createCipheriv('aes-256-ecb', drawingKey, null).setAutoPadding(false)
  const blocks = Buffer.from(expertIds.map((id) => id.replaceAll('-', '')).join(''), 'hex')
  if (blocks.length !== expertIds.length * 16) throw new RangeError('expert ids are UUIDs')
  const encrypted = Buffer.concat([cipher.update(blocks), cipher.final()]).toString('hex')
  return expertIds.map((_, index) => encrypted.slice(index * 32, index * 32 + 16))
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
 * The lines that cannot be filled whatever the seed. A line's eligible experts may already be
 * taken by earlier lines (an expert qualified in both); the check assumes the worst, that each
 * earlier line takes as many shared experts as it draws, so a draw that passes it never runs
 * out half-way. Lines with disjoint pools (the usual case) are judged exactly.
 */
export function shortfallOf (snapshot: DrawingSnapshot): LineShortfall[] {
  const shortfalls: LineShortfall[] = []
  snapshot.lines.forEach((line, index) => {
    const own = new Set(line.eligible)
    let shared = 0
    for (const earlier of snapshot.lines.slice(0, index)) {
      const overlap = earlier.eligible.filter((pseudonym) => own.has(pseudonym)).length
      shared += Math.min(overlap, earlier.count + earlier.reserves)
    }
    const needed = line.count + line.reserves
    const available = own.size - Math.min(shared, own.size)
    if (available < needed) {
      shortfalls.push({ line: index, specialtyCode: line.specialtyCode, eligible: own.size, needed, sharedWithEarlierLines: Math.min(shared, own.size), short: needed - available })
    }
  })
  return shortfalls
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
