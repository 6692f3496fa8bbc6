import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { chiefRep } from '../factories/catalogue.ts'
import { approvalsDesk, delegatedItem, filed, filedAtWindow, fire, ok, PDF, setClock, signResult, step } from '../factories/cases.ts'
import { multipart } from '../support/multipart.ts'
import { workDirectory } from '../support/pki.ts'

t.test('a promised case online: apply, accept, review, approve, the sealed result, progress, rating', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  setClock(app, '2026-11-30T02:00:00.000Z') // Mon 30 Nov, 10:00 in Beijing
  const { case: submitted, queryCode } = await filed(app, desk.applicant, item.id)
  t.match(submitted.number, new RegExp(`^${desk.department.code}-20261130-0001$`))
  t.equal(submitted.state, 'submitted')
  t.equal(submitted.mode, 'promised')
  t.equal(submitted.acceptanceDueAt, '2026-12-07T16:00:00.000Z', 'five working days after Monday: the end of the next Monday')
  t.same(submitted.missingMaterials, [])
  t.match(queryCode, /^[2-9A-Z]{10}$/)

  const accepted = await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  t.equal(accepted.state, 'accepted')
  t.equal(accepted.clock!.dueAt, '2026-12-07T16:00:00.000Z', 'due after 5 working days')
  t.equal(accepted.clock!.colour, 'green')
  const receipt = await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}/documents/acceptance`, headers: desk.applicant.headers })
  t.equal(receipt.statusCode, 200)
  t.equal(receipt.headers['content-type'], 'application/pdf')
  t.equal(receipt.rawPayload.subarray(0, 5).toString(), '%PDF-')

  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  const decided = await ok(await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] }))
  t.equal(decided.state, 'decided')
  t.equal(decided.clock, null, 'supervision stops at the decision')
  // the hall's CA and the seal were issued when this test started, whatever day that is, so the
  // seal is checked at that time; the case's own steps keep the calendar dates they are about
  const caseTime = app.clock.now
  app.clock.now = () => new Date()
  const issued = await ok(await step(app, desk.clerk, submitted.id, 'result', { signature: await signResult(app, desk.clerk, submitted.id, desk.seal) }))
  app.clock.now = caseTime
  t.equal(issued.state, 'closed', 'an online result is delivered electronically at once, which closes the case')
  t.equal(issued.result!.number, `${submitted.number}-R`)

  // the sealed result verifies with OpenSSL against the platform root
  const signed = (await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}/result`, headers: desk.applicant.headers })).json()
  const dir = workDirectory(t)
  writeFileSync(path.join(dir, 'result.json'), signed.json)
  writeFileSync(path.join(dir, 'result.p7s'), Buffer.from(signed.signature, 'base64'))
  writeFileSync(path.join(dir, 'root.pem'), (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json().root)
  const verified = execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'result.p7s'), '-content', path.join(dir, 'result.json'), '-CAfile', path.join(dir, 'root.pem'), '-purpose', 'any', '-out', '/dev/null'], { stdio: 'pipe' })
  t.ok(verified !== undefined, 'openssl cms -verify accepts the seal')
  t.match(JSON.parse(signed.json), { kind: 'licence', caseNumber: submitted.number, decision: 'approve' })

  const progress = await app.inject({ method: 'GET', url: `/api/public/case-progress?number=${submitted.number}&queryCode=${queryCode.slice(0, 5)}-${queryCode.slice(5).toLowerCase()}` })
  t.equal(progress.statusCode, 200, 'the code is read with a hyphen and in lower case')
  t.match(progress.json(), { state: 'closed', resultAvailable: true, ratingOpen: true })
  t.same(progress.json().events.map((event: { kind: string }) => event.kind), ['submitted', 'accepted', 'review_started', 'decided', 'result_issued', 'delivered', 'closed'])
  t.notMatch(progress.body, /申请新办食品经营许可证/, 'the public progress shows no request text')
  const lowerCase = await app.inject({ method: 'GET', url: `/api/public/case-progress?number=${submitted.number.toLowerCase()}&queryCode=${queryCode}` })
  t.equal(lowerCase.statusCode, 200, 'a number typed in lower case is found')
  const wrongCode = await app.inject({ method: 'GET', url: `/api/public/case-progress?number=${submitted.number}&queryCode=2222222222` })
  t.equal(wrongCode.statusCode, 404)
  t.equal(wrongCode.json().code, 'CASE_QUERY_FAILED')
  const pdf = await app.inject({ method: 'GET', url: `/api/public/case-result?number=${submitted.number}&queryCode=${queryCode}` })
  t.equal(pdf.statusCode, 200)

  const rated = await app.inject({ method: 'POST', url: '/api/public/case-ratings', payload: { number: submitted.number, queryCode, level: 2, comment: '等待太久' } })
  t.equal(rated.statusCode, 200)
  t.equal(rated.json().ratingOpen, false)
  const again = await app.inject({ method: 'POST', url: '/api/public/case-ratings', payload: { number: submitted.number, queryCode, level: 5 } })
  t.equal(again.json().code, 'RATING_NOT_OPEN', 'rated once')
  const rectifications = (await app.inject({ method: 'GET', url: '/api/rectifications', headers: desk.deptAdmin.headers })).json()
  t.equal(rectifications.length, 1, 'a bad rating opens a rectification')
  t.equal(rectifications[0].dueAt, '2026-12-21T16:00:00.000Z', '15 working days after Monday 30 Nov')
  const reported = await app.inject({ method: 'POST', url: `/api/rectifications/${rectifications[0].id}/report`, headers: desk.deptAdmin.headers, payload: { report: '已优化审批流程' } })
  t.equal(reported.statusCode, 200)
  t.equal(reported.json().overdue, false)

  const audit = await app.db.$client<Array<{ action: string }>>`select action from audit_entries where subject_id = ${submitted.id} order by id`
  t.same(audit.map((row) => row.action), ['case.submitted', 'case.accepted', 'case.review_started', 'case.decided', 'case.result_issued', 'case.delivered', 'case.closed', 'case.rated'])
})

