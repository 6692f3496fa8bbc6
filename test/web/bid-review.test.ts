/**
 * What the bid page shows for review before sealing (src/web/client/bid-review.ts, pure): the
 * typed values become exact fen, money reads in figures and in capitals (大写金额) by the writing
 * rules — 零 for gaps, 整 when there are no cents, 角 and 分 — and a price above the ceiling or
 * more than 30% from the estimate is flagged, with the edges where it is not.
 */
import t from 'tap'
import { ESTIMATE_TOLERANCE_PERCENT, priceFieldOf, priceWarnings, readOpening, reviewRows, yuanToFen, type OpeningField } from '../../src/web/client/bid-review.ts'

const FIELDS: OpeningField[] = [
  { key: 'priceFen', label: '投标报价', kind: 'fen', required: true },
  { key: 'durationDays', label: '工期', kind: 'days', required: true },
  { key: 'quality', label: '质量标准', kind: 'text', required: false },
  { key: 'provisionalFen', label: '暂列金额', kind: 'fen', required: false }
]

t.test('typed yuan become exact fen, never through floating point', async (t) => {
  t.equal(yuanToFen('12,888,000.00'), '1288800000')
  t.equal(yuanToFen('1234567.89'), '123456789')
  t.equal(yuanToFen(' 0.1 '), '10')
  t.equal(yuanToFen('1，000'), '100000', 'a full-width comma typed with a Chinese keyboard')
  t.equal(yuanToFen('9999999999999.99'), '999999999999999', 'the largest amount the page takes')
  for (const bad of ['', '1.234', '-5', '1e6', '¥100', '十万', '0x10', '.5']) t.equal(yuanToFen(bad), null, JSON.stringify(bad))
})

t.test('the form becomes the opening object, or each field says what is wrong', async (t) => {
  t.same(readOpening(FIELDS, { priceFen: '1,234,567.89', durationDays: '300', quality: ' 合格 ', provisionalFen: '' }), {
    opening: { priceFen: '123456789', durationDays: 300, quality: '合格' }, problems: []
  }, 'optional fields left empty are left out')
  t.same(readOpening(FIELDS, { priceFen: '', durationDays: '三百', provisionalFen: '1.234' }).problems, [
    { key: 'priceFen', problem: 'required' }, { key: 'durationDays', problem: 'days' }, { key: 'provisionalFen', problem: 'amount' }
  ])
  t.equal(priceFieldOf(FIELDS)?.key, 'priceFen', 'the price is the first money field, as in the opening record')
})

t.test('every declared field is reviewed; money in figures and in capitals', async (t) => {
  const rows = reviewRows(FIELDS, { priceFen: '123456789', durationDays: 300, provisionalFen: '100000000' })
  t.same(rows.map((row) => [row.key, row.figures, row.words, row.isPrice]), [
    ['priceFen', '¥1,234,567.89', '壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分', true],
    ['durationDays', '300', null, false],
    ['quality', null, null, false],
    ['provisionalFen', '¥1,000,000.00', '壹佰万元整', false]
  ], 'a field left empty is still listed, as not filled in')

  const capitals = (yuan: string) => reviewRows(FIELDS.slice(0, 1), { priceFen: yuanToFen(yuan)! })[0]!.words
  const cases: Array<[string, string]> = [
    ['0', '零元整'],
    ['0.05', '伍分'],
    ['0.5', '伍角整'],
    ['10', '壹拾元整'],
    ['10.5', '壹拾元伍角整'],
    ['12.05', '壹拾贰元零伍分'],
    ['1680.32', '壹仟陆佰捌拾元叁角贰分'],
    ['1005', '壹仟零伍元整'],
    ['10005', '壹万零伍元整'],
    ['100100', '壹拾万零壹佰元整'],
    ['1000000', '壹佰万元整'],
    ['12888000', '壹仟贰佰捌拾捌万捌仟元整'],
    ['12800000.08', '壹仟贰佰捌拾万元零捌分'],
    ['100000010', '壹亿零壹拾元整'],
    ['1234567.89', '壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分'],
    ['9999999999999.99', '玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分']
  ]
  for (const [yuan, words] of cases) t.equal(capitals(yuan), words, `${yuan} 元`)
})

t.test('a price above the ceiling or far from the estimate is flagged; at the edges it is not', async (t) => {
  const tender = { estimateFen: 1_500_000_000, priceCeilingFen: 1_480_000_000 }
  t.same(priceWarnings(1_288_800_000n, tender), [], 'an ordinary price: nothing to say')
  t.same(priceWarnings(1_480_000_000n, tender), [], 'exactly at the ceiling is allowed')
  t.same(priceWarnings(1_480_000_001n, tender), [{ kind: 'aboveCeiling', ceilingFen: 1_480_000_000n, overFen: 1n }], 'one fen above is not')
  t.same(priceWarnings(1_050_000_000n, tender), [], `exactly ${ESTIMATE_TOLERANCE_PERCENT}% below the estimate is not flagged`)
  t.same(priceWarnings(1_049_999_999n, tender), [{ kind: 'farFromEstimate', estimateFen: 1_500_000_000n, direction: 'below', percent: '30' }],
    'a fen more is, its percent never rounded up')
  t.same(priceWarnings(128_880_000n, tender), [{ kind: 'farFromEstimate', estimateFen: 1_500_000_000n, direction: 'below', percent: '91.4' }], 'a digit too few')
  t.same(priceWarnings(12_888_000_000n, tender), [
    { kind: 'aboveCeiling', ceilingFen: 1_480_000_000n, overFen: 11_408_000_000n },
    { kind: 'farFromEstimate', estimateFen: 1_500_000_000n, direction: 'above', percent: '759.2' }
  ], 'a digit too many: both')
  t.same(priceWarnings(5_000_000_000n, { estimateFen: '1500000000', priceCeilingFen: '' }).map((warning) => warning.kind), ['farFromEstimate'],
    'amounts as the page carries them (strings); no ceiling, no ceiling warning')
  t.same(priceWarnings(5_000_000_000n, { estimateFen: 0, priceCeilingFen: null }), [], 'no estimate, nothing to compare with')
})
