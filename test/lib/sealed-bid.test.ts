import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { decryptEnvelopedData, listRecipients } from '../../src/lib/cms/index.ts'
import type { CryptoProvider } from '../../src/lib/pki/crypto-provider.ts'
import { nodeCrypto, nodeDecrypter, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { inspectPackage, openBid, sealBid, signPackage, toHex, type SealInput } from '../../src/lib/sealed-bid/index.ts'
import { createAuthority, issueLeaf, rsaKey, workDirectory, writePem } from '../support/pki.ts'

const authority = createAuthority('Bid Test CA')
const bidderKey = rsaKey()
const bidderCertificate = issueLeaf(authority, { key: bidderKey, subject: [['O', '建业建设工程有限公司'], ['CN', '建业建设']] })
const escrowKey = rsaKey()
const escrowCertificate = issueLeaf(authority, { key: escrowKey, subject: [['CN', 'Escrow T-1']], keyUsage: ['keyEncipherment'] })
const opening = { priceFen: '1288800000', durationDays: 180, quality: '合格' }

async function * once (bytes: Uint8Array) { yield bytes }
async function * pieces (bytes: Uint8Array, size: number) {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size)
}
async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return Buffer.concat(parts)
}

async function seal (overrides: Partial<SealInput> = {}, fileBytes = randomBytes(300_000)) {
  const sealed = await sealBid({
    provider: nodeCrypto,
    signer: nodeSigner(bidderCertificate, bidderKey),
    tenderId: 'T-2026-001',
    opening,
    files: [
      { name: '投标函.pdf', size: fileBytes.length, content: pieces(fileBytes, 7777) },
      { name: 'tech/施工组织设计.docx', size: 5, content: once(Buffer.from('hello')) }
    ],
    recipients: [bidderCertificate, escrowCertificate],
    chunkSize: 64 * 1024,
    ...overrides
  })
  const bytes = await collect(sealed.bytes)
  return { sealed, bytes, fileBytes, summary: sealed.summary() }
}

t.test('seal, inspect, open: the files, the opening fields and the signer come back; nothing is readable before', async (t) => {
  const { sealed, bytes, fileBytes, summary } = await seal()
  t.equal(summary.sha256, createHash('sha256').update(bytes).digest('hex'))
  t.equal(bytes.indexOf(Buffer.from('1288800000')), -1, 'the price does not appear in the package')
  t.equal(bytes.indexOf(fileBytes.subarray(0, 64)), -1, 'nor does any file content')
  t.match(sealed.header, { tenderId: 'T-2026-001', cipher: 'AES-256-GCM', commitment: sealed.secrets.commitment })

  const inspection = await inspectPackage({ provider: nodeCrypto, bytes: pieces(bytes, 1000) })
  t.equal(inspection.sha256, summary.sha256)
  t.equal(inspection.recipients.length, 2)

  const files = new Map<string, Buffer[]>()
  const opened = await openBid({
    provider: nodeCrypto,
    bytes: pieces(bytes, 4093),
    contentKey: sealed.secrets.contentKey,
    onFile: ({ name }) => { files.set(name, []); return { write: (piece) => { files.get(name)!.push(Buffer.from(piece)) }, close: () => {} } }
  })
  t.same(opened.opening, opening)
  t.equal(toHex(opened.nonce), toHex(sealed.secrets.nonce))
  t.same(Buffer.concat(files.get('投标函.pdf')!), fileBytes)
  t.equal(Buffer.concat(files.get('tech/施工组织设计.docx')!).toString(), 'hello')
  t.same(Buffer.from(opened.signerCertificate), Buffer.from(bidderCertificate))
  t.equal(opened.package.sha256, summary.sha256)
  // the commitment hides a low-entropy price: without the nonce, guessing prices finds nothing
  const guess = createHash('sha256').update(JSON.stringify({ durationDays: 180, priceFen: '1288800000', quality: '合格' })).digest('hex')
  t.not(guess, sealed.secrets.commitment)
})

