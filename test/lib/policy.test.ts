import t from 'tap'
import { canAccess, isGrantShapeValid, mayAttempt, scopesFor, type Principal } from '../../src/lib/policy.ts'

const principal = (grants: Principal['grants']): Principal => ({
  accountId: 'a', username: 'u', displayName: 'U', kind: 'person', grants, sessionId: 's', authMethod: 'password', mustChangePassword: false
})

t.test('a department administrator manages windows of its own department only', async (t) => {
  const deptAdmin = principal([{ role: 'dept_admin', scopeType: 'department', scopeId: 'd1' }])
  t.ok(mayAttempt(deptAdmin, 'windows.manage'))
  t.ok(canAccess(deptAdmin, 'windows.manage', { departmentId: 'd1', windowId: 'w1' }))
  t.notOk(canAccess(deptAdmin, 'windows.manage', { departmentId: 'd2', windowId: 'w2' }))
  t.notOk(canAccess(deptAdmin, 'windows.manage', { departmentId: null }), 'hall windows are not a department\'s')
  t.notOk(mayAttempt(deptAdmin, 'accounts.manage'))
})

t.test('hall scope covers everything; window scope covers its window', async (t) => {
  const admin = principal([{ role: 'hall_admin', scopeType: 'hall', scopeId: null }])
  t.ok(canAccess(admin, 'windows.manage', { departmentId: 'anything' }))
  const supervisor = principal([{ role: 'supervisor', scopeType: 'department', scopeId: 'd1' }])
  t.ok(canAccess(supervisor, 'audit.read', { departmentId: 'd1' }))
  t.notOk(canAccess(supervisor, 'audit.read', { departmentId: 'd2' }))
})

t.test('roles are granted only in the scopes that make sense for them', async (t) => {
  t.ok(isGrantShapeValid({ role: 'clerk', scopeType: 'window', scopeId: 'w' }))
  t.notOk(isGrantShapeValid({ role: 'clerk', scopeType: 'hall', scopeId: null }))
  t.notOk(isGrantShapeValid({ role: 'hall_admin', scopeType: 'department', scopeId: 'd' }))
  t.notOk(isGrantShapeValid({ role: 'chief_rep', scopeType: 'department', scopeId: null }))
  t.notOk(isGrantShapeValid({ role: 'bidder', scopeType: 'hall', scopeId: 'x' }))
})

t.test('the scopes an action covers, for filtering lists', async (t) => {
  const clerk = principal([
    { role: 'clerk', scopeType: 'window', scopeId: 'w1' },
    { role: 'dept_admin', scopeType: 'department', scopeId: 'd1' },
    { role: 'bidder', scopeType: 'project', scopeId: 'p1' }
  ])
  t.same(scopesFor(clerk, 'payments.read'), { departmentIds: ['d1'], windowIds: ['w1'] })
  t.same(scopesFor(principal([{ role: 'cashier', scopeType: 'hall', scopeId: null }]), 'payments.read'), null, 'a hall grant covers everything')
  t.same(scopesFor(principal([{ role: 'applicant', scopeType: 'hall', scopeId: null }]), 'payments.read'), { departmentIds: [], windowIds: [] }, 'no grant, nothing')
})

t.test('the hall\'s money is reached only from a hall grant, not from one window or department', async (t) => {
  const windowCashier = principal([{ role: 'cashier', scopeType: 'window', scopeId: 'w1' }])
  const departmentSupervisor = principal([{ role: 'supervisor', scopeType: 'department', scopeId: 'd1' }])
  t.ok(mayAttempt(windowCashier, 'payments.collect'), 'the window cashier still takes payments')
  t.notOk(mayAttempt(windowCashier, 'finance.reconcile'))
  t.notOk(mayAttempt(windowCashier, 'refunds.execute'))
  t.notOk(mayAttempt(departmentSupervisor, 'finance.read'))
  t.ok(mayAttempt(principal([{ role: 'cashier', scopeType: 'hall', scopeId: null }]), 'finance.reconcile'))
  t.ok(mayAttempt(principal([{ role: 'supervisor', scopeType: 'hall', scopeId: null }]), 'finance.read'))
})
