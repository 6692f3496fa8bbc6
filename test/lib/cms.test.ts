/**
 * CMS signed and sealed data, proven against the OpenSSL command line both ways: what OpenHall
 * writes `openssl cms` verifies and decrypts, and what `openssl cms` writes (DER, BER streaming,
 * detached, without signed attributes, RSA and EC) OpenHall verifies and decrypts.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { createPrivateKey, createHash, randomBytes, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import forge from 'node-forge'
import t from 'tap'
import {
  createEnvelopedData, createSignedData, decryptEnvelopedData, listRecipients, parseSignedData, verifySignedData
} from '../../src/lib/cms/index.ts'
import { isClientError } from '../../src/lib/errors.ts'
import { nodeCrypto, nodeDecrypter, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { certificateParts, parseDer, pemToDer } from '../../src/lib/pki/x509-parts.ts'

const run = promisify(execFile)
const dir = mkdtempSync(path.join(os.tmpdir(), 'openhall-cms-'))
const file = (name: string) => path.join(dir, name)

/* One CA and four leaves, generated once for the file (key generation dominates the run time).
   No tap call happens before this is done: the root test would otherwise end, and tear down, early. */
interface Party { name: string, certificateDer: Uint8Array, key: KeyObject, keyFile: string, certFile: string }

writeFileSync(file('leaf.ext'), 'keyUsage=critical,digitalSignature,keyEncipherment\n')
const rsaKey = ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
await Promise.all([
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '3650',
    '-subj', '/CN=OpenHall Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
  run('openssl', [...rsaKey, '-out', file('bidder.key')]),
  run('openssl', [...rsaKey, '-out', file('evaluator.key')]),
  run('openssl', [...rsaKey, '-out', file('outsider.key')]),
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('ec.key')])
])
const caDer = pemToDer(readFileSync(file('ca.pem'), 'utf8'))[0]!

async function issue (name: string, serial: string): Promise<Party> {
  await run('openssl', ['req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${name}`, '-out', file(`${name}.csr`)])
  await run('openssl', ['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
    '-set_serial', serial, '-days', '365', '-extfile', file('leaf.ext'), '-out', file(`${name}.pem`)])
  return {
    name,
    certificateDer: pemToDer(readFileSync(file(`${name}.pem`), 'utf8'))[0]!,
    key: createPrivateKey(readFileSync(file(`${name}.key`))),
    keyFile: file(`${name}.key`),
    certFile: file(`${name}.pem`)
  }
}
// the bidder's serial has its top bit set, so its DER INTEGER carries a leading 0x00
const [bidder, evaluator, outsider, ecBidder] = await Promise.all([
  issue('bidder', '0x80f1e2d3c4b5a69788796a5b4c3d2e1f'),
  issue('evaluator', '0x1002'),
  issue('outsider', '0x1003'),
  issue('ec', '0x1004')
]) as [Party, Party, Party, Party]

const content = Buffer.concat([Buffer.from('投标文件 tender 2026-017, lot 3: 1 234 567.00 CNY\n'), randomBytes(12_000)])
writeFileSync(file('content.bin'), content)
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest()

t.teardown(() => rmSync(dir, { recursive: true, force: true }))
t.match(execFileSync('openssl', ['version']).toString(), /^OpenSSL 3\./, 'the OpenSSL 3 CLI is available')

function openssl (args: string[]): { status: number | null, stdout: Buffer, stderr: string } {
  const result = spawnSync('openssl', args, { maxBuffer: 64 * 1024 * 1024 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() }
}

function opensslSign (party: Party, options: string[], name: string): Buffer {
  const out = file(`${name}.der`)
  const result = openssl(['cms', '-sign', '-binary', '-outform', 'DER', '-in', file('content.bin'), '-signer', party.certFile,
    '-inkey', party.keyFile, '-certfile', file('ca.pem'), '-out', out, ...options])
  if (result.status !== 0) throw new Error(result.stderr)
  return readFileSync(out)
}

function opensslVerify (der: Uint8Array, detachedContentFile?: string) {
  writeFileSync(file('to-verify.der'), der)
  return openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', file('to-verify.der'), '-CAfile', file('ca.pem'),
    ...(detachedContentFile ? ['-content', detachedContentFile] : [])])
}

function flipByteAt (bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes)
  copy[index] = copy[index]! ^ 0xff
  return copy
}

function flipInside (bytes: Uint8Array, needle: Uint8Array): Buffer {
  const at = Buffer.from(bytes).indexOf(Buffer.from(needle))
  if (at < 0) throw new Error('needle not found')
  return flipByteAt(bytes, at + Math.floor(needle.length / 2))
}

