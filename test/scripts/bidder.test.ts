/** The bidder's command-line client, end to end against a real app: key, certificate, seal, check, reveal, open, receipt. */
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { createUser, organisation } from '../factories/accounts.ts'
import { publishedTender, registerFor, tradingDesk } from '../factories/trading.ts'
import { openingUnderWay } from '../factories/openings.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { workDirectory } from '../support/pki.ts'

/** Runs the client with the files of `dir` (relative names are resolved there). */
function resolveArgs (dir: string, args: string[]) {
  return args.map((arg, index) => index > 0 && !arg.startsWith('--') && !args[index - 1]!.match(/^--(tender|content-key|idempotency-key)$/) ? path.join(dir, arg) : arg)
}

/** The client talking to the platform: run asynchronously, since the platform answers from this process. */
async function bidderWith (env: Record<string, string>, dir: string, ...args: string[]) {
  return new Promise<{ status: number | null, json: any, stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/bidder.ts', ...resolveArgs(dir, args)], { encoding: 'utf8', env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ status, json: status === 0 ? JSON.parse(stdout) : null, stderr })
    })
  })
}

function bidder (dir: string, ...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bidder.ts', ...resolveArgs(dir, args)], { encoding: 'utf8' })
  return { status: run.status, json: run.status === 0 ? JSON.parse(run.stdout) : null, stderr: run.stderr }
}

t.test('csr → certificate → seal → precheck → reveal → open → receipt', async (t) => {
  const { app } = await buildTestApp(t)
  const dir = workDirectory(t)
  const user = await createUser(app, { username: 'jianye.cli', grants: [{ role: 'bidder', scopeType: 'hall' }] })

  t.equal(bidder(dir, 'csr', '--key', 'bidder.key', '--out', 'request.pem').status, 0)
  t.equal(statSync(path.join(dir, 'bidder.key')).mode & 0o077, 0, 'the private key file is private')
  const issued = await app.inject({ method: 'POST', url: '/api/pki/certificates', headers: user.headers, payload: { csr: readFileSync(path.join(dir, 'request.pem'), 'utf8'), profile: 'person' } })
  t.equal(issued.statusCode, 201)
  writeFileSync(path.join(dir, 'bidder.pem'), issued.json().certificatePem)

  const document = randomBytes(3 * 1024 * 1024 + 17)
  writeFileSync(path.join(dir, '投标函.pdf'), document)
  writeFileSync(path.join(dir, 'price.xlsx'), 'price sheet')
  writeFileSync(path.join(dir, 'opening.json'), JSON.stringify({ priceFen: '998800000', durationDays: 120, quality: '优良' }))
  const sealed = bidder(dir, 'seal', '--tender', 'T-2026-009', '--cert', 'bidder.pem', '--key', 'bidder.key', '--opening', 'opening.json', '--out', 'bid.ohsb', '投标函.pdf', 'price.xlsx')
  t.equal(sealed.status, 0, sealed.stderr)
  t.equal(statSync(path.join(dir, 'bid.ohsb.secret.json')).mode & 0o077, 0, 'the secrets file is private')
  const secrets = JSON.parse(readFileSync(path.join(dir, 'bid.ohsb.secret.json'), 'utf8'))

  const inspected = bidder(dir, 'inspect', '--package', 'bid.ohsb')
  t.match(inspected.json, { header: { tenderId: 'T-2026-009', commitment: secrets.commitment }, sha256: sealed.json.sha256 })
  t.equal(inspected.json.header.keyEnvelope, undefined, 'inspection prints the envelope size, not the envelope')

  const boundary = 'openhall-cli-boundary'
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="signature"; filename="bid.ohsb.p7s"\r\n\r\n`), readFileSync(path.join(dir, 'bid.ohsb.p7s')),
    Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="package"; filename="bid.ohsb"\r\n\r\n`), readFileSync(path.join(dir, 'bid.ohsb')),
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  const precheck = await app.inject({ method: 'POST', url: '/api/sealed-bids/precheck', headers: { ...user.headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body })
  t.equal(precheck.statusCode, 200)
  t.equal(precheck.json().sha256, sealed.json.sha256, 'the platform sees the same package the client sealed')

  const revealed = bidder(dir, 'reveal', '--package', 'bid.ohsb', '--cert', 'bidder.pem', '--key', 'bidder.key')
  t.same({ contentKey: revealed.json.contentKey, nonce: revealed.json.nonce }, { contentKey: secrets.contentKey, nonce: secrets.nonce }, 'the key and nonce come back from the package with the bidder\'s key')

  const opened = bidder(dir, 'open', '--package', 'bid.ohsb', '--content-key', secrets.contentKey, '--out', 'opened')
  t.same(opened.json.opening, { priceFen: '998800000', durationDays: 120, quality: '优良' })
  t.same(readFileSync(path.join(dir, 'opened', '投标函.pdf')), document)
  t.equal(bidder(dir, 'open', '--package', 'bid.ohsb', '--content-key', randomBytes(32).toString('base64')).stderr.trim(), 'CONTENT_KEY_WRONG: The content key does not open this package')

  const { cms } = await app.services.pki.signReceipt({
    type: 'openhall.bid_receipt', version: 1, tenderId: 'T-2026-009', bidderId: user.id, ciphertextSha256: sealed.json.sha256, size: sealed.json.size, receivedAt: new Date().toISOString(), sequence: 1
  })
  writeFileSync(path.join(dir, 'receipt.p7s'), cms)
  writeFileSync(path.join(dir, 'root.pem'), (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json().root)
  const receipt = bidder(dir, 'verify-receipt', '--receipt', 'receipt.p7s', '--root', 'root.pem', '--package', 'bid.ohsb')
  t.equal(receipt.status, 0, receipt.stderr)
  t.equal(receipt.json.receipt.ciphertextSha256, sealed.json.sha256)
  writeFileSync(path.join(dir, 'other.ohsb'), readFileSync(path.join(dir, 'bid.ohsb')).subarray(0, 100))
  t.equal(bidder(dir, 'verify-receipt', '--receipt', 'receipt.p7s', '--root', 'root.pem', '--package', 'other.ohsb').status, 1, 'a receipt for another package fails')
  t.equal(bidder(dir, 'seal').status, 2, 'usage errors exit 2')
})

t.test('the client submits a sealed bid, retries safely and withdraws, against a listening platform', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const dir = workDirectory(t)
  const desk = await tradingDesk(app)
  const tender = await publishedTender(app, desk)
  const user = await organisation(app, 'bidder')
  const env = { OPENHALL_URL: baseUrl(app), OPENHALL_TOKEN: user.token }

  t.equal(bidder(dir, 'csr', '--key', 'bidder.key', '--out', 'request.pem').status, 0)
  const issued = await app.inject({ method: 'POST', url: '/api/pki/certificates', headers: user.headers, payload: { csr: readFileSync(path.join(dir, 'request.pem'), 'utf8'), profile: 'organisation' } })
  writeFileSync(path.join(dir, 'bidder.pem'), issued.json().certificatePem)
  await registerFor(app, { user, key: null as never, certificate: new Uint8Array() }, tender.id)
  writeFileSync(path.join(dir, 'opening.json'), JSON.stringify({ priceFen: '1266600000', durationDays: 330 }))
  writeFileSync(path.join(dir, '投标文件.pdf'), randomBytes(2 * 1024 * 1024))
  const sealed = bidder(dir, 'seal', '--tender', tender.code, '--cert', 'bidder.pem', '--key', 'bidder.key', '--opening', 'opening.json', '--out', 'bid.ohsb', '投标文件.pdf')
  t.equal(sealed.status, 0, sealed.stderr)

  const submitted = await bidderWith(env, dir, 'submit', '--tender', tender.id, '--package', 'bid.ohsb')
  t.equal(submitted.status, 0, submitted.stderr)
  t.equal(submitted.json.sha256, sealed.json.sha256)
  t.equal(submitted.json.replay, false)
  writeFileSync(path.join(dir, 'root.pem'), (await app.inject({ method: 'GET', url: '/api/pki/ca' })).json().root)
  const verified = bidder(dir, 'verify-receipt', '--receipt', 'bid.ohsb.receipt.p7s', '--root', 'root.pem', '--package', 'bid.ohsb')
  t.equal(verified.status, 0, verified.stderr)
  t.match(verified.json.receipt, { type: 'openhall.bid_receipt', tenderId: tender.code, ciphertextSha256: sealed.json.sha256, sequence: 1 })

  const retried = await bidderWith(env, dir, 'submit', '--tender', tender.id, '--package', 'bid.ohsb')
  t.equal(retried.json.id, submitted.json.id, 'a retried submit of the same file is the same bid')
  t.equal(retried.json.replay, true)
  const withdrawn = await bidderWith(env, dir, 'withdraw', '--tender', tender.id)
  t.equal(withdrawn.json.kind, 'withdrawal')
  const refused = await bidderWith({ ...env, OPENHALL_TOKEN: 'not-a-token' }, dir, 'submit', '--tender', tender.id, '--package', 'bid.ohsb')
  t.equal(refused.status, 1)
  t.match(refused.stderr, /^SESSION_INVALID|^AUTH_REQUIRED/)
})

