/**
 * Bidders are known only at the deadline: a committee drawn before it is checked again when bids
 * freeze. An expert employed by a bidder, or with a declared relation to one, is recused with the
 * rule as the reason and replaced by the next reserve — logged with names for the supervisors and
 * by pseudonym in the audit chain; a pool read after the deadline excludes them from the start.
 */
import t from 'tap'
import { clockAt, drawingApi, drawingInput, experts, HOUR, recordRelation } from '../factories/drawings.ts'
import { createExpert, signInExpert } from '../factories/experts.ts'
import { tenderWithBids } from '../factories/openings.ts'
import { passDeadline } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'

t.test('the recheck at the deadline recuses experts conflicted with a bidder and calls reserves', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const api = drawingApi(app)
  const { desk, supervisor, tender, bidders } = await tenderWithBids(app, ['1288800000', '1302500000', '1276000000'])
  const creditCodeOf = async (accountId: string) => ((await app.db.$client`select credit_code from accounts where id = ${accountId}`) as unknown as Array<{ credit_code: string }>)[0]!.credit_code
  const bidderCode = await creditCodeOf(bidders[0]!.user.id)
  const relatedCode = await creditCodeOf(bidders[1]!.user.id)

  // seven experts for five seats and two reserves: everyone is drawn, the two conflicted among them
  const clean = await experts(app, 5, { specialties: ['A010101'] })
  const employed = await createExpert(app, { specialties: ['A010101'], creditCode: bidderCode, organisationName: '投标人甲' })
  const related = await createExpert(app, { specialties: ['A010101'] })
  await recordRelation(app, related.expertId, relatedCode)
  const input = drawingInput(tender, { lines: [{ specialtyCode: 'A010101', side: 'technical', count: 5, reserves: 2 }] })
  const id = (await api.request(desk.agency, tender.id, input)).json().id as string
  t.equal((await api.post(desk.hall.headers, id, 'approve')).statusCode, 200)
  await clockAt(app, new Date(new Date(tender.bidDeadline).getTime() - 23 * HOUR))
  const drawn = await api.post(supervisor.headers, id, 'draw', { nonce: 'before-the-deadline' })
  t.equal(drawn.statusCode, 200, drawn.body)
  t.match(drawn.json(), { biddersCheckedAt: null, lines: [{ invited: 5, standby: 2, recused: 0 }] }, 'before the deadline the bidders are unknown: not checked yet')

  // the members answer within the day; a confirmed member is still checked at the deadline
  const sealed = (await api.get(supervisor.headers, id, '/list')).json().lines[0].experts as Array<{ expertId: string, state: string }>
  const everyone = [...clean, employed, related]
  for (const member of sealed.filter((expert) => expert.state === 'invited')) {
    t.equal((await api.answer(await signInExpert(app, everyone.find((expert) => expert.expertId === member.expertId)!), id, 'confirm')).statusCode, 200)
  }

  await passDeadline(app, t, tender)
  const checked = (await api.get(desk.hall.headers, id)).json()
  t.match(checked, { biddersCheckedAt: /Z$/, lines: [{ recused: 2, standby: 0, short: false }] }, 'two recused, reserves called in their place')
  t.equal(checked.lines[0].invited + checked.lines[0].confirmed, 5, 'the committee is whole again')
  const list = (await api.get(supervisor.headers, id, '/list')).json()
  const byId = new Map(list.lines[0].experts.map((expert: { expertId: string }) => [expert.expertId, expert]))
  t.match(byId.get(employed.expertId), { state: 'recused', reason: 'employed_by_party' })
  t.match(byId.get(related.expertId), { state: 'recused', reason: 'related_to_party' })
  t.ok(clean.every((expert) => ['invited', 'confirmed'].includes((byId.get(expert.expertId) as { state: string }).state)), 'every clean expert is in the committee')

  const supervisorRoom = (await api.room(supervisor.headers, id)).json().events as Array<{ type: string, data: Record<string, unknown> }>
  const recusals = supervisorRoom.filter((event) => event.type === 'drawing.recused_names')
  t.equal(recusals.length, 2)
  t.match(recusals.find((event) => (event.data.rules as string[]).includes('employed_by_party'))!.data, { name: /^专家/, details: [{ rule: 'employed_by_party', detail: /works for the bidder/ }] }, 'the supervisor sees who and why')
  t.match(supervisorRoom.find((event) => event.type === 'drawing.bidders_checked')!.data, { bidders: 3, recused: 2 })
  const operatorRoom = JSON.stringify((await api.room(desk.hall.headers, id)).json())
  t.notOk(operatorRoom.includes('投标人甲') || operatorRoom.includes('recused_names'), 'the operator sees the recusal by pseudonym and rule only')
  const audited = await app.db.$client`select payload from audit_entries where action = 'drawing.recused' and subject_id = ${id}` as Array<{ payload: { pseudonym: string, rules: string[] } }>
  t.same(audited.map((entry) => entry.payload.rules[0]).sort(), ['employed_by_party', 'related_to_party'], 'in the audit chain, by pseudonym')

  const pool = (await api.get(supervisor.headers, id, '/eligibility')).json()
  t.match(pool, { biddersKnown: true, lines: [{ qualified: 7, eligible: 5, excludedByRule: { employed_by_party: 1, related_to_party: 1 } }] }, 'a draw after the deadline checks the bidders itself')
})
