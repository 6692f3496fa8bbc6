import t from 'tap'
import { creditCodeCheckCharacter, isValidCreditCode } from '../../src/lib/credit-code.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'

t.test('real unified social credit codes validate', async (t) => {
  for (const code of ['91350100M000100Y43', '91110000802100433B', '91440300708461136T']) t.ok(isValidCreditCode(code), code)
})

t.test('single-character errors and transpositions are caught', async (t) => {
  const code = '91440300708461136T'
  t.notOk(isValidCreditCode('91440300708461136X'), 'wrong check character')
  t.notOk(isValidCreditCode('91440300708461163T'), 'adjacent digits swapped')
  t.notOk(isValidCreditCode('91440300708461137T'), 'one digit changed')
  t.notOk(isValidCreditCode(code.toLowerCase()), 'lower case')
  t.notOk(isValidCreditCode('9144030070846113'), 'too short')
  t.notOk(isValidCreditCode('91440300708461136I'.replace('T', 'I')), 'I is not in the alphabet')
  t.equal(creditCodeCheckCharacter(code.slice(0, 17)), 'T')
})

t.test('the demo county generates valid codes', async (t) => {
  t.ok(isValidCreditCode(demoCreditCode('330100', 'MA2B3C4D')))
})
