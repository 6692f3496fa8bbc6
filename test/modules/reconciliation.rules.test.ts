import t from 'tap'
import { allowedResolutions, checkHeader, copyRow, parseStatementLine, STATEMENT_COLUMNS, suspenseAmount } from '../../src/modules/reconciliation/reconciliation.rules.ts'

t.test('statement lines: local bank time, yuan amounts, optional codes', async (t) => {
  t.equal(checkHeader([...STATEMENT_COLUMNS]), null)
  t.match(checkHeader(['txn_id', 'amount']), /header/)
  const line = parseStatementLine(['T1', '2026-11-27 08:30:00', 'C', '1,234.50', '', '6222 0202', '张三', '缴款'], '2026-11-27')
  t.match(line, { txnId: 'T1', direction: 'C', amountFen: 123450n, paymentCode: null, counterpartyAccount: '6222 0202' })
  t.equal((line as { bookedAt: Date }).bookedAt.toISOString(), '2026-11-27T00:30:00.000Z', 'a time without offset is Beijing time')
  t.equal(parseStatementLine(['T1', '2026-11-26T23:59:59+08:00', 'C', '1', '', '6222', '', ''], '2026-11-27'), 'booked_at is not on the statement day 2026-11-27')
  t.match(parseStatementLine(['T 1', '2026-11-27 08:30:00', 'C', '1', '', '6222', '', ''], '2026-11-27'), /txn_id/)
  t.match(parseStatementLine(['T1', '2026-11-27 08:30:00', 'C', '0.00', '', '6222', '', ''], '2026-11-27'), /amount/)
  t.match(parseStatementLine(['T1', '2026-11-27 08:30', 'C', '1', '', '6222', '', ''], '2026-11-27'), /booked_at/)
  t.match(parseStatementLine(['T1', '2026-11-27 08:30:00', 'C', '1', '', '', '', ''], '2026-11-27'), /counterparty_account/)
})

t.test('COPY rows quote what could break them', async (t) => {
  const row = copyRow('s', 7, { txnId: 'T1', bookedAt: new Date('2026-11-27T00:30:00Z'), direction: 'C', amountFen: 5n, paymentCode: null, counterpartyAccount: '6222', counterpartyName: '张三, "个人"', memo: 'a\nb' })
  t.equal(row, 's,7,"T1",2026-11-27T00:30:00.000Z,C,5,,"6222","张三, ""个人""","a\nb"\n')
})

t.test('what may resolve a difference', async (t) => {
  t.same(allowedResolutions({ kind: 'unexpected', direction: 'C', paymentCode: '1', expectedFen: null, actualFen: 5n }), ['record_payment', 'suspense', 'acknowledge'])
  t.same(allowedResolutions({ kind: 'amount_mismatch', direction: 'C', paymentCode: null, expectedFen: 5n, actualFen: 4n }), ['acknowledge'], 'a shortfall is investigated, not posted')
  t.same(allowedResolutions({ kind: 'missing', direction: 'C', paymentCode: '1', expectedFen: 5n, actualFen: null }), ['acknowledge'])
  t.equal(suspenseAmount({ kind: 'amount_mismatch', expectedFen: 5n, actualFen: 7n }), 2n)
})
