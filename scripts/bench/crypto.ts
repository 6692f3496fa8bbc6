/**
 * Crypto benchmarks (issue: PKI and sealed bids).
 *   cms-verify   full CMS SignedData verification (parse, digest attribute, RSA-2048 signature,
 *                certificate path from a warm cache) on one core, vs the bare native RSA verify
 *   seal-open    seal and open a large bid file vs `openssl enc -aes-256-ctr` on the same file;
 *                memory growth of the sealing process
 */
import { execFileSync, spawn } from 'node:child_process'
import { verify as nativeVerify, X509Certificate } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createSignedData, parseSignedData, verifySignedData } from '../../src/lib/cms/index.ts'
import { createPathValidator } from '../../src/lib/pki/chain.ts'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { certificateParts, derToPem } from '../../src/lib/pki/x509-parts.ts'
import { createAuthority, issueLeaf, rsaKey } from '../../test/support/pki.ts'

async function rate (seconds: number, work: () => Promise<unknown> | unknown): Promise<number> {
  const until = performance.now() + seconds * 1000
  let count = 0
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) await work()
    count += 50
  }
  return count / seconds
}

export async function measureCmsVerify (seconds: number) {
  const authority = createAuthority('Bench CA')
  const key = rsaKey()
  const certificate = issueLeaf(authority, { key, subject: [['CN', 'bench bidder']] })
  const der = await createSignedData({ provider: nodeCrypto, signer: nodeSigner(certificate, key), content: new TextEncoder().encode('openhall-sign-in:bench'), detached: false, extraCertificates: [authority.intermediate] })
  const trust = { anchors: [new X509Certificate(authority.root)], intermediates: [], isRevoked: () => false }
  const verifyPath = createPathValidator(() => trust)
  const full = async () => {
    const parsed = parseSignedData(der)
    const [signed] = await verifySignedData({ provider: nodeCrypto, parsed })
    verifyPath(signed!.certificateDer, parsed.certificates, new Date())
  }
  await full()
  const parsed = parseSignedData(der)
  const signer = parsed.signers[0]!
  const publicKey = new X509Certificate(certificate).publicKey
  const bare = () => nativeVerify('sha256', signer.signedAttrsDer!, publicKey, signer.signature)
  return { cms: await rate(seconds, full), native: await rate(seconds, bare), spki: certificateParts(certificate).keyAlgorithmOid }
}

function run (command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}`))))
  })
}

export async function measureSealOpen (megabytes: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-bid-'))
  try {
    const input = path.join(dir, 'bid.bin')
    // incompressible content, generated fast (not timed)
    execFileSync('sh', ['-c', `head -c ${megabytes * 1024 * 1024} /dev/zero | openssl enc -aes-256-ctr -pass pass:bench -pbkdf2 -nosalt -out ${input}`])
    const authority = createAuthority('Bench CA')
    const key = rsaKey()
    await writeFile(path.join(dir, 'bidder.pem'), derToPem(issueLeaf(authority, { key, subject: [['CN', 'bench']] })))
    await writeFile(path.join(dir, 'bidder.key'), key.export({ type: 'pkcs8', format: 'pem' }))
    // every timed phase starts with dirty pages written back, so none pays for another's writes
    execFileSync('sync')
    let started = performance.now()
    execFileSync('openssl', ['enc', '-aes-256-ctr', '-K', '00'.repeat(32), '-iv', '00'.repeat(16), '-in', input, '-out', path.join(dir, 'baseline.enc')])
    const opensslMs = performance.now() - started
    await rm(path.join(dir, 'baseline.enc'))
    execFileSync('sync')
    started = performance.now()
    const report = JSON.parse(await run(process.execPath, ['--import', 'tsx', 'scripts/bench/seal-worker.ts', input, path.join(dir, 'bid.ohsb'), path.join(dir, 'opened'), path.join(dir, 'bidder.pem'), path.join(dir, 'bidder.key')])) as
      { sealMs: number, openMs: number, rssBefore: number, rssPeak: number }
    const opened = execFileSync('cmp', [input, path.join(dir, 'opened', 'bid.bin')]).toString()
    if (opened !== '') throw new Error('the opened file differs from the sealed one')
    return { megabytes, opensslMs, ...report, growthMb: (report.rssPeak - report.rssBefore) / 1024 / 1024, totalMs: performance.now() - started }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
