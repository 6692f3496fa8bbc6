import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { createDepartment } from '../factories/departments.ts'
import { feeDesk, feeVersion } from '../factories/fees.ts'
import { addCalendarDays } from '../../src/lib/working-days.ts'

t.test('a fee standard takes effect only after another official approves it, and never changes afterwards', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const today = app.calendar.today()
  const created = await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: 'BDC-DJ', category: 'non_tax', version: feeVersion({ validFrom: today }) } })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.json().inForce, null, 'a proposal is not in force')
  t.same((await app.inject({ method: 'GET', url: '/api/fee-standards' })).json(), [], 'and not public')
  const versionId = created.json().versions[0].id
  const self = await app.inject({ method: 'POST', url: `/api/fee-versions/${versionId}/decision`, headers: desk.proposer.headers, payload: { decision: 'approve' } })
  t.equal(self.json().code, 'FEE_SELF_APPROVAL')
  const approved = await app.inject({ method: 'POST', url: `/api/fee-versions/${versionId}/decision`, headers: desk.approver.headers, payload: { decision: 'approve', note: '经物价部门核准' } })
  t.equal(approved.json().inForce.version, 1)
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-versions/${versionId}/decision`, headers: desk.approver.headers, payload: { decision: 'reject' } })).json().code, 'FEE_VERSION_DECIDED')
  const standards = (await app.inject({ method: 'GET', url: '/api/fee-standards' })).json()
  t.match(standards, [{ code: 'BDC-DJ', amountFen: 8000, legalBasis: '《不动产登记暂行条例》', standardDocument: '发改价格规〔2016〕2559号' }])

  // a new standard from next month: today still prices under version 1
  const nextMonth = addCalendarDays(today, 30)
  const proposed = await app.inject({ method: 'POST', url: `/api/fee-items/${created.json().id}/versions`, headers: desk.proposer.headers, payload: feeVersion({ amountFen: 5000, validFrom: nextMonth }) })
  t.equal(proposed.statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-items/${created.json().id}/versions`, headers: desk.proposer.headers, payload: feeVersion({ validFrom: nextMonth }) })).json().code, 'FEE_VERSION_PENDING')
  await app.inject({ method: 'POST', url: `/api/fee-versions/${proposed.json().versions[1].id}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })
  const quote = async (on: string) => (await app.inject({ method: 'POST', url: '/api/fee-standards/quote', payload: { lines: [{ code: 'BDC-DJ' }], on } })).json().totalFen
  t.equal(await quote(today), 8000)
  t.equal(await quote(nextMonth), 5000)
  t.equal((await app.inject({ method: 'GET', url: `/api/fee-standards?on=${nextMonth}` })).json()[0].version, 2)

  await t.rejects(app.db.$client`update fee_item_versions set amount_fen = 1 where id = ${versionId}`, /cannot be changed/, 'the database refuses to edit an approved standard')
  // a proposal whose start day passes while it waits is no longer approved
  const late = await app.inject({ method: 'POST', url: `/api/fee-items/${created.json().id}/versions`, headers: desk.proposer.headers, payload: feeVersion({ validFrom: today }) })
  t.equal(late.statusCode, 201, late.body)
  const retroId = late.json().versions[2].id
  const proposedAt = app.clock.now()
  app.clock.now = () => new Date(proposedAt.getTime() + 24 * 3600_000)
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-versions/${retroId}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })).json().code, 'FEE_VERSION_RETROACTIVE')
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-versions/${retroId}/decision`, headers: desk.approver.headers, payload: { decision: 'reject', note: '不得溯及既往' } })).json().versions[2].status, 'rejected')
})

t.test('a version starting before today (the hall\'s date) is refused at proposal, and nothing is written', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  app.clock.now = () => new Date('2026-03-10T17:30:00.000Z') // Wed 11 Mar, 01:30 in Beijing: still the 10th in UTC
  const written = async () => {
    const [row] = await app.db.$client<Array<{ items: number, versions: number, audits: number }>>`
      select (select count(*)::int from fee_items) as items,
             (select count(*)::int from fee_item_versions) as versions,
             (select count(*)::int from audit_entries where action like 'fee_item.%') as audits`
    return row
  }
  const refused = (response: { statusCode: number, headers: Record<string, unknown>, json: () => any }, what: string) => {
    t.equal(response.statusCode, 422, what)
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(response.json(), { code: 'FEE_VERSION_BACKDATED', detail: /2026-03-11.*2026-03-10/ })
  }

  const backdatedItem = await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: 'BDC-DJ', category: 'non_tax', version: feeVersion({ validFrom: '2026-03-10' }) } })
  refused(backdatedItem, 'a new item whose first version started yesterday in Beijing')
  t.same(await written(), { items: 0, versions: 0, audits: 0 }, 'nothing is written')

  const created = await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: 'BDC-DJ', category: 'non_tax', version: feeVersion({ validFrom: '2026-03-11' }) } })
  t.equal(created.statusCode, 201, 'from today is allowed')
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-versions/${created.json().versions[0].id}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })).statusCode, 200)
  const before = await written()

  const backdated = await app.inject({ method: 'POST', url: `/api/fee-items/${created.json().id}/versions`, headers: desk.proposer.headers, payload: feeVersion({ amountFen: 5000, validFrom: '2026-03-10' }) })
  refused(backdated, 'a new version that started yesterday')
  t.same(await written(), before, 'nothing is written')
  t.same((await app.inject({ method: 'GET', url: `/api/fee-items/${created.json().id}`, headers: desk.proposer.headers })).json().versions.map((version: { version: number }) => version.version), [1])

  const next = await app.inject({ method: 'POST', url: `/api/fee-items/${created.json().id}/versions`, headers: desk.proposer.headers, payload: feeVersion({ amountFen: 5000, validFrom: '2026-04-01' }) })
  t.equal(next.statusCode, 201, 'the refusal blocks no later proposal')
  t.equal(next.json().versions[1].status, 'proposed')
})