t.test('OpenHall signatures verify with openssl cms, attached and detached, RSA and EC', async (t) => {
  for (const party of [bidder, ecBidder]) {
    const signer = nodeSigner(party.certificateDer, party.key)

    const attached = await createSignedData({ provider: nodeCrypto, signer, content, detached: false, extraCertificates: [caDer] })
    const fromAttached = opensslVerify(attached)
    t.equal(fromAttached.status, 0, `${party.name}: openssl verifies the attached signature ${fromAttached.stderr}`)
    t.ok(fromAttached.stdout.equals(content), `${party.name}: openssl outputs the signed content`)

    const detached = await createSignedData({ provider: nodeCrypto, signer, content, detached: true, extraCertificates: [caDer] })
    t.ok(detached.length < content.length, 'a detached signature does not carry the content')
    const fromDetached = opensslVerify(detached, file('content.bin'))
    t.equal(fromDetached.status, 0, `${party.name}: openssl verifies the detached signature ${fromDetached.stderr}`)
    t.ok(fromDetached.stdout.equals(content))

    // a package that is only streamed: signed from its SHA-256
    const streamed = await createSignedData({ provider: nodeCrypto, signer, contentDigest: sha256(content), detached: true, extraCertificates: [caDer] })
    t.equal(opensslVerify(streamed, file('content.bin')).status, 0, `${party.name}: openssl verifies a signature made from the digest`)

    writeFileSync(file('tampered.bin'), flipByteAt(content, 5000))
    t.not(opensslVerify(detached, file('tampered.bin')).status, 0, `${party.name}: openssl refuses tampered content`)
    t.not(opensslVerify(flipInside(attached, content.subarray(4000, 4064))).status, 0, `${party.name}: openssl refuses tampered embedded content`)

    const [verified] = await verifySignedData({ provider: nodeCrypto, der: attached })
    t.same(Buffer.from(verified!.certificateDer), Buffer.from(party.certificateDer), 'our own verifier names the signer')
    t.ok(Buffer.from(verified!.content!).equals(content))
  }
})

