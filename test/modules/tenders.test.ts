import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { organisation, supervisor } from '../factories/accounts.ts'
import { approvedFee, bankPayment, financeDesk, signedBankRequest } from '../factories/fees.ts'
import {
  acceptedProject, bondFeeVersion, bidderWithCertificate, lawfulTiming, passDeadline, publishedTender, registerFor, sealedPackage, submitBid, tenderInput, tradingDesk,
  uploadDocument, worksProject
} from '../factories/trading.ts'

t.test('project entry: each trade type declares its fields, the hall accepts it into a room slot, never double booked', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const land = await app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: desk.agency.headers,
    payload: worksProject({ tradeType: 'land_use_rights', mandatoryTendering: false, details: { parcelNumber: 'SF2026-07', location: '城北', areaSqm: '23456.7', landUse: '商住', tenureYears: 70 } } as never)
  })
  t.equal(land.statusCode, 201)
  t.match(land.json().code, /^TD-2026-\d{5}$/, 'the code tells the trade type')

  const wrongFields = await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject({ tradeType: 'mining_rights' } as never) })
  t.equal(wrongFields.json().code, 'VALIDATION_FAILED', 'a mining right declares mining fields, not a construction site')
  const lots = await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject({ lots: [{ number: 1, name: '一标段', estimateFen: 1_000_000_000 }, { number: 2, name: '二标段', estimateFen: 400_000_000 }] }) })
  t.equal(lots.statusCode, 422)
  t.equal(lots.json().code, 'PROJECT_DETAILS_INVALID', 'lots must add up to the estimate')

  const other = await organisation(app, 'agency')
  const hidden = await app.inject({ method: 'GET', url: `/api/projects/${land.json().id}`, headers: other.headers })
  t.equal(hidden.statusCode, 404, 'another agency does not see the project')

  const startsAt = new Date(Date.now() + 30 * 86_400_000)
  const slot = (offsetMinutes: number) => ({ venueId: desk.venueId, startsAt: new Date(startsAt.getTime() + offsetMinutes * 60_000).toISOString(), endsAt: new Date(startsAt.getTime() + (offsetMinutes + 120) * 60_000).toISOString() })
  const accepted = await app.inject({ method: 'POST', url: `/api/projects/${land.json().id}/decision`, headers: desk.hall.headers, payload: { decision: 'accept', slot: slot(0) } })
  t.equal(accepted.statusCode, 200)
  t.equal(accepted.json().status, 'accepted')
  t.equal(accepted.json().bookings.length, 1)

  const second = await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject() })
  const clash = await app.inject({ method: 'POST', url: `/api/projects/${second.json().id}/decision`, headers: desk.hall.headers, payload: { decision: 'accept', slot: slot(60) } })
  t.equal(clash.statusCode, 409)
  t.equal(clash.json().code, 'VENUE_DOUBLE_BOOKED')
  const unchanged = await app.inject({ method: 'GET', url: `/api/projects/${second.json().id}`, headers: desk.agency.headers })
  t.equal(unchanged.json().status, 'registered', 'a refused acceptance changes nothing')

  // two clerks booking the same free slot at the same instant: exactly one wins
  const third = await app.inject({ method: 'POST', url: '/api/projects', headers: desk.agency.headers, payload: worksProject() })
  const racers = await Promise.all([second, third].map((project) => app.inject({ method: 'POST', url: `/api/projects/${project.json().id}/decision`, headers: desk.hall.headers, payload: { decision: 'accept', slot: slot(600) } })))
  t.same(racers.map((response) => response.statusCode).sort(), [200, 409])

  const schedule = await app.inject({ method: 'GET', url: `/api/schedule?from=${new Date(startsAt.getTime() - 86_400_000).toISOString().slice(0, 10)}&days=5` })
  t.equal(schedule.json().length, 2, 'the public schedule shows both slots')
  t.equal(schedule.json()[0].projectCode, land.json().code)
})