t.test('bad input at acceptance and in review: specific codes, nothing changed', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  // received at a window without M2 (online every required material comes with the application)
  const { case: submitted } = await filedAtWindow(app, desk, item.id, ['M1'])
  t.same(submitted.missingMaterials, ['M2'])

  const missing = await step(app, desk.clerk, submitted.id, 'acceptance')
  t.equal(missing.statusCode, 422)
  t.equal(missing.json().code, 'MATERIALS_MISSING')
  const incomplete = await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M1'], note: '' })
  t.equal(incomplete.json().code, 'CORRECTION_INCOMPLETE', 'the notice lists every missing material')
  const unrelated = await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2', 'X9'], note: '' })
  t.equal(unrelated.json().code, 'MATERIAL_NOT_REQUIRED')
  const early = await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] })
  t.equal(early.json().code, 'CASE_STATE_INVALID')
  t.equal((await ok(await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: desk.clerk.headers }))).state, 'submitted', 'nothing changed')

  const noticed = await ok(await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2'], note: '请补交营业执照复印件' }))
  t.equal(noticed.state, 'correction')
  const second = await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2'], note: '' })
  t.equal(second.statusCode, 409)
  t.equal(second.json().code, 'CORRECTION_ALREADY_GIVEN')

  const partial = multipart({}, { M1: PDF('again') })
  // the applicant came in person: the receiving window hands in the answer
  const wrongAnswer = await app.inject({ method: 'POST', url: `/api/cases/${submitted.id}/correction`, headers: { ...desk.clerk.headers, ...partial.headers }, payload: partial.payload })
  t.equal(wrongAnswer.json().code, 'MATERIAL_NOT_REQUIRED', 'the answer brings what the notice listed')
  const answer = multipart({}, { M2: PDF('licence copy') })
  const answered = await ok(await app.inject({ method: 'POST', url: `/api/cases/${submitted.id}/correction`, headers: { ...desk.clerk.headers, ...answer.headers }, payload: answer.payload }))
  t.equal(answered.state, 'submitted', 'the corrected application awaits a new acceptance decision')
  t.same(answered.missingMaterials, [])
  const stillOnce = await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M1'], note: '' })
  t.equal(stillOnce.json().code, 'CORRECTION_ALREADY_GIVEN', 'a second notice for the same case is refused, even after the answer')
  await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  await ok(await step(app, desk.clerk, submitted.id, 'review'))

  const denyWithout = await step(app, desk.chief, submitted.id, 'decision', { decision: 'deny', reasons: [] })
  t.equal(denyWithout.json().code, 'DECISION_REASONS_REQUIRED')
  const byClerk = await step(app, desk.clerk, submitted.id, 'decision', { decision: 'approve', reasons: [] })
  t.equal(byClerk.statusCode, 403, 'a clerk does not decide')
  const otherChief = await chiefRep(app, desk.department.id)
  const notDelegated = await step(app, otherChief, submitted.id, 'decision', { decision: 'approve', reasons: [] })
  t.equal(notDelegated.statusCode, 403)
  t.equal(notDelegated.json().code, 'OUTSIDE_DELEGATION', 'a chief representative without the delegation in force')

  const badSignature = await step(app, desk.clerk, submitted.id, 'result', { signature: Buffer.from('not a signature at all').toString('base64') })
  t.equal(badSignature.json().code, 'CASE_STATE_INVALID', 'no result before the decision')
  const paused = await ok(await step(app, desk.clerk, submitted.id, 'pauses', { kind: 'expert_review', reason: '专家评审', limitWorkingDays: 5 }))
  t.equal(paused.clock!.paused, true)
  const whilePaused = await step(app, desk.chief, submitted.id, 'decision', { decision: 'approve', reasons: [] })
  t.equal(whilePaused.json().code, 'CASE_PAUSED')
  const twice = await step(app, desk.clerk, submitted.id, 'pauses', { kind: 'hearing', reason: '听证', limitWorkingDays: 5 })
  t.equal(twice.json().code, 'CASE_PAUSED')
  const noReason = await step(app, desk.clerk, submitted.id, 'pauses', { kind: 'hearing', reason: ' ', limitWorkingDays: 5 })
  t.equal(noReason.json().code, 'PAUSE_REASON_REQUIRED')
  await ok(await step(app, desk.clerk, submitted.id, 'pauses/current/end'))
  const zeroLimit = await step(app, desk.clerk, submitted.id, 'pauses', { kind: 'hearing', reason: '听证', limitWorkingDays: 0 })
  t.equal(zeroLimit.json().code, 'PAUSE_LIMIT_INVALID')

  // only the department's seal signs the result
  await ok(await step(app, desk.chief, submitted.id, 'decision', { decision: 'deny', reasons: ['经营场所不符合要求'] }))
  const other = await approvalsDesk(app, '县住房和城乡建设局')
  const foreignSeal = await signResult(app, desk.clerk, submitted.id, other.seal)
  const foreign = await step(app, desk.clerk, submitted.id, 'result', { signature: foreignSeal })
  t.equal(foreign.statusCode, 422)
  t.equal(foreign.json().code, 'RESULT_SIGNATURE_INVALID')
  const issued = await ok(await step(app, desk.clerk, submitted.id, 'result', { signature: await signResult(app, desk.clerk, submitted.id, desk.seal) }))
  t.equal(issued.decision, 'deny')
  const result = (await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}/result`, headers: desk.clerk.headers })).json()
  t.match(JSON.parse(result.json), { kind: 'denial_decision', reasons: ['经营场所不符合要求'] })

  // an applicant's own case online, once decided, is the department's act
  const { case: online } = await filed(app, desk.applicant, item.id)
  for (const [user, path, payload] of [[desk.clerk, 'acceptance'], [desk.clerk, 'review'], [desk.chief, 'decision', { decision: 'approve', reasons: [] }]] as const) await ok(await step(app, user, online.id, path, payload))
  const withdrawn = await step(app, desk.applicant, online.id, 'withdrawal', { reason: '不办了' })
  t.equal(withdrawn.json().code, 'CASE_STATE_INVALID', 'a decided case is not withdrawn')
})

t.test('a correction notice in review lists only the materials at fault; an unknown one is refused and nothing is written', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  setClock(app, '2026-11-30T02:00:00.000Z') // Mon 30 Nov, 10:00 in Beijing
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  await ok(await step(app, desk.clerk, submitted.id, 'acceptance'))
  await ok(await step(app, desk.clerk, submitted.id, 'review'))
  setClock(app, '2026-12-01T02:00:00.000Z')
  const written = async () => {
    const [row] = await app.db.$client<Array<{ corrections: number, pauses: number, notices: number }>>`
      select (select count(*)::int from case_corrections where case_id = ${submitted.id}) as corrections,
             (select count(*)::int from case_pauses where case_id = ${submitted.id}) as pauses,
             (select count(*)::int from audit_entries where subject_id = ${submitted.id} and action = 'case.correction_notice') as notices`
    return row
  }

  const unknown = await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2', 'X9'], note: '营业执照复印件不清晰' })
  t.equal(unknown.statusCode, 422)
  t.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(unknown.json().code, 'MATERIAL_NOT_REQUIRED', 'never a material the item does not ask for')
  t.match(unknown.json().detail, /X9/)
  t.same(await written(), { corrections: 0, pauses: 0, notices: 0 }, 'nothing is written on refusal')
  const untouched = await ok(await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: desk.clerk.headers }))
  t.equal(untouched.state, 'review')
  t.equal(untouched.clock!.paused, false, 'the clock still runs')

  const noticed = await ok(await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2'], note: '营业执照复印件不清晰' }))
  t.equal(noticed.state, 'review', 'in review the notice pauses the clock instead of returning the case')
  t.equal(noticed.clock!.paused, true)
  t.same(await written(), { corrections: 1, pauses: 1, notices: 1 })
  const [correction] = await app.db.$client<Array<{ materials: string[], stage: string }>>`select materials, stage from case_corrections where case_id = ${submitted.id}`
  t.same(correction, { materials: ['M2'], stage: 'review' }, 'only the material at fault is asked for')

  const answer = multipart({}, { M2: PDF('clear licence copy') })
  const answered = await ok(await app.inject({ method: 'POST', url: `/api/cases/${submitted.id}/correction`, headers: { ...desk.applicant.headers, ...answer.headers }, payload: answer.payload }))
  t.equal(answered.state, 'review')
  t.equal(answered.clock!.paused, false, 'the answer restarts the clock')
})

t.test('scope: other departments, other applicants and the public see 404', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  const other = await approvalsDesk(app, '县住房和城乡建设局')
  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: other.clerk.headers })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: stranger.headers })).statusCode, 404)
  t.equal((await step(app, other.clerk, submitted.id, 'acceptance')).statusCode, 404)
  t.equal((await step(app, stranger, submitted.id, 'withdrawal', { reason: 'x' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}` })).statusCode, 401)
  const queue = (await app.inject({ method: 'GET', url: '/api/cases', headers: other.clerk.headers })).json()
  t.same(queue, [], 'another department\'s queue is empty')
  const own = (await app.inject({ method: 'GET', url: '/api/cases', headers: desk.clerk.headers })).json()
  t.same(own.map((entry: { id: string }) => entry.id), [submitted.id])
  const withdrawn = await ok(await step(app, desk.applicant, submitted.id, 'withdrawal', { reason: '材料有误，重新申请' }))
  t.equal(withdrawn.state, 'withdrawn')
})