t.test('signed attributes: DER order, signing time as UTCTime or GeneralizedTime, certificates carried', async (t) => {
  const signer = nodeSigner(bidder.certificateDer, bidder.key)
  for (const signingTime of [new Date('2026-11-27T08:30:15.789Z'), new Date('2051-03-01T00:00:00Z')]) {
    const der = await createSignedData({ provider: nodeCrypto, signer, content, detached: true, signingTime, extraCertificates: [caDer, bidder.certificateDer] })
    const parsed = parseSignedData(der)
    t.same(parsed.certificates.map((certificate) => Buffer.from(certificate).toString('hex')).sort(),
      [caDer, bidder.certificateDer].map((certificate) => Buffer.from(certificate).toString('hex')).sort(), 'signer and CA, each once')
    const [signerInfo] = parsed.signers
    t.equal(signerInfo!.attributes.signingTime!.getTime(), Math.floor(signingTime.getTime() / 1000) * 1000, 'signing time to the second')
    const timeTag = signingTime.getUTCFullYear() < 2050 ? forge.asn1.Type.UTCTIME : forge.asn1.Type.GENERALIZEDTIME
    const members = parseDer(signerInfo!.signedAttrsDer!).value as forge.asn1.Asn1[]
    const encodings = members.map((member) => Buffer.from(forge.asn1.toDer(member).getBytes(), 'binary'))
    t.same(encodings, [...encodings].sort(Buffer.compare), 'attributes sorted by their encodings, as DER requires')
    t.ok(members.some((member) => ((member.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!.type === timeTag), `signingTime encoded as ${timeTag === forge.asn1.Type.UTCTIME ? 'UTCTime' : 'GeneralizedTime'}`)
    t.equal(opensslVerify(der, file('content.bin')).status, 0, 'openssl accepts it')
  }
})

t.test('OpenSSL signatures verify with OpenHall: DER, BER stream, detached, no signed attributes', async (t) => {
  const modes: Array<{ mode: string, options: string[], attached: boolean, attributes: boolean }> = [
    { mode: 'nodetach', options: ['-nodetach'], attached: true, attributes: true },
    { mode: 'stream', options: ['-nodetach', '-stream'], attached: true, attributes: true },
    { mode: 'detached', options: [], attached: false, attributes: true },
    { mode: 'noattr', options: ['-nodetach', '-noattr'], attached: true, attributes: false },
    { mode: 'noattr-detached', options: ['-noattr'], attached: false, attributes: false }
  ]
  for (const party of [bidder, ecBidder]) {
    for (const { mode, options, attached, attributes } of modes) {
      const label = `${party.name} ${mode}`
      const der = opensslSign(party, options, `openssl-${party.name}-${mode}`)
      if (mode === 'stream') t.equal(der[1], 0x80, `${label}: OpenSSL wrote BER with indefinite lengths`)
      const parsed = parseSignedData(der)
      t.equal(parsed.signers[0]!.signedAttrsDer !== undefined, attributes, `${label}: signed attributes ${attributes ? 'present' : 'absent'}`)
      t.equal(parsed.certificates.length, 2, `${label}: signer and CA certificates are carried`)

      const contentArgument = attached ? {} : { content }
      const [verified, ...others] = await verifySignedData({ provider: nodeCrypto, der, ...contentArgument })
      t.equal(others.length, 0)
      t.ok(Buffer.from(verified!.certificateDer).equals(Buffer.from(party.certificateDer)), `${label}: the signer certificate is returned`)
      if (attached) t.ok(Buffer.from(verified!.content!).equals(content), `${label}: the content is returned`)
      if (attributes) t.ok(verified!.signingTime instanceof Date, `${label}: the signing time is returned`)

      if (attached) {
        await t.rejects(verifySignedData({ provider: nodeCrypto, der: flipInside(der, content.subarray(6000, 6064)) }), { code: 'SIGNATURE_INVALID' }, `${label}: tampered content`)
      } else {
        await t.rejects(verifySignedData({ provider: nodeCrypto, der }), { code: 'CMS_MALFORMED', message: /detached signature needs the content/ }, `${label}: content is required`)
        await t.rejects(verifySignedData({ provider: nodeCrypto, der, content: flipByteAt(content, 9) }), { code: 'SIGNATURE_INVALID' }, `${label}: other content`)
        if (attributes) {
          t.equal((await verifySignedData({ provider: nodeCrypto, der, contentDigest: sha256(content) })).length, 1, `${label}: the digest alone suffices`)
        } else {
          await t.rejects(verifySignedData({ provider: nodeCrypto, der, contentDigest: sha256(content) }), { code: 'CMS_UNSUPPORTED' }, `${label}: a signature over the content itself needs the content`)
        }
      }
      await t.rejects(verifySignedData({ provider: nodeCrypto, der: flipInside(der, parsed.signers[0]!.signature), ...contentArgument }), { code: 'SIGNATURE_INVALID' }, `${label}: altered signature`)
    }
  }
})

/** BER with an indefinite length on every constructed element, as a streaming encoder may send it. */
function indefiniteBer (node: forge.asn1.Asn1): Buffer {
  if (!node.constructed) return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary')
  const children = (node.value as forge.asn1.Asn1[]).map(indefiniteBer)
  return Buffer.concat([Buffer.from([node.tagClass | node.type | 0x20, 0x80]), ...children, Buffer.from([0, 0])])
}

t.test('indefinite lengths everywhere, signed attributes included, still verify', async (t) => {
  const der = opensslSign(bidder, ['-nodetach'], 'openssl-for-ber')
  const ber = indefiniteBer(parseDer(der))
  t.ok(ber.length > der.length, 'the BER form is a different encoding')
  const fromDer = parseSignedData(der)
  const fromBer = parseSignedData(ber)
  t.same(Buffer.from(fromBer.signers[0]!.signedAttrsDer!), Buffer.from(fromDer.signers[0]!.signedAttrsDer!), 'the signed attributes are verified in their DER form')
  t.ok(Buffer.from(fromBer.content!).equals(content))
  const [verified] = await verifySignedData({ provider: nodeCrypto, parsed: fromBer })
  t.ok(Buffer.from(verified!.certificateDer).subarray(0, 2).equals(Buffer.from([0x30, 0x80])), 'certificates are handed on exactly as sent')
})

t.test('a signature is only as good as the certificate it names', async (t) => {
  // the bidder's key, presented with the evaluator's certificate
  const impostor = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(evaluator.certificateDer, bidder.key), content, detached: false })
  await t.rejects(verifySignedData({ provider: nodeCrypto, der: impostor }), { code: 'SIGNATURE_INVALID', message: /does not verify/ })
  t.not(opensslVerify(impostor).status, 0, 'openssl agrees')

  const wrongKeyType = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificateDer, ecBidder.key), content, detached: false })
  await t.rejects(verifySignedData({ provider: nodeCrypto, der: wrongKeyType }), { code: 'SIGNATURE_INVALID', message: /does not fit/ })

  const withoutCertificate = opensslSign(bidder, ['-nodetach', '-nocerts'], 'openssl-nocerts')
  await t.rejects(verifySignedData({ provider: nodeCrypto, der: withoutCertificate }), { code: 'SIGNATURE_INVALID', message: /not in the SignedData/ })

  const sha384 = opensslSign(bidder, ['-nodetach', '-md', 'sha384'], 'openssl-sha384')
  await t.rejects(verifySignedData({ provider: nodeCrypto, der: sha384 }), { code: 'CMS_UNSUPPORTED', message: /2\.16\.840\.1\.101\.3\.4\.2\.2/ })

  const attached = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificateDer, bidder.key), content, detached: false })
  await t.rejects(verifySignedData({ provider: nodeCrypto, der: attached, content: Buffer.from('something else') }), { code: 'SIGNATURE_INVALID' },
    'an attached signature checked against other content fails')
})

