/**
 * The format code is shared with the browser: sealing through WebCrypto (as the bid page will)
 * and through node:crypto (as the command-line client does) produce packages either can open,
 * and the shared modules bundle for the browser without any Node built-in.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes, webcrypto } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { createSignedData, decryptEnvelopedData } from '../../src/lib/cms/index.ts'
import { nodeCrypto, nodeDecrypter, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { webCrypto, webDecrypter, webSigner } from '../../src/lib/pki/web-crypto.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { openBid, sealBid } from '../../src/lib/sealed-bid/index.ts'
import { createAuthority, ecKey, issueLeaf, rsaKey, workDirectory } from '../support/pki.ts'

const authority = createAuthority('Browser Test CA')
const key = rsaKey()
const certificate = issueLeaf(authority, { key, subject: [['CN', 'browser bidder']] })
const pkcs8 = key.export({ type: 'pkcs8', format: 'der' })

async function * once (bytes: Uint8Array) { yield bytes }
async function collect (source: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return Buffer.concat(parts)
}

t.test('a bid sealed with WebCrypto opens with node:crypto, and the other way round', async (t) => {
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  const decryptionKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt'])
  const document = randomBytes(150_000)
  const opening = { priceFen: '5200000', durationDays: 60 }
  const setups = [
    { name: 'browser seals, server opens', sealWith: { provider: webCrypto, signer: webSigner(certificate, signingKey) }, openWith: nodeCrypto, decrypter: nodeDecrypter(certificate, key) },
    { name: 'server seals, browser opens', sealWith: { provider: nodeCrypto, signer: nodeSigner(certificate, key) }, openWith: webCrypto, decrypter: webDecrypter(certificate, decryptionKey) }
  ]
  for (const setup of setups) {
    const sealed = await sealBid({ ...setup.sealWith, tenderId: 'T-WEB', opening, files: [{ name: 'bid.pdf', size: document.length, content: once(document) }], recipients: [certificate], chunkSize: 32 * 1024 })
    const bytes = await collect(sealed.bytes)
    const contentKey = await decryptEnvelopedData({ provider: setup.openWith, der: new Uint8Array(Buffer.from(sealed.header.keyEnvelope, 'base64')), decrypter: setup.decrypter })
    const received: Buffer[] = []
    const opened = await openBid({ provider: setup.openWith, bytes: once(bytes), contentKey, onFile: () => ({ write: (piece) => { received.push(Buffer.from(piece)) }, close: () => {} }) })
    t.same(opened.opening, opening, setup.name)
    t.same(Buffer.concat(received), document)
  }
})

t.test('WebCrypto ECDSA signatures are CMS signatures OpenSSL accepts', async (t) => {
  const dir = workDirectory(t)
  const ec = ecKey()
  const ecCertificate = issueLeaf(authority, { key: ec, subject: [['CN', 'ec browser']], keyUsage: ['digitalSignature'] })
  const signingKey = await webcrypto.subtle.importKey('pkcs8', ec.export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
  const cms = await createSignedData({ provider: webCrypto, signer: webSigner(ecCertificate, signingKey), content: Buffer.from('投标函'), detached: false })
  writeFileSync(path.join(dir, 'signed.der'), cms)
  writeFileSync(path.join(dir, 'ca.pem'), derToPem(authority.root) + derToPem(authority.intermediate))
  const verified = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'signed.der', '-CAfile', 'ca.pem'], { cwd: dir })
  t.equal(verified.status, 0, verified.stderr.toString())
  t.equal(verified.stdout.toString(), '投标函')
})

t.test('the shared modules bundle for the browser without Node built-ins', async (t) => {
  const result = await build({
    entryPoints: ['src/lib/sealed-bid/index.ts', 'src/lib/pki/web-crypto.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    outdir: 'out',
    logLevel: 'silent'
  })
  t.same(result.errors, [])
  t.equal(result.outputFiles.length, 2)
  t.notMatch(result.outputFiles.map((file) => file.text).join('\n'), /from "node:/)
})
