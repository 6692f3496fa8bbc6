import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { createUser, hallAdmin, supervisor } from '../factories/accounts.ts'
import { randomCreditCode } from '../factories/experts.ts'

/** 10:00 in Beijing on 2026-06-15. */
const NOW = new Date('2026-06-15T02:00:00.000Z')
const HEADER = '姓名,手机号,登录名,职称,执业起始年份,地区代码,专业代码,工作单位,统一社会信用代码,入职日期'

function csv (lines: string[], bom = true): Buffer {
  return Buffer.from(`${bom ? '\uFEFF' : ''}${[HEADER, ...lines].join('\r\n')}\r\n`, 'utf8')
}

const upload = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], headers: Record<string, string>, body: Buffer | string, type = 'text/csv') =>
  app.inject({ method: 'POST', url: '/api/experts/imports', headers: { ...headers, 'content-type': type }, payload: body })

t.test('a file with broken rows is refused whole, with every wrong row reported, and nothing is written', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const existing = await createUser(app, { username: 'zhou.taken' })
  const good = randomCreditCode()
  const file = csv([
    `王建国,13900001111,wang.jg,正高级,2001,330102,A010101;A050101,杭州某设计院有限公司,${good},2010-04-01`,
    '李丽,1390000,li.li,副高级,2005,330102,A010101,,,',
    '张三,13900003333,wang.jg,中级,2010,330102,A010101,,,',
    `周四,13900004444,${existing.username},高级,2010,330102,A010101,,,`,
    '吴五,13900005555,wu.wu,教授,2030,990000,A019999；B02,某公司,911111111111111111,2026-13-01',
    '"郑六, 太长",13900006666',
    '钱七,13900007777,qian.qi,中级,2012,330102,A010101,某公司,,2020-01-01'
  ])
  const res = await upload(app, admin.headers, file)
  t.equal(res.statusCode, 422)
  t.match(res.headers['content-type'], /application\/problem\+json/)
  const problem = res.json()
  t.equal(problem.code, 'EXPERT_IMPORT_INVALID')
  const report = (problem.errors as Array<{ row: number, field: string, code: string }>).map(({ row, field, code }) => `${row} ${field} ${code}`)
  t.same(report, [
    '3 phone PHONE_INVALID',
    '4 username USERNAME_DUPLICATE',
    '5 username USERNAME_TAKEN',
    '6 title TITLE_UNKNOWN',
    '6 practiceSince PRACTICE_YEAR_INVALID',
    '6 regionCode REGION_CODE_INVALID',
    '6 specialties SPECIALTY_INVALID',
    '6 specialties SPECIALTY_UNKNOWN',
    '6 creditCode CREDIT_CODE_INVALID',
    '6 employedFrom DATE_INVALID',
    '7 row COLUMN_COUNT',
    '8 creditCode EMPLOYER_INCOMPLETE'
  ])
  t.equal(await countRows(app, 'experts'), 0)
  t.equal(await countRows(app, 'expert_imports'), 0)
  t.equal(await countRows(app, "accounts where username = 'wang.jg'"), 0)

  // a level-3 code that does not exist is caught against the classification
  const unknown = await upload(app, admin.headers, csv(['王建国,13900001111,wang.jg,正高级,2001,330102,A010199,,,']))
  t.match(unknown.json().errors, [{ row: 2, field: 'specialties', code: 'SPECIALTY_UNKNOWN' }])
})

t.test('a good file imports every row in one go: accounts, experts, specialties, employment, the import record', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const employer = randomCreditCode()
  const rows = Array.from({ length: 40 }, (_, i) =>
    `专家${i},139${String(i).padStart(8, '0')},expert.${i},${['正高级', '副高级', '中级', '无'][i % 4]},${2000 + (i % 20)},330102,${['A010101', 'B020101;C020102', 'C030101'][i % 3]},${i % 2 ? '' : '某设计院有限公司'},${i % 2 ? '' : employer},${i % 2 ? '' : '2018-05-01'}`)
  // without a byte order mark, with a trailing blank line
  const res = await upload(app, admin.headers, Buffer.concat([csv(rows, false), Buffer.from('\r\n')]))
  t.equal(res.statusCode, 201, res.body)
  const imported = res.json()
  t.equal(imported.rows, 40)
  t.equal(imported.experts.length, 40)
  t.match(imported.experts[0], { code: 'ZJ-000001', fullName: '专家0', username: 'expert.0' })
  t.match(imported.fileSha256, /^[0-9a-f]{64}$/)
  t.equal(await countRows(app, 'experts'), 40)
  t.equal(await countRows(app, 'expert_specialties'), 40 + 13)
  t.equal(await countRows(app, 'expert_employments'), 20)
  t.equal(await countRows(app, 'expert_imports'), 1)
  t.equal(await countRows(app, "role_grants where role = 'expert' and scope_type = 'hall'"), 40)

  // first sign-in: no password was set; the number the hall registered receives recovery codes
  const detail = await app.inject({ method: 'GET', url: `/api/experts/${imported.experts[1].id}`, headers: admin.headers })
  t.match(detail.json(), { username: 'expert.1', phone: '13900000001', title: 'associate_senior', practiceSince: 2001, employer: null, specialties: ['B020101', 'C020102'] })
  const [row] = await app.db.$client<Array<{ password_hash: string | null, phone_confirmed_at: Date | null }>>`select password_hash, phone_confirmed_at from accounts where username = 'expert.1'`
  t.equal(row!.password_hash, null)
  t.ok(row!.phone_confirmed_at)

  const watcher = await supervisor(app)
  const pool = await app.inject({ method: 'GET', url: '/api/experts?specialty=C02&limit=200', headers: watcher.headers })
  t.equal(pool.json().total, 13)

  // importing the same people again: every login name is taken, nothing is written
  const again = await upload(app, admin.headers, csv(rows, false))
  t.equal(again.statusCode, 422)
  t.equal(again.json().errors.length, 40)
  t.ok(again.json().errors.every((error: { code: string }) => error.code === 'USERNAME_TAKEN'))
  t.equal(await countRows(app, 'experts'), 40)
})

t.test('the file itself: header, encoding, size, media type and permission', async (t) => {
  const { app } = await buildTestApp(t)
  app.clock.now = () => NOW
  const admin = await hallAdmin(app)
  const watcher = await supervisor(app)
  t.equal((await upload(app, admin.headers, Buffer.from('姓名,电话\r\n王,1\r\n'))).json().code, 'EXPERT_IMPORT_HEADER_INVALID')
  t.equal((await upload(app, admin.headers, csv([]))).json().code, 'EXPERT_IMPORT_EMPTY')
  t.equal((await upload(app, admin.headers, Buffer.from([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0xca, 0xd6]))).json().code, 'EXPERT_IMPORT_NOT_UTF8')
  const many = csv(Array.from({ length: 5001 }, (_, i) => `专家,13900000000,e${i}x,中级,2010,330102,A010101,,,`))
  t.equal((await upload(app, admin.headers, many)).json().code, 'EXPERT_IMPORT_TOO_LARGE')
  const huge = Buffer.alloc(2 * 1024 * 1024 + 10, 0x41)
  t.equal((await upload(app, admin.headers, huge)).statusCode, 413)
  t.equal((await upload(app, admin.headers, '{}', 'application/json')).statusCode, 415)
  t.equal((await upload(app, watcher.headers, csv(['王,13900001111,wang,中级,2010,330102,A010101,,,']))).statusCode, 403)
  t.equal(await countRows(app, 'experts'), 0)
})
