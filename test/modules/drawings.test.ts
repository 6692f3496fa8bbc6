/**
 * Random expert drawing through the API (issue 13): the agency asks, the hall approves (the
 * commitment is published), the supervisor draws with a nonce over the eligible pool (excluded
 * experts never drawn, each exclusion explained to the supervisor alone), members are invited,
 * a decline and a silence call reserves, a line with no reserve left raises an alarm, and the
 * list stays sealed — to the operator, the agency, experts, the audit log and the room — until the
 * evaluation starts and it is published with the secret.
 */
import t from 'tap'
import { createUser, hallAdmin, organisation } from '../factories/accounts.ts'
import { clockAt, drawingApi, drawingDesk, drawingInput, experts, HOUR, recordPenalty, recordUnavailable, TENDERER_CREDIT_CODE } from '../factories/drawings.ts'
import { createExpert, signInExpert } from '../factories/experts.ts'
import { buildTestApp, countRows } from '../helper.ts'

t.test('request → approve → draw → invitations → reserves → publication, sealed throughout', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const api = drawingApi(app)
  const { desk, supervisor, tender } = await drawingDesk(app)
  const evaluationAt = new Date(new Date(tender.bidDeadline).getTime() + 24 * HOUR)
  const evaluationDate = new Date(evaluationAt.getTime() + 8 * HOUR).toISOString().slice(0, 10)

  // the pool: 8 eligible technical experts and 3 who must never be drawn; 3 economic experts
  const technical = await experts(app, 8, { specialties: ['A010101'] })
  const tendererStaff = await createExpert(app, { specialties: ['A010101'], creditCode: TENDERER_CREDIT_CODE, organisationName: '示范县教育局' })
  const suspended = await createExpert(app, { specialties: ['A010101'] })
  await recordPenalty(app, suspended.expertId, '2020-01-01', null)
  const away = await createExpert(app, { specialties: ['A010101'] })
  await recordUnavailable(app, away.expertId, evaluationDate, evaluationDate)
  const economic = await experts(app, 3, { specialties: ['A020101'] })
  const excludedIds = [tendererStaff.expertId, suspended.expertId, away.expertId]
  const everyone = [...technical, tendererStaff, suspended, away, ...economic]

  await t.test('a request that breaks the committee rules is refused, naming each rule, and nothing is written', async (t) => {
    const response = await api.request(desk.agency, tender.id, drawingInput(tender, { committeeSize: 4, lines: [{ specialtyCode: 'A010101', side: 'technical', count: 4, reserves: 1 }] }))
    t.equal(response.statusCode, 422)
    t.equal(response.json().code, 'DRAWING_COMMITTEE_INVALID')
    t.match(response.json().errors, [{ path: '/committeeSize', message: /^works_five_and_odd:/ }])
    const twoThirds = await api.request(desk.agency, tender.id, drawingInput(tender, { committeeSize: 7, tendererRepresentatives: 3, lines: [{ specialtyCode: 'A010101', side: 'technical', count: 4, reserves: 1 }] }))
    t.match(twoThirds.json().errors, [{ message: /^experts_two_thirds:/ }])
    const unknown = await api.request(desk.agency, tender.id, drawingInput(tender, { lines: [{ specialtyCode: 'A0101', side: 'technical', count: 5, reserves: 0 }] }))
    t.equal(unknown.json().code, 'DRAWING_SPECIALTY_UNKNOWN', 'only level-3 specialties are drawn')
    t.equal(await countRows(app, 'drawings'), 0)
  })

  await t.test('another agency cannot ask for the tender\'s drawing: 404', async (t) => {
    const response = await api.request(await organisation(app, 'agency'), tender.id, drawingInput(tender))
    t.equal(response.statusCode, 404)
  })

  const requested = await api.request(desk.agency, tender.id, drawingInput(tender))
  t.equal(requested.statusCode, 201, requested.body)
  const drawing = requested.json()
  const id = drawing.id as string
  t.match(drawing, { state: 'requested', remote: false, committeeSize: 5, commitment: null, context: `drawing:${id}`, drawFrom: new Date(evaluationAt.getTime() - 48 * HOUR).toISOString() })

  await t.test('one live drawing per tender; a foreign party sees none', async (t) => {
    const again = await api.request(desk.agency, tender.id, drawingInput(tender))
    t.equal(again.statusCode, 409)
    t.equal(again.json().code, 'DRAWING_ALREADY_LIVE')
    t.equal((await api.get((await organisation(app, 'agency')).headers, id)).statusCode, 404, 'another agency: as if it did not exist')
    t.equal((await api.post(supervisor.headers, id, 'draw', { nonce: 'too-soon-1234' })).json().code, 'DRAWING_STATE_INVALID', 'nothing is drawn before approval')
  })

  const approved = await api.post(desk.hall.headers, id, 'approve')
  t.equal(approved.statusCode, 200, approved.body)
  const commitment = approved.json().commitment as string
  t.match(commitment, /^[0-9a-f]{64}$/, 'the commitment is published at approval')
  const roomBefore = (await api.room(desk.agency.headers, id)).json()
  t.match(roomBefore.events.find((event: { type: string }) => event.type === 'drawing.approved').data, { commitment, context: `drawing:${id}` }, 'in the room, before any nonce')

  const early = await api.post(supervisor.headers, id, 'draw', { nonce: 'dice 3-6-1-4-2' })
  t.equal(early.statusCode, 409)
  t.equal(early.json().code, 'DRAWING_TOO_EARLY', 'no draw before the lead time before the evaluation')
  await clockAt(app, new Date(evaluationAt.getTime() - 47 * HOUR))

  await t.test('the eligible pool in counts, for officials only', async (t) => {
    const pool = await api.get(desk.hall.headers, id, '/eligibility')
    t.equal(pool.statusCode, 200, pool.body)
    t.match(pool.json(), { biddersKnown: false, lines: [{ line: 0, qualified: 11, eligible: 8, needed: 6, short: 0, excludedByRule: { employed_by_party: 1, penalised_or_suspended: 1, unavailable_on_evaluation_date: 1 } }, { line: 1, qualified: 3, eligible: 3, short: 0 }] })
    t.equal((await api.get(desk.agency.headers, id, '/eligibility')).json().code, 'DRAWING_OFFICIALS_ONLY')
  })

  t.equal((await api.post(desk.hall.headers, id, 'draw', { nonce: 'operator-nonce-1' })).json().code, 'FORBIDDEN', 'the operator does not give the nonce')
  const drawn = await api.post(supervisor.headers, id, 'draw', { nonce: 'dice 3-6-1-4-2' })
  t.equal(drawn.statusCode, 200, drawn.body)
  t.match(drawn.json(), { state: 'drawn', nonce: 'dice 3-6-1-4-2', secret: null, lines: [{ invited: 4, standby: 2, short: false }, { invited: 1, standby: 1 }] })
  const listSha256 = drawn.json().listSha256 as string

  await t.test('a drawing is never run twice', async (t) => {
    const twice = await api.post(supervisor.headers, id, 'draw', { nonce: 'another nonce 99' })
    t.equal(twice.statusCode, 409)
    t.equal(twice.json().code, 'DRAWING_ALREADY_DRAWN')
  })

  const list = (await api.get(supervisor.headers, id, '/list')).json()
  const drawnExperts = list.lines.flatMap((line: { line: number, experts: Array<{ expertId: string }> }) => line.experts.map((expert) => ({ ...expert, line: line.line }))) as Array<{ expertId: string, pseudonym: string, role: string, state: string, line: number, name: string }>
  const byExpert = (expertId: string) => everyone.find((expert) => expert.expertId === expertId)!

  await t.test('the supervisor sees names and why each excluded expert was excluded; nobody excluded is drawn', async (t) => {
    t.equal(drawnExperts.length, 8, '5 members and 3 reserves')
    t.same(drawnExperts.filter((expert) => excludedIds.includes(expert.expertId)), [], 'no excluded expert is drawn')
    t.equal(new Set(drawnExperts.map((expert) => expert.expertId)).size, 8, 'nobody twice')
    const excluded = list.lines[0].excluded as Array<{ expertId: string, rules: Array<{ rule: string, detail: string }> }>
    t.same(excluded.map((entry) => [entry.expertId, entry.rules.map((rule) => rule.rule)]).sort(), [
      [tendererStaff.expertId, ['employed_by_party']], [suspended.expertId, ['penalised_or_suspended']], [away.expertId, ['unavailable_on_evaluation_date']]
    ].sort())
    t.match(excluded.find((entry) => entry.expertId === tendererStaff.expertId)!.rules[0]!.detail, /works for the tenderer 示范县教育局/)
    t.match(list, { sealed: true })
  })

  await t.test('the list is sealed to everyone else: operator, agency, experts, the record, the audit log, the room', async (t) => {
    for (const user of [desk.hall, desk.agency]) {
      const refused = await api.get(user.headers, id, '/list')
      t.equal(refused.statusCode, 403)
      t.equal(refused.json().code, 'DRAWING_LIST_SEALED')
      const view = await api.get(user.headers, id)
      for (const expert of drawnExperts) t.notOk(view.body.includes(expert.pseudonym) || view.body.includes(expert.name), 'the view has counts, no names or pseudonyms')
    }
    const member = byExpert(drawnExperts[0]!.expertId)
    const expertHeaders = await signInExpert(app, member)
    t.equal((await api.get(expertHeaders, id, '/list')).json().code, 'FORBIDDEN', 'an expert cannot read the list')
    t.equal((await api.get(expertHeaders, id)).statusCode, 403)
    t.equal((await app.inject({ method: 'GET', url: `/api/drawings/${id}/record` })).statusCode, 404, 'no record before publication')

    const accountIds = everyone.map((expert) => expert.accountId)
    const names = drawnExperts.map((expert) => expert.name)
    const audited = await app.db.$client`select actor_id, subject_id, payload::text as payload from audit_entries where subject_type = 'drawing' or action = 'notification.sent'` as Array<{ actor_id: string | null, subject_id: string, payload: string }>
    t.ok(audited.length > 5)
    t.same(audited.filter((entry) => accountIds.includes(entry.actor_id ?? '') || accountIds.includes(entry.subject_id) || names.some((name) => entry.payload.includes(name)) || accountIds.some((account) => entry.payload.includes(account))), [],
      'no audit entry names a drawn expert by account or name (invitations are recorded under the drawing, by pseudonym)')
    const drawEntry = await app.db.$client`select payload->>'listSha256' as hash from audit_entries where action = 'drawing.drawn' and subject_id = ${id}` as Array<{ hash: string }>
    t.equal(drawEntry[0]!.hash, listSha256, 'the list\'s hash is in the audit chain from the draw')

    const operatorRoom = (await api.room(desk.hall.headers, id)).json()
    t.notOk(JSON.stringify(operatorRoom).includes(names[0]!), 'the operator\'s room carries no names')
    t.ok(operatorRoom.events.some((event: { type: string }) => event.type === 'drawing.drawn'))
    const supervisorRoom = (await api.room(supervisor.headers, id)).json()
    t.ok(JSON.stringify(supervisorRoom.events.find((event: { type: string }) => event.type === 'drawing.drawn_names')).includes(names[0]!), 'the supervisors\' twin event names them')
    t.equal((await api.room(expertHeaders, id)).statusCode, 404, 'an expert may not join the room')
  })

  const members = drawnExperts.filter((expert) => expert.role === 'member' && expert.line === 0)
  const headersOf = async (expertId: string) => signInExpert(app, byExpert(expertId))

  await t.test('an invited expert learns time, place and specialty — not the tender — and confirms', async (t) => {
    const headers = await headersOf(members[0]!.expertId)
    const mine = await app.inject({ method: 'GET', url: '/api/me/invitations', headers })
    t.equal(mine.statusCode, 200)
    t.match(mine.json(), [{ drawingId: id, specialtyCode: 'A010101', side: 'technical', evaluationAt: evaluationAt.toISOString(), evaluationPlace: '示范县公共资源交易中心第三评标室', remote: false, state: 'invited' }])
    t.notOk(mine.body.includes(tender.code) || mine.body.includes('教学楼'), 'nothing names the tender')
    const inbox = await app.inject({ method: 'GET', url: '/api/messages', headers })
    t.match(inbox.json().items, [{ kind: 'drawing.invitation', subject: /^评标邀请/ }])
    t.notOk(inbox.body.includes('教学楼'))
    const confirmed = await api.answer(headers, id, 'confirm')
    t.equal(confirmed.statusCode, 200, confirmed.body)
    t.equal(confirmed.json().state, 'confirmed')
    t.equal((await api.answer(headers, id, 'decline')).json().code, 'DRAWING_INVITATION_ANSWERED')
    const stranger = await createUser(app, { grants: [{ role: 'expert', scopeType: 'hall' }] })
    t.equal((await api.answer(stranger.headers, id, 'confirm')).json().code, 'DRAWING_INVITATION_NOT_FOUND')
  })

  await t.test('a decline calls the first reserve; silence past the deadline the second; then the line is short', async (t) => {
    const declined = await api.answer(await headersOf(members[1]!.expertId), id, 'decline')
    t.equal(declined.json().state, 'declined')
    let view = (await api.get(desk.hall.headers, id)).json()
    t.match(view.lines[0], { confirmed: 1, declined: 1, invited: 3, standby: 1, short: false }, 'the operator sees counts and confirmations')
    const [firstReserve, secondReserve] = drawnExperts.filter((expert) => expert.line === 0 && expert.role === 'reserve')
    t.match((await app.inject({ method: 'GET', url: '/api/me/invitations', headers: await headersOf(firstReserve!.expertId) })).json(), [{ state: 'invited' }], 'the first reserve in drawn order is invited')
    t.match((await app.inject({ method: 'GET', url: '/api/me/invitations', headers: await headersOf(secondReserve!.expertId) })).json(), [], 'the second is not called yet')
    // everyone but one answers; that one stays silent
    const economicMember = drawnExperts.find((expert) => expert.line === 1 && expert.role === 'member')!
    for (const expertId of [members[3]!.expertId, firstReserve!.expertId, economicMember.expertId]) t.equal((await api.answer(await headersOf(expertId), id, 'confirm')).statusCode, 200)

    const silent = members[2]!
    const answerBy = (await api.get(supervisor.headers, id, '/list')).json().lines[0].experts.find((expert: { expertId: string }) => expert.expertId === silent.expertId).answerBy as string
    await clockAt(app, new Date(new Date(answerBy).getTime() + 1000), `drawings.answer:${id}:${silent.pseudonym}`)
    view = (await api.get(desk.hall.headers, id)).json()
    t.match(view.lines[0], { noAnswer: 1, standby: 0, invited: 1, confirmed: 3 }, 'silence: no_answer, and the second reserve is called')
    t.match((await app.inject({ method: 'GET', url: '/api/me/invitations', headers: await headersOf(secondReserve!.expertId) })).json(), [{ state: 'invited' }])
    t.equal((await api.answer(await headersOf(silent.expertId), id, 'confirm')).json().code, 'DRAWING_INVITATION_ANSWERED', 'a late answer is refused')

    t.equal((await api.answer(await headersOf(secondReserve!.expertId), id, 'decline')).statusCode, 200)
    view = (await api.get(desk.hall.headers, id)).json()
    t.match(view.lines[0], { declined: 2, standby: 0, short: true }, 'no reserve left: the line is short')
    const room = (await api.room(desk.hall.headers, id)).json()
    t.match(room.events.filter((event: { type: string }) => event.type === 'drawing.line_short'), [{ data: { line: 0, why: 'no_reserve_left', needed: 4 } }])
    const operatorInbox = await app.inject({ method: 'GET', url: '/api/messages', headers: desk.hall.headers })
    t.match(operatorInbox.json().items, [{ kind: 'drawing.line_short' }], 'the operator who approved is alarmed in the inbox')
    const reasons = room.events.filter((event: { type: string }) => event.type === 'drawing.reserve_called').map((event: { data: { why: string } }) => event.data.why)
    t.same(reasons, ['declined', 'no_answer'], 'each replacement is logged with its cause')
  })

  await t.test('publication at the evaluation: names, secret and a record anyone can check', async (t) => {
    t.equal((await api.post(desk.hall.headers, id, 'publish')).json().code, 'DRAWING_PUBLICATION_TOO_EARLY')
    for (const expert of drawnExperts.filter((entry) => entry.state === 'invited')) {
      const current = (await app.inject({ method: 'GET', url: '/api/me/invitations', headers: await headersOf(expert.expertId) })).json()[0]
      if (current.state === 'invited') await api.answer(await headersOf(expert.expertId), id, 'confirm')
    }
    // the opening concluded and the tender is in its evaluation (the openings tests take it there); a tender
    // without bids would fail at its deadline and call the drawing off (drawings.cancel.test.ts)
    await app.db.$client`update tenders set status = 'evaluation' where id = ${tender.id}`
    await clockAt(app, evaluationAt, `drawings.publish:${id}`)
    const published = (await api.get(desk.agency.headers, id)).json()
    t.match(published, { state: 'published', secret: /^[0-9a-f]{64}$/ })
    const record = await app.inject({ method: 'GET', url: `/api/drawings/${id}/record` })
    t.equal(record.statusCode, 200, record.body)
    t.match(record.json(), { format: 'openhall-drawing-record', commitment, nonce: 'dice 3-6-1-4-2', context: `drawing:${id}`, listSha256 })
    const committee = await app.services.drawings.committeeFor(tender.id)
    t.same(record.json().committee.map((member: { name: string }) => member.name).sort(), committee.map((member) => drawnExperts.find((expert) => expert.expertId === member.expertId)!.name).sort(), 'the record names the confirmed committee')
    t.ok(committee.every((member) => member.accountId && (member.side === 'technical' || member.side === 'economic')))
    t.equal((await api.get(desk.agency.headers, id, '/list')).statusCode, 200, 'after publication the parties see the committee')
    t.same(await app.services.drawings.publishForEvaluation(tender.id), committee, 'the evaluation\'s seam: publishing again changes nothing')
  })
})

