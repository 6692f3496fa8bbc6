/** The shipped verifier re-computes a draw from its published inputs (a K, a sample, an expert drawing's record) and catches a wrong secret or a tampered record. */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { commitmentOf, drawCoefficient, drawSample, seedOf } from '../../src/lib/commit-reveal.ts'
import { clockAt, drawingApi, drawingDesk, drawingInput, experts, HOUR } from '../factories/drawings.ts'
import { buildTestApp } from '../helper.ts'
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

t.test('a published expert drawing is re-computed from its record; a tampered record fails', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const api = drawingApi(app)
  const { desk, supervisor, tender } = await drawingDesk(app)
  await experts(app, 7, { specialties: ['A010101'] })
  await experts(app, 3, { specialties: ['A020101'] })
  const input = drawingInput(tender)
  const id = (await api.request(desk.agency, tender.id, input)).json().id as string
  await api.post(desk.hall.headers, id, 'approve')
  await clockAt(app, new Date(new Date(input.evaluationAt).getTime() - 47 * HOUR))
  t.equal((await api.post(supervisor.headers, id, 'draw', { nonce: '监督员 掷骰 6-2-5' })).statusCode, 200)
  await clockAt(app, input.evaluationAt, `drawings.publish:${id}`)
  const record = (await app.inject({ method: 'GET', url: `/api/drawings/${id}/record` })).json()
  const dir = workDirectory(t)
  const file = path.join(dir, 'drawing-record.json')
  writeFileSync(file, JSON.stringify(record))
  const verified = verify('--record', file)
  t.equal(verified.status, 0, verified.stderr)
  t.match(verified.json, { commitmentValid: true, snapshotValid: true, matchesRecord: true, listHashValid: true })
  t.same(verified.json.result, record.drawn, 'the committee drawn again from the published snapshot, secret and nonce')

  const swapped = structuredClone(record)
  const [first, ...rest] = swapped.drawn[0].members
  swapped.drawn[0].members = [...rest, first]
  writeFileSync(file, JSON.stringify(swapped))
  const reordered = verify('--record', file)
  t.equal(reordered.status, 1, 'a list in another order is not the one drawn')
  t.equal(reordered.json.matchesRecord, false)

  const pruned = structuredClone(record)
  pruned.snapshot.lines[0].eligible.pop()
  writeFileSync(file, JSON.stringify(pruned))
  t.equal(verify('--record', file).json.snapshotValid, false, 'a pool edited after the draw no longer matches its published hash')

  const renonced = { ...record, nonce: 'another nonce' }
  writeFileSync(file, JSON.stringify(renonced))
  t.equal(verify('--record', file).status, 1, 'another nonce draws another list')
})