t.test('publication enforces statutory timing for mandatory tendering and records warnings otherwise', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const timing = lawfulTiming(app)
  const project = await acceptedProject(app, desk, { openingAt: timing.bidDeadline })
  const tooSoon = new Date(Date.now() + 10 * 86_400_000).toISOString()
  const draft = await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: tenderInput(app, project.id, { bidDeadline: tooSoon, saleUntil: new Date(Date.now() + 9 * 86_400_000).toISOString() }) })
  t.equal(draft.statusCode, 201)
  const tenderId = draft.json().id

  const withoutDocuments = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/publication`, headers: desk.agency.headers })
  t.equal(withoutDocuments.json().code, 'BID_PERIOD_TOO_SHORT', 'timing is judged first')
  t.match(withoutDocuments.json().detail, new RegExp(timing.deadlineDate), 'the message names the earliest lawful deadline')
  t.ok(withoutDocuments.json().errors.some((error: { message: string }) => error.message.startsWith('BID_PERIOD_TOO_SHORT')))
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tenderId}`, headers: desk.agency.headers })).json().status, 'draft', 'nothing published')
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tenderId}` })).statusCode, 404, 'a draft is not public')

  const fixed = await app.inject({ method: 'PUT', url: `/api/tenders/${tenderId}`, headers: desk.agency.headers, payload: { ...tenderInput(app, project.id), projectId: undefined, bond: { amountFen: 40_000_000, feeCode: 'NOPE' } } })
  t.equal(fixed.json().code, 'FEE_NOT_IN_FORCE', 'the bond\'s fee item must exist when the draft is saved')
  const deskFees = await financeDesk(app)
  const bondItem = await approvedFee(app, deskFees.desk, { category: 'deposit', version: bondFeeVersion })
  const { projectId: _ignored, ...input } = tenderInput(app, project.id, { bond: { amountFen: 40_000_000, feeCode: bondItem.code } })
  const tooHighBond = await app.inject({ method: 'PUT', url: `/api/tenders/${tenderId}`, headers: desk.agency.headers, payload: input })
  t.equal(tooHighBond.statusCode, 200)
  await uploadDocument(app, desk.agency, tenderId, { kind: 'tender_documents', title: '招标文件' }, { name: 'zbwj.pdf', content: Buffer.from('%PDF-1.4 documents') })
  const bond = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/publication`, headers: desk.agency.headers })
  t.equal(bond.statusCode, 422)
  t.equal(bond.json().code, 'BOND_ABOVE_CEILING', '4,000,000 yuan of bond on a 15,000,000 yuan estimate is above 2%')

  const lawful = await app.inject({ method: 'PUT', url: `/api/tenders/${tenderId}`, headers: desk.agency.headers, payload: { ...input, bond: { amountFen: 30_000_000, feeCode: bondItem.code } } })
  t.equal(lawful.statusCode, 200)
  const published = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/publication`, headers: desk.agency.headers })
  t.equal(published.statusCode, 200)
  t.equal(published.json().status, 'bidding', 'documents issued now: bidding opens at once')
  t.equal(published.json().openingAt, timing.bidDeadline, 'the opening is at the bid deadline')
  t.ok(published.json().venueName, 'in the booked room')
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tenderId}` })).statusCode, 200, 'now public')
  const again = await app.inject({ method: 'POST', url: `/api/tenders/${tenderId}/publication`, headers: desk.agency.headers })
  t.equal(again.json().code, 'TENDER_STATE_INVALID')

  // the same short deadline for a tender that is not legally mandatory: published, with a warning on record
  const optional = await acceptedProject(app, desk, { project: { mandatoryTendering: false }, openingAt: tooSoon })
  const warned = await app.inject({ method: 'POST', url: '/api/tenders', headers: desk.agency.headers, payload: tenderInput(app, optional.id, { bidDeadline: tooSoon, saleUntil: new Date(Date.now() + 9 * 86_400_000).toISOString() }) })
  await uploadDocument(app, desk.agency, warned.json().id, { kind: 'tender_documents', title: '采购文件' }, { name: 'cgwj.pdf', content: Buffer.from('%PDF-1.4 procurement') })
  const warnedPublished = await app.inject({ method: 'POST', url: `/api/tenders/${warned.json().id}/publication`, headers: desk.agency.headers })
  t.equal(warnedPublished.statusCode, 200)
  t.ok(warnedPublished.json().timingWarnings.some((finding: { rule: string }) => finding.rule === 'BID_PERIOD_TOO_SHORT'))
  const admin = desk.hall
  const trail = await app.inject({ method: 'GET', url: `/api/audit/entries?subjectType=tender&subjectId=${warned.json().id}`, headers: admin.headers })
  t.ok(trail.json().items.some((entry: { action: string }) => entry.action === 'tender.timing_warned'), 'the warning is in the audit trail')
})

