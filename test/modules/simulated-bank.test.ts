import t from 'tap'
import { buildTestApp, countRows } from '../helper.ts'
import { approvedFee, cashier, feeDesk, issueNotice } from '../factories/fees.ts'
import { shanghaiDate } from '../../src/lib/working-days.ts'

t.test('the simulated bank pays through the signed interface and its statement reconciles', async (t) => {
  const { app } = await buildTestApp(t, { env: { SIMULATED_BANK: 'true' } })
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const teller = await cashier(app)
  const [normal, repeated, lost] = await Promise.all([1, 2, 3].map(() => issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })))
  const pay = (code: string, delivery: string) => app.inject({ method: 'POST', url: '/api/simulated-bank/payments', payload: { paymentCode: code, payerAccountNo: '6222020200112233445', payerAccountName: '王五', delivery } })

  const once = await pay(normal!.code, 'normal')
  t.equal(once.statusCode, 201, once.body)
  t.same(once.json().callbacks, [{ statusCode: 201, status: 'recorded' }])
  const thrice = await pay(repeated!.code, 'repeated')
  t.same(thrice.json().callbacks.map((callback: { statusCode: number }) => callback.statusCode).sort(), [200, 200, 201], 'three callbacks, one payment')
  const withheld = await pay(lost!.code, 'lost')
  t.same(withheld.json().callbacks, [])
  t.equal((await pay(normal!.code, 'normal')).json().code, 'SIMULATED_BANK_REFUSED', 'the bank will not take money for a paid notice')
  t.equal(await countRows(app, 'payments'), 2)

  const transfer = await app.inject({ method: 'POST', url: '/api/simulated-bank/transfers', headers: teller.headers, payload: { toAccountNo: '6217000012345678', toAccountName: '财政局', amountFen: 16000, memo: '汇缴' } })
  t.equal(transfer.statusCode, 201)
  const statement = await app.inject({ method: 'GET', url: `/api/simulated-bank/statements/${shanghaiDate(new Date())}`, headers: teller.headers })
  t.match(statement.headers['content-type'], /text\/csv/)
  t.equal(statement.body.trim().split('\n').length, 5, 'header, three payments, one transfer')

  const imported = await app.inject({ method: 'POST', url: `/api/bank-statements?bankCode=simbank&date=${shanghaiDate(new Date())}`, headers: { ...teller.headers, 'content-type': 'text/csv' }, payload: statement.body })
  t.equal(imported.statusCode, 201, imported.body)
  t.match(imported.json(), { lineCount: 4, matchedCount: 2, differences: 2 }, 'the lost callback and the unrecorded transfer stand out')
  t.equal((await app.inject({ method: 'POST', url: '/api/simulated-bank/transfers', payload: { toAccountNo: '1234', toAccountName: 'x', amountFen: 1 } })).statusCode, 401)
})

t.test('the simulated bank is absent unless enabled, and never in production', async (t) => {
  const { app } = await buildTestApp(t)
  t.equal((await app.inject({ method: 'POST', url: '/api/simulated-bank/payments', payload: {} })).statusCode, 404)
  const { loadConfig } = await import('../../src/config.ts')
  t.throws(() => loadConfig({ NODE_ENV: 'production', SIMULATED_BANK: 'true' }), /SIMULATED_BANK must not be enabled in production/)
})
