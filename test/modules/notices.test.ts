import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { connectLive } from '../support/live-client.ts'

t.test('notices reach exactly their audience, live and over HTTP', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const admin = await hallAdmin(app)
  const clerk = await createUser(app, { grants: [{ role: 'cashier', scopeType: 'hall' }] })
  const citizen = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const citizenSocket = await connectLive(baseUrl(app), citizen.token)
  const clerkSocket = await connectLive(baseUrl(app), clerk.token)
  t.teardown(() => { citizenSocket.close(); clerkSocket.close() })
  for (const socket of [citizenSocket, clerkSocket]) {
    socket.send({ type: 'subscribe', room: 'notices:hall', since: 0 })
    await socket.next((m) => m.type === 'subscribed')
  }

  const staff = await app.inject({ method: 'POST', url: '/api/notices', headers: admin.headers, payload: { title: '收费窗口注意', body: '明日系统维护', audience: { roles: ['cashier'] } } })
  t.equal(staff.statusCode, 201)
  const everyone = await app.inject({ method: 'POST', url: '/api/notices', headers: admin.headers, payload: { title: '大厅公告', body: '国庆节期间暂停办理', audience: { public: true } } })
  t.equal(everyone.statusCode, 201)

  await clerkSocket.next((m) => m.event === 'notice.published' && (m.data as { title: string }).title === '大厅公告')
  await citizenSocket.next((m) => m.event === 'notice.published' && (m.data as { title: string }).title === '大厅公告')
  t.same(clerkSocket.messages.filter((m) => m.type === 'event').map((m) => (m.data as { title: string }).title), ['收费窗口注意', '大厅公告'])
  t.same(citizenSocket.messages.filter((m) => m.type === 'event').map((m) => (m.data as { title: string }).title), ['大厅公告'])

  const anonymous = await app.inject({ method: 'GET', url: '/api/notices' })
  t.same(anonymous.json().map((n: { title: string }) => n.title), ['大厅公告'])
  const forClerk = await app.inject({ method: 'GET', url: '/api/notices', headers: clerk.headers })
  t.equal(forClerk.json().length, 2)

  const withdrawn = await app.inject({ method: 'DELETE', url: `/api/notices/${everyone.json().id}`, headers: admin.headers })
  t.equal(withdrawn.statusCode, 204)
  await citizenSocket.next((m) => m.event === 'notice.withdrawn')
  t.same((await app.inject({ method: 'GET', url: '/api/notices' })).json(), [])
  const again = await app.inject({ method: 'DELETE', url: `/api/notices/${everyone.json().id}`, headers: admin.headers })
  t.equal(again.json().code, 'NOTICE_WITHDRAWN')
})

t.test('a notice needs an audience, and only its publisher or the administrator withdraws it', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const supervisorUser = await createUser(app, { grants: [{ role: 'supervisor', scopeType: 'hall' }] })
  const empty = await app.inject({ method: 'POST', url: '/api/notices', headers: admin.headers, payload: { title: 't', body: 'b', audience: { roles: [] } } })
  t.equal(empty.json().code, 'NOTICE_AUDIENCE_EMPTY')
  const notice = await app.inject({ method: 'POST', url: '/api/notices', headers: admin.headers, payload: { title: 't', body: 'b', audience: { public: true } } })
  const foreign = await app.inject({ method: 'DELETE', url: `/api/notices/${notice.json().id}`, headers: supervisorUser.headers })
  t.equal(foreign.statusCode, 404)
  const applicant = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const forbidden = await app.inject({ method: 'POST', url: '/api/notices', headers: applicant.headers, payload: { title: 't', body: 'b', audience: { public: true } } })
  t.equal(forbidden.statusCode, 403)
})
