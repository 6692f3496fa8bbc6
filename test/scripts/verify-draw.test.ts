/** The shipped verifier re-computes a draw from its published inputs and catches a wrong secret. */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { commitmentOf, drawCoefficient, drawSample, seedOf } from '../../src/lib/commit-reveal.ts'
import { workDirectory } from '../support/pki.ts'

function verify (...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-draw.ts', ...args], { encoding: 'utf8' })
  return { status: run.status, json: run.stdout ? JSON.parse(run.stdout) : null, stderr: run.stderr }
}

t.test('a coefficient and a sample are re-computed exactly', async (t) => {
  const secret = randomBytes(32)
  const commitment = commitmentOf(secret)
  const k = verify('--commitment', commitment, '--secret', secret.toString('hex'), '--nonce', '监督 7391', '--context', 'tender:T-1:k', '--coefficient', '0.95,1.05,0.01')
  t.equal(k.status, 0, k.stderr)
  t.same(k.json, { commitmentValid: true, seed: seedOf(secret, '监督 7391', 'tender:T-1:k').toString('hex'), result: drawCoefficient(seedOf(secret, '监督 7391', 'tender:T-1:k'), { min: '0.95', max: '1.05', step: '0.01' }) })

  const dir = workDirectory(t)
  const pool = Array.from({ length: 30 }, (_, index) => `expert-${index}`)
  writeFileSync(path.join(dir, 'pool.json'), JSON.stringify(pool))
  const sample = verify('--commitment', commitment, '--secret', secret.toString('hex'), '--nonce', 'n', '--context', 'drawing:D-1', '--sample', '5', '--pool', path.join(dir, 'pool.json'))
  t.same(sample.json.result, drawSample(seedOf(secret, 'n', 'drawing:D-1'), pool, 5))

  const forged = verify('--commitment', commitment, '--secret', randomBytes(32).toString('hex'), '--nonce', 'n', '--context', 'tender:T-1:k', '--coefficient', '0.95,1.05,0.01')
  t.equal(forged.status, 1, 'a secret that does not match the commitment fails')
  t.equal(forged.json.commitmentValid, false)
  t.equal(verify('--secret', 'zz').status, 2, 'usage errors exit 2')
})
