import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { createDepartment, createWindow } from '../factories/departments.ts'

t.test('the hall administrator builds the directory; everyone can read it', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const created = await app.inject({ method: 'POST', url: '/api/departments', headers: admin.headers, payload: { code: 'SCJGJ', name: '县市场监督管理局', nameEn: 'Market Supervision' } })
  t.equal(created.statusCode, 201)
  const department = created.json()
  const duplicate = await app.inject({ method: 'POST', url: '/api/departments', headers: admin.headers, payload: { code: 'SCJGJ', name: '重复' } })
  t.equal(duplicate.statusCode, 409)
  t.equal(duplicate.json().code, 'CODE_TAKEN')

  const window = await app.inject({ method: 'POST', url: '/api/windows', headers: admin.headers, payload: { code: 'SCJG-01', name: '1 号窗口', kind: 'department', departmentId: department.id } })
  t.equal(window.statusCode, 201)
  const agency = await app.inject({ method: 'POST', url: '/api/windows', headers: admin.headers, payload: { code: 'ZHDL', name: '综合代理窗口', kind: 'agency' } })
  t.equal(agency.statusCode, 201)
  const misfiled = await app.inject({ method: 'POST', url: '/api/windows', headers: admin.headers, payload: { code: 'BAD', name: 'x', kind: 'agency', departmentId: department.id } })
  t.equal(misfiled.json().code, 'WINDOW_DEPARTMENT_MISMATCH')

  const listed = await app.inject({ method: 'GET', url: `/api/windows?departmentId=${department.id}` })
  t.same(listed.json().map((w: { code: string }) => w.code), ['SCJG-01'], 'the public directory, filtered by department')
  const entries = await app.db.$client`select action from audit_entries where subject_type in ('department', 'window') order by id`
  t.same(entries.map((row) => row.action), ['department.created', 'window.created', 'window.created'])
})

t.test('a department administrator manages its own windows; other departments are not found', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const own = await createDepartment(app, admin.id, '县自然资源局')
  const other = await createDepartment(app, admin.id, '县住建局')
  const otherWindow = await createWindow(app, admin.id, other.id)
  const deptAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: own.id }] })

  const mine = await app.inject({ method: 'POST', url: '/api/windows', headers: deptAdmin.headers, payload: { code: 'ZR-1', name: '自然资源窗口', kind: 'department', departmentId: own.id } })
  t.equal(mine.statusCode, 201)
  const theirs = await app.inject({ method: 'POST', url: '/api/windows', headers: deptAdmin.headers, payload: { code: 'ZJ-9', name: 'x', kind: 'department', departmentId: other.id } })
  t.equal(theirs.statusCode, 404)
  t.equal(theirs.json().code, 'DEPARTMENT_NOT_FOUND')
  const update = await app.inject({ method: 'PATCH', url: `/api/windows/${otherWindow.id}`, headers: deptAdmin.headers, payload: { active: false } })
  t.equal(update.statusCode, 404, 'another department\'s window is as if it did not exist')
  t.equal(update.json().code, 'WINDOW_NOT_FOUND')
  const departments = await app.inject({ method: 'POST', url: '/api/departments', headers: deptAdmin.headers, payload: { code: 'NEW', name: 'x' } })
  t.equal(departments.statusCode, 403)
  t.equal(departments.json().code, 'FORBIDDEN')
})