t.test('documents: registered bidders download; who obtained them, and how many, stays secret until the deadline', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const finance = await financeDesk(app)
  const fee = await approvedFee(app, finance.desk, { version: { name: '招标文件工本费', amountFen: 50_000 } })
  const tender = await publishedTender(app, desk, { documentFeeCode: fee.code })
  const alpha = await bidderWithCertificate(app)
  const beta = await bidderWithCertificate(app)
  const documentId = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().documents[0].id

  const twice = await Promise.all([1, 2].map(() => app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/registration`, headers: beta.user.headers })))
  t.same(twice.map((response) => response.statusCode), [200, 200], 'a double click registers once')
  t.equal(twice[0]!.json().id, twice[1]!.json().id)
  const anonymous = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/documents/${documentId}/file`, headers: alpha.user.headers })
  t.equal(anonymous.json().code, 'NOT_REGISTERED')
  const registration = await registerFor(app, alpha, tender.id)
  t.equal(registration.documentsOpen, false)
  t.equal(registration.documentNotice.totalFen, 50_000, 'the document fee is a payment notice of the unified-fees module')
  const unpaid = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/documents/${documentId}/file`, headers: alpha.user.headers })
  t.equal(unpaid.statusCode, 402)
  t.equal(unpaid.json().code, 'DOCUMENT_FEE_UNPAID')

  const paid = await app.inject(signedBankRequest(finance.bank, 'POST', `/api/bank/${finance.bank.code}/payments`, bankPayment({ code: registration.documentNotice.code, totalFen: 50_000 })))
  t.equal(paid.json().status, 'recorded', 'the bidder pays at its bank')
  await app.timers.fireDue()
  const download = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/documents/${documentId}/file`, headers: alpha.user.headers })
  t.equal(download.statusCode, 200)
  t.equal(download.body, '%PDF-1.4 招标文件 正文')
  t.equal(download.headers['x-content-sha256'], (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().documents[0].sha256)

  const watcher = await supervisor(app)
  for (const [who, user] of [['agency', desk.agency], ['supervisor', watcher], ['hall', desk.hall]] as const) {
    const secret = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/participation`, headers: user.headers })
    t.equal(secret.json().code, 'PARTICIPATION_SECRET', `${who}: nobody learns who registered before the deadline`)
    const bids = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/bids`, headers: user.headers })
    t.equal(bids.json().code, 'PARTICIPATION_SECRET', `${who}: nobody can list or count bids before the deadline`)
  }
  const publicView = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })
  t.notMatch(publicView.body, alpha.user.username, 'the public view names no bidder')

  await passDeadline(app, t, tender)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().status, 'failed', 'at the deadline the tender moves to its opening, which fails at once with fewer than three bids (流标)')
  const disclosed = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/participation`, headers: desk.agency.headers })
  t.equal(disclosed.statusCode, 200)
  const downloads = Object.fromEntries(disclosed.json().registrations.map((row: { bidderId: string, downloads: number }) => [row.bidderId, row.downloads]))
  t.same(downloads, { [alpha.user.id]: 1, [beta.user.id]: 0 }, 'after the deadline: who registered and how often they downloaded')
})

t.test('questions are anonymous; answers reach every registered bidder and may move the deadline', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const asker = await bidderWithCertificate(app)
  const other = await bidderWithCertificate(app)
  await registerFor(app, asker, tender.id)
  await registerFor(app, other, tender.id)

  const asked = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/questions`, headers: asker.user.headers, payload: { question: '第三章工程量清单第 12 项单位是否有误？' } })
  t.equal(asked.statusCode, 201)
  const seenByAgency = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/questions`, headers: desk.agency.headers })
  t.equal(seenByAgency.json().length, 1)
  t.notMatch(seenByAgency.body, asker.user.id, 'the agency never sees who asked')
  t.notMatch(seenByAgency.body, asker.user.username)
  t.same((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/questions`, headers: other.user.headers })).json(), [], 'unanswered questions stay with their asker')

  const questionId = asked.json().id
  const realNow = app.clock.now
  const tenDaysBefore = new Date(new Date(tender.bidDeadline).getTime() - 10 * 86_400_000)
  app.clock.now = () => tenDaysBefore
  t.teardown(() => { app.clock.now = realNow })
  const tooLate = await app.inject({ method: 'POST', url: `/api/questions/${questionId}/answer`, headers: desk.agency.headers, payload: { answer: '单位应为立方米。', affectsBids: true } })
  t.equal(tooLate.statusCode, 422)
  t.equal(tooLate.json().code, 'CLARIFICATION_TOO_LATE', 'ten days before the deadline, a change affecting bids must move the deadline')
  t.match(tooLate.json().detail, /15 days/)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().documents.length, 1, 'nothing issued')

  const newDeadline = new Date(tenDaysBefore.getTime() + 16 * 86_400_000)
  while (!app.calendar.isWorkingDay(new Date(newDeadline.getTime() + 8 * 3_600_000).toISOString().slice(0, 10))) newDeadline.setTime(newDeadline.getTime() + 86_400_000)
  const answered = await app.inject({ method: 'POST', url: `/api/questions/${questionId}/answer`, headers: desk.agency.headers, payload: { answer: '单位应为立方米。', affectsBids: true, newBidDeadline: newDeadline.toISOString() } })
  t.equal(answered.statusCode, 200)
  const after = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json()
  t.equal(after.bidDeadline, newDeadline.toISOString(), 'the deadline moved')
  t.equal(after.openingAt, newDeadline.toISOString(), 'and the opening with it')
  t.equal(after.documents[1].kind, 'clarification')
  t.equal(after.documents[1].deadlineAfter, newDeadline.toISOString())
  const project = (await app.inject({ method: 'GET', url: `/api/projects/${tender.projectId}`, headers: desk.agency.headers })).json()
  t.equal(project.bookings[0].startsAt, newDeadline.toISOString(), 'the opening room booking moved to the new deadline')
  const seenByOther = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/questions`, headers: other.user.headers })).json()
  t.equal(seenByOther[0].answer, '单位应为立方米。', 'every registered bidder gets the answer')
  t.equal(seenByOther[0].mine, false)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/questions`, headers: asker.user.headers })).json()[0].mine, true)
  const again = await app.inject({ method: 'POST', url: `/api/questions/${questionId}/answer`, headers: desk.agency.headers, payload: { answer: 'again' } })
  t.equal(again.json().code, 'QUESTION_ALREADY_ANSWERED')
})

