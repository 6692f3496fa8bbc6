/**
 * Re-runs a commit-reveal draw from its published inputs, so anyone can check a random
 * coefficient K or an expert drawing after the fact (`npm run verify-draw -- …`):
 *
 *   --commitment HEX      published before the draw
 *   --secret HEX          revealed after the draw
 *   --nonce TEXT          the nonce given at the draw (by the supervisor, or by the host once the
 *                         supervisor's deadline had passed: the computation is the same)
 *   --context TEXT        what was drawn, e.g. tender:<id>:k
 *   --coefficient MIN,MAX,STEP        a coefficient (e.g. 0.95,1.05,0.01), or
 *   --sample N --pool pool.json       N members of the published pool (a JSON array, in order)
 *
 * or, for K, all of it from a published opening record (GET /api/openings/<id>/record/json):
 *
 *   --record record.json  takes the commitment, secret, nonce, context and range from the
 *                         record's `coefficient` and also checks the K the record states
 *
 * Prints { commitmentValid, seed, result[, matchesRecord, drawnAs, deadline] } and exits 1 when
 * the secret does not match the commitment or the record states another K.
 *
 * An expert drawing, from its published record (GET /api/drawings/<id>/record):
 *
 *   --record drawing-record.json   (format openhall-drawing-record) re-computes the snapshot's
 *                         SHA-256, the seed, the committee (src/lib/expert-draw.ts drawCommittee)
 *                         and the list's SHA-256, and prints { commitmentValid, seed,
 *                         snapshotValid, result, matchesRecord, listHashValid }; exit 1 when any
 *                         of them fails.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { commitmentOf, drawCoefficient, drawSample, seedOf } from '../src/lib/commit-reveal.ts'
import { canonicalJson } from '../src/lib/canonical-json.ts'
import { drawCommittee, listSha256, snapshotSha256, type DrawingSnapshot, type DrawnLine } from '../src/lib/expert-draw.ts'

const { values } = parseArgs({
  options: {
    commitment: { type: 'string' },
    secret: { type: 'string' },
    nonce: { type: 'string' },
    context: { type: 'string' },
    coefficient: { type: 'string' },
    sample: { type: 'string' },
    pool: { type: 'string' },
    record: { type: 'string' }
  }
})

function usage (message: string): never {
  process.stderr.write(`${message}\nusage: npm run verify-draw -- --commitment HEX --secret HEX --nonce TEXT --context TEXT (--coefficient MIN,MAX,STEP | --sample N --pool pool.json)\n` +
    '   or: npm run verify-draw -- --record opening-record.json | drawing-record.json\n')
  process.exit(2)
}

interface RecordedCoefficient {
  value: string
  commitment: string
  secret: string
  nonce: string
  context: string
  range?: { min: string, max: string, step: string }
  drawnAs?: string | null
  deadline?: string | null
}

interface DrawingRecord {
  format: 'openhall-drawing-record'
  drawingId: string
  commitment: string
  secret: string
  nonce: string
  context: string
  snapshot: DrawingSnapshot
  snapshotSha256: string
  drawn: DrawnLine[]
  listSha256: string
}

/** An expert drawing's record: every published value is re-computed from the inputs it states. */
function verifyDrawingRecord (record: DrawingRecord): never {
  if (typeof record.secret !== 'string' || !/^[0-9a-f]{64}$/i.test(record.secret)) usage('the record\'s secret is not 32 bytes of hex')
  if (!record.snapshot || !Array.isArray(record.snapshot.lines)) usage('the record states no snapshot')
  const secret = Buffer.from(record.secret, 'hex')
  const commitmentValid = commitmentOf(secret) === String(record.commitment).toLowerCase()
  const seed = seedOf(secret, String(record.nonce), String(record.context))
  const snapshotValid = snapshotSha256(record.snapshot) === record.snapshotSha256 && record.context === `drawing:${record.drawingId}` && record.snapshot.drawingId === record.drawingId
  let result: DrawnLine[] | null = null
  try {
    result = drawCommittee(seed, record.snapshot)
  } catch (error) {
    process.stderr.write(`the snapshot cannot be drawn: ${(error as Error).message}\n`)
  }
  const matchesRecord = result !== null && canonicalJson(result) === canonicalJson(record.drawn)
  const listHashValid = result !== null && listSha256(record.drawingId, result) === record.listSha256
  process.stdout.write(`${JSON.stringify({ commitmentValid, seed: seed.toString('hex'), snapshotValid, result, matchesRecord, listHashValid }, null, 2)}\n`)
  process.exit(commitmentValid && snapshotValid && matchesRecord && listHashValid ? 0 : 1)
}

let recorded: RecordedCoefficient | undefined
if (values.record) {
  const record = JSON.parse(await readFile(values.record, 'utf8')) as { format?: string, coefficient?: RecordedCoefficient | null }
  if (record.format === 'openhall-drawing-record') verifyDrawingRecord(record as unknown as DrawingRecord)
  if (record.format !== 'openhall-opening-record') usage('--record is an opening record (format openhall-opening-record) or a drawing record (openhall-drawing-record)')
  if (!record.coefficient) usage('the record states no coefficient K')
  recorded = record.coefficient
  values.commitment ??= recorded.commitment
  values.secret ??= recorded.secret
  values.nonce ??= recorded.nonce
  values.context ??= recorded.context
  // records published before the range was part of them: give it with --coefficient
  if (recorded.range) values.coefficient ??= `${recorded.range.min},${recorded.range.max},${recorded.range.step}`
}

if (!values.commitment || !values.secret || values.nonce === undefined || !values.context) usage('missing an input')
if (!/^[0-9a-f]{64}$/i.test(values.secret)) usage('--secret is 32 bytes of hex')
const secret = Buffer.from(values.secret, 'hex')
const commitmentValid = commitmentOf(secret) === values.commitment.toLowerCase()
const seed = seedOf(secret, values.nonce, values.context)
let result: unknown
if (values.coefficient) {
  const [min, max, step] = values.coefficient.split(',')
  if (!min || !max || !step) usage('--coefficient is MIN,MAX,STEP')
  result = drawCoefficient(seed, { min, max, step })
} else if (values.sample && values.pool) {
  result = drawSample(seed, JSON.parse(await readFile(values.pool, 'utf8')) as unknown[], Number(values.sample))
} else {
  usage('say what was drawn: --coefficient or --sample with --pool')
}
const checked = recorded ? { matchesRecord: result === recorded.value, drawnAs: recorded.drawnAs ?? null, deadline: recorded.deadline ?? null } : {}
process.stdout.write(`${JSON.stringify({ commitmentValid, seed: seed.toString('hex'), result, ...checked }, null, 2)}\n`)
process.exit(commitmentValid && checked.matchesRecord !== false ? 0 : 1)
