/**
 * The bidder's client (`npm run bidder -- <command>`): everything secret happens here, on the
 * bidder's machine. The platform never sees the private key, the content key or the nonce before
 * the opening. Format: README.md, "Sealed-bid format v1". The commands: USAGE below, which
 * `npm run bidder -- --help` prints.
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
import { fileSource, openBidToDirectory } from '../src/lib/sealed-bid/node.ts'

const USAGE = `usage: npm run bidder -- <command> [options]

  csr             --key key.pem [--new] --out request.pem             make (or reuse) an RSA key and a CSR for the platform CA
  seal            --tender ID --cert cert.pem --key key.pem --opening opening.json --out bid.ohsb
                  [--escrow escrow.pem] [--chunk-size BYTES] FILE...   seal files; writes bid.ohsb, bid.ohsb.p7s, bid.ohsb.secret.json
  inspect         --package bid.ohsb                                  what anyone can see: header, size, SHA-256, recipients
  reveal          --package bid.ohsb --cert cert.pem --key key.pem    unwrap the content key with your key, for the opening
  open            --package bid.ohsb --content-key BASE64 [--out DIR] decrypt and verify locally (self-check); files appear
                                                                      in DIR only once the whole package verified, else none
  verify-receipt  --receipt receipt.p7s --root root.pem [--package bid.ohsb]
  submit          --tender UUID --package bid.ohsb [--idempotency-key KEY]   upload bid.ohsb with bid.ohsb.p7s; writes bid.ohsb.receipt.p7s
  withdraw        --tender UUID [--idempotency-key KEY]                      withdraw before the deadline; prints the signed receipt
  submissions     [--tender UUID] [--limit N] [--offset N]            your submissions in every tender (or one), newest first:
                                                                      tender, time, size, SHA-256, status (counting, superseded, withdrawn)
  receipt         --submission UUID | --tender UUID [--out FILE]      fetch a submission's signed receipt again (--tender: the version
                  [--root root.pem] [--package bid.ohsb]              that counts), check it like verify-receipt, then save it to FILE
                                                                      (default bid.ohsb.receipt.p7s with --package, else receipt-UUID.p7s)
  login           --cert cert.pem --key key.pem                       certificate sign-in: prints a session token for OPENHALL_TOKEN
  decrypt         --tender UUID --secret bid.ohsb.secret.json         at the opening, in the decryption window: sign in to the room and
                                                                      reveal the content key and nonce (from seal, or from reveal)

submit, withdraw, submissions, receipt and decrypt talk to the platform: OPENHALL_URL (default
http://127.0.0.1:3000) and OPENHALL_TOKEN (a session token: POST /api/auth/login, or login). A
retried submit of the same file reuses its idempotency key (derived from the package), so it
never bids twice. Every command prints JSON; usage errors exit 2, other failures 1.
`

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
  const input = { provider: nodeCrypto, bytes: fileSource(values.package!), contentKey: new Uint8Array(Buffer.from(values['content-key']!, 'base64')) }
  let opened: Awaited<ReturnType<typeof openBid>>
  try {
    // with --out, files appear in DIR only once the whole package has verified
    opened = values.out ? await openBidToDirectory({ ...input, directory: values.out }) : await openBid(input)
  } catch (error) {
    if (values.out && error instanceof Error) error.message += ` (nothing was written to ${values.out})`
    throw error
  }
  return {
    tenderId: opened.header.tenderId,
    opening: opened.opening,
    files: opened.files,
    signer: new X509Certificate(opened.signerCertificate).subject.replace(/\n/g, ', '),
    package: opened.package
  }
}

/**
 * A receipt's platform signature is valid, over the receipt it carries; with `root`, the signer
 * chains to the root the bidder trusts (offline: revocation needs the CRL, online); with
 * `packageFile`, the receipt names that package's SHA-256.
 */
async function checkReceipt (cms: Uint8Array, options: { root?: string, packageFile?: string }) {
  const parsed = parseSignedData(cms)
  const [signed] = await verifySignedData({ provider: nodeCrypto, parsed })
  if (options.root) {
    const root = new X509Certificate(await readCertificate(options.root))
    createPathValidator(() => ({ anchors: [root], intermediates: [], isRevoked: () => false }))(signed!.certificateDer, parsed.certificates, signed!.signingTime ?? new Date())
  }
  const content = new TextDecoder().decode(signed!.content)
  const receipt = JSON.parse(content) as { submissionId?: string, ciphertextSha256?: string }
  if (options.packageFile) {
    const { sha256 } = await inspectPackage({ provider: nodeCrypto, bytes: fileSource(options.packageFile) })
    if (sha256 !== receipt.ciphertextSha256) throw new UsageError(`the package SHA-256 ${sha256} is not the one in the receipt`)
  }
  return { signer: new X509Certificate(signed!.certificateDer).subject.replace(/\n/g, ', '), content, receipt }
}

