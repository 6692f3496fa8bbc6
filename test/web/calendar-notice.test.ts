import t from 'tap'
import { parseNoticeLines } from '../../src/web/calendar-notice.ts'

t.test('the notice as lines: holidays, one-day holidays and make-up workdays', async (t) => {
  const parsed = parseNoticeLines([
    '# 国务院办公厅关于2027年部分节假日安排的通知',
    '元旦 2027-01-01 至 2027-01-03',
    '',
    '春节：2027年2月10日至2027年2月17日',
    '清明节 2027/4/5',
    '劳动节 2027.5.1 ~ 2027.5.5。',
    '调休上班 2027-02-07、2027-02-20',
    '  上班 2027-05-08  '
  ].join('\r\n'))
  t.same(parsed, {
    ok: true,
    notice: {
      holidays: [
        { name: '元旦', from: '2027-01-01', to: '2027-01-03' },
        { name: '春节', from: '2027-02-10', to: '2027-02-17' },
        { name: '清明节', from: '2027-04-05', to: '2027-04-05' },
        { name: '劳动节', from: '2027-05-01', to: '2027-05-05' }
      ],
      workdays: ['2027-02-07', '2027-02-20', '2027-05-08']
    }
  })
})

t.test('lines that cannot be read are reported with their numbers; nothing is guessed', async (t) => {
  const parsed = parseNoticeLines([
    '元旦 2027-01-01 至 2027-01-03',
    '春节放假八天',
    '2027-02-10 至 2027-02-17',
    '国庆节 2027-10-01 至 2027-10-32',
    '中秋 2027-09-15 和 2027-09-17',
    '端午 2027-06-09 2027-06-10 2027-06-11',
    '调休上班 2027-02-07 以及 2027-02-20',
    `${'长'.repeat(61)} 2027-03-01`
  ].join('\n'))
  t.same(parsed.ok ? [] : parsed.problems.map((p) => [p.line, p.code]), [
    [2, 'unrecognised'], [3, 'noName'], [4, 'badDate'], [5, 'unrecognised'], [6, 'unrecognised'], [7, 'unrecognised'], [8, 'nameTooLong']
  ])
  t.match(parsed, { ok: false, empty: false, problems: [{ line: 2, text: '春节放假八天' }] })
})

t.test('a notice without any holiday is empty', async (t) => {
  t.same(parseNoticeLines(''), { ok: false, empty: true, problems: [] })
  t.same(parseNoticeLines('# only a comment\n调休上班 2027-02-07'), { ok: false, empty: true, problems: [] })
})
