/**
 * The scope half of the policy layer, for a representative resource of each kind of scope: a
 * caller whose role names the action but whose grant is for another department (or who is not a
 * party to the project, or not the applicant) gets 404 — the same answer as for a resource that
 * does not exist — while the owner's side sees it. Nothing is written by the refused requests.
 */
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { createUser, organisation, type TestUser } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, filed } from '../factories/cases.ts'
import { createDepartment } from '../factories/departments.ts'
import { approvedFee, feeDesk, issueNotice } from '../factories/fees.ts'
import { acceptedProject, tenderInput, tradingDesk } from '../factories/trading.ts'
import { buildTestApp } from '../helper.ts'
import { QUIET_ENV, aboveWarn, changedTables, databaseFingerprint } from './openapi.ts'

interface ScopeCase {
  what: string
  request: Omit<InjectOptions, 'headers'>
  owner: TestUser
  /** the status the owner gets (the request is only sent by the owner when it reads) */
  ownerStatus?: number
  foreign: Array<[string, TestUser]>
}

t.test('a resource in a foreign scope answers 404, as if it did not exist', async (t) => {
  const { app, logs } = await buildTestApp(t, { env: QUIET_ENV })

  // department A: an approvals desk with a filed case, a fee item and a payment notice
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: filedCase } = await filed(app, desk.applicant, item.id)
  const fees = await feeDesk(app)
  const fee = await approvedFee(app, fees, { departmentId: desk.department.id })
  const notice = await issueNotice(app, desk.clerk, { departmentId: desk.department.id, lines: [{ code: fee.code }] })

  // department B: the same roles, granted there
  const other = await createDepartment(app, desk.admin.id, '县税务局')
  const inOther = (role: 'clerk' | 'chief_rep' | 'dept_admin' | 'supervisor') => createUser(app, { grants: [{ role, scopeType: 'department', scopeId: other.id }] })
  const clerkB = await inOther('clerk')
  const chiefB = await inOther('chief_rep')
  const deptAdminB = await inOther('dept_admin')
  const supervisorB = await inOther('supervisor')
  const applicantB = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })

  // a project of agency A with a drafted (unpublished) tender; agency B is a party to neither
  const trading = await tradingDesk(app)
  const project = await acceptedProject(app, trading)
  const drafted = await app.inject({ method: 'POST', url: '/api/tenders', headers: trading.agency.headers, payload: tenderInput(app, project.id) })
  t.equal(drafted.statusCode, 201, 'tender drafted')
  const tenderId = drafted.json().id as string
  const agencyB = await organisation(app, 'agency')
  const tendererB = await organisation(app, 'tenderer')

  const caseUrl = `/api/cases/${filedCase.id}`
  // a draft's edit carries everything but the project, which a tender never changes
  const { projectId: _unchanged, ...editedTender } = tenderInput(app, project.id, { title: '改写的招标公告标题' })
  const cases: ScopeCase[] = [
    { what: 'a department\'s case', request: { method: 'GET', url: caseUrl }, owner: desk.clerk, foreign: [['clerk of B', clerkB], ['chief_rep of B', chiefB], ['dept_admin of B', deptAdminB], ['supervisor of B', supervisorB], ['another applicant', applicantB]] },
    { what: 'a case\'s event history', request: { method: 'GET', url: `${caseUrl}/events` }, owner: desk.applicant, foreign: [['clerk of B', clerkB], ['another applicant', applicantB]] },
    { what: 'accepting another department\'s case', request: { method: 'POST', url: `${caseUrl}/acceptance` }, owner: desk.clerk, foreign: [['clerk of B', clerkB], ['chief_rep of B', chiefB]] },
    { what: 'deciding another department\'s case', request: { method: 'POST', url: `${caseUrl}/decision`, payload: { decision: 'approve', reasons: [] } }, owner: desk.chief, foreign: [['chief_rep of B', chiefB]] },
    { what: 'withdrawing another applicant\'s case', request: { method: 'POST', url: `${caseUrl}/withdrawal`, payload: { reason: '不再需要' } }, owner: desk.applicant, foreign: [['another applicant', applicantB]] },
    { what: 'a department\'s managed service item', request: { method: 'GET', url: `/api/managed-service-items/${item.id}` }, owner: desk.deptAdmin, ownerStatus: 200, foreign: [['dept_admin of B', deptAdminB]] },
    { what: 'a department\'s delegations', request: { method: 'GET', url: `/api/departments/${desk.department.id}/delegations` }, owner: desk.deptAdmin, ownerStatus: 200, foreign: [['dept_admin of B', deptAdminB]] },
    { what: 'a department\'s window', request: { method: 'PATCH', url: `/api/windows/${desk.window.id}`, payload: { name: '改名窗口' } }, owner: desk.deptAdmin, foreign: [['dept_admin of B', deptAdminB]] },
    { what: 'a department\'s fee item', request: { method: 'GET', url: `/api/fee-items/${fee.id}` }, owner: desk.deptAdmin, ownerStatus: 200, foreign: [['dept_admin of B', deptAdminB]] },
    { what: 'a department\'s payment notice', request: { method: 'GET', url: `/api/payment-notices/${notice.id}` }, owner: desk.clerk, ownerStatus: 200, foreign: [['clerk of B', clerkB], ['dept_admin of B', deptAdminB], ['supervisor of B', supervisorB]] },
    { what: 'cancelling a department\'s payment notice', request: { method: 'POST', url: `/api/payment-notices/${notice.id}/cancel`, payload: { reason: '重复开具' } }, owner: desk.clerk, foreign: [['clerk of B', clerkB], ['dept_admin of B', deptAdminB]] },
    { what: 'a project', request: { method: 'GET', url: `/api/projects/${project.id}` }, owner: trading.agency, ownerStatus: 200, foreign: [['another agency', agencyB], ['another tenderer', tendererB]] },
    { what: 'a drafted tender', request: { method: 'GET', url: `/api/tenders/${tenderId}` }, owner: trading.agency, ownerStatus: 200, foreign: [['another agency', agencyB], ['another tenderer', tendererB]] },
    { what: 'editing a project\'s tender', request: { method: 'PUT', url: `/api/tenders/${tenderId}`, payload: editedTender }, owner: trading.agency, foreign: [['another agency', agencyB]] },
    { what: 'publishing a project\'s tender', request: { method: 'POST', url: `/api/tenders/${tenderId}/publication` }, owner: trading.agency, foreign: [['another agency', agencyB], ['another tenderer', tendererB]] }
  ]

  const before = await databaseFingerprint(app)
  for (const { what, request, owner, ownerStatus, foreign } of cases) {
    for (const [who, user] of foreign) {
      const response = await app.inject({ ...request, headers: user.headers } as InjectOptions)
      t.equal(response.statusCode, 404, `${what}: ${who} gets 404`)
      t.match(response.json().code, /_NOT_FOUND$/, `${what}: ${who} is told it does not exist (${response.json().code as string})`)
    }
    if (ownerStatus) {
      const response = await app.inject({ ...request, headers: owner.headers } as InjectOptions)
      t.equal(response.statusCode, ownerStatus, `${what}: its own side sees it`)
    }
  }
  t.same(changedTables(before, await databaseFingerprint(app)), [], 'the refused requests wrote nothing')

  // a foreign resource and one that does not exist are indistinguishable
  const missing = await app.inject({ method: 'GET', url: '/api/cases/00000000-0000-4000-8000-000000000000', headers: clerkB.headers })
  const foreign = await app.inject({ method: 'GET', url: caseUrl, headers: clerkB.headers })
  t.same([foreign.statusCode, foreign.json().code, foreign.json().title], [missing.statusCode, missing.json().code, missing.json().title], 'same status, code and title as a missing case')
  t.same(aboveWarn(logs), [], 'nothing logged above warn')
})