t.test('silence for five working days counts as acceptance, across the Spring Festival', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk, { promisedWorkingDays: 10, statutoryWorkingDays: 20 })
  t.teardown(() => { for (const line of logs) if (Number(line.level) >= 50) console.error(line) })
  setClock(app, '2026-02-12T02:00:00.000Z') // Thu 12 Feb: 13, 14 (make-up Saturday), then the holiday until 23, then 24, 25, 26 …
  const { case: submitted } = await filed(app, desk.applicant, item.id)
  t.equal(submitted.acceptanceDueAt, '2026-02-26T16:00:00.000Z', '13, 14 (make-up Saturday), 24, 25, 26: the holiday does not count')
  setClock(app, '2026-02-27T01:00:00.000Z')
  await fire(app, `case-clock:${submitted.id}`)
  const deemed = await ok(await app.inject({ method: 'GET', url: `/api/cases/${submitted.id}`, headers: desk.clerk.headers }))
  t.equal(deemed.state, 'accepted')
  t.equal(deemed.deemedAccepted, true)
  // the clock runs from the receipt of the materials: 10 working days after Thu 12 Feb, the make-up Saturday 28 Feb included
  t.equal(deemed.clock!.dueAt, '2026-03-04T16:00:00.000Z')
  const refused = await step(app, desk.clerk, submitted.id, 'refusal', { reasons: ['过期'] })
  t.equal(refused.json().code, 'CASE_STATE_INVALID', 'a deemed-accepted case is no longer refused')
})
