/**
 * PKI fixtures: "commercial" CAs made with the platform's own issuance code (so dates and key
 * types can be anything, including expired), keys and certificates written as PEM files, and
 * CMS signatures made by the openssl CLI, as a bidder's tools would.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createCrl, issueCertificate, randomSerial, spkiOf, type Issuer, type KeyUsage } from '../../src/lib/pki/issuance.ts'
import { encodeName, type NameAttribute } from '../../src/lib/pki/names.ts'
import { certificateParts, derToPem } from '../../src/lib/pki/x509-parts.ts'

const DAY = 86_400_000

export function workDirectory (t: { teardown (fn: () => void): void }): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'openhall-pki-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}

export function rsaKey (): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
}

export function ecKey (): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
}

export interface TestAuthority {
  root: Uint8Array
  intermediate: Uint8Array
  /** issues from the intermediate */
  issuer: Issuer
  crl (revokedSerials: Uint8Array[]): Uint8Array
}

/** A two-level CA like a commercial one: root → intermediate → leaves. */
export function createAuthority (name: string): TestAuthority {
  const now = Date.now()
  const rootKey = rsaKey()
  const rootSubject = encodeName([['C', 'CN'], ['O', name], ['CN', `${name} Root`]])
  const root = issueCertificate({
    serial: randomSerial(),
    subjectDer: rootSubject,
    spkiDer: spkiOf(rootKey),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    ca: {},
    keyUsage: ['keyCertSign', 'cRLSign']
  }, 'self', rootKey)
  const intermediateKey = rsaKey()
  const intermediateSubject = encodeName([['C', 'CN'], ['O', name], ['CN', `${name} Issuing`]])
  const intermediate = issueCertificate({
    serial: randomSerial(),
    subjectDer: intermediateSubject,
    spkiDer: spkiOf(intermediateKey),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3000 * DAY),
    ca: { pathLength: 0 },
    keyUsage: ['keyCertSign', 'cRLSign']
  }, { certificateDer: root, subjectDer: rootSubject, spkiDer: spkiOf(rootKey), privateKey: rootKey })
  const issuer: Issuer = { certificateDer: intermediate, subjectDer: intermediateSubject, spkiDer: spkiOf(intermediateKey), privateKey: intermediateKey }
  return {
    root,
    intermediate,
    issuer,
    crl: (revokedSerials) => createCrl(issuer, {
      number: BigInt(now),
      thisUpdate: new Date(now - 60_000),
      nextUpdate: new Date(now + DAY),
      revoked: revokedSerials.map((serial) => ({ serial, revokedAt: new Date(now - 60_000), reason: 1 }))
    })
  }
}

export function issueLeaf (authority: TestAuthority, options: {
  key: KeyObject
  subject: Array<[NameAttribute, string]>
  notBefore?: Date
  notAfter?: Date
  keyUsage?: KeyUsage[]
}): Uint8Array {
  return issueCertificate({
    serial: randomSerial(),
    subjectDer: encodeName(options.subject),
    spkiDer: spkiOf(options.key),
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    keyUsage: options.keyUsage ?? ['digitalSignature', 'nonRepudiation', 'keyEncipherment'],
    extendedKeyUsage: ['clientAuth', 'emailProtection']
  }, authority.issuer)
}

export const serialOf = (der: Uint8Array) => certificateParts(der).serialBytes

/** Writes a certificate (DER) or key as PEM; returns the path. */
export function writePem (directory: string, name: string, value: Uint8Array | KeyObject): string {
  const file = path.join(directory, name)
  writeFileSync(file, value instanceof Uint8Array ? derToPem(value) : value.export({ type: 'pkcs8', format: 'pem' }).toString())
  return file
}

/** `openssl cms -sign`, as a bidder's or a commercial CA's tools would produce it. */
export function opensslSign (directory: string, options: { content: Uint8Array, certificate: string, key: string, detached?: boolean, extra?: string[], chain?: string }): Uint8Array {
  const input = path.join(directory, `content-${Math.random().toString(36).slice(2)}.bin`)
  writeFileSync(input, options.content)
  return execFileSync('openssl', [
    'cms', '-sign', '-binary', '-outform', 'DER', '-in', input, '-signer', options.certificate, '-inkey', options.key,
    ...(options.chain ? ['-certfile', options.chain] : []),
    ...(options.detached ? [] : ['-nodetach']),
    ...(options.extra ?? [])
  ])
}