t.test('OpenSSL interoperability: the key envelope opens with `openssl cms -decrypt`, the outer signature verifies with `openssl cms -verify`', async (t) => {
  const dir = workDirectory(t)
  const { sealed, bytes, summary } = await seal()
  writeFileSync(path.join(dir, 'envelope.der'), Buffer.from(sealed.header.keyEnvelope, 'base64'))
  for (const [name, key, certificate] of [['bidder', bidderKey, bidderCertificate], ['escrow', escrowKey, escrowCertificate]] as const) {
    const contentKey = execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', 'envelope.der', '-inkey', writePem(dir, `${name}.key`, key), '-recip', writePem(dir, `${name}.pem`, certificate)], { cwd: dir })
    t.same(contentKey, Buffer.from(sealed.secrets.contentKey), `${name} recovers the content key with OpenSSL`)
  }
  writeFileSync(path.join(dir, 'bid.ohsb'), bytes)
  writeFileSync(path.join(dir, 'bid.ohsb.p7s'), await signPackage({ provider: nodeCrypto, signer: nodeSigner(bidderCertificate, bidderKey), packageSha256: summary.sha256 }))
  writeFileSync(path.join(dir, 'ca.pem'), derToPem(authority.root) + derToPem(authority.intermediate))
  const verify = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'bid.ohsb.p7s', '-content', 'bid.ohsb', '-CAfile', 'ca.pem', '-out', '/dev/null'], { cwd: dir })
  t.equal(verify.status, 0, verify.stderr.toString())
  writeFileSync(path.join(dir, 'bid.ohsb'), Buffer.concat([bytes, Buffer.from([0])]))
  t.not(spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'bid.ohsb.p7s', '-content', 'bid.ohsb', '-CAfile', 'ca.pem', '-out', '/dev/null'], { cwd: dir }).status, 0, 'one byte more and it fails')
})

t.test('bad packages are refused with specific codes', async (t) => {
  const { sealed, bytes } = await seal()
  const key = sealed.secrets.contentKey
  const open = (input: Uint8Array, contentKey = key) => openBid({ provider: nodeCrypto, bytes: once(input), contentKey })

  await t.rejects(open(Buffer.from('%PDF-1.7\n投标文件正文…')), { code: 'BID_NOT_ENCRYPTED' }, 'a plaintext PDF')
  await t.rejects(inspectPackage({ provider: nodeCrypto, bytes: once(Buffer.from('PK\x03\x04zipped bid')) }), { code: 'BID_NOT_ENCRYPTED' }, 'a plaintext zip at submission')
  await t.rejects(open(randomBytes(2000)), { code: 'PACKAGE_MALFORMED' }, 'random bytes')
  for (const cut of [3, 20, bytes.length - 1, bytes.length - 17, Math.floor(bytes.length / 2)]) {
    await t.rejects(open(bytes.subarray(0, cut)), { code: /PACKAGE_(MALFORMED|TAMPERED)/ }, `truncated at ${cut}`)
    await t.rejects(inspectPackage({ provider: nodeCrypto, bytes: once(bytes.subarray(0, cut)) }), { code: /PACKAGE_(MALFORMED|TAMPERED)/ }, `inspection truncated at ${cut}`)
  }
  const tampered = Buffer.from(bytes)
  tampered[bytes.length - 5000] = tampered[bytes.length - 5000]! ^ 0x01
  await t.rejects(open(tampered), { code: 'PACKAGE_TAMPERED' }, 'one flipped bit in a chunk')
  await t.rejects(open(Buffer.concat([bytes, Buffer.from('extra')])), { code: 'PACKAGE_TAMPERED' }, 'bytes after the final chunk')
  await t.rejects(open(bytes, randomBytes(32)), { code: 'CONTENT_KEY_WRONG' }, 'a wrong content key')

  // the header is bound to every chunk: editing the commitment breaks the first chunk
  const headerLength = bytes.readUInt32BE(5)
  const header = JSON.parse(bytes.subarray(9, 9 + headerLength).toString())
  const edited = Buffer.from(JSON.stringify({ ...header, commitment: 'f'.repeat(64) }))
  const swapped = Buffer.concat([bytes.subarray(0, 5), Buffer.from([0, 0, 0, 0]), edited, bytes.subarray(9 + headerLength)])
  swapped.writeUInt32BE(edited.length, 5)
  await t.rejects(open(swapped), { code: 'PACKAGE_TAMPERED' }, 'a rewritten header')

  // chunks out of order
  const second = await seal({}, randomBytes(200_000))
  const frames: Buffer[] = []
  let offset = 9 + second.bytes.readUInt32BE(5)
  const head = second.bytes.subarray(0, offset)
  while (offset < second.bytes.length) {
    const length = second.bytes.readUInt32BE(offset + 1)
    frames.push(second.bytes.subarray(offset, offset + 5 + length + 16))
    offset += 5 + length + 16
  }
  t.ok(frames.length >= 3)
  const reordered = Buffer.concat([head, frames[1]!, frames[0]!, ...frames.slice(2)])
  await t.rejects(open(reordered, second.sealed.secrets.contentKey), { code: 'PACKAGE_TAMPERED' }, 'reordered chunks')
  const dropped = Buffer.concat([head, ...frames.slice(0, -1)])
  await t.rejects(open(dropped, second.sealed.secrets.contentKey), { code: 'PACKAGE_TAMPERED' }, 'the final chunk dropped')
})

