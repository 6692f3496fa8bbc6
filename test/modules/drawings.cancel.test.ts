/**
 * A drawing is called off with its evaluation: the hall cancels a drawn drawing, or the tender is
 * cancelled (or fails) and takes its drawing under way with it. The invited stop waiting (their
 * answer timers go), everyone invited or confirmed is told the evaluation will not take place,
 * the list is never published, and the drawing stays on record beside a new request; the draw's
 * record is published at once without names, and the shipped verifier re-computes it.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { clockAt, drawingApi, drawingDesk, drawingInput, drawnDrawing, experts, HOUR } from '../factories/drawings.ts'
import { signInExpert } from '../factories/experts.ts'
import { buildTestApp } from '../helper.ts'
import { workDirectory } from '../support/pki.ts'

t.test('a tender cancelled after the draw calls its drawing off and tells the invited experts', async (t) => {
  const { app } = await buildTestApp(t)
  const { api, desk, supervisor, tender, pool, id } = await drawnDrawing(app, t, 'called-off-later')

  const lines = (await api.get(supervisor.headers, id, '/list')).json().lines as Array<{ experts: Array<{ expertId: string, state: string }> }>
  const invited = lines.flatMap((line) => line.experts).filter((expert) => expert.state === 'invited').map((expert) => pool.find((one) => one.expertId === expert.expertId)!)
  t.equal(invited.length, 5)
  const confirming = await signInExpert(app, invited[0]!)
  t.equal((await api.answer(confirming, id, 'confirm')).statusCode, 200)

  const cancelled = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/cancellation`, headers: desk.agency.headers, payload: { reason: '项目资金未落实，终止招标' } })
  t.equal(cancelled.statusCode, 200, cancelled.body)
  const drawing = (await api.get(desk.hall.headers, id)).json()
  t.match(drawing, { state: 'cancelled', failure: { kind: 'cancelled', reason: '项目资金未落实，终止招标' } }, 'the drawing ends with the tender, its reason on record')

  const keys = await app.db.$client<Array<{ key: string }>>`select key from timers where key like ${`%${id}%`} and fired_at is null`
  t.same(keys, [], 'no answer deadline nor publication is left waiting')
  const told = await app.db.$client<Array<{ recipient_id: string }>>`select recipient_id from inbox_messages where kind = 'drawing.cancelled'`
  t.same(told.map((row) => row.recipient_id).sort(), invited.map((expert) => expert.accountId).sort(), 'every invited or confirmed expert is told; the reserves never called are not')

  const mine = (await app.inject({ method: 'GET', url: '/api/me/invitations', headers: confirming })).json() as Array<{ drawingId: string, state: string }>
  t.match(mine.find((invitation) => invitation.drawingId === id), { state: 'cancelled' }, 'the expert\'s invitation says so')
  const late = await api.answer(await signInExpert(app, invited[1]!), id, 'confirm')
  t.equal(late.statusCode, 409, 'an invitation of a cancelled drawing can no longer be answered')
  t.equal((await api.post(desk.hall.headers, id, 'publish')).statusCode, 409, 'a cancelled drawing is never published')
  t.equal((await api.get(desk.agency.headers, id, '/list')).json().code, 'DRAWING_LIST_SEALED', 'and its list stays sealed')

  // the draw itself stays checkable: its record is published at once, without names
  const record = await app.inject({ method: 'GET', url: `/api/drawings/${id}/record` })
  t.equal(record.statusCode, 200, record.body)
  t.match(record.json(), { state: 'cancelled', committee: [], secret: /^[0-9a-f]{64}$/, nonce: 'called-off-later' })
  const names = (await app.db.$client<Array<{ full_name: string, code: string }>>`select full_name, code from experts`).flatMap((row) => [row.full_name, row.code])
  t.same(names.filter((name) => record.body.includes(name)), [], 'no expert is named')
  const file = path.join(workDirectory(t), 'drawing-record.json')
  writeFileSync(file, record.body)
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-draw.ts', '--record', file], { encoding: 'utf8' })
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(JSON.parse(run.stdout), { commitmentValid: true, snapshotValid: true, matchesRecord: true, listHashValid: true }, 'the shipped verifier re-computes the cancelled draw')
  const page = await app.inject({ method: 'GET', url: `/drawings/${id}/record` })
  t.equal(page.statusCode, 200)
  t.match(page.body, '评标已取消，不组成评标委员会')
  t.notMatch(page.body, 'data-committee', 'the page shows no committee')
})

t.test('the hall cancels a drawn drawing with a reason; a request not drawn yet goes with its tender', async (t) => {
  const { app } = await buildTestApp(t)
  const { api, desk, tender, id } = await drawnDrawing(app, t, 'postponed-evaluation')
  const refused = await api.post(desk.agency.headers, id, 'cancel', { reason: '评标延期' })
  t.equal(refused.statusCode, 403, 'the agency does not operate drawings')
  const byHall = await api.post(desk.hall.headers, id, 'cancel', { reason: '评标场地检修，评标延期' })
  t.equal(byHall.statusCode, 200, byHall.body)
  t.match(byHall.json(), { state: 'cancelled', failure: { reason: '评标场地检修，评标延期' } })
  t.equal((await app.db.$client`select 1 from inbox_messages where kind = 'drawing.cancelled'`).length, 5, 'the five invited are told')
  const again = await api.request(desk.agency, tender.id, drawingInput(tender))
  t.equal(again.statusCode, 201, 'a new request stands beside the cancelled one')
  t.equal((await api.post(desk.hall.headers, id, 'cancel', { reason: '再次取消' })).json().code, 'DRAWING_STATE_INVALID', 'an ended drawing cannot be cancelled twice')

  // the tender is cancelled with the new request still waiting for the hall: it ends with it
  const cancelled = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/cancellation`, headers: desk.agency.headers, payload: { reason: '投标人不足三家，重新招标' } })
  t.equal(cancelled.statusCode, 200, cancelled.body)
  t.match((await api.get(desk.hall.headers, again.json().id)).json(), { state: 'cancelled', failure: { reason: '投标人不足三家，重新招标' } })
})

t.test('a draw and its tender\'s cancellation at the same moment: one after the other, never a deadlock', async (t) => {
  const { app } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  const api = drawingApi(app)
  await experts(app, 6, { specialties: ['A010101'] })
  await experts(app, 2, { specialties: ['A020101'] })
  for (let round = 0; round < 3; round++) {
    app.clock.now = realNow
    const { desk, supervisor, tender } = await drawingDesk(app)
    const id = (await api.request(desk.agency, tender.id, drawingInput(tender))).json().id as string
    t.equal((await api.post(desk.hall.headers, id, 'approve')).statusCode, 200)
    await clockAt(app, new Date(new Date(tender.bidDeadline).getTime() - 23 * HOUR))
    const [drawn, cancelled] = await Promise.all([
      api.post(supervisor.headers, id, 'draw', { nonce: `race-${round}-${tender.id}` }),
      app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/cancellation`, headers: desk.agency.headers, payload: { reason: '终止招标' } })
    ])
    t.equal(cancelled.statusCode, 200, `round ${round}: the cancellation goes through`)
    t.ok(drawn.statusCode === 200 || drawn.json().code === 'DRAWING_STATE_INVALID' || drawn.json().code === 'DRAWING_TENDER_CLOSED', `round ${round}: the draw ran first or was refused (${drawn.statusCode} ${drawn.body.slice(0, 120)})`)
    t.equal((await api.get(desk.hall.headers, id)).json().state, 'cancelled', `round ${round}: the drawing ends cancelled either way`)
  }
})