t.test('OpenHall envelopes open with openssl cms -decrypt, for every recipient', async (t) => {
  const der = await createEnvelopedData({ provider: nodeCrypto, content, recipients: [bidder.certificateDer, evaluator.certificateDer] })
  writeFileSync(file('envelope.der'), der)
  for (const party of [bidder, evaluator]) {
    const result = openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file('envelope.der'), '-inkey', party.keyFile, '-recip', party.certFile])
    t.equal(result.status, 0, `openssl decrypts for ${party.name} ${result.stderr}`)
    t.ok(result.stdout.equals(content), `${party.name} reads the content through openssl`)
    const opened = await decryptEnvelopedData({ provider: nodeCrypto, der, decrypter: nodeDecrypter(party.certificateDer, party.key) })
    t.ok(Buffer.from(opened).equals(content), `${party.name} reads the content through OpenHall`)
  }

  const serialOf = (party: Party) => execFileSync('openssl', ['x509', '-in', party.certFile, '-noout', '-serial']).toString().trim().replace(/^serial=0*/, '').toLowerCase()
  t.same(listRecipients(der).map(({ serialHex }) => serialHex).sort(), [serialOf(bidder), serialOf(evaluator)].sort(), 'recipients listed with the serials openssl shows')
  t.ok(listRecipients(der).every(({ issuerDer }) => Buffer.from(issuerDer).equals(Buffer.from(certificateParts(caDer).subjectDer))), 'issued by the CA')

  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der, decrypter: nodeDecrypter(outsider.certificateDer, outsider.key) }), { code: 'NOT_A_RECIPIENT' })
  t.not(openssl(['cms', '-decrypt', '-inform', 'DER', '-in', file('envelope.der'), '-inkey', outsider.keyFile, '-recip', outsider.certFile]).status, 0, 'openssl refuses the outsider too')
})

t.test('OpenSSL envelopes with RSAES-OAEP SHA-256 open with OpenHall; weaker ones are refused', async (t) => {
  const oaepSha256 = ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256']
  const seal = (name: string, options: string[]) => {
    const result = openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes256', '-in', file('content.bin'), '-out', file(name), ...options])
    if (result.status !== 0) throw new Error(result.stderr)
    return readFileSync(file(name))
  }
  const decrypter = nodeDecrypter(bidder.certificateDer, bidder.key)
  for (const streaming of [false, true]) {
    const der = seal(`openssl-envelope-${streaming}.der`, [...(streaming ? ['-stream'] : []), '-recip', bidder.certFile, ...oaepSha256])
    if (streaming) t.equal(der[1], 0x80, 'OpenSSL wrote BER with indefinite lengths')
    t.ok(Buffer.from(await decryptEnvelopedData({ provider: nodeCrypto, der, decrypter })).equals(content), `opened (${streaming ? 'BER stream' : 'DER'})`)
  }
  const pkcs1 = seal('openssl-envelope-pkcs1.der', ['-recip', bidder.certFile])
  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: pkcs1, decrypter }), { code: 'CMS_UNSUPPORTED', message: /PKCS#1 v1\.5/ })
  const oaepSha1 = seal('openssl-envelope-sha1.der', ['-recip', bidder.certFile, '-keyopt', 'rsa_padding_mode:oaep'])
  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: oaepSha1, decrypter }), { code: 'CMS_UNSUPPORTED', message: /SHA-256/ })
})

