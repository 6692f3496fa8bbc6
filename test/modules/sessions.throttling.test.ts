/**
 * Failed sign-ins throttle the account name and the client address with a growing delay (429 +
 * Retry-After) instead of locking the account; a known and an unknown name answer alike; the
 * hall administrator sees and lifts throttles. Time is the app's injected clock: no sleeping.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper.ts'
import { TEST_PASSWORD, createUser, hallAdmin, supervisor } from '../factories/accounts.ts'

const START = Date.parse('2026-03-02T01:00:00.000Z')

/** The app's clock, stopped at START and moved by hand. */
function stoppedClock (app: FastifyInstance) {
  let now = START
  app.clock.now = () => new Date(now)
  return { advance (seconds: number) { now += seconds * 1000 } }
}

function signIn (app: FastifyInstance, username: string, password: string, ip = '10.0.0.1') {
  return app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { username, password } })
}

/** What a caller can observe of an answer, minus the request id. */
async function observed (response: Awaited<ReturnType<typeof signIn>>) {
  const { requestId, ...body } = response.json() as Record<string, unknown>
  return { status: response.statusCode, retryAfter: response.headers['retry-after'], contentType: response.headers['content-type'], body }
}

t.test('a known and an unknown name answer alike, and wrong passwords slow down instead of locking', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '10' } })
  const clock = stoppedClock(app)
  await createUser(app, { username: 'li.lei' })

  // the same sequence for a real account and for a name nobody holds, each from its own address
  const transcript = async (username: string, ip: string) => {
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await observed(await signIn(app, username, 'wrong-guess', ip)))
    answers.push(await observed(await signIn(app, username, 'wrong-guess', ip)))
    clock.advance(1)
    answers.push(await observed(await signIn(app, username, 'wrong-guess', ip)))
    answers.push(await observed(await signIn(app, username, 'wrong-guess', ip)))
    return answers
  }
  const known = await transcript('li.lei', '10.0.0.1')
  const unknown = await transcript('nobody.here', '10.0.0.2')
  t.same(unknown, known, 'status, code, body and Retry-After are identical for a known and an unknown name')
  t.same(known.map((answer) => answer.status), [401, 401, 401, 429, 401, 429])
  t.same(known.map((answer) => answer.body.code), ['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'SIGN_IN_THROTTLED', 'INVALID_CREDENTIALS', 'SIGN_IN_THROTTLED'])
  t.same(known.map((answer) => answer.retryAfter), [undefined, undefined, undefined, '1', undefined, '2'], 'the delay doubles with each further failure')
  t.equal(known[3]!.contentType, 'application/problem+json; charset=utf-8')

  const unchecked = await signIn(app, 'li.lei', TEST_PASSWORD, '10.0.0.1')
  t.equal(unchecked.statusCode, 429, 'while the delay runs even the right password is not checked')
  clock.advance(2)
  const afterWait = await signIn(app, 'li.lei', TEST_PASSWORD, '10.0.0.1')
  t.equal(afterWait.statusCode, 200, 'after the wait the right password opens the account: there is no lock')
  t.equal((await signIn(app, 'li.lei', 'wrong-guess', '10.0.0.1')).statusCode, 401, 'a sign-in forgets the name\'s failures')

  const audit = await app.db.$client<Array<{ action: string, subject_id: string }>>`
    select action, subject_id from audit_entries where action in ('sign_in.throttled', 'account.sign_in_failed') order by id`
  t.same(audit.filter((row) => row.action === 'sign_in.throttled').map((row) => row.subject_id),
    ['account:li.lei', 'account:li.lei', 'account:nobody.here', 'account:nobody.here'], 'each delay imposed is audited')
  t.equal(audit.filter((row) => row.action === 'account.sign_in_failed').length, 5, 'failures on a real account are audited on it')
})

t.test('someone hammering a name does not keep its owner out', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '15' } })
  const clock = stoppedClock(app)
  await createUser(app, { username: 'wang.fang' })
  const attacker = '203.0.113.9'
  // nine guesses a minute apart: each waits out the delay before it, the delays double
  for (let i = 0; i < 9; i++) {
    if (i > 0) clock.advance(60)
    t.equal((await signIn(app, 'wang.fang', `guess-${i}`, attacker)).statusCode, 401)
  }
  const stillRefused = await signIn(app, 'wang.fang', 'guess-x', attacker)
  t.equal(stillRefused.statusCode, 429, 'the attacker waits')
  t.ok(Number(stillRefused.headers['retry-after']) > 60, 'and waits longer and longer')

  const owner = await signIn(app, 'wang.fang', TEST_PASSWORD, '10.1.1.1')
  t.equal(owner.statusCode, 200, 'the owner, from an address that has not failed, signs in')

  for (let i = 0; i < 4; i++) await signIn(app, 'wang.fang', `guess-${i}`, attacker)
  const typo = await signIn(app, 'wang.fang', 'typo', '10.1.1.2')
  t.equal(typo.statusCode, 401, 'a fresh address is checked even while the name is throttled')
  t.equal((await signIn(app, 'wang.fang', TEST_PASSWORD, '10.1.1.2')).statusCode, 429, 'once it has failed, it waits like the others')
})

