import os from 'node:os'
import { existsSync, mkdtempSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { actorFor } from '../../scripts/demo/actor.ts'
import { seedApprovals } from '../../scripts/demo/approvals.ts'
import { seedCounty } from '../../scripts/demo/county.ts'
import { buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'

t.test('the demo county gets its approvals: items, delegation, seal, cases — once', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await app.services.accounts.getAccount((await hallAdmin(app)).id)
  await seedCounty(app, actorFor(admin))
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'openhall-demo-'))
  const first = await seedApprovals(app, dataDir)
  t.match(first.join('\n'), /SCJG-SPJY-001.*\n.*query code [2-9A-Z]{10}/)
  t.ok(existsSync(path.join(dataDir, 'demo', 'pki', 'SCJGJ-seal.key')), 'the bureau keeps its seal key')
  const second = await seedApprovals(app, dataDir)
  t.equal(second.length, 1, 'a second run adds nothing')
  const [counts] = await app.db.$client<Array<{ items: number, cases: number }>>`select (select count(*)::int from service_items where status = 'published') as items, (select count(*)::int from cases) as cases`
  t.same(counts, { items: 3, cases: 3 })
  const states = await app.db.$client<Array<{ state: string }>>`select state from cases order by number`
  t.same(states.map((row) => row.state), ['submitted', 'correction', 'review'])
})