t.test('an objection pauses the procedure until it is answered; a late one is refused', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const objection = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/objections`, headers: bidder.user.headers, payload: { text: '资格条件设置排斥潜在投标人。' } })
  t.equal(objection.statusCode, 201)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().paused, true)
  const sealed = await sealedPackage(bidder, tender.code)
  const whilePaused = await submitBid(app, bidder, tender.id, sealed)
  t.equal(whilePaused.statusCode, 409)
  t.equal(whilePaused.json().code, 'TENDER_PAUSED')
  const agencyList = await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/objections`, headers: desk.agency.headers })
  t.equal(agencyList.json()[0].objectorName, null, 'the agency does not learn which registered bidder objected')
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/objections`, headers: bidder.user.headers })).json()[0].objectorName, `Test ${bidder.user.username}`, 'the objector sees its own name')
  const answered = await app.inject({ method: 'POST', url: `/api/objections/${objection.json().id}/answer`, headers: desk.agency.headers, payload: { answer: '资格条件符合法律规定，不予采纳。' } })
  t.equal(answered.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().paused, false, 'answered: the procedure resumes')
  t.equal((await submitBid(app, bidder, tender.id, sealed)).statusCode, 201)

  const realNow = app.clock.now
  app.clock.now = () => new Date(new Date(tender.bidDeadline).getTime() - 5 * 86_400_000)
  t.teardown(() => { app.clock.now = realNow })
  const late = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/objections`, headers: bidder.user.headers, payload: { text: '补充异议' } })
  t.equal(late.statusCode, 422)
  t.equal(late.json().code, 'OBJECTION_TOO_LATE')
})

t.test('a cancelled tender takes no bids and frees its room', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const stranger = await organisation(app, 'agency')
  t.equal((await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/cancellation`, headers: stranger.headers, payload: { reason: 'x' } })).statusCode, 404, 'another agency cannot touch it')
  const cancelled = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/cancellation`, headers: desk.agency.headers, payload: { reason: '项目资金未落实' } })
  t.equal(cancelled.json().status, 'cancelled')
  const bid = await submitBid(app, bidder, tender.id, await sealedPackage(bidder, tender.code), randomBytes(8).toString('hex'))
  t.equal(bid.statusCode, 409)
  t.equal(bid.json().code, 'TENDER_CLOSED')
  const project = (await app.inject({ method: 'GET', url: `/api/projects/${tender.projectId}`, headers: desk.agency.headers })).json()
  t.same(project.bookings, [], 'the opening room is free again')
})

t.test('a tender paused when its deadline came waits; answered without a new deadline, it closes then', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const bidder = await bidderWithCertificate(app)
  await registerFor(app, bidder, tender.id)
  const objection = await app.inject({ method: 'POST', url: `/api/tenders/${tender.id}/objections`, headers: bidder.user.headers, payload: { text: '评标办法不合理。' } })
  await passDeadline(app, t, tender)
  const paused = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json()
  t.equal(paused.status, 'bidding', 'the deadline passed during the pause: nothing freezes yet')
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}/participation`, headers: desk.agency.headers })).json().code, 'PARTICIPATION_SECRET', 'and participation stays secret: the deadline may move')
  await app.inject({ method: 'POST', url: `/api/objections/${objection.json().id}/answer`, headers: desk.agency.headers, payload: { answer: '不予采纳。' } })
  await app.db.$client`update timers set fire_at = ${app.clock.now().toISOString()}::timestamptz where key = ${`tenders.deadline:${tender.id}`}`
  await app.timers.fireDue()
  t.equal((await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json().status, 'failed', 'answered without moving the deadline: bidding closes at once (and, without bids, the opening fails: 流标)')
})
