/**
 * 好差评 from 我的办件: the applicant signed in rates its own closed case once (no query code), on
 * the API and in the page; a refused form comes back with its error summary and what was typed;
 * the rating is audited with its rater; a bad one opens a rectification the supervisor reads by the
 * case's number (linked) and the comment.
 */
import t from 'tap'
import { createUser, supervisor } from '../factories/accounts.ts'
import { approvalsDesk, approve, delegatedItem, filed } from '../factories/cases.ts'
import { pageHeaders } from '../factories/fees-pages.ts'
import { buildTestApp } from '../helper.ts'

const form = (headers: Record<string, string>, fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }
})

t.test('the API: one rating per closed case, by its applicant, 1 to 5; bad input is a problem and writes nothing', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const open = await filed(app, desk.applicant, item.id)
  const rate = (caseId: string, headers: Record<string, string>, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/api/cases/${caseId}/rating`, headers, payload })

  const early = await rate(open.case.id, desk.applicant.headers, { level: 5 })
  t.equal(early.statusCode, 409)
  t.equal(early.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(early.json().code, 'RATING_NOT_OPEN', 'a case in handling is not rated yet')

  const closed = await filed(app, desk.applicant, item.id)
  t.equal((await approve(app, desk, closed.case.id)).state, 'closed')
  for (const bad of [{ level: 0 }, { level: 6 }, { level: 2.5 }, { level: '4' }, { level: 4, comment: 'x'.repeat(2001) }, { level: 4, extra: true }, {}]) {
    const refused = await rate(closed.case.id, desk.applicant.headers, bad)
    t.equal(refused.statusCode, 400, `refused: ${JSON.stringify(bad).slice(0, 40)}`)
    t.equal(refused.json().code, 'VALIDATION_FAILED')
  }
  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await rate(closed.case.id, stranger.headers, { level: 1 })).statusCode, 404, 'another applicant\'s case does not exist for them')
  t.equal((await rate(closed.case.id, desk.clerk.headers, { level: 5 })).statusCode, 403, 'officials do not rate')
  const [none] = await app.db.$client`select count(*)::int as count from case_ratings` as Array<{ count: number }>
  t.equal(none!.count, 0, 'no refusal wrote a rating')

  const rated = await rate(closed.case.id, desk.applicant.headers, { level: 2, comment: '  窗口让我跑了两趟  ' })
  t.equal(rated.statusCode, 200, rated.body)
  t.match(rated.json().rating, { level: 2, comment: '窗口让我跑了两趟' })
  t.equal((await rate(closed.case.id, desk.applicant.headers, { level: 5 })).json().code, 'RATING_NOT_OPEN', 'once only')
  const [audited] = await app.db.$client`select actor_id, payload from audit_entries where action = 'case.rated'` as Array<{ actor_id: string, payload: { level: number, comment: string } }>
  t.equal(audited!.actor_id, desk.applicant.id, 'the audit entry names the applicant who rated')
  t.match(audited!.payload, { level: 2, comment: '窗口让我跑了两趟' })
  const rectifications = (await app.inject({ method: 'GET', url: '/api/rectifications', headers: (await supervisor(app)).headers })).json()
  t.match(rectifications, [{ caseId: closed.case.id, caseNumber: closed.case.number, rating: { level: 2, comment: '窗口让我跑了两趟' }, doneAt: null }], 'a bad rating opens a rectification, read with its case number and comment')
})

t.test('the page: the applicant rates at the foot of its closed case; a refused form keeps what was typed; the supervisor reads it', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: c } = await filed(app, desk.applicant, item.id)
  const applicant = pageHeaders(app, desk.applicant)

  const handling = await app.inject({ method: 'GET', url: `/my/cases/${c.id}`, headers: applicant })
  t.notMatch(handling.body, /data-own-rating-form/, 'no rating while the case is handled')
  t.equal((await app.inject({ method: 'GET', url: `/my/cases/${c.id}/rating`, headers: applicant })).headers.location, `/my/cases/${c.id}`)
  await approve(app, desk, c.id)

  const list = await app.inject({ method: 'GET', url: '/my/cases', headers: applicant })
  t.match(list.body, new RegExp(`href="/my/cases/${c.id}#rating" data-needs="rating">去评价`), '我的办件 points at the cases waiting for a rating')
  const page = await app.inject({ method: 'GET', url: `/my/cases/${c.id}`, headers: applicant })
  t.match(page.body, new RegExp(`<form method="post" action="/my/cases/${c.id}/rating" novalidate data-own-rating-form>`))
  t.match(page.body, /id="level" name="level" value="5"/, 'five levels, the first of them the target of the error summary')

  const missing = await app.inject({ method: 'POST', url: `/my/cases/${c.id}/rating`, ...form(applicant, { comment: '材料一次讲清楚了' }) })
  t.equal(missing.statusCode, 400)
  t.match(missing.body, /data-error-summary[\s\S]*<a href="#level">请选择一个评价等级。<\/a>/, 'the summary links to the levels')
  t.match(missing.body, /aria-describedby="level-error"[\s\S]*id="level-error" class="error field-error">请选择一个评价等级。/, 'the message sits by the field')
  t.match(missing.body, /aria-invalid="true"/)
  t.match(missing.body, />材料一次讲清楚了<\/textarea>/, 'the comment is kept')
  const [none] = await app.db.$client`select count(*)::int as count from case_ratings` as Array<{ count: number }>
  t.equal(none!.count, 0)

  const stranger = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'POST', url: `/my/cases/${c.id}/rating`, ...form(pageHeaders(app, stranger), { level: '1' }) })).statusCode, 404)

  const rated = await app.inject({ method: 'POST', url: `/my/cases/${c.id}/rating`, ...form(applicant, { level: '1', comment: '等了很久没人理' }) })
  t.equal(rated.statusCode, 302)
  t.equal(rated.headers.location, `/my/cases/${c.id}?done=rated`)
  const after = await app.inject({ method: 'GET', url: `/my/cases/${c.id}?done=rated`, headers: applicant })
  t.match(after.body, /感谢您的评价。/)
  t.match(after.body, /data-my-rating="1"[\s\S]*非常不满意[\s\S]*等了很久没人理/, 'the case shows the rating given')
  t.notMatch(after.body, /data-own-rating-form/, 'and no second form')
  const again = await app.inject({ method: 'POST', url: `/my/cases/${c.id}/rating`, ...form(applicant, { level: '5' }) })
  t.equal(again.statusCode, 409)
  t.match(again.body, /办结后才能评价，且每件只能评价一次。/)
  t.match((await app.inject({ method: 'GET', url: '/my/cases', headers: applicant })).body, /data-rated>非常不满意/)

  // the supervisor's rectification list: the case by its number, linked, and what the applicant said
  const board = await app.inject({ method: 'GET', url: '/supervision', headers: pageHeaders(app, await supervisor(app)) })
  t.match(board.body, new RegExp(`<a href="/workbench/cases/${c.id}" data-rectification-case><code>${c.number}</code></a>`))
  t.match(board.body, /data-rating-level="1">非常不满意<\/span> <q class="pre" data-rating-comment>等了很久没人理<\/q>/)
})