t.test('at the opening the client signs in with its certificate and decrypts its bid', async (t) => {
  const { app } = await buildTestApp(t, { listen: true })
  const dir = workDirectory(t)
  const { tender, bidders } = await openingUnderWay(app, t, ['1288800000', '1302500000', '1276000000'])
  const [mine] = bidders
  writeFileSync(path.join(dir, 'cert.pem'), derToPem(mine!.certificate, 'CERTIFICATE'))
  writeFileSync(path.join(dir, 'key.pem'), mine!.key.export({ type: 'pkcs8', format: 'pem' }))
  writeFileSync(path.join(dir, 'bid.ohsb.secret.json'), JSON.stringify({ contentKey: mine!.reveal.contentKey, nonce: mine!.reveal.nonce }))
  const env = { OPENHALL_URL: baseUrl(app) }

  const login = await bidderWith(env, dir, 'login', '--cert', 'cert.pem', '--key', 'key.pem')
  t.equal(login.status, 0, login.stderr)
  const withToken = { ...env, OPENHALL_TOKEN: login.json.token as string }
  const decrypted = await bidderWith(withToken, dir, 'decrypt', '--tender', tender.id, '--secret', 'bid.ohsb.secret.json')
  t.equal(decrypted.status, 0, decrypted.stderr)
  t.match(decrypted.json, { status: 'opened', openedBy: 'bidder', fields: { priceFen: '1288800000' } })
  const again = await bidderWith(withToken, dir, 'decrypt', '--tender', tender.id, '--secret', 'bid.ohsb.secret.json')
  t.equal(again.status, 1)
  t.match(again.stderr, /^BID_ALREADY_SETTLED/, 'a second reveal is refused with its code')
  const attended = (await app.inject({ method: 'GET', url: `/api/openings/${tender.id}`, headers: mine!.certHeaders })).json()
  t.same(attended.you, { capacity: 'bidder', signedIn: true, submissionId: mine!.submissionId })
})
