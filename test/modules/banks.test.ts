import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { approvedFee, bankPayment, feeDesk, issueNotice, registerBank, signedBankRequest } from '../factories/fees.ts'

t.test('banks are registered by the administrator; keys are shown once, rotate, and never reach the logs', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const fee = await approvedFee(app, desk)
  const bank = await registerBank(app, desk.proposer, 'icbc')
  t.equal(bank.key.length, 32)
  t.equal((await app.inject({ method: 'POST', url: '/api/banks', headers: desk.proposer.headers, payload: { code: 'icbc', name: '重复', authMethod: 'hmac' } })).json().code, 'BANK_CODE_TAKEN')
  const listed = (await app.inject({ method: 'GET', url: '/api/banks', headers: desk.proposer.headers })).json()
  t.same(listed.map((entry: { code: string }) => entry.code), ['icbc'])
  t.notOk(JSON.stringify(listed).includes(bank.key.toString('base64')), 'the key is not listed')
  const [stored] = await app.db.$client`select sealed_hmac_key from banks where code = 'icbc'`
  t.notOk(String(stored!.sealed_hmac_key).includes(bank.key.toString('hex')), 'the key is sealed at rest')

  const rotated = await app.inject({ method: 'POST', url: `/api/banks/${bank.id}/key`, headers: desk.proposer.headers })
  const newKey = Buffer.from(rotated.json().hmacKey, 'base64')
  const notice = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  t.equal((await app.inject(signedBankRequest(bank, 'POST', '/api/bank/icbc/payments', bankPayment(notice)))).json().code, 'BANK_SIGNATURE_INVALID', 'the old key stops working')
  t.equal((await app.inject(signedBankRequest({ ...bank, key: newKey }, 'POST', '/api/bank/icbc/payments', bankPayment(notice)))).statusCode, 201)

  const disabled = await app.inject({ method: 'PATCH', url: `/api/banks/${bank.id}`, headers: desk.proposer.headers, payload: { active: false } })
  t.equal(disabled.json().active, false)
  const other = await issueNotice(app, desk.proposer, { lines: [{ code: fee.code }] })
  t.equal((await app.inject(signedBankRequest({ ...bank, key: newKey }, 'POST', '/api/bank/icbc/payments', bankPayment(other)))).statusCode, 401, 'an inactive bank is refused')

  const clerk = await createUser(app, { grants: [{ role: 'cashier', scopeType: 'hall' }] })
  t.equal((await app.inject({ method: 'POST', url: '/api/banks', headers: clerk.headers, payload: { code: 'abc', name: 'x', authMethod: 'hmac' } })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: '/api/banks', headers: (await hallAdmin(app)).headers, payload: { code: 'cert', name: 'x', authMethod: 'certificate' } })).json().code, 'BANK_CERTIFICATE_INVALID')
  const logText = JSON.stringify(logs)
  for (const secret of [bank.key, newKey]) {
    t.notOk(logText.includes(secret.toString('base64')) || logText.includes(secret.toString('hex')), 'no key in the logs')
  }
})
