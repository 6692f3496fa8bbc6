import t from 'tap'
import { BANK_HEADERS, bankSigningString, isFreshBankRequest, parseBankSignature, signBankRequest, verifyBankHmac } from '../../src/lib/bank-signature.ts'

const key = Buffer.alloc(32, 7)
const body = Buffer.from('{"paymentCode":"1"}')

t.test('a signed request verifies, and any change to what is signed breaks it', async (t) => {
  const headers = signBankRequest(key, { method: 'POST', path: '/api/bank/icbc/payments', body, now: new Date('2026-11-27T02:00:00Z'), nonce: 'nonce-0123456789abcdef' })
  t.equal(headers[BANK_HEADERS.timestamp], String(Date.parse('2026-11-27T02:00:00Z') / 1000))
  const signature = parseBankSignature(headers[BANK_HEADERS.signature])
  t.equal(signature?.scheme, 'hmac-sha256')
  const request = { method: 'POST', path: '/api/bank/icbc/payments', timestamp: headers[BANK_HEADERS.timestamp]!, nonce: 'nonce-0123456789abcdef', body }
  t.ok(verifyBankHmac(key, request, signature!.value))
  t.notOk(verifyBankHmac(key, { ...request, body: Buffer.from('{"paymentCode":"2"}') }, signature!.value), 'body')
  t.notOk(verifyBankHmac(key, { ...request, path: '/api/bank/abc/payments' }, signature!.value), 'path')
  t.notOk(verifyBankHmac(key, { ...request, nonce: 'nonce-0123456789abcdeg' }, signature!.value), 'nonce')
  t.notOk(verifyBankHmac(key, { ...request, timestamp: String(Number(request.timestamp) + 1) }, signature!.value), 'timestamp')
  t.notOk(verifyBankHmac(Buffer.alloc(32, 8), request, signature!.value), 'key')
  t.equal(bankSigningString(request).split('\n')[0], 'OPENHALL-BANK-V1')
})

t.test('signature headers and timestamps are parsed strictly', async (t) => {
  t.equal(parseBankSignature(undefined), null)
  t.equal(parseBankSignature('hmac-sha256=xyz'), null)
  t.equal(parseBankSignature('rsa=abcd'), null)
  t.equal(parseBankSignature('cms=MIIB')?.scheme, 'cms')
  const now = new Date('2026-11-27T02:00:00Z')
  const seconds = Math.floor(now.getTime() / 1000)
  t.ok(isFreshBankRequest(String(seconds - 300), now, 300))
  t.notOk(isFreshBankRequest(String(seconds - 301), now, 300))
  t.notOk(isFreshBankRequest(String(seconds + 301), now, 300))
  t.notOk(isFreshBankRequest('1e9', now, 300))
  t.notOk(isFreshBankRequest('', now, 300))
})
