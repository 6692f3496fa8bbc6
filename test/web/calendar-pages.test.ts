/**
 * The calendar administration page and the home page (HTML over inject): the warning about a
 * missing next year from 1 November, and entering a year from the pasted notice in two steps.
 */
import t from 'tap'
import { buildTestApp, type TestContext } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'

const NOTICE = '元旦 2027-01-01 至 2027-01-03\n春节 2027-02-10 至 2027-02-17\n调休上班 2027-02-07 2027-02-20'

async function adminPages (t: TestContext, instant: string) {
  const { app, config } = await buildTestApp(t)
  const realNow = app.clock.now
  t.teardown(() => { app.clock.now = realNow })
  app.clock.now = () => new Date(instant)
  const admin = await hallAdmin(app)
  const cookie = `${config.session.cookieName}=${admin.token}`
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } })
  const post = (payload: Record<string, string>) => app.inject({ method: 'POST', url: '/admin/calendar/import', headers: { cookie }, payload })
  const rows2027 = async () => (await app.db.$client`select count(*)::int as n from calendar_days where date >= '2027-01-01'`)[0]!.n as number
  return { app, config, get, post, rows2027 }
}

t.test('no warning before 1 November', async (t) => {
  const { get } = await adminPages(t, '2026-10-31T15:59:59Z')
  t.notMatch((await get('/admin/calendar')).body, /data-calendar-warning/)
  t.notMatch((await get('/')).body, /data-calendar-warning/)
})

t.test('from 1 November the administrator is told, in plain words, that next year is missing', async (t) => {
  const { app, config, get } = await adminPages(t, '2026-10-31T16:00:00Z')
  for (const url of ['/admin/calendar', '/']) {
    const body = (await get(url)).body
    t.match(body, /data-calendar-warning="2027"/, `${url} warns`)
    t.match(body, /2027 年的节假日安排尚未录入/)
    t.match(body, /周一至周五都按工作日/)
    t.match(body, /标记为“暂定”/)
    t.match(body, /href="\/admin\/calendar\?year=2027#calendar-import"/, 'with a link to the import')
  }
  const clerk = await createUser(app, { grants: [{ role: 'applicant', scopeType: 'hall' }] })
  const home = await app.inject({ method: 'GET', url: '/', headers: { cookie: `${config.session.cookieName}=${clerk.token}` } })
  t.notMatch(home.body, /data-calendar-warning/, 'only those who can enter a year are told')
})

t.test('the pasted notice is reviewed, then entered on confirmation', async (t) => {
  const { get, post, rows2027 } = await adminPages(t, '2026-12-20T02:00:00Z')
  const form = (await get('/admin/calendar?year=2027')).body
  t.match(form, /id="calendar-import"/)
  t.match(form, /<textarea id="calendar-notice" name="notice"/)
  t.match(form, /data-provisional-year>（暂定：2027 年尚未录入节假日安排/, 'the year grid of a year without data says it is provisional')

  const review = await post({ year: '2027', notice: NOTICE, step: 'review' })
  t.equal(review.statusCode, 200)
  t.match(review.body, /data-import-review/)
  t.match(review.body, /请核对将录入的 2027 年安排/)
  t.match(review.body, /节假日 11 天，调休上班 2 天；录入后 2027 年全年工作日 \d+ 天/)
  t.match(review.body, /<th scope="row">春节<\/th><td>2027-02-10<\/td><td>2027-02-17<\/td><td class="num">8<\/td>/)
  t.match(review.body, /2027-02-07、2027-02-20/)
  t.equal(await rows2027(), 0, 'the review writes nothing')

  const back = await post({ year: '2027', notice: NOTICE, step: 'edit' })
  t.match(back.body, />元旦 2027-01-01 至 2027-01-03\n春节 2027-02-10 至 2027-02-17\n调休上班 2027-02-07 2027-02-20<\/textarea>/, 'going back keeps every line')

  const confirmed = await post({ year: '2027', notice: NOTICE, step: 'confirm' })
  t.equal(confirmed.statusCode, 302)
  t.equal(confirmed.headers.location, '/admin/calendar?year=2027&done=imported')
  t.equal(await rows2027(), 13)
  const after = (await get('/admin/calendar?year=2027&done=imported')).body
  t.match(after, /2027 年节假日安排已录入/)
  t.notMatch(after, /data-calendar-warning/, 'the warning is gone')
  t.notMatch(after, /data-provisional-year/)
})

t.test('errors are shown beside the field in Chinese and everything typed is kept', async (t) => {
  const { get, post, rows2027 } = await adminPages(t, '2026-12-20T02:00:00Z')
  const typed = '元旦 2027-01-01 至 2027-01-03\n春节放假 <八天>'
  const unreadable = await post({ year: '2027', notice: typed, step: 'review' })
  t.equal(unreadable.statusCode, 400)
  t.match(unreadable.body, /data-error-summary/)
  t.match(unreadable.body, /<a href="#calendar-notice">第 2 行无法识别/, 'the summary links to the field')
  t.match(unreadable.body, /aria-describedby="calendar-notice-hint calendar-notice-error" aria-invalid="true"/)
  t.match(unreadable.body, /<ul id="calendar-notice-error" class="error line-errors">/)
  t.match(unreadable.body, />元旦 2027-01-01 至 2027-01-03\n春节放假 &lt;八天&gt;<\/textarea>/, 'kept, and escaped')

  const monday = await post({ year: '2027', notice: `${NOTICE}\n调休上班 2027-02-08`, step: 'review' })
  t.equal(monday.statusCode, 422)
  t.match(monday.body, /调休上班日必须是周六或周日，这一天本来就是工作日。涉及日期：2027-02-08。/)
  t.notMatch(monday.body, /CALENDAR_|422/, 'no code or status number on the page')

  const wrongYear = await post({ year: '2027', notice: '元旦 2028-01-01 至 2028-01-03', step: 'confirm' })
  t.equal(wrongYear.statusCode, 422)
  t.match(wrongYear.body, /有日期不在所录入的年份内/)
  t.equal(await rows2027(), 0, 'nothing written on refusal')

  const present = await post({ year: '2026', notice: '县庆 2026-12-31', step: 'review' })
  t.equal(present.statusCode, 409)
  t.match(present.body, /该年份已经录入过节假日安排/)
  t.match(present.body, /name="replace" value="on"/, 'the page offers to replace the year')
  const replacing = await post({ year: '2026', notice: '县庆 2026-12-31', replace: 'on', step: 'review' })
  t.match(replacing.body, /data-import-replaces="39"/, 'the review says what the replacement removes')
  t.match(replacing.body, /录入前将删除 2026 年已有的 39 条记录/)

  const empty = await post({ year: '2027', notice: '', step: 'review' })
  t.match(empty.body, /请至少填写一个节假日/)
  t.match((await get('/admin/calendar?year=2026')).body, /全年工作日 248 天/, '2026 untouched')
})
