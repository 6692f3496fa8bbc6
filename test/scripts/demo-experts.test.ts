import t from 'tap'
import { actorFor } from '../../scripts/demo/actor.ts'
import { DEMO_PASSWORD, seedCounty } from '../../scripts/demo/county.ts'
import { seedExperts } from '../../scripts/demo/experts.ts'
import { seedFees } from '../../scripts/demo/fees.ts'
import { seedTrading } from '../../scripts/demo/trading.ts'
import { buildTestApp } from '../helper.ts'
import { hallAdmin } from '../factories/accounts.ts'

async function signIn (app: Awaited<ReturnType<typeof buildTestApp>>['app'], username: string) {
  const session = await app.services.sessions.signIn({ username, password: DEMO_PASSWORD, ip: '127.0.0.1', userAgent: 'test', requestId: 'demo-test' })
  return { authorization: `Bearer ${session.token}` }
}

t.test('the demo county gets an expert pool, a drawing the supervisor can run now and one to approve — once', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = actorFor(await app.services.accounts.getAccount((await hallAdmin(app)).id))
  await seedCounty(app, admin)
  await seedFees(app, admin)
  await seedTrading(app, admin)
  const lines = await seedExperts(app, admin)
  t.match(lines.join('\n'), /Expert pool: 24 experts/)

  const supervisor = await signIn(app, 'supervisor')
  const listed = await app.inject({ method: 'GET', url: '/api/drawings', headers: supervisor })
  t.equal(listed.statusCode, 200, listed.body)
  const states = (listed.json() as Array<{ state: string }>).map((item) => item.state).sort()
  t.same(states, ['approved', 'requested'], 'the purchase is approved, the school building waits for the hall')
  const approved = (listed.json() as Array<{ id: string, state: string }>).find((item) => item.state === 'approved')!
  const drawn = await app.inject({ method: 'POST', url: `/api/drawings/${approved.id}/draw`, headers: supervisor, payload: { nonce: 'demo-dice-3-5-6-1' } })
  t.equal(drawn.statusCode, 200, drawn.body)
  t.equal(drawn.json().state, 'drawn', 'the lead time has begun: the supervisor draws at once')

  const list = await app.inject({ method: 'GET', url: `/api/drawings/${approved.id}/list`, headers: supervisor })
  const names = JSON.stringify(list.json())
  t.notMatch(names, /expert\.04|expert\.05/, 'neither the bidder\'s employee nor the suspended expert is drawn')

  t.same(await seedExperts(app, admin), [], 'a second run adds nothing')
  const [counts] = await app.db.$client<Array<{ experts: number, drawings: number }>>`select (select count(*)::int from experts) as experts, (select count(*)::int from drawings) as drawings`
  t.same(counts, { experts: 24, drawings: 2 })
})
