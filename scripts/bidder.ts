/**
 * The bidder's client (`npm run bidder -- <command>`): everything secret happens here, on the
 * bidder's machine. The platform never sees the private key, the content key or the nonce before
 * the opening. Format: README.md, "Sealed-bid format v1".
 *
 *   csr             --key key.pem [--new] --out request.pem             make (or reuse) an RSA key and a CSR for the platform CA
 *   seal            --tender ID --cert cert.pem --key key.pem --opening opening.json --out bid.ohsb
 *                   [--escrow escrow.pem] [--chunk-size BYTES] FILE...   seal files; writes bid.ohsb, bid.ohsb.p7s, bid.ohsb.secret.json
 *   inspect         --package bid.ohsb                                  what anyone can see: header, size, SHA-256, recipients
 *   reveal          --package bid.ohsb --cert cert.pem --key key.pem    unwrap the content key with your key, for the opening
 *   open            --package bid.ohsb --content-key BASE64 --out DIR   decrypt and verify locally (self-check)
 *   verify-receipt  --receipt receipt.p7s --root root.pem [--package bid.ohsb]
 *   submit          --tender UUID --package bid.ohsb [--idempotency-key KEY]   upload bid.ohsb with bid.ohsb.p7s; writes bid.ohsb.receipt.p7s
 *   withdraw        --tender UUID [--idempotency-key KEY]                      withdraw before the deadline; prints the signed receipt
 *   login           --cert cert.pem --key key.pem                   certificate sign-in: prints a session token for OPENHALL_TOKEN
 *   decrypt         --tender UUID --secret bid.ohsb.secret.json     at the opening, in the decryption window: sign in to the room and
 *                                                                   reveal the content key and nonce (from seal, or from reveal)
 *
 * submit and withdraw talk to the platform: OPENHALL_URL (default http://127.0.0.1:3000) and
 * OPENHALL_TOKEN (a session token: POST /api/auth/login, or certificate login). A retried submit
 * of the same file reuses its idempotency key (derived from the package), so it never bids twice.
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { existsSync, openAsBlob } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createSignedData, decryptEnvelopedData, parseSignedData, verifySignedData } from '../src/lib/cms/index.ts'
import type { JsonValue } from '../src/lib/canonical-json.ts'
import { createPathValidator } from '../src/lib/pki/chain.ts'
import { createCsr } from '../src/lib/pki/issuance.ts'
import { encodeName } from '../src/lib/pki/names.ts'
import { nodeCrypto, nodeDecrypter, nodeSigner } from '../src/lib/pki/node-crypto.ts'
import { derToPem, pemToDer } from '../src/lib/pki/x509-parts.ts'
import { inspectPackage, openBid, sealBid, signPackage, toHex } from '../src/lib/sealed-bid/index.ts'
import { directorySink, fileSource } from '../src/lib/sealed-bid/node.ts'

class UsageError extends Error {}

async function readCertificate (file: string): Promise<Uint8Array> {
  const [der] = pemToDer(await readFile(file, 'utf8'))
  if (!der) throw new UsageError(`${file} holds no PEM certificate`)
  return der
}

async function readKey (file: string) {
  return createPrivateKey(await readFile(file))
}

function required (values: Record<string, string | boolean | undefined>, ...names: string[]): void {
  const missing = names.filter((name) => !values[name])
  if (missing.length > 0) throw new UsageError(`missing --${missing.join(', --')}`)
}

async function csr (args: string[]) {
  const { values } = parseArgs({ args, options: { key: { type: 'string' }, new: { type: 'boolean' }, out: { type: 'string' }, name: { type: 'string' } } })
  required(values, 'key', 'out')
  if (values.new || !existsSync(values.key!)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    await writeFile(values.key!, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  }
  const request = createCsr(await readKey(values.key!), encodeName([['CN', values.name ?? 'OpenHall bidder']]))
  await writeFile(values.out!, derToPem(request, 'CERTIFICATE REQUEST'))
  return { key: values.key, csr: values.out }
}

async function seal (args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tender: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      escrow: { type: 'string' },
      opening: { type: 'string' },
      out: { type: 'string' },
      'chunk-size': { type: 'string' }
    }
  })
  required(values, 'tender', 'cert', 'key', 'opening', 'out')
  if (positionals.length === 0) throw new UsageError('name at least one file to seal')
  const certificate = await readCertificate(values.cert!)
  const signer = nodeSigner(certificate, await readKey(values.key!))
  const opening = JSON.parse(await readFile(values.opening!, 'utf8')) as Record<string, JsonValue>
  const files = await Promise.all(positionals.map(async (file) => ({ name: path.basename(file), size: (await stat(file)).size, content: fileSource(file) })))
  const sealed = await sealBid({
    provider: nodeCrypto,
    signer,
    tenderId: values.tender!,
    opening,
    files,
    recipients: [certificate, ...(values.escrow ? [await readCertificate(values.escrow)] : [])],
    chunkSize: values['chunk-size'] ? Number(values['chunk-size']) : undefined
  })
  const { createWriteStream } = await import('node:fs')
  const { pipeline } = await import('node:stream/promises')
  const { Readable } = await import('node:stream')
  await pipeline(Readable.from(sealed.bytes), createWriteStream(values.out!))
  const summary = sealed.summary()
  const outer = await signPackage({ provider: nodeCrypto, signer, packageSha256: summary.sha256 })
  await writeFile(`${values.out!}.p7s`, outer)
  await writeFile(`${values.out!}.secret.json`, JSON.stringify({
    tenderId: values.tender,
    contentKey: Buffer.from(sealed.secrets.contentKey).toString('base64'),
    nonce: toHex(sealed.secrets.nonce),
    commitment: sealed.secrets.commitment,
    packageSha256: summary.sha256
  }, null, 2), { mode: 0o600 })
  return { package: values.out, signature: `${values.out!}.p7s`, secrets: `${values.out!}.secret.json`, size: summary.size, sha256: summary.sha256, commitment: sealed.secrets.commitment }
}

async function inspect (args: string[]) {
  const { values } = parseArgs({ args, options: { package: { type: 'string' } } })
  required(values, 'package')
  const inspection = await inspectPackage({ provider: nodeCrypto, bytes: fileSource(values.package!) })
  const { keyEnvelope, ...header } = inspection.header
  return { header, envelopeBytes: Buffer.from(keyEnvelope, 'base64').length, chunks: inspection.chunks, size: inspection.size, sha256: inspection.sha256, recipients: inspection.recipients.map((recipient) => recipient.serialHex) }
}

async function reveal (args: string[]) {
  const { values } = parseArgs({ args, options: { package: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } } })
  required(values, 'package', 'cert', 'key')
  const { header } = await inspectPackage({ provider: nodeCrypto, bytes: fileSource(values.package!) })
  const contentKey = await decryptEnvelopedData({
    provider: nodeCrypto,
    der: new Uint8Array(Buffer.from(header.keyEnvelope, 'base64')),
    decrypter: nodeDecrypter(await readCertificate(values.cert!), await readKey(values.key!))
  })
  // the nonce is inside the package: opening it locally also proves the key works
  const opened = await openBid({ provider: nodeCrypto, bytes: fileSource(values.package!), contentKey })
  return { tenderId: header.tenderId, contentKey: Buffer.from(contentKey).toString('base64'), nonce: toHex(opened.nonce), commitment: header.commitment }
}

async function open (args: string[]) {
  const { values } = parseArgs({ args, options: { package: { type: 'string' }, 'content-key': { type: 'string' }, out: { type: 'string' } } })
  required(values, 'package', 'content-key')
  const opened = await openBid({
    provider: nodeCrypto,
    bytes: fileSource(values.package!),
    contentKey: new Uint8Array(Buffer.from(values['content-key']!, 'base64')),
    onFile: values.out ? directorySink(values.out) : undefined
  })
  return {
    tenderId: opened.header.tenderId,
    opening: opened.opening,
    files: opened.files,
    signer: new X509Certificate(opened.signerCertificate).subject.replace(/\n/g, ', '),
    package: opened.package
  }
}

async function verifyReceipt (args: string[]) {
  const { values } = parseArgs({ args, options: { receipt: { type: 'string' }, root: { type: 'string' }, package: { type: 'string' } } })
  required(values, 'receipt', 'root')
  const cms = new Uint8Array(await readFile(values.receipt!))
  const parsed = parseSignedData(cms)
  const [signed] = await verifySignedData({ provider: nodeCrypto, parsed })
  const root = new X509Certificate(await readCertificate(values.root!))
  // offline: the chain to the root the bidder trusts; revocation needs the CRL (online)
  createPathValidator(() => ({ anchors: [root], intermediates: [], isRevoked: () => false }))(signed!.certificateDer, parsed.certificates, signed!.signingTime ?? new Date())
  const receipt = JSON.parse(new TextDecoder().decode(signed!.content)) as { ciphertextSha256?: string }
  if (values.package) {
    const { sha256 } = await inspectPackage({ provider: nodeCrypto, bytes: fileSource(values.package) })
    if (sha256 !== receipt.ciphertextSha256) throw new UsageError(`the package SHA-256 ${sha256} is not the one in the receipt`)
  }
  return { valid: true, signer: new X509Certificate(signed!.certificateDer).subject.replace(/\n/g, ', '), receipt }
}

function platform () {
  const token = process.env.OPENHALL_TOKEN
  if (!token) throw new UsageError('set OPENHALL_TOKEN to your session token')
  return { base: (process.env.OPENHALL_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, ''), authorization: `Bearer ${token}` }
}

async function answer<T = { receipt?: { json: string, cms: string } }> (response: Response): Promise<T> {
  const body = await response.json() as T & { code?: string, detail?: string }
  if (!response.ok) throw Object.assign(new Error(body.detail ?? response.statusText), { code: body.code ?? `HTTP_${response.status}` })
  return body
}

async function submit (args: string[]) {
  const { values } = parseArgs({ args, options: { tender: { type: 'string' }, package: { type: 'string' }, 'idempotency-key': { type: 'string' } } })
  required(values, 'tender', 'package')
  const { base, authorization } = platform()
  // the package streams from disk: a 1 GB bid never sits in memory
  const { sha256 } = await inspectPackage({ provider: nodeCrypto, bytes: fileSource(values.package!) })
  const form = new FormData()
  form.append('signature', await openAsBlob(`${values.package!}.p7s`), 'bid.ohsb.p7s')
  form.append('package', await openAsBlob(values.package!), 'bid.ohsb')
  const response = await fetch(`${base}/api/tenders/${values.tender!}/bids`, {
    method: 'POST', body: form, headers: { authorization, 'idempotency-key': values['idempotency-key'] ?? `pkg-${sha256.slice(0, 40)}` }
  })
  const submission = await answer(response)
  await writeFile(`${values.package!}.receipt.p7s`, Buffer.from(submission.receipt!.cms, 'base64'))
  return { ...submission, receiptFile: `${values.package!}.receipt.p7s`, replay: response.status === 200 }
}

async function withdraw (args: string[]) {
  const { values } = parseArgs({ args, options: { tender: { type: 'string' }, 'idempotency-key': { type: 'string' } } })
  required(values, 'tender')
  const { base, authorization } = platform()
  const response = await fetch(`${base}/api/tenders/${values.tender!}/bids/withdrawal`, {
    method: 'POST', headers: { authorization, 'idempotency-key': values['idempotency-key'] ?? `withdraw-${crypto.randomUUID()}` }
  })
  return answer(response)
}

async function login (args: string[]) {
  const { values } = parseArgs({ args, options: { cert: { type: 'string' }, key: { type: 'string' } } })
  required(values, 'cert', 'key')
  const base = (process.env.OPENHALL_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '')
  const challenge = await answer<{ challengeId: string, challenge: string }>(await fetch(`${base}/api/pki/challenges`, { method: 'POST' }))
  const signature = await createSignedData({
    provider: nodeCrypto, signer: nodeSigner(await readCertificate(values.cert!), await readKey(values.key!)), content: new TextEncoder().encode(challenge.challenge), detached: false
  })
  const session = await answer<{ token: string, expiresAt: string }>(await fetch(`${base}/api/auth/certificate`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ challengeId: challenge.challengeId, signature: Buffer.from(signature).toString('base64') })
  }))
  return { token: session.token, expiresAt: session.expiresAt }
}

/** The opening: sign in to the room (a repeat is harmless), then reveal this bid's key and nonce. */
async function decrypt (args: string[]) {
  const { values } = parseArgs({ args, options: { tender: { type: 'string' }, secret: { type: 'string' } } })
  required(values, 'tender', 'secret')
  const secret = JSON.parse(await readFile(values.secret!, 'utf8')) as { contentKey?: string, nonce?: string }
  if (typeof secret.contentKey !== 'string' || typeof secret.nonce !== 'string') throw new UsageError(`${values.secret!} has no contentKey and nonce`)
  const { base, authorization } = platform()
  const room = `${base}/api/openings/${values.tender!}`
  const signedIn = await answer<{ you: { submissionId: string | null } }>(await fetch(`${room}/sign-in`, { method: 'POST', headers: { authorization } }))
  if (!signedIn.you.submissionId) throw new UsageError('this account has no bid in the opening (yet: bids are frozen at the deadline)')
  return answer<Record<string, unknown>>(await fetch(`${room}/reveals`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ submissionId: signedIn.you.submissionId, contentKey: secret.contentKey, nonce: secret.nonce })
  }))
}

const commands: Record<string, (args: string[]) => Promise<unknown>> = { csr, seal, inspect, reveal, open, 'verify-receipt': verifyReceipt, submit, withdraw, login, decrypt }

const [command, ...rest] = process.argv.slice(2)
const run = command ? commands[command] : undefined
if (!run) {
  process.stderr.write(`usage: npm run bidder -- <${Object.keys(commands).join('|')}> [options]  (see scripts/bidder.ts)\n`)
  process.exit(2)
}
run(rest).then((result) => {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}, (error: unknown) => {
  const coded = error as { code?: string, message?: string }
  process.stderr.write(`${coded.code ? `${coded.code}: ` : ''}${coded.message ?? String(error)}\n`)
  process.exit(error instanceof UsageError ? 2 : 1)
})
