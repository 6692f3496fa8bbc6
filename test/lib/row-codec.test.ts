import { eq } from 'drizzle-orm'
import t from 'tap'
import { cases } from '../../schema/index.ts'
import { findCase, setCase } from '../../src/modules/cases/cases.repository.ts'
import { rowCodec } from '../../src/lib/row-codec.ts'
import { buildTestApp } from '../helper.ts'
import { approvalsDesk, delegatedItem, filed } from '../factories/cases.ts'

t.test('a row read and written by the codec is the row drizzle reads and writes', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  const { case: filedCase } = await filed(app, desk.applicant, item.id)
  const drizzleRow = async () => (await app.db.select().from(cases).where(eq(cases.id, filedCase.id)))[0]

  t.strictSame(await findCase(app.db, filedCase.id), await drizzleRow(), 'as filed: uuids, jsonb, timestamps, booleans, nulls')
  t.strictSame(await findCase(app.db, filedCase.id, 'update'), await drizzleRow(), 'and read for update')

  // every kind of column the cases table has, written through the codec
  const at = new Date('2026-02-13T01:02:03.456Z')
  await setCase(app.db, filedCase.id, {
    refusalReasons: ['材料不全', 'a "quoted", comma'],
    decisionReasons: [],
    result: { certificate: { number: 'JY-1', holder: '张三' } },
    resultSignature: Buffer.from([0, 1, 2, 255]),
    resultIssuedAt: at,
    warnAt: null,
    announcedColour: 'yellow',
    deemedAccepted: true,
    promisedWorkingDays: 7,
    request: undefined // left alone, as drizzle leaves it
  })
  const written = await findCase(app.db, filedCase.id)
  t.strictSame(written, await drizzleRow(), 'arrays, bytea, jsonb and instants read back as drizzle reads them')
  t.same(written?.refusalReasons, ['材料不全', 'a "quoted", comma'])
  t.same(written?.decisionReasons, [])
  t.equal(written?.resultIssuedAt?.toISOString(), at.toISOString())
  t.equal(written?.request, filedCase.request, 'an undefined value changes nothing')
  t.equal(await findCase(app.db, '00000000-0000-4000-8000-000000000000'), undefined, 'no row: undefined')

  const codec = rowCodec(cases)
  t.throws(() => codec.assignments({}), /nothing to set/)
  t.throws(() => codec.assignments({ nope: 1 } as never), /nope is not a column/)
})