async function verifyReceipt (args: string[]) {
  const { values } = parseArgs({ args, options: { receipt: { type: 'string' }, root: { type: 'string' }, package: { type: 'string' } } })
  required(values, 'receipt', 'root')
  const { signer, receipt } = await checkReceipt(new Uint8Array(await readFile(values.receipt!)), { root: values.root!, packageFile: values.package })
  return { valid: true, signer, receipt }
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

interface Submission { id: string, tenderId: string, version: number, kind: 'bid' | 'withdrawal', size: number | null, sha256: string | null, receivedAt: string, counts: boolean, receipt: { json: string, cms: string } }

/** The caller's own submissions in every tender (or one), newest first: what the platform holds. */
async function submissions (args: string[]) {
  const { values } = parseArgs({ args, options: { tender: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' } } })
  const { base, authorization } = platform()
  const query = new URLSearchParams()
  if (values.tender) query.set('tenderId', values.tender)
  if (values.limit) query.set('limit', values.limit)
  if (values.offset) query.set('offset', values.offset)
  const rows = await answer<Array<{ id: string, tenderId: string, tenderCode: string, tenderTitle: string, version: number, kind: string, size: number | null, sha256: string | null, receivedAt: string, status: string }>>(
    await fetch(`${base}/api/bid-submissions${query.size > 0 ? `?${query}` : ''}`, { headers: { authorization } }))
  return {
    submissions: rows.map((row) => ({
      tender: row.tenderCode, title: row.tenderTitle, tenderId: row.tenderId, submissionId: row.id, version: row.version, kind: row.kind, receivedAt: row.receivedAt, size: row.size, sha256: row.sha256, status: row.status
    }))
  }
}

/**
 * Fetches a submission's signed receipt again, checks it as verify-receipt does (and that it is
 * the receipt of that submission) and only then saves it.
 */
async function receipt (args: string[]) {
  const { values } = parseArgs({ args, options: { submission: { type: 'string' }, tender: { type: 'string' }, out: { type: 'string' }, root: { type: 'string' }, package: { type: 'string' } } })
  if (!values.submission === !values.tender) throw new UsageError('name one of --submission or --tender')
  const { base, authorization } = platform()
  let submission: Submission | undefined
  if (values.submission) {
    submission = await answer<Submission>(await fetch(`${base}/api/bid-submissions/${encodeURIComponent(values.submission)}`, { headers: { authorization } }))
  } else {
    const versions = await answer<Submission[]>(await fetch(`${base}/api/tenders/${encodeURIComponent(values.tender!)}/bids/mine`, { headers: { authorization } }))
    submission = versions.find((version) => version.counts)
    if (!submission) throw Object.assign(new Error('this account has no submission in that tender'), { code: 'SUBMISSION_NOT_FOUND' })
  }
  const cms = new Uint8Array(Buffer.from(submission.receipt.cms, 'base64'))
  const checked = await checkReceipt(cms, { root: values.root, packageFile: values.package })
  // the signed content is the receipt the platform lists for this very submission
  if (checked.content !== submission.receipt.json || checked.receipt.submissionId !== submission.id ||
    (submission.kind === 'bid' && checked.receipt.ciphertextSha256 !== submission.sha256)) {
    throw Object.assign(new Error(`the signed receipt is not the one of submission ${submission.id}`), { code: 'RECEIPT_MISMATCH' })
  }
  const out = values.out ?? (values.package ? `${values.package}.receipt.p7s` : `receipt-${submission.id}.p7s`)
  await writeFile(out, cms)
  return { submissionId: submission.id, tenderId: submission.tenderId, kind: submission.kind, receivedAt: submission.receivedAt, sha256: submission.sha256, signer: checked.signer, chainChecked: Boolean(values.root), receipt: checked.receipt, receiptFile: out }
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

const commands: Record<string, (args: string[]) => Promise<unknown>> = { csr, seal, inspect, reveal, open, 'verify-receipt': verifyReceipt, submit, withdraw, submissions, receipt, login, decrypt }

const [command, ...rest] = process.argv.slice(2)
if (command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(USAGE)
  process.exit(0)
}
const run = command ? commands[command] : undefined
if (!run) {
  process.stderr.write(USAGE)
  process.exit(2)
}
run(rest).then((result) => {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}, (error: unknown) => {
  const coded = error as { code?: string, message?: string }
  process.stderr.write(`${coded.code ? `${coded.code}: ` : ''}${coded.message ?? String(error)}\n`)
  process.exit(error instanceof UsageError ? 2 : 1)
})