t.test('one address trying many names is throttled for all of them', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_MAX_FAILURES: '2', LOGIN_LOCKOUT_MINUTES: '15' } })
  stoppedClock(app)
  const user = await createUser(app)
  const sprayer = '198.51.100.4'
  const codes = []
  for (let i = 0; i < 9; i++) codes.push((await signIn(app, `name${i}`, 'Password1!', sprayer)).statusCode)
  t.same(codes, [401, 401, 401, 401, 401, 401, 401, 401, 429], 'four times the free failures per name, then the address waits')
  t.equal((await signIn(app, user.username, TEST_PASSWORD, sprayer)).statusCode, 429, 'for every name')
  t.equal((await signIn(app, user.username, TEST_PASSWORD, '10.0.0.9')).statusCode, 200, 'other addresses are not affected')
})

t.test('the hall administrator sees the throttles and lifts one, audited', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_MAX_FAILURES: '2', LOGIN_LOCKOUT_MINUTES: '15' } })
  stoppedClock(app)
  const admin = await hallAdmin(app)
  const watcher = await supervisor(app)
  await createUser(app, { username: 'zhou.min' })
  for (let i = 0; i < 2; i++) await signIn(app, 'zhou.min', 'nope', '10.9.9.9')
  t.equal((await signIn(app, 'zhou.min', TEST_PASSWORD, '10.9.9.9')).statusCode, 429)

  t.equal((await app.inject({ method: 'GET', url: '/api/sign-in-throttles', headers: watcher.headers })).statusCode, 403, 'only the hall administrator')
  t.equal((await app.inject({ method: 'GET', url: '/api/sign-in-throttles' })).statusCode, 401)
  const listed = await app.inject({ method: 'GET', url: '/api/sign-in-throttles', headers: admin.headers })
  t.equal(listed.statusCode, 200)
  const throttles = listed.json() as Array<{ id: string, scope: string, key: string, failures: number, blockedUntil: string | null }>
  const onName = throttles.find((row) => row.scope === 'account' && row.key === 'zhou.min')
  t.match(onName, { failures: 2, blockedUntil: new Date(START + 1000).toISOString() }, 'the throttle in force, with its end')
  t.match(throttles.find((row) => row.scope === 'client'), { key: '10.9.9.9', failures: 2, blockedUntil: null }, 'the address is remembered, not yet throttled')

  const lifted = await app.inject({ method: 'DELETE', url: `/api/sign-in-throttles/${onName!.id}`, headers: admin.headers })
  t.equal(lifted.statusCode, 204)
  t.equal((await signIn(app, 'zhou.min', TEST_PASSWORD, '10.9.9.9')).statusCode, 200, 'lifted: the right password is checked again')
  const again = await app.inject({ method: 'DELETE', url: `/api/sign-in-throttles/${onName!.id}`, headers: admin.headers })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'THROTTLE_NOT_FOUND')
  const [entry] = await app.db.$client<Array<{ actor_id: string, subject_id: string, payload: { failures: number } }>>`
    select actor_id, subject_id, payload from audit_entries where action = 'sign_in_throttle.lifted'`
  t.equal(entry?.actor_id, admin.id, 'the lift is audited with who lifted it')
  t.equal(entry?.subject_id, 'account:zhou.min')
  t.equal(entry?.payload.failures, 2)
})

t.test('the sign-in page says to wait, in words', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_MAX_FAILURES: '1', LOGIN_LOCKOUT_MINUTES: '15' } })
  stoppedClock(app)
  const form = (password: string) => app.inject({
    method: 'POST', url: '/login', remoteAddress: '10.3.3.3', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'openhall_lang=en' }, payload: `username=ma.li&password=${password}`
  })
  t.equal((await form('x')).statusCode, 401)
  const page = await form('y')
  t.equal(page.statusCode, 429)
  t.match(page.body, /Too many failed sign-ins; try again in \d+ seconds\./, 'says how long to wait')
  t.notMatch(page.body, /SIGN_IN_THROTTLED/)
})

t.test('the administrator\'s page lists the throttles and lifts one', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { LOGIN_MAX_FAILURES: '1', LOGIN_LOCKOUT_MINUTES: '15' } })
  stoppedClock(app)
  const admin = await hallAdmin(app)
  await signIn(app, 'qian.duo', 'nope', '10.4.4.4')
  const cookie = `${config.session.cookieName}=${admin.token}; openhall_lang=en`
  const page = await app.inject({ method: 'GET', url: '/admin/sign-in-throttles', headers: { cookie } })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<tr data-throttle="account:qian.duo">/)
  t.match(page.body, /<tr data-throttle="client:10.4.4.4">[\s\S]*?No wait in force/, 'the address has failures but no wait yet')
  t.match(page.body, /href="\/admin\/sign-in-throttles"/, 'the navigation leads here')
  const id = /action="\/admin\/sign-in-throttles\/([0-9a-f-]{36})\/lift"/.exec(page.body)?.[1]
  const lifted = await app.inject({ method: 'POST', url: `/admin/sign-in-throttles/${id}/lift`, headers: { cookie, origin: config.publicUrl } })
  t.equal(lifted.statusCode, 302)
  t.equal(lifted.headers.location, '/admin/sign-in-throttles?done=lifted')
  const after = await app.inject({ method: 'GET', url: '/admin/sign-in-throttles?done=lifted', headers: { cookie } })
  t.match(after.body, /The throttle was lifted/)
  t.equal((after.body.match(/<tr data-throttle=/g) ?? []).length, 1, 'one throttle left')
  const again = await app.inject({ method: 'POST', url: `/admin/sign-in-throttles/${id}/lift`, headers: { cookie, origin: config.publicUrl } })
  t.equal(again.statusCode, 404)
  t.match(again.body, /already been lifted/, 'a refusal in words on the page')
})
