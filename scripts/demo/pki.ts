/**
 * Demo certificates: bidders, an expert and the supervisor get a key of their own and a
 * platform certificate, written under DATA_DIR/demo/pki/ so a newcomer can try certificate
 * sign-in and the bidder client (`npm run bidder -- seal …`) straight away.
 * (In real use the key is made on the holder's machine; only the CSR reaches the platform.)
 */
import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createCsr } from '../../src/lib/pki/issuance.ts'
import { encodeName } from '../../src/lib/pki/names.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { actorFor } from './actor.ts'

const HOLDERS = ['jianye', 'hongda', 'tianyi', 'expert.li', 'supervisor']

export async function seedCertificates (app: FastifyInstance, dataDir: string): Promise<string> {
  const directory = path.join(dataDir, 'demo', 'pki')
  await mkdir(directory, { recursive: true })
  await writeFile(path.join(directory, 'openhall-root.pem'), derToPem(app.pki.rootCertificate))
  const accounts = (await app.services.accounts.listAccounts({ limit: 200, offset: 0 })).items
  for (const username of HOLDERS) {
    const account = accounts.find((candidate) => candidate.username === username)
    const keyFile = path.join(directory, `${username}.key`)
    if (!account || existsSync(keyFile)) continue
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const certificate = await app.services.pki.requestCertificate(actorFor(account), {
      csr: derToPem(createCsr(privateKey, encodeName([['CN', username]])), 'CERTIFICATE REQUEST'),
      profile: account.kind
    })
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
    await writeFile(path.join(directory, `${username}.pem`), certificate.certificatePem)
  }
  return directory
}
