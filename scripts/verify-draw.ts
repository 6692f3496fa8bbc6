/**
 * Re-runs a commit-reveal draw from its published inputs, so anyone can check a random
 * coefficient K or an expert drawing after the fact (`npm run verify-draw -- …`):
 *
 *   --commitment HEX      published before the draw
 *   --secret HEX          revealed after the draw
 *   --nonce TEXT          the supervisor's nonce, given at the draw
 *   --context TEXT        what was drawn, e.g. tender:<id>:k
 *   --coefficient MIN,MAX,STEP        a coefficient (e.g. 0.95,1.05,0.01), or
 *   --sample N --pool pool.json       N members of the published pool (a JSON array, in order)
 *
 * Prints { commitmentValid, seed, result } and exits 1 when the secret does not match the
 * commitment.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { commitmentOf, drawCoefficient, drawSample, seedOf } from '../src/lib/commit-reveal.ts'

const { values } = parseArgs({
  options: {
    commitment: { type: 'string' },
    secret: { type: 'string' },
    nonce: { type: 'string' },
    context: { type: 'string' },
    coefficient: { type: 'string' },
    sample: { type: 'string' },
    pool: { type: 'string' }
  }
})

function usage (message: string): never {
  process.stderr.write(`${message}\nusage: npm run verify-draw -- --commitment HEX --secret HEX --nonce TEXT --context TEXT (--coefficient MIN,MAX,STEP | --sample N --pool pool.json)\n`)
  process.exit(2)
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
process.stdout.write(`${JSON.stringify({ commitmentValid, seed: seed.toString('hex'), result }, null, 2)}\n`)
process.exit(commitmentValid ? 0 : 1)
