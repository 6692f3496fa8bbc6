import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { derToPem, pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { sealBid, signPackage, toHex } from '../../src/lib/sealed-bid/index.ts'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin, type TestUser } from '../factories/accounts.ts'
import { multipart } from '../support/multipart.ts'
import { rsaKey, workDirectory, writePem } from '../support/pki.ts'

async function * once (bytes: Uint8Array) { yield bytes }
async function collect (source: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return Buffer.concat(parts)
}

/** A bidder with a platform certificate for a key it generated itself. */
async function bidderWithCertificate (app: FastifyInstance, username: string) {
  const user = await createUser(app, { username, grants: [{ role: 'bidder', scopeType: 'hall' }] })
  const key = rsaKey()
  const issued = await app.inject({ method: 'POST', url: '/api/pki/certificates', headers: user.headers, payload: { csr: derToPem(createCsr(key, encodeName([['CN', username]])), 'CERTIFICATE REQUEST'), profile: 'person' } })
  return { user, key, certificate: pemToDer(issued.json().certificatePem)[0]!, certificateId: issued.json().id as string }
}

async function sealFor (bidder: { key: ReturnType<typeof rsaKey>, certificate: Uint8Array }, recipients: Uint8Array[], opening = { priceFen: '1288800000', durationDays: 180 }) {
  const signer = nodeSigner(bidder.certificate, bidder.key)
  const document = randomBytes(200_000)
  const sealed = await sealBid({ provider: nodeCrypto, signer, tenderId: 'T-2026-007', opening, files: [{ name: 'bid.pdf', size: document.length, content: once(document) }], recipients })
  const bytes = await collect(sealed.bytes)
  const outer = await signPackage({ provider: nodeCrypto, signer, packageSha256: sealed.summary().sha256 })
  return { sealed, bytes, outer, sha256: sealed.summary().sha256 }
}

async function precheck (app: FastifyInstance, user: TestUser, parts: Array<{ name: string, filename: string, content: Uint8Array }>) {
  const body = multipart({}, Object.fromEntries(parts.map((part) => [part.name, { name: part.filename, content: part.content }])))
  return app.inject({ method: 'POST', url: '/api/sealed-bids/precheck', headers: { ...user.headers, ...body.headers }, payload: body.payload })
}

t.test('submission checks without any key: sealed, well-formed, signed by a trusted bidder who can open it', async (t) => {
  const { app } = await buildTestApp(t)
  const bidder = await bidderWithCertificate(app, 'jianye')
  const { bytes, outer, sha256, sealed } = await sealFor(bidder, [bidder.certificate])
  const ok = await precheck(app, bidder.user, [{ name: 'signature', filename: 'bid.ohsb.p7s', content: outer }, { name: 'package', filename: 'bid.ohsb', content: bytes }])
  t.equal(ok.statusCode, 200)
  t.match(ok.json(), { tenderId: 'T-2026-007', sha256, commitment: sealed.secrets.commitment, recipients: 1 })

  const plaintext = await precheck(app, bidder.user, [{ name: 'signature', filename: 's.p7s', content: outer }, { name: 'package', filename: '投标文件.pdf', content: Buffer.from('%PDF-1.4 the bid in clear') }])
  t.equal(plaintext.statusCode, 400)
  t.equal(plaintext.json().code, 'BID_NOT_ENCRYPTED', 'Art. 26: an unencrypted bid is refused with a prompt')
  t.match(plaintext.json().detail, /encrypted/)

  const otherBytes = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([bytes[bytes.length - 1]! ^ 1])])
  const changed = await precheck(app, bidder.user, [{ name: 'signature', filename: 's.p7s', content: outer }, { name: 'package', filename: 'bid.ohsb', content: otherBytes }])
  t.equal(changed.json().code, 'SIGNATURE_INVALID', 'the outer signature covers every byte')

  const someoneElse = await bidderWithCertificate(app, 'hongda')
  const notMine = await sealFor(bidder, [someoneElse.certificate])
  const locked = await precheck(app, bidder.user, [{ name: 'signature', filename: 's.p7s', content: notMine.outer }, { name: 'package', filename: 'bid.ohsb', content: notMine.bytes }])
  t.equal(locked.json().code, 'BIDDER_NOT_RECIPIENT', 'a bidder must be able to open its own bid')

  const missing = await precheck(app, bidder.user, [{ name: 'package', filename: 'bid.ohsb', content: bytes }])
  t.equal(missing.json().code, 'PACKAGE_PART_MISSING')
  const truncated = await precheck(app, bidder.user, [{ name: 'signature', filename: 's.p7s', content: outer.subarray(0, 100) }, { name: 'package', filename: 'bid.ohsb', content: bytes }])
  t.equal(truncated.json().code, 'CMS_MALFORMED', 'a truncated signature')

  await app.inject({ method: 'POST', url: `/api/pki/certificates/${bidder.certificateId}/revoke`, headers: bidder.user.headers, payload: { reason: 'keyCompromise' } })
  const revoked = await precheck(app, bidder.user, [{ name: 'signature', filename: 's.p7s', content: outer }, { name: 'package', filename: 'bid.ohsb', content: bytes }])
  t.equal(revoked.json().code, 'CERTIFICATE_REVOKED')
})

