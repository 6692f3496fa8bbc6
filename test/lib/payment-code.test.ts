import fc from 'fast-check'
import t from 'tap'
import {
  createPaymentCode, cryptoRandomDigits, dammCheckDigit, formatPaymentCode, isValidPaymentCode, normalisePaymentCode
} from '../../src/lib/payment-code.ts'

const digitString = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length })
const regionCode = fc.constantFrom('341102', '110101', '330106', '440305', '510104', '650102')
const validCode = fc.tuple(regionCode, fc.integer({ min: 2000, max: 2099 }), digitString(11))
  .map(([region, year, random]) => createPaymentCode(region, year, () => random))

t.test('known Damm check digits', async (t) => {
  t.equal(dammCheckDigit('572'), '4', 'the worked example of the algorithm')
  t.ok(isValidPaymentCode('3411022512345678901' + dammCheckDigit('3411022512345678901')))
  t.equal(dammCheckDigit(''), '0')
  t.equal(dammCheckDigit('5724'), '0', 'a number followed by its check digit checks to zero')
  t.throws(() => dammCheckDigit('57a'), RangeError)
})

t.test('a payment code is region, year, random digits and check digit', async (t) => {
  const code = createPaymentCode('341102', 2025, (count) => '1234567890'.repeat(2).slice(0, count))
  t.equal(code, '34110225123456789017')
  t.ok(isValidPaymentCode(code))
  t.equal(createPaymentCode('341102', 2100, () => '00000000000').slice(6, 8), '00', 'the year is its last two digits')
  t.throws(() => createPaymentCode('34110', 2025, cryptoRandomDigits), RangeError, 'five-digit region')
  t.throws(() => createPaymentCode('34110a', 2025, cryptoRandomDigits), RangeError)
  t.throws(() => createPaymentCode('３４１１０２', 2025, cryptoRandomDigits), RangeError, 'full-width region digits')
  t.throws(() => createPaymentCode('341102', 25, cryptoRandomDigits), RangeError, 'a shortened year')
  t.throws(() => createPaymentCode('341102', 2025, () => '123'), RangeError, 'a broken random source')
})

t.test('the crypto source gives fresh uniform digits', async (t) => {
  const codes = new Set(Array.from({ length: 200 }, () => createPaymentCode('341102', 2025, cryptoRandomDigits)))
  t.equal(codes.size, 200, 'no repeats among 200 codes out of 10^11')
  t.ok([...codes].every(isValidPaymentCode), 'all valid')
  const counts = new Array<number>(10).fill(0)
  for (const digit of cryptoRandomDigits(10_000)) counts[Number(digit)]!++
  // each count is Binomial(10000, 0.1): mean 1000, sd 30; 850..1150 is five standard deviations
  for (const [digit, count] of counts.entries()) t.ok(count > 850 && count < 1150, `digit ${digit} drawn ${count} times`)
  t.equal(cryptoRandomDigits(0), '')
  t.throws(() => cryptoRandomDigits(-1), RangeError)
})

t.test('every single-digit error is caught', async (t) => {
  fc.assert(fc.property(validCode, (code) => {
    for (let position = 0; position < code.length; position++) {
      for (const digit of '0123456789') {
        if (digit === code[position]) continue
        const mistyped = code.slice(0, position) + digit + code.slice(position + 1)
        if (isValidPaymentCode(mistyped)) return false
      }
    }
    return true
  }))
})

t.test('every transposition of adjacent different digits is caught', async (t) => {
  fc.assert(fc.property(validCode, (code) => {
    for (let position = 0; position + 1 < code.length; position++) {
      const [a, b] = [code[position]!, code[position + 1]!]
      if (a === b) continue
      if (isValidPaymentCode(code.slice(0, position) + b + a + code.slice(position + 2))) return false
    }
    return true
  }))
  // exhaustively: after any prefix (its interim digit runs over all ten values), swapping a ≠ b changes the check digit
  for (const prefix of '0123456789') {
    for (const a of '0123456789') {
      for (const b of '0123456789') {
        if (a !== b && dammCheckDigit(prefix + a + b) === dammCheckDigit(prefix + b + a)) t.fail(`${prefix}${a}${b}`)
      }
    }
  }
})

t.test('codes are normalised from what people type', async (t) => {
  t.equal(normalisePaymentCode('3411 0225 1234 5678 9017'), '34110225123456789017')
  t.equal(normalisePaymentCode('3411-0225-1234-5678-9017'), '34110225123456789017')
  t.equal(normalisePaymentCode('３４１１　０２２５－１２３４５６７８９０１７'), '34110225123456789017', 'full-width digits, ideographic space and hyphen')
  t.equal(normalisePaymentCode(' 3411\t0225–1234 5678 9017\n'), '34110225123456789017', 'tabs, en dash, surrounding whitespace')
  t.ok(isValidPaymentCode(normalisePaymentCode('３４１１０２２５１２３４５６７８９０１７')))
  t.equal(normalisePaymentCode('3411O225'), '3411O225', 'a letter O stays, so validation fails')
  fc.assert(fc.property(validCode, (code) => normalisePaymentCode(formatPaymentCode(code)) === code))
})

t.test('validation and formatting', async (t) => {
  t.ok(isValidPaymentCode('34110225123456789017'))
  t.notOk(isValidPaymentCode('3411022512345678901'), '19 digits')
  t.notOk(isValidPaymentCode('341102251234567890170'), '21 digits')
  t.notOk(isValidPaymentCode('3411 0225 1234 5678 9017'), 'formatted codes are normalised first')
  t.notOk(isValidPaymentCode('３４１１０２２５１２３４５６７８９０１７'), 'full-width digits are normalised first')
  t.notOk(isValidPaymentCode('3411022512345678901٧'), 'other scripts’ digits are not digits here')
  t.notOk(isValidPaymentCode(''))
  t.equal(formatPaymentCode('34110225123456789017'), '3411 0225 1234 5678 9017')
  t.throws(() => formatPaymentCode('3411'), RangeError)
})
