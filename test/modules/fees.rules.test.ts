import t from 'tap'
import { versionInForce } from '../../src/modules/fees/fees.rules.ts'

const version = (number: number, validFrom: string, overrides: { status?: string, validTo?: string | null } = {}) =>
  ({ version: number, status: overrides.status ?? 'approved', validFrom, validTo: overrides.validTo ?? null })

t.test('the version in force is the approved one that started last, until it ends', async (t) => {
  const versions = [version(1, '2026-01-01'), version(2, '2026-07-01'), version(3, '2026-09-01', { status: 'proposed' })]
  t.equal(versionInForce(versions, '2025-12-31'), null, 'nothing before the first start')
  t.equal(versionInForce(versions, '2026-06-30')?.version, 1)
  t.equal(versionInForce(versions, '2026-07-01')?.version, 2, 'a version applies from its first day')
  t.equal(versionInForce(versions, '2026-10-01')?.version, 2, 'a proposal does not apply')
  t.equal(versionInForce([version(1, '2026-01-01', { validTo: '2026-03-01' })], '2026-03-01'), null, 'valid-to is exclusive')
})

t.test('of two approved versions starting the same day, the correction (the later number) applies', async (t) => {
  t.equal(versionInForce([version(1, '2026-07-01'), version(2, '2026-07-01')], '2026-07-02')?.version, 2)
  t.equal(versionInForce([version(2, '2026-07-01'), version(1, '2026-07-01')], '2026-07-02')?.version, 2, 'whatever the order they are read in')
})
