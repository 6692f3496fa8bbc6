import { execFileSync, spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createSignedData } from '../../src/lib/cms/index.ts'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { derToPem, pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin, type TestUser } from '../factories/accounts.ts'
import { createDepartment } from '../factories/departments.ts'
import { createAuthority, ecKey, issueLeaf, opensslSign, rsaKey, serialOf, workDirectory, writePem } from '../support/pki.ts'
import { demoCreditCode } from '../../scripts/demo/county.ts'

const csrPem = (key = rsaKey()) => ({ key, pem: derToPem(createCsr(key, encodeName([['CN', 'ignored']])), 'CERTIFICATE REQUEST') })

async function requestCertificate (app: FastifyInstance, user: TestUser, payload: object) {
  return app.inject({ method: 'POST', url: '/api/pki/certificates', headers: user.headers, payload })
}

async function signIn (app: FastifyInstance, sign: (challenge: Buffer) => Uint8Array) {
  const challenge = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
  return app.inject({
    method: 'POST',
    url: '/api/auth/certificate',
    payload: { challengeId: challenge.challengeId, signature: Buffer.from(sign(Buffer.from(challenge.challenge))).toString('base64') }
  })
}

t.test('the platform CA: a root, an issuing CA and a signer OpenSSL accepts; a CRL at a public URL', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const ca = (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json()
  writeFileSync(path.join(dir, 'root.pem'), ca.root)
  writeFileSync(path.join(dir, 'issuing.pem'), ca.issuing)
  writeFileSync(path.join(dir, 'signer.pem'), ca.platformSigner)
  t.match(execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'issuing.pem'), path.join(dir, 'signer.pem')]).toString(), /signer\.pem: OK/)
  t.ok(new X509Certificate(pemToDer(ca.root)[0]!).ca)
  const crl = await app.inject({ method: 'GET', url: '/api/pki/crl' })
  t.equal(crl.headers['content-type'], 'application/pkix-crl')
  writeFileSync(path.join(dir, 'crl.der'), crl.rawPayload)
  t.match(execFileSync('openssl', ['crl', '-inform', 'DER', '-in', path.join(dir, 'crl.der'), '-CAfile', path.join(dir, 'issuing.pem'), '-noout']).toString() +
    spawnSync('openssl', ['crl', '-inform', 'DER', '-in', path.join(dir, 'crl.der'), '-CAfile', path.join(dir, 'issuing.pem'), '-noout']).stderr.toString(), /verify OK/)
  const { databaseUrl } = await buildTestApp(t)
  const first = await buildTestApp(t, { databaseUrl })
  const second = await buildTestApp(t, { databaseUrl })
  t.same(first.app.pki.rootCertificate, second.app.pki.rootCertificate, 'instances on one database share one CA')
})

t.test('certificates from CSRs: the key stays with the requester, the platform names the subject', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const person = await createUser(app, { username: 'li.expert', grants: [{ role: 'expert', scopeType: 'hall' }] })
  const company = await createUser(app, { username: 'jianye', kind: 'organisation', creditCode: demoCreditCode('330100', 'MA2B3C4D'), grants: [{ role: 'bidder', scopeType: 'hall' }] })
  const department = await createDepartment(app, admin.id, '县市场监督管理局')
  const deptAdmin = await createUser(app, { grants: [{ role: 'dept_admin', scopeType: 'department', scopeId: department.id }] })
  const dir = workDirectory(t)
  writeFileSync(path.join(dir, 'root.pem'), derToPem(app.pki.rootCertificate))
  writeFileSync(path.join(dir, 'issuing.pem'), derToPem(app.pki.issuingCertificate))

  const personal = await requestCertificate(app, person, { csr: csrPem().pem, profile: 'person' })
  t.equal(personal.statusCode, 201)
  t.match(personal.json().subject, /CN=Test li\.expert/)
  const organisation = await requestCertificate(app, company, { csr: csrPem(ecKey()).pem, profile: 'organisation' })
  t.equal(organisation.statusCode, 201, 'EC keys are certified too')
  t.match(organisation.json().subject, new RegExp(demoCreditCode('330100', 'MA2B3C4D')))
  writeFileSync(path.join(dir, 'org.pem'), organisation.json().certificatePem)
  t.match(execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'issuing.pem'), path.join(dir, 'org.pem')]).toString(), /OK/)

  t.equal((await requestCertificate(app, company, { csr: csrPem().pem, profile: 'person' })).json().code, 'CERTIFICATE_PROFILE_MISMATCH')
  const seal = await requestCertificate(app, deptAdmin, { csr: csrPem().pem, profile: 'seal', departmentId: department.id })
  t.equal(seal.statusCode, 201)
  t.match(seal.json().subject, /县市场监督管理局 电子印章/)
  t.equal((await requestCertificate(app, person, { csr: csrPem().pem, profile: 'seal', departmentId: department.id })).json().code, 'CERTIFICATE_PROFILE_MISMATCH')

  const tampered = csrPem().pem.replace(/([A-Za-z0-9+/]{10})\n-----END/, (_m, tail: string) => `${tail.slice(0, -2)}AA\n-----END`)
  t.equal((await requestCertificate(app, person, { csr: tampered, profile: 'person' })).json().code, 'CSR_INVALID')
  const weak = execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', path.join(dir, 'weak.key'), '-subj', '/CN=x'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()
  t.equal((await requestCertificate(app, person, { csr: weak, profile: 'person' })).json().code, 'CSR_INVALID', '1024-bit RSA is refused')

  const mine = await app.inject({ method: 'GET', url: '/api/pki/certificates', headers: person.headers })
  t.equal(mine.json().length, 1)
  const theirs = await app.inject({ method: 'GET', url: `/api/pki/certificates/${organisation.json().id}`, headers: person.headers })
  t.equal(theirs.statusCode, 404, 'another account\'s certificate is not found')
})

