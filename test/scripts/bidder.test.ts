/** The bidder's command-line client, end to end against a real app: key, certificate, seal, check, reveal, open, receipt. */
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { baseUrl, buildTestApp } from '../helper.ts'
import { createUser, organisation } from '../factories/accounts.ts'
import { publishedTender, registerFor, tradingDesk } from '../factories/trading.ts'
import { openingUnderWay } from '../factories/openings.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { createAuthority, issueLeaf, rsaKey, workDirectory, writePem } from '../support/pki.ts'

/** Runs the client with the files of `dir` (relative names are resolved there). */
function resolveArgs (dir: string, args: string[]) {
  return args.map((arg, index) => index > 0 && !arg.startsWith('--') && !args[index - 1]!.match(/^--(tender|content-key|idempotency-key|chunk-size|submission)$/) ? path.join(dir, arg) : arg)
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

t.test('open --out is all or nothing: a package that fails at a later chunk leaves no partial file in DIR', async (t) => {
  const dir = workDirectory(t)
  const key = rsaKey()
  writePem(dir, 'bidder.key', key)
  writePem(dir, 'bidder.pem', issueLeaf(createAuthority('Test CA'), { key, subject: [['CN', '建业建设工程有限公司']] }))
  writeFileSync(path.join(dir, 'opening.json'), JSON.stringify({ priceFen: '998800000' }))
  const first = randomBytes(3000)
  writeFileSync(path.join(dir, '投标函.pdf'), first)
  writeFileSync(path.join(dir, 'price.xlsx'), randomBytes(6000))
  const sealed = bidder(dir, 'seal', '--tender', 'T-2026-017', '--cert', 'bidder.pem', '--key', 'bidder.key', '--opening', 'opening.json', '--chunk-size', '1024', '--out', 'bid.ohsb', '投标函.pdf', 'price.xlsx')
  t.equal(sealed.status, 0, sealed.stderr)
  const { contentKey } = JSON.parse(readFileSync(path.join(dir, 'bid.ohsb.secret.json'), 'utf8'))

  // one byte of chunk 5's ciphertext flipped: 投标函.pdf is whole in chunks 0-2, price.xlsx is under way
  const bytes = readFileSync(path.join(dir, 'bid.ohsb'))
  const chunksStart = 9 + bytes.readUInt32BE(5)
  const flipped = chunksStart + 5 * (1024 + 21) + 5 + 100
  bytes[flipped] = bytes[flipped]! ^ 0x01
  writeFileSync(path.join(dir, 'tampered.ohsb'), bytes)

  mkdirSync(path.join(dir, 'out'))
  writeFileSync(path.join(dir, 'out', 'notes.txt'), 'mine')
  const failed = bidder(dir, 'open', '--package', 'tampered.ohsb', '--content-key', contentKey, '--out', 'out')
  t.equal(failed.status, 1)
  t.match(failed.stderr.trim(), /^PACKAGE_TAMPERED: The sealed package has been altered: chunk 5 does not authenticate \(nothing was written to .*out\)$/, 'the failure says why and that nothing was written')
  t.same(readdirSync(path.join(dir, 'out')), ['notes.txt'], 'DIR holds neither the file completed before the failure nor the partial one nor a temporary file')
  t.equal(readFileSync(path.join(dir, 'out', 'notes.txt'), 'utf8'), 'mine', 'what was there stays')
  const fresh = bidder(dir, 'open', '--package', 'tampered.ohsb', '--content-key', contentKey, '--out', 'fresh')
  t.equal(fresh.status, 1)
  t.notOk(existsSync(path.join(dir, 'fresh')), 'a DIR the command made is removed with what it held')

  const opened = bidder(dir, 'open', '--package', 'bid.ohsb', '--content-key', contentKey, '--out', 'out')
  t.equal(opened.status, 0, opened.stderr)
  t.same(readdirSync(path.join(dir, 'out')).sort(), ['notes.txt', 'price.xlsx', '投标函.pdf'].sort(), 'a sound package is moved into place, no temporary left')
  t.same(readFileSync(path.join(dir, 'out', '投标函.pdf')), first)
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

  const { title } = (await app.inject({ method: 'GET', url: `/api/tenders/${tender.id}` })).json()
  const listed = await bidderWith(env, dir, 'submissions')
  t.equal(listed.status, 0, listed.stderr)
  t.same(listed.json.submissions, [{
    tender: tender.code, title, tenderId: tender.id, submissionId: submitted.json.id, version: 1, kind: 'bid', receivedAt: submitted.json.receivedAt, size: sealed.json.size, sha256: sealed.json.sha256, status: 'counting'
  }], 'submissions lists the bid: tender, time, size, hash, status')
  const fetched = await bidderWith(env, dir, 'receipt', '--submission', submitted.json.id, '--root', 'root.pem', '--package', 'bid.ohsb', '--out', 'again.p7s')
  t.equal(fetched.status, 0, fetched.stderr)
  t.match(fetched.json, { submissionId: submitted.json.id, chainChecked: true, receipt: { ciphertextSha256: sealed.json.sha256, sequence: 1 } })
  t.same(readFileSync(path.join(dir, 'again.p7s')), readFileSync(path.join(dir, 'bid.ohsb.receipt.p7s')), 'the receipt fetched again is the one submit saved')
  t.equal(bidder(dir, 'verify-receipt', '--receipt', 'again.p7s', '--root', 'root.pem', '--package', 'bid.ohsb').status, 0, 'and it verifies offline')
  const byTender = await bidderWith(env, dir, 'receipt', '--tender', tender.id, '--out', 'by-tender.p7s')
  t.equal(byTender.json?.submissionId, submitted.json.id, byTender.stderr)
  t.equal(byTender.json.chainChecked, false, 'without --root the signature is checked, the chain is not')
  writeFileSync(path.join(dir, 'other.ohsb'), readFileSync(path.join(dir, 'bid.ohsb')).subarray(0, 200))
  const mismatch = await bidderWith(env, dir, 'receipt', '--submission', submitted.json.id, '--package', 'other.ohsb', '--out', 'mismatch.p7s')
  t.not(mismatch.status, 0, 'a receipt that does not name the package is refused')
  t.notOk(existsSync(path.join(dir, 'mismatch.p7s')), 'and not saved')
  t.equal((await bidderWith(env, dir, 'receipt', '--out', 'x.p7s')).status, 2, 'receipt needs --submission or --tender')

  const stranger = await organisation(app, 'bidder')
  const strangerEnv = { ...env, OPENHALL_TOKEN: stranger.token }
  const foreign = await bidderWith(strangerEnv, dir, 'receipt', '--submission', submitted.json.id, '--out', 'foreign.p7s')
  t.equal(foreign.status, 1)
  t.match(foreign.stderr, /^SUBMISSION_NOT_FOUND/, 'another bidder\'s submission is not found')
  t.notOk(existsSync(path.join(dir, 'foreign.p7s')))
  t.same((await bidderWith(strangerEnv, dir, 'submissions')).json.submissions, [], 'nor listed to anyone else')

  const withdrawn = await bidderWith(env, dir, 'withdraw', '--tender', tender.id)
  t.equal(withdrawn.json.kind, 'withdrawal')
  const afterWithdrawal = await bidderWith(env, dir, 'submissions', '--tender', tender.id)
  t.same(afterWithdrawal.json.submissions.map((row: { kind: string, status: string }) => [row.kind, row.status]), [['withdrawal', 'withdrawn'], ['bid', 'superseded']], 'newest first, with what each one is now')
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
