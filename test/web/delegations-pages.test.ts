/**
 * The chief representative's delegations in pages, through app.inject: the hall administrator and
 * the department's administrator read the history (newest first) and record a new one, which ends
 * the one running; bad input is refused with its reason; another department's page is 404.
 */
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, setClock } from '../factories/cases.ts'
import { chiefRep } from '../factories/catalogue.ts'
import { pageHeaders } from '../factories/fees-pages.ts'

const form = (headers: Record<string, string>, fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(name, one)
  return { payload: body.toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } }
}

t.test('a department\'s delegations: the history and a new one recorded by form', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const other = await approvalsDesk(app, '县卫生健康局')
  const first = await delegatedItem(app, desk)
  const second = await delegatedItem(app, desk, { name: '食品经营许可（变更）' })
  const successor = await chiefRep(app, desk.department.id)
  const hall = pageHeaders(app, desk.admin)
  const url = `/admin/departments/${desk.department.id}/delegations`
  setClock(app, '2026-03-02T01:00:00.000Z') // Mon 2 Mar, 09:00 in the hall

  const departments = await app.inject({ method: 'GET', url: '/admin/departments', headers: hall })
  t.match(departments.body, new RegExp(`href="${url}" data-delegations-link`), 'the departments page links to the delegations')

  const page = await app.inject({ method: 'GET', url, headers: hall })
  t.equal(page.statusCode, 200)
  const rows = [...page.body.matchAll(/<tr data-delegation="([0-9a-f-]{36})"/g)].map((match) => match[1])
  t.equal(rows.length, 2, 'both delegations recorded so far')
  t.match(page.body, new RegExp(`data-delegation="${rows[0]}" data-in-force>[\\s\\S]*?<code>${first.code}</code> <code>${second.code}</code>`), 'the newest first, in force, covering both items')
  t.match(page.body, new RegExp(`<option value="${successor.id}"`), 'the department\'s chief representatives are offered')
  t.match(page.body, new RegExp(`<option value="${desk.chief.id}"`))
  t.notMatch(page.body, new RegExp(`<option value="${other.chief.id}"`), 'not another department\'s')

  const valid = { chiefRepId: successor.id, itemCodes: `${first.code}，${second.code.toLowerCase()}`, decisions: ['approve'], reference: '市监授〔2026〕3号' }
  const noDecision = await app.inject({ method: 'POST', url, ...form(hall, { ...valid, decisions: [] }) })
  t.equal(noDecision.statusCode, 400)
  t.match(noDecision.body, /至少勾选一项授权决定/)
  t.match(noDecision.body, /value="市监授〔2026〕3号"/, 'what was typed stays in the form')
  const unknownItem = await app.inject({ method: 'POST', url, ...form(hall, { ...valid, itemCodes: `${first.code}, NO-SUCH` }) })
  t.equal(unknownItem.statusCode, 422)
  t.match(unknownItem.body, /本部门没有所列的事项编码/)
  t.match(unknownItem.body, /NO-SUCH/, 'the service names the unknown code')
  const backwards = await app.inject({ method: 'POST', url, ...form(hall, { ...valid, validFrom: '2026-04-01T09:00', validUntil: '2026-03-31T09:00' }) })
  t.equal(backwards.statusCode, 422)
  t.match(backwards.body, /截止时间必须晚于生效时间/)
  const notChief = await app.inject({ method: 'POST', url, ...form(hall, { ...valid, chiefRepId: other.chief.id }) })
  t.equal(notChief.statusCode, 422)
  t.match(notChief.body, /不是本部门在职的首席代表/)
  t.equal((await app.db.$client`select id from delegations where department_id = ${desk.department.id}`).length, 2, 'nothing recorded by the refused forms')

  // the department's own administrator records the successor's delegation, from a given hall time
  const official = pageHeaders(app, desk.deptAdmin)
  const dated = { ...valid, validFrom: '2026-03-02T10:00', validUntil: '2026-12-31T18:00' }
  const asked = await app.inject({ method: 'POST', url, ...form(official, dated) })
  t.match(asked.body, /data-confirm/, 'recording asks once more (confirmations-admin.test.ts)')
  t.equal((await app.db.$client`select id from delegations where department_id = ${desk.department.id}`).length, 2, 'nothing recorded before the confirmation')
  const recorded = await app.inject({ method: 'POST', url, ...form(official, { ...dated, confirm: '1' }) })
  t.equal(recorded.headers.location, `${url}?done=recorded`)
  const [row] = await app.db.$client<Array<{ id: string, chief_rep_id: string, item_codes: string[], decisions: string[], valid_from: string | Date, valid_until: string | Date }>>`
    select id, chief_rep_id, item_codes, decisions, valid_from, valid_until from delegations where department_id = ${desk.department.id} order by valid_from desc limit 1`
  t.match(row, { chief_rep_id: successor.id, item_codes: [first.code, second.code], decisions: ['approve'] })
  t.equal(new Date(row!.valid_from).toISOString(), '2026-03-02T02:00:00.000Z', 'the times are read on the hall\'s clock')
  t.equal(new Date(row!.valid_until).toISOString(), '2026-12-31T10:00:00.000Z')
  const [audit] = await app.db.$client<Array<{ actor_id: string, payload: { reference: string } }>>`select actor_id, payload from audit_entries where action = 'delegation.recorded' and subject_id = ${row!.id}`
  t.match(audit, { actor_id: desk.deptAdmin.id, payload: { reference: '市监授〔2026〕3号' } })
  t.equal((await app.db.$client`select id from audit_entries where action = 'delegation.ended' and subject_id = ${rows[0]!}`).length, 1, 'the running delegation ends where the new one starts')

  const after = await app.inject({ method: 'GET', url: `${url}?done=recorded`, headers: official })
  t.match(after.body, /授权已登记/)
  const newest = [...after.body.matchAll(/<tr data-delegation="([0-9a-f-]{36})"/g)].map((match) => match[1])
  t.same(newest, [row!.id, ...rows], 'newest first')
  t.match(after.body, new RegExp(`data-delegation="${row!.id}">[\\s\\S]*?市监授〔2026〕3号[\\s\\S]*?Test ${successor.username}`), 'not yet in force, named by its chief representative')

  // another department's page does not exist for its administrator; an applicant has none
  const foreign = pageHeaders(app, other.deptAdmin)
  t.equal((await app.inject({ method: 'GET', url, headers: foreign })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url, ...form(foreign, valid) })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url, headers: pageHeaders(app, desk.clerk) })).statusCode, 403)
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'GET', url, headers: pageHeaders(app, applicant) })).statusCode, 403)
})