t.test('at the opening: nothing may have changed since the deadline, and a nonce is single-use', async (t) => {
  const { app } = await buildTestApp(t)
  const bidder = await bidderWithCertificate(app, 'tianyi')
  const { bytes, sha256, sealed } = await sealFor(bidder, [bidder.certificate])
  const anchored = { sha256, commitment: sealed.secrets.commitment, signerFingerprint: (await import('../../src/plugins/pki.ts')).fingerprintOf(bidder.certificate), receivedAt: new Date() }
  const open = (overrides: Partial<Parameters<typeof app.services.sealedBids.openAnchored>[0]> = {}) => app.services.sealedBids.openAnchored({
    bytes: once(bytes), contentKey: sealed.secrets.contentKey, revealedNonce: toHex(sealed.secrets.nonce), anchored, reference: `bid:${randomBytes(4).toString('hex')}`, ...overrides
  })

  await t.rejects(open({ revealedNonce: 'ab'.repeat(32) }), { code: 'REVEALED_NONCE_WRONG' }, 'a revealed nonce that is not the sealed one')
  await t.rejects(open({ contentKey: randomBytes(32) }), { code: 'CONTENT_KEY_WRONG' })
  await t.rejects(open({ anchored: { ...anchored, sha256: '0'.repeat(64) } }), { code: 'PACKAGE_CHANGED' })
  await t.rejects(open({ anchored: { ...anchored, commitment: '0'.repeat(64) } }), { code: 'COMMITMENT_MISMATCH' })
  await t.rejects(open({ anchored: { ...anchored, signerFingerprint: '0'.repeat(64) } }), { code: 'SIGNER_MISMATCH' })
  const [stored] = await app.db.$client`select count(*)::int as count from revealed_nonces` as Array<{ count: number }>
  t.equal(stored!.count, 0, 'refused openings stored nothing')

  const opened = await open()
  t.same(opened.opening, { priceFen: '1288800000', durationDays: 180 })
  await t.rejects(open(), { code: 'NONCE_REUSED' }, 'the same nonce cannot be revealed twice')
})