t.test('too few eligible experts: the drawing fails with the shortfall per specialty, nothing drawn; a nonce serves one drawing', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const api = drawingApi(app)
  const { desk, supervisor, tender } = await drawingDesk(app)
  await experts(app, 6, { specialties: ['A010101'] })
  await experts(app, 1, { specialties: ['A020101'] })
  const input = drawingInput(tender)
  const id = (await api.request(desk.agency, tender.id, input)).json().id as string
  await api.post(desk.hall.headers, id, 'approve')
  await clockAt(app, new Date(new Date(input.evaluationAt).getTime() - HOUR))
  const short = await api.post(supervisor.headers, id, 'draw', { nonce: 'nonce-of-the-day' })
  t.equal(short.statusCode, 422)
  t.equal(short.json().code, 'DRAWING_POOL_SHORT')
  t.same(short.json().errors, [{ path: '/lines/1', message: 'A020101: 2 needed (members and reserves), 1 eligible; short by 1' }], 'the short specialty and by how many')
  const failed = (await api.get(desk.hall.headers, id)).json()
  t.match(failed, { state: 'failed', failure: { kind: 'shortfall', lines: [{ line: 1, specialtyCode: 'A020101', short: 1 }] } })
  t.equal(await countRows(app, 'drawn_experts'), 0, 'nothing drawn')
  t.equal((await api.post(supervisor.headers, id, 'draw', { nonce: 'nonce-second-try' })).json().code, 'DRAWING_ALREADY_DRAWN', 'not drawn again quietly')

  // the failed drawing stays on record; a new request for the tender is made
  await clockAt(app, realNow())
  const renewed = await api.request(desk.agency, tender.id, drawingInput(tender, { lines: [{ specialtyCode: 'A010101', side: 'technical', count: 5, reserves: 1 }] }))
  t.equal(renewed.statusCode, 201, renewed.body)
  const second = renewed.json().id as string
  await api.post(desk.hall.headers, second, 'approve')
  await clockAt(app, new Date(new Date(input.evaluationAt).getTime() - HOUR))
  const reused = await api.post(supervisor.headers, second, 'draw', { nonce: 'nonce-of-the-day' })
  t.equal(reused.statusCode, 409)
  t.equal(reused.json().code, 'DRAWING_NONCE_REUSED', 'a nonce given for another drawing is refused')
  t.equal((await api.post(supervisor.headers, second, 'draw', { nonce: 'a fresh nonce 42' })).statusCode, 200)
  const history = await app.inject({ method: 'GET', url: `/api/drawings?tenderId=${tender.id}`, headers: desk.agency.headers })
  t.same(history.json().map((entry: { state: string }) => entry.state).sort(), ['drawn', 'failed'], 'both stay on record')
  t.equal((await app.inject({ method: 'GET', url: '/api/drawings?state=failed', headers: (await hallAdmin(app)).headers })).json().length, 1)
})
