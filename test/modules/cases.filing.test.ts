/**
 * Filing and its required materials: online the applicant hands in every required material with
 * the application, and the API refuses one without them however the browser's check was got
 * round (problem+json with a stable code naming each material, nothing written, no file left in
 * the store); at a window the clerk registers what the applicant brought, and what is missing
 * goes on the one correction notice.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { approvalsDesk, applyOnline, delegatedItem, ok, PDF, step } from '../factories/cases.ts'
import { multipart } from '../support/multipart.ts'
import { missingAtFiling } from '../../src/modules/cases/cases.rules.ts'
import type { FastifyInstance } from 'fastify'

/** The keys of every object the store is asked to keep from now on. */
function watchStore (app: FastifyInstance): string[] {
  const keys: string[] = []
  const put = app.store.put.bind(app.store)
  app.store.put = ((key: string, ...rest: unknown[]) => {
    keys.push(key)
    return (put as (...args: unknown[]) => ReturnType<typeof put>)(key, ...rest)
  }) as typeof put
  return keys
}

async function written (app: FastifyInstance, itemId: string) {
  const [row] = await app.db.$client<Array<{ cases: number, materials: number, audits: number, timers: number }>>`
    select (select count(*)::int from cases where item_id = ${itemId}) as cases,
           (select count(*)::int from case_materials) as materials,
           (select count(*)::int from audit_entries where action = 'case.submitted') as audits,
           (select count(*)::int from timers where kind like 'case%') as timers`
  return row
}

t.test('missingAtFiling: online every required material, at a window nothing is refused', async (t) => {
  t.same(missingAtFiling('online', ['M1', 'M2'], ['M2']), ['M1'])
  t.same(missingAtFiling('online', ['M1', 'M2'], ['M2', 'M1', 'M3']), [])
  t.same(missingAtFiling('online', ['M1', 'M2'], []), ['M1', 'M2'], 'in the item\'s order')
  t.same(missingAtFiling('window', ['M1', 'M2'], []), [], 'the window receives and gives the correction notice')
})

t.test('an online application without a required material is refused with its name, and leaves nothing behind', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const stored = watchStore(app)

  const refused = await applyOnline(app, desk.applicant, item.id, ['M1'])
  t.equal(refused.statusCode, 422)
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  const problem = refused.json()
  t.equal(problem.code, 'APPLICATION_MATERIALS_MISSING')
  t.same(problem.errors, [{ path: '/materials/M2', message: 'required material not handed in' }], 'each missing material is named where it belongs')
  t.match(problem.detail, /M2/)
  t.equal(stored.length, 1, 'the material handed in was streamed to the store')
  for (const key of stored) t.equal(await app.store.exists(key), false, 'and removed again')
  t.same(await written(app, item.id), { cases: 0, materials: 0, audits: 0, timers: 0 }, 'no case, no material, no audit entry, no timer')

  const none = await applyOnline(app, desk.applicant, item.id, [])
  t.same(none.json().errors.map((error: { path: string }) => error.path), ['/materials/M1', '/materials/M2'], 'every missing material at once, in the item\'s order')

  const filed = await applyOnline(app, desk.applicant, item.id, ['M2', 'M1'])
  t.equal(filed.statusCode, 201, 'with every required material the application is filed')
  t.same(filed.json().case.missingMaterials, [])
  t.same(await written(app, item.id), { cases: 1, materials: 2, audits: 1, timers: 1 })
})

t.test('an optional material may be left out online; an unknown one is still refused first', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk, {
    materials: [
      { code: 'M1', name: '申请书', form: 'original', copies: 1, required: true },
      { code: 'M3', name: '授权委托书', form: 'original', copies: 1, required: false }
    ]
  })
  t.equal((await applyOnline(app, desk.applicant, item.id, ['M1'])).statusCode, 201, 'the optional material is not asked for')
  const unknown = await applyOnline(app, desk.applicant, item.id, ['M9'])
  t.equal(unknown.json().code, 'MATERIAL_UNKNOWN', 'a file the item does not ask for is named before what is missing')
})

t.test('at a window an application with a material missing is received, for the correction notice', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const body = multipart({ itemId: item.id, request: '现场申请', windowId: desk.window.id, 'applicant.name': '王五', 'applicant.idNumber': '110101199003071234' }, { M1: PDF('M1') })
  const filed = await app.inject({ method: 'POST', url: '/api/cases/window', headers: { ...desk.clerk.headers, ...body.headers }, payload: body.payload })
  t.equal(filed.statusCode, 201)
  const submitted = filed.json().case
  t.same(submitted.missingMaterials, ['M2'])
  const noticed = await ok(await step(app, desk.clerk, submitted.id, 'correction-notice', { materials: ['M2'], note: '请补交营业执照复印件' }))
  t.equal(noticed.state, 'correction', 'the one correction notice lists what the window did not receive')
})