t.test('K-of-N escrow: custodians decrypt their shares with OpenSSL, any two of three reopen a bid after the deadline', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const agency = await createUser(app, { grants: [{ role: 'agency', scopeType: 'hall' }] })
  const custodians = await Promise.all(['supervisor.zhou', 'agency.wu', 'platform.chen'].map((name) => bidderWithCertificate(app, name)))
  // long enough for the setup below to finish before it, even on a loaded machine
  const deadline = new Date(Date.now() + 6000)
  const created = await app.inject({
    method: 'POST',
    url: '/api/escrows',
    headers: agency.headers,
    payload: { reference: 'tender:T-2026-007', threshold: 2, custodians: custodians.map((custodian) => custodian.user.id), notBefore: deadline.toISOString() }
  })
  t.equal(created.statusCode, 201)
  const escrow = created.json()
  const escrowCertificate = pemToDer(escrow.certificatePem)[0]!
  t.same(escrow.custodians.map((c: { submitted: boolean }) => c.submitted), [false, false, false])
  const row = await app.db.$client`select * from escrows` as Array<Record<string, unknown>>
  t.notMatch(JSON.stringify(row), /PRIVATE KEY/, 'the escrow key is stored nowhere whole')

  const bidder = await bidderWithCertificate(app, 'jianye')
  const { bytes, sealed } = await sealFor(bidder, [bidder.certificate, escrowCertificate])

  // each custodian fetches its encrypted share and opens it with OpenSSL and its own key
  const shares: string[] = []
  for (const custodian of custodians) {
    const mine = (await app.inject({ method: 'GET', url: `/api/escrows/${escrow.id}/share`, headers: custodian.user.headers })).json()
    writeFileSync(path.join(dir, 'share.der'), Buffer.from(mine.envelope, 'base64'))
    const share = execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', 'share.der', '-inkey', writePem(dir, 'c.key', custodian.key), '-recip', writePem(dir, 'c.pem', custodian.certificate)], { cwd: dir })
    shares.push(share.toString('base64'))
  }
  const outsider = await createUser(app)
  t.equal((await app.inject({ method: 'GET', url: `/api/escrows/${escrow.id}/share`, headers: outsider.headers })).statusCode, 404)

  const early = await app.inject({ method: 'POST', url: `/api/escrows/${escrow.id}/shares`, headers: custodians[0]!.user.headers, payload: { share: shares[0] } })
  t.equal(early.json().code, 'ESCROW_NOT_YET_OPEN', 'no share is taken before the deadline')
  await t.rejects(app.services.escrows.withEscrowKey(null, escrow.id, 'test', async () => 1), { code: 'ESCROW_NOT_YET_OPEN' })
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline.getTime() - Date.now() + 50)))

  const wrong = await app.inject({ method: 'POST', url: `/api/escrows/${escrow.id}/shares`, headers: custodians[0]!.user.headers, payload: { share: shares[1] } })
  t.equal(wrong.json().code, 'ESCROW_SHARE_INVALID', 'a custodian can only hand in its own share')
  t.equal((await app.inject({ method: 'POST', url: `/api/escrows/${escrow.id}/shares`, headers: custodians[0]!.user.headers, payload: { share: shares[0] } })).statusCode, 204)
  await t.rejects(app.services.escrows.withEscrowKey(null, escrow.id, 'test', async () => 1), { code: 'ESCROW_QUORUM_NOT_MET' }, 'one share is not enough')
  t.equal((await app.inject({ method: 'POST', url: `/api/escrows/${escrow.id}/shares`, headers: custodians[2]!.user.headers, payload: { share: shares[2] } })).statusCode, 204)

  const contentKey = await app.services.escrows.withEscrowKey(null, escrow.id, 'opening of T-2026-007', async (decrypter) => {
    const { decryptEnvelopedData } = await import('../../src/lib/cms/index.ts')
    return decryptEnvelopedData({ provider: nodeCrypto, der: new Uint8Array(Buffer.from(sealed.header.keyEnvelope, 'base64')), decrypter })
  })
  t.same(Buffer.from(contentKey), Buffer.from(sealed.secrets.contentKey), 'two of three custodians recover the bid\'s content key')
  const opened = await app.services.sealedBids.openAnchored({
    bytes: once(bytes),
    contentKey,
    revealedNonce: null,
    reference: 'bid:escrowed',
    anchored: { sha256: sealed.summary().sha256, commitment: sealed.secrets.commitment, signerFingerprint: (await import('../../src/plugins/pki.ts')).fingerprintOf(bidder.certificate), receivedAt: new Date() }
  })
  t.equal(opened.opening.priceFen, '1288800000')
  const actions = await app.db.$client`select action from audit_entries where subject_type = 'escrow' order by id` as Array<{ action: string }>
  t.same(actions.map((entry) => entry.action), ['escrow.created', 'escrow.share_submitted', 'escrow.share_submitted', 'escrow.key_reassembled'])
})

t.test('an escrow needs sane parameters and custodians who can receive a share', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await hallAdmin(app)
  const custodian = await bidderWithCertificate(app, 'only.one')
  const withoutCertificate = await createUser(app)
  const post = (payload: object) => app.inject({ method: 'POST', url: '/api/escrows', headers: admin.headers, payload })
  const future = new Date(Date.now() + 86_400_000).toISOString()
  t.equal((await post({ reference: 'x', threshold: 2, custodians: [custodian.user.id, custodian.user.id], notBefore: future })).json().code, 'ESCROW_PARAMETERS_INVALID')
  t.equal((await post({ reference: 'x', threshold: 3, custodians: [custodian.user.id, withoutCertificate.id], notBefore: future })).json().code, 'ESCROW_PARAMETERS_INVALID')
  t.equal((await post({ reference: 'x', threshold: 2, custodians: [custodian.user.id, withoutCertificate.id], notBefore: future })).json().code, 'CUSTODIAN_WITHOUT_CERTIFICATE')
  t.equal((await post({ reference: 'x', threshold: 2, custodians: [custodian.user.id, withoutCertificate.id], notBefore: '2020-01-01T00:00:00Z' })).json().code, 'ESCROW_PARAMETERS_INVALID')
})
