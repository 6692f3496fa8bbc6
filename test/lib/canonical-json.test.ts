import t from 'tap'
import { canonicalJson } from '../../src/lib/canonical-json.ts'

t.test('keys are sorted at every level, whitespace is gone, undefined members are dropped', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}')
  t.equal(canonicalJson({ 价格: 100, amount: -0.5 }), '{"amount":-0.5,"价格":100}')
})

t.test('values that have no canonical form are refused', async (t) => {
  t.throws(() => canonicalJson({ a: Number.NaN }), /finite/)
  t.throws(() => canonicalJson({ a: new Date() }), /plain object/)
  t.throws(() => canonicalJson({ a: 10n }), /unsupported/)
})

t.test('a refusal names the path of the value at fault', async (t) => {
  t.throws(() => canonicalJson({ a: [1, { b: Number.POSITIVE_INFINITY }] }), { message: 'canonical JSON: $.a[1].b is not a finite number' })
  t.throws(() => canonicalJson(new Map()), { message: 'canonical JSON: $ is not a plain object' })
})

t.test('an empty object and an object of undefined members are both {}', async (t) => {
  t.equal(canonicalJson({}), '{}')
  t.equal(canonicalJson({ a: undefined, b: { c: undefined } }), '{"b":{}}')
})

t.test('a list of strings is written as JSON writes it: the same bytes as member by member', async (t) => {
  const strings = ['a', '"quoted"', 'back\\slash', '换行\n', '\u0007', '\ud800 lone', '']
  t.equal(canonicalJson(strings), `[${strings.map((one) => JSON.stringify(one)).join(',')}]`)
  t.equal(canonicalJson({ list: ['b', 'a'], mixed: ['a', 1] }), '{"list":["b","a"],"mixed":["a",1]}')
  t.equal(canonicalJson([]), '[]')
})
