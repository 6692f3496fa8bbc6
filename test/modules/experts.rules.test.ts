import t from 'tap'
import { shanghaiDate } from '../../src/lib/working-days.ts'
import {
  beijingYearBounds, duplicateUsernames, employmentEndBefore, employmentStartValid, isRegionCode, readImportHeader,
  specialtyLevel, splitSpecialties, unavailabilityProblem, validateImportRow, yearsOfPractice, type ImportRow
} from '../../src/modules/experts/experts.rules.ts'
import { randomCreditCode } from '../factories/experts.ts'

t.test('dates are the hall\'s (Beijing): the year turns at 16:00 UTC on 31 December', async (t) => {
  t.equal(shanghaiDate(new Date('2025-12-31T15:59:59Z')), '2025-12-31')
  t.equal(shanghaiDate(new Date('2025-12-31T16:00:00Z')), '2026-01-01')
  const bounds = beijingYearBounds(new Date('2026-06-15T02:00:00Z'))
  t.equal(bounds.from.toISOString(), '2025-12-31T16:00:00.000Z')
  t.equal(bounds.to.toISOString(), '2026-12-31T16:00:00.000Z')
  t.equal(yearsOfPractice(2001, '2026-01-01'), 25)
  t.equal(yearsOfPractice(2026, '2026-06-15'), 0)
})

t.test('codes: regions under a real province, specialties by level', async (t) => {
  t.ok(isRegionCode('330102'))
  t.notOk(isRegionCode('990102'))
  t.notOk(isRegionCode('33010'))
  t.same([specialtyLevel('A01'), specialtyLevel('A0102'), specialtyLevel('A010203'), specialtyLevel('D01'), specialtyLevel('A0102030')], [1, 2, 3, null, null])
  t.same(splitSpecialties(' a010101；B020101、a010101 c030101 '), ['A010101', 'B020101', 'C030101'])
})

t.test('unavailable dates and employment changes', async (t) => {
  const today = '2026-06-15'
  const existing = [{ fromDate: '2026-07-01', toDate: '2026-07-05' }]
  t.equal(unavailabilityProblem({ fromDate: '2026-06-15', toDate: '2026-06-30' }, today, existing), null)
  t.same(unavailabilityProblem({ fromDate: '2026-06-14', toDate: '2026-06-30' }, today, existing), { code: 'past' })
  t.same(unavailabilityProblem({ fromDate: '2026-07-05', toDate: '2026-07-06' }, today, existing), { code: 'overlaps', with: existing[0] })
  t.same(unavailabilityProblem({ fromDate: '2026-06-20', toDate: '2026-06-19' }, today, existing), { code: 'range' })
  t.same(unavailabilityProblem({ fromDate: '2026-06-20', toDate: '2027-06-17' }, today, existing), { code: 'too_far', latest: '2027-06-16' })
  t.ok(employmentStartValid('2015-03-01', '2026-07-01', today))
  t.notOk(employmentStartValid('2015-03-01', '2015-03-01', today))
  t.notOk(employmentStartValid(null, '2027-06-17', today))
  t.equal(employmentEndBefore('2026-03-01'), '2026-02-28')
})

t.test('the import header: Chinese or English names, required columns, the employer columns together', async (t) => {
  const full = ['姓名', '手机号', '登录名', '职称', '执业起始年份', '地区代码', '专业代码', '工作单位', '统一社会信用代码', '入职日期']
  t.ok('columns' in readImportHeader(full))
  t.ok('columns' in readImportHeader(full.slice(0, 7)))
  t.ok('columns' in readImportHeader(['fullName', 'phone', 'username', 'title', 'practiceSince', 'regionCode', 'specialties']))
  t.match(readImportHeader(full.slice(1)), { problem: /姓名/ })
  t.match(readImportHeader([...full.slice(0, 8)]), { problem: /together/ })
  t.match(readImportHeader([...full, '备注']), { problem: /备注/ })
  t.match(readImportHeader([...full, '姓名']), { problem: /twice/ })
})

t.test('an import row is checked field by field, every problem at once', async (t) => {
  const header = readImportHeader(['姓名', '手机号', '登录名', '职称', '执业起始年份', '地区代码', '专业代码', '工作单位', '统一社会信用代码', '入职日期'])
  if (!('columns' in header)) throw new Error('header')
  const today = '2026-06-15'
  const creditCode = randomCreditCode()
  const good = validateImportRow(2, ['王建国', '13900001111', 'Wang.JG', '副高级', '2001', '330102', 'A010101;a050101', '某设计院', creditCode.toLowerCase(), '2010-04-01'], header.columns, 10, today)
  t.same(good, {
    row: {
      line: 2,
      fullName: '王建国',
      phone: '13900001111',
      username: 'wang.jg',
      title: 'associate_senior',
      practiceSince: 2001,
      regionCode: '330102',
      specialties: ['A010101', 'A050101'],
      employment: { organisationName: '某设计院', creditCode, fromDate: '2010-04-01' }
    }
  })
  const bad = validateImportRow(3, ['', '139', '1abc', '教授', '1800', '99', 'A01', '某公司', creditCode, '2026-06-16'], header.columns, 10, today)
  t.same('problems' in bad ? bad.problems.map((p) => `${p.field} ${p.code}`) : [], [
    'fullName REQUIRED', 'phone PHONE_INVALID', 'username USERNAME_INVALID', 'title TITLE_UNKNOWN', 'practiceSince PRACTICE_YEAR_INVALID',
    'regionCode REGION_CODE_INVALID', 'specialties SPECIALTY_INVALID', 'employedFrom DATE_IN_FUTURE'
  ])
  const short = validateImportRow(4, ['王'], header.columns, 10, today)
  t.match(short, { problems: [{ row: 4, field: 'row', code: 'COLUMN_COUNT' }] })
  const rows = [{ line: 2, username: 'a.b' }, { line: 3, username: 'c.d' }, { line: 5, username: 'a.b' }] as ImportRow[]
  t.match(duplicateUsernames(rows), [{ row: 5, field: 'username', code: 'USERNAME_DUPLICATE' }])
})