t.test('corrupted envelopes fail to decrypt with a coded error; EC recipients are refused', async (t) => {
  const der = await createEnvelopedData({ provider: nodeCrypto, content, recipients: [bidder.certificateDer] })
  const decrypter = nodeDecrypter(bidder.certificateDer, bidder.key)

  // EnvelopedData → recipientInfos → the one KeyTransRecipientInfo → encryptedKey
  const envelopedData = ((parseDer(der).value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!
  const recipientInfo = ((envelopedData.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!
  const encryptedKey = Buffer.from((recipientInfo.value as forge.asn1.Asn1[])[3]!.value as string, 'binary')
  t.equal(encryptedKey.length, 256, 'the key is wrapped for a 2048-bit RSA key')
  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: flipInside(der, encryptedKey), decrypter }), { code: 'DECRYPTION_FAILED', message: /key could not be unwrapped/ })

  // the ciphertext ends the encoding; flipping the last byte of its second-to-last block breaks the padding for sure
  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: flipByteAt(der, der.length - 17), decrypter }), { code: 'DECRYPTION_FAILED', message: /content could not be decrypted/ })

  await t.rejects(createEnvelopedData({ provider: nodeCrypto, content, recipients: [bidder.certificateDer, ecBidder.certificateDer] }), { code: 'CMS_UNSUPPORTED', message: /key agreement/ })
})

t.test('malformed input is refused with CMS_MALFORMED, never a crash', async (t) => {
  const signed = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(bidder.certificateDer, bidder.key), content, detached: false, extraCertificates: [caDer] })
  const streamed = opensslSign(ecBidder, ['-nodetach', '-stream'], 'openssl-malformed-stream')
  const envelope = await createEnvelopedData({ provider: nodeCrypto, content, recipients: [bidder.certificateDer] })
  const decrypter = nodeDecrypter(bidder.certificateDer, bidder.key)

  for (const [name, der] of [['DER SignedData', signed], ['BER SignedData', streamed]] as const) {
    for (const cut of [0, 1, 2, 10, 100, Math.floor(der.length / 2), der.length - 2, der.length - 1]) {
      t.throws(() => parseSignedData(der.subarray(0, cut)), { code: 'CMS_MALFORMED' }, `${name} cut at ${cut}`)
    }
    t.throws(() => parseSignedData(Buffer.concat([der, Buffer.from([0x00])])), { code: 'CMS_MALFORMED' }, `${name} with a trailing byte`)
    t.throws(() => parseSignedData(Buffer.concat([der, Buffer.from('garbage')])), { code: 'CMS_MALFORMED' }, `${name} with trailing garbage`)
  }
  for (const cut of [1, 50, Math.floor(envelope.length / 2), envelope.length - 1]) {
    t.throws(() => listRecipients(envelope.subarray(0, cut)), { code: 'CMS_MALFORMED' }, `envelope cut at ${cut}`)
    await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: envelope.subarray(0, cut), decrypter }), { code: 'CMS_MALFORMED' })
  }
  for (let round = 0; round < 50; round++) {
    t.throws(() => parseSignedData(randomBytes(1 + round * 7)), { code: 'CMS_MALFORMED' })
  }
  t.throws(() => parseSignedData(envelope), { code: 'CMS_MALFORMED', message: /expected signedData/ }, 'an envelope is not a signature')
  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: signed, decrypter }), { code: 'CMS_MALFORMED', message: /expected envelopedData/ }, 'a signature is not an envelope')
  t.throws(() => parseSignedData(caDer), { code: 'CMS_MALFORMED' }, 'a certificate is not a signature')
})

t.test('any single corrupted byte ends in success or a coded client error', async (t) => {
  const inputs = [
    await createSignedData({ provider: nodeCrypto, signer: nodeSigner(ecBidder.certificateDer, ecBidder.key), content: content.subarray(0, 300), detached: false, extraCertificates: [caDer] }),
    opensslSign(bidder, ['-nodetach', '-stream'], 'openssl-fuzz-stream')
  ]
  let refused = 0
  for (const der of inputs) {
    for (let round = 0; round < 300; round++) {
      const corrupted = Buffer.from(der)
      corrupted[Math.floor(Math.random() * corrupted.length)] = Math.floor(Math.random() * 256)
      try {
        await verifySignedData({ provider: nodeCrypto, der: corrupted })
      } catch (error) {
        if (!isClientError(error)) t.fail(`unexpected ${(error as Error).name}: ${(error as Error).message}`)
        refused++
      }
    }
  }
  t.ok(refused > 300, `most corruptions are refused (${refused} of 600)`)
})