t.test('certificate sign-in: signed challenge, single use, chain, validity and revocation checked', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const bidder = await createUser(app, { username: 'hongda', grants: [{ role: 'bidder', scopeType: 'hall' }] })
  const { key, pem } = csrPem()
  const issued = (await requestCertificate(app, bidder, { csr: pem, profile: 'person' })).json()
  const certificate = writePem(dir, 'bidder.pem', pemToDer(issued.certificatePem)[0]!)
  const keyFile = writePem(dir, 'bidder.key', key)
  const sign = (content: Buffer, extra?: string[]) => opensslSign(dir, { content, certificate, key: keyFile, extra })

  const session = await signIn(app, (challenge) => sign(challenge))
  t.equal(session.statusCode, 200)
  t.equal(session.json().account.username, 'hongda')
  const current = await app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${session.json().token}` } })
  t.equal(current.json().method, 'certificate')
  const detached = await signIn(app, (challenge) => opensslSign(dir, { content: challenge, certificate, key: keyFile, detached: true }))
  t.equal(detached.statusCode, 200, 'a detached signature over the challenge works too')

  const challenge = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
  const signature = Buffer.from(sign(Buffer.from(challenge.challenge))).toString('base64')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/certificate', payload: { challengeId: challenge.challengeId, signature } })).statusCode, 200)
  const replay = await app.inject({ method: 'POST', url: '/api/auth/certificate', payload: { challengeId: challenge.challengeId, signature } })
  t.equal(replay.json().code, 'CHALLENGE_INVALID', 'a challenge is single-use')
  t.equal((await signIn(app, () => sign(Buffer.from('something else')))).json().code, 'CHALLENGE_MISMATCH')

  const stranger = rsaKey()
  const selfSigned = execFileSync('openssl', ['req', '-x509', '-key', writePem(dir, 'stranger.key', stranger), '-subj', '/CN=stranger', '-days', '2'])
  writeFileSync(path.join(dir, 'stranger.pem'), selfSigned)
  t.equal((await signIn(app, (c) => opensslSign(dir, { content: c, certificate: path.join(dir, 'stranger.pem'), key: path.join(dir, 'stranger.key') }))).json().code, 'CERTIFICATE_UNTRUSTED')

  const other = await createUser(app)
  const otherKey = rsaKey()
  const otherCertificate = pemToDer((await requestCertificate(app, other, { csr: csrPem(otherKey).pem, profile: 'person' })).json().certificatePem)[0]!
  // another holder's certificate with this key (OpenSSL refuses to make it; a forger would not)
  const forged = await signIn(app, () => Buffer.alloc(0))
  t.equal(forged.statusCode, 400, 'an empty signature is not CMS')
  const challengeForForgery = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
  const forgedSignature = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(otherCertificate, key), content: Buffer.from(challengeForForgery.challenge), detached: false })
  const forgery = await app.inject({ method: 'POST', url: '/api/auth/certificate', payload: { challengeId: challengeForForgery.challengeId, signature: Buffer.from(forgedSignature).toString('base64') } })
  t.equal(forgery.statusCode, 422)
  t.equal(forgery.json().code, 'SIGNATURE_INVALID', 'a signature by a key that does not match the certificate is refused')

  const revoke = await app.inject({ method: 'POST', url: `/api/pki/certificates/${issued.id}/revoke`, headers: bidder.headers, payload: { reason: 'keyCompromise' } })
  t.equal(revoke.statusCode, 200)
  const refused = await signIn(app, (c) => sign(c))
  t.equal(refused.json().code, 'CERTIFICATE_REVOKED', 'revocation takes effect at once')
  const crl = await app.inject({ method: 'GET', url: '/api/pki/crl' })
  writeFileSync(path.join(dir, 'crl.der'), crl.rawPayload)
  t.match(execFileSync('openssl', ['crl', '-inform', 'DER', '-in', path.join(dir, 'crl.der'), '-noout', '-text']).toString(), new RegExp(issued.serialHex.toUpperCase()), 'the CRL lists it')
})

t.test('a commercial CA: trusted by the administrator, certificates registered, signed in, revoked by its CRL', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const admin = await hallAdmin(app)
  const code = demoCreditCode('330100', 'MA5E6F7G')
  const company = await createUser(app, { username: 'hongda.lq', kind: 'organisation', creditCode: code, grants: [{ role: 'bidder', scopeType: 'hall' }] })
  const commercial = createAuthority('天威诚信 Test CA')
  const key = rsaKey()
  const leaf = issueLeaf(commercial, { key, subject: [['C', 'CN'], ['O', '宏达路桥集团有限公司'], ['serialNumber', code], ['CN', '宏达路桥']] })
  const certificate = writePem(dir, 'leaf.pem', leaf)
  const keyFile = writePem(dir, 'leaf.key', key)
  const chain = writePem(dir, 'intermediate.pem', commercial.intermediate)
  const sign = (content: Buffer) => opensslSign(dir, { content, certificate, key: keyFile, chain })

  t.equal((await signIn(app, sign)).json().code, 'CERTIFICATE_UNTRUSTED', 'not trusted until the hall trusts its root')
  const intermediateFirst = await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(commercial.intermediate), role: 'intermediate' } })
  t.equal(intermediateFirst.json().code, 'CERTIFICATE_UNTRUSTED', 'an intermediate needs a trusted root')
  const root = await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(commercial.root), role: 'root' } })
  t.equal(root.statusCode, 201)
  const notCa = await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(leaf), role: 'root' } })
  t.equal(notCa.json().code, 'NOT_A_CERTIFICATE_AUTHORITY')
  // a PEM block whose content is no certificate: refused as such, not a 500
  const garbled = await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: '-----BEGIN CERTIFICATE-----\nAAECAwQFBgcI\n-----END CERTIFICATE-----\n', role: 'root' } })
  t.equal(garbled.statusCode, 400)
  t.equal(garbled.json().code, 'PEM_INVALID')

  t.equal((await signIn(app, sign)).json().code, 'CERTIFICATE_NOT_LINKED', 'trusted, but not yet anyone\'s')
  const challenge = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
  const registered = await app.inject({
    method: 'POST',
    url: '/api/pki/certificates/register',
    headers: company.headers,
    payload: { challengeId: challenge.challengeId, signature: Buffer.from(sign(Buffer.from(challenge.challenge))).toString('base64') }
  })
  t.equal(registered.statusCode, 201)
  t.equal(registered.json().source, 'registered')
  const session = await signIn(app, sign)
  t.equal(session.statusCode, 200)
  t.equal(session.json().account.username, 'hongda.lq')

  const wrongIssuer = createAuthority('Other CA')
  const crl = await app.inject({ method: 'POST', url: '/api/pki/revocation-lists', headers: admin.headers, payload: { crl: derToPem(wrongIssuer.crl([serialOf(leaf)]), 'X509 CRL') } })
  t.equal(crl.json().code, 'CRL_INVALID', 'a CRL from an unknown issuer is refused')
  await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(commercial.intermediate), role: 'intermediate' } })
  const imported = await app.inject({ method: 'POST', url: '/api/pki/revocation-lists', headers: admin.headers, payload: { crl: derToPem(commercial.crl([serialOf(leaf)]), 'X509 CRL') } })
  t.equal(imported.statusCode, 201)
  t.equal(imported.json().revokedCount, 1)
  t.equal((await signIn(app, sign)).json().code, 'CERTIFICATE_REVOKED')
})

t.test('expired and not-yet-valid certificates are refused', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const admin = await hallAdmin(app)
  const commercial = createAuthority('Time Test CA')
  await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(commercial.root), role: 'root' } })
  const day = 86_400_000
  for (const [label, notBefore, notAfter, code] of [
    ['expired', new Date(Date.now() - 10 * day), new Date(Date.now() - day), 'CERTIFICATE_EXPIRED'],
    ['not yet valid', new Date(Date.now() + day), new Date(Date.now() + 10 * day), 'CERTIFICATE_NOT_YET_VALID']
  ] as const) {
    const key = rsaKey()
    const leaf = issueLeaf(commercial, { key, subject: [['CN', label]], notBefore, notAfter })
    const result = await app.inject({
      method: 'POST',
      url: '/api/pki/verify',
      payload: { signature: Buffer.from(opensslSign(dir, { content: Buffer.from('hello'), certificate: writePem(dir, `${code}.pem`, leaf), key: writePem(dir, `${code}.key`, key), chain: writePem(dir, `${code}-i.pem`, commercial.intermediate) })).toString('base64') }
    })
    t.same({ valid: result.json().valid, code: result.json().code }, { valid: false, code }, label)
  }
})

t.test('anyone verifies a signature; platform receipts verify offline with exactly the documented OpenSSL commands', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const bidPackage = path.join(dir, 'bid.ohsb')
  writeFileSync(bidPackage, Buffer.from('pretend this is a sealed package'))
  const sha256 = execFileSync('openssl', ['dgst', '-sha256', '-r', bidPackage]).toString().split(' ')[0]!
  const { json, cms } = await app.services.pki.signReceipt({
    type: 'openhall.bid_receipt', version: 1, tenderId: 'T-2026-001', bidderId: '5b0c…', ciphertextSha256: sha256, size: 32, receivedAt: '2026-11-27T01:29:59.123Z', sequence: 7
  })
  writeFileSync(path.join(dir, 'receipt.p7s'), cms)
  writeFileSync(path.join(dir, 'openhall-root.pem'), (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json().root)

  // README.md, "Receipts": the commands a bidder runs
  const verified = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', 'receipt.p7s', '-CAfile', 'openhall-root.pem', '-out', 'receipt.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  t.ok(verified)
  const printed = execFileSync('openssl', ['dgst', '-sha256', '-r', 'bid.ohsb'], { cwd: dir }).toString().split(' ')[0]
  const receipt = JSON.parse(execFileSync('cat', ['receipt.json'], { cwd: dir }).toString())
  t.equal(receipt.ciphertextSha256, printed, 'the receipt names the package the bidder holds')
  t.equal(JSON.stringify(receipt), json, 'the receipt is canonical JSON')

  const tampered = Buffer.from(cms)
  tampered[tampered.indexOf(Buffer.from('T-2026-001'))] = 0x55
  writeFileSync(path.join(dir, 'tampered.p7s'), tampered)
  t.not(spawnSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', 'tampered.p7s', '-CAfile', 'openhall-root.pem', '-out', '/dev/null'], { cwd: dir }).status, 0, 'OpenSSL refuses an altered receipt')

  const check = await app.inject({ method: 'POST', url: '/api/pki/verify', payload: { signature: Buffer.from(cms).toString('base64') } })
  t.equal(check.json().valid, true)
  t.equal(Buffer.from(check.json().content, 'base64').toString(), json)
  const bad = await app.inject({ method: 'POST', url: '/api/pki/verify', payload: { signature: tampered.toString('base64') } })
  t.same({ valid: bad.json().valid, code: bad.json().code }, { valid: false, code: 'SIGNATURE_INVALID' })
  const garbage = await app.inject({ method: 'POST', url: '/api/pki/verify', payload: { signature: Buffer.from(cms.subarray(0, 40)).toString('base64') } })
  t.equal(garbage.json().code, 'CMS_MALFORMED', 'truncated CMS')
})