t.test('a sealer that commits to other opening fields than it seals is caught at the opening', async (t) => {
  // a dishonest client: it commits to a price of 999 but seals the real one
  let calls = 0
  let nonce: Buffer | undefined
  const lying: CryptoProvider = {
    ...nodeCrypto,
    randomBytes (length) {
      const bytes = nodeCrypto.randomBytes(length)
      // sealBid draws the content key, then the nonce
      if (length === 32 && ++calls === 2) nonce = Buffer.from(bytes)
      return bytes
    },
    async sha256 (data) {
      const isCommitment = nonce !== undefined && data.length > 32 && Buffer.from(data.subarray(data.length - 32)).equals(nonce)
      if (!isCommitment) return nodeCrypto.sha256(data)
      return nodeCrypto.sha256(Buffer.concat([Buffer.from(JSON.stringify({ ...opening, priceFen: '999' })), nonce!]))
    }
  }
  const sealed = await sealBid({ provider: lying, signer: nodeSigner(bidderCertificate, bidderKey), tenderId: 'T-2026-001', opening, files: [], recipients: [bidderCertificate] })
  const bytes = await collect(sealed.bytes)
  await t.rejects(openBid({ provider: nodeCrypto, bytes: once(bytes), contentKey: sealed.secrets.contentKey }), { code: 'COMMITMENT_MISMATCH' })
})

t.test('a key envelope for someone else cannot be opened; the recipients are listed', async (t) => {
  const { sealed } = await seal({ recipients: [escrowCertificate] })
  const envelope = new Uint8Array(Buffer.from(sealed.header.keyEnvelope, 'base64'))
  await t.rejects(decryptEnvelopedData({ provider: nodeCrypto, der: envelope, decrypter: nodeDecrypter(bidderCertificate, bidderKey) }), { code: 'NOT_A_RECIPIENT' })
  t.equal(listRecipients(envelope).length, 1)
})

t.test('plaintext uploads are told apart from random or foreign binaries', async (t) => {
  const open = (input: Uint8Array) => openBid({ provider: nodeCrypto, bytes: once(input), contentKey: randomBytes(32) })
  for (let i = 0; i < 200; i++) await t.rejects(open(randomBytes(600)), { code: 'PACKAGE_MALFORMED' })
  await t.rejects(open(Buffer.from('{"price": 1288800000, "备注": "报价"}'.repeat(5))), { code: 'BID_NOT_ENCRYPTED' }, 'JSON')
  await t.rejects(open(Buffer.from('投标报价：壹仟贰佰捌拾捌万捌仟元整。工期一百八十日历天。'.repeat(10))), { code: 'BID_NOT_ENCRYPTED' }, 'Chinese text')
  await t.rejects(open(Buffer.from('<?xml version="1.0"?><bid><price>1288800000</price></bid>')), { code: 'BID_NOT_ENCRYPTED' }, 'XML')
})