t.test('amounts by unit and by formula are exact', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const today = app.calendar.today()
  const create = async (code: string, version: Record<string, unknown>) => {
    const created = await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code, category: 'non_tax', version: feeVersion({ validFrom: today, ...version }) } })
    t.equal(created.statusCode, 201, created.body)
    await app.inject({ method: 'POST', url: `/api/fee-versions/${created.json().versions[0].id}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })
  }
  await create('AREA', { basis: 'per_unit', amountFen: undefined, unitPriceFen: 333, unitName: '平方米', quantityScale: 1 })
  await create('AGENCY', {
    basis: 'formula',
    amountFen: undefined,
    formula: 'max(1000, progressive(price, 1000000, 0.01, 5000000, 0.007, 0.005))',
    parameters: [{ name: 'price', label: '中标金额', unit: '元', scale: 2, min: '0' }]
  })
  const quote = (lines: unknown[]) => app.inject({ method: 'POST', url: '/api/fee-standards/quote', payload: { lines } })
  t.match((await quote([{ code: 'AREA', quantity: '0.5' }])).json(), { totalFen: 167, lines: [{ detail: '0.5 平方米 × ¥3.33' }] }, 'half a fen rounds half up')
  t.equal((await quote([{ code: 'AGENCY', parameters: { price: '6000000' } }])).json().totalFen, 4_300_000, '差额定率累进: 10000 + 28000 + 5000 yuan')
  t.equal((await quote([{ code: 'AGENCY', parameters: { price: '1000' } }])).json().totalFen, 100_000, 'the minimum applies')
  t.equal((await quote([{ code: 'AGENCY', parameters: { price: '0.1' } }, { code: 'AREA', quantity: '3' }])).json().totalFen, 100_000 + 999)
  const errors: Array<[unknown[], string]> = [
    [[{ code: 'AREA' }], 'FEE_INPUT_INVALID'],
    [[{ code: 'AREA', quantity: '1.25' }], 'FEE_INPUT_INVALID'],
    [[{ code: 'AGENCY', parameters: { price: '-5' } }], 'FEE_INPUT_INVALID'],
    [[{ code: 'AGENCY', parameters: {} }], 'FEE_INPUT_INVALID'],
    [[{ code: 'AGENCY', parameters: { price: '1', other: '2' } }], 'FEE_INPUT_INVALID'],
    [[{ code: 'NOPE' }], 'FEE_NOT_IN_FORCE']
  ]
  for (const [lines, code] of errors) t.equal((await quote(lines)).json().code, code, JSON.stringify(lines))

  const bad = async (version: Record<string, unknown>) => (await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: `X${Math.random().toString(36).slice(2, 6).toUpperCase()}`, category: 'non_tax', version: feeVersion({ validFrom: today, ...version }) } })).json().code
  t.equal(await bad({ basis: 'formula', amountFen: undefined, formula: 'area * ', parameters: [{ name: 'area', label: '面积', scale: 2 }] }), 'FEE_DEFINITION_INVALID')
  t.equal(await bad({ basis: 'formula', amountFen: undefined, formula: 'size * 2', parameters: [] }), 'FEE_DEFINITION_INVALID')
  t.equal(await bad({ basis: 'per_unit', amountFen: undefined }), 'FEE_DEFINITION_INVALID')
  t.equal(await bad({ amountFen: 0 }), 'FEE_DEFINITION_INVALID')
  t.equal(await bad({ refundWorkingDays: 5 }), 'FEE_DEFINITION_INVALID', 'only deposits have refund days')
  t.equal(await bad({ validTo: addCalendarDays(today, -1) }), 'FEE_DEFINITION_INVALID')
  t.equal(await bad({ amountFen: 1.5 }), 'VALIDATION_FAILED', 'no fractional fen')
  t.equal((await app.inject({ method: 'POST', url: '/api/fee-items', headers: desk.proposer.headers, payload: { code: 'AREA', category: 'non_tax', version: feeVersion({ validFrom: today }) } })).json().code, 'FEE_CODE_TAKEN')
})

t.test('a department administrator manages only the department\'s fees; approval is the hall\'s', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const land = await createDepartment(app, desk.proposer.id, '县自然资源局')
  const market = await createDepartment(app, desk.proposer.id, '县市场监管局')
  const landAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: land.id }] })
  const marketAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: market.id }] })
  const created = await app.inject({ method: 'POST', url: '/api/fee-items', headers: landAdmin.headers, payload: { code: 'LAND-1', category: 'non_tax', departmentId: land.id, version: feeVersion({ validFrom: app.calendar.today() }) } })
  t.equal(created.statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/api/fee-items', headers: landAdmin.headers, payload: { code: 'HALL-1', category: 'non_tax', version: feeVersion() } })).statusCode, 404, 'hall fees belong to the hall')
  t.equal((await app.inject({ method: 'GET', url: `/api/fee-items/${created.json().id}`, headers: marketAdmin.headers })).statusCode, 404)
  t.same((await app.inject({ method: 'GET', url: '/api/fee-items', headers: marketAdmin.headers })).json(), [])
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-versions/${created.json().versions[0].id}/decision`, headers: landAdmin.headers, payload: { decision: 'approve' } })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: `/api/fee-versions/${created.json().versions[0].id}/decision`, headers: desk.approver.headers, payload: { decision: 'approve' } })).statusCode, 200)
})
