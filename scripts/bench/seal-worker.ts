/**
 * Runs in its own process so its memory is its own: seals a file into a package and opens it
 * again (writing the file back out), and reports times and peak memory growth as JSON.
 */
import { execFileSync } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { nodeCrypto, nodeSigner } from '../../src/lib/pki/node-crypto.ts'
import { pemToDer } from '../../src/lib/pki/x509-parts.ts'
import { openBid, sealBid, signPackage } from '../../src/lib/sealed-bid/index.ts'
import { directorySink, fileSource } from '../../src/lib/sealed-bid/node.ts'

const [input, packageFile, openedDirectory, certificateFile, keyFile] = process.argv.slice(2) as [string, string, string, string, string]
const certificate = pemToDer(await readFile(certificateFile, 'utf8'))[0]!
const signer = nodeSigner(certificate, createPrivateKey(await readFile(keyFile)))
const rssBefore = process.memoryUsage().rss
let peak = rssBefore
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 10)

let started = performance.now()
const sealed = await sealBid({
  provider: nodeCrypto,
  signer,
  tenderId: 'bench',
  opening: { priceFen: '100' },
  recipients: [certificate],
  files: [{ name: 'bid.bin', size: (await stat(input)).size, content: fileSource(input) }]
})
await pipeline(Readable.from(sealed.bytes), createWriteStream(packageFile))
await signPackage({ provider: nodeCrypto, signer, packageSha256: sealed.summary().sha256 })
const sealMs = performance.now() - started
execFileSync('sync')

started = performance.now()
await openBid({ provider: nodeCrypto, bytes: fileSource(packageFile), contentKey: sealed.secrets.contentKey, onFile: directorySink(openedDirectory) })
const openMs = performance.now() - started
clearInterval(sampler)
peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024)
process.stdout.write(JSON.stringify({ sealMs, openMs, rssBefore, rssPeak: peak }))
