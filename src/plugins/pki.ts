/**
 * `app.pki`: the platform's certificate authority and the trust the platform places in
 * signatures.
 *
 * - First start creates a root CA, an issuing CA (path length 0) and the platform's document
 *   signer (receipts, records), EC P-256 keys sealed under the master key (platform_keys).
 *   The root key is used once, to certify the issuing CA.
 * - Trust anchors: the platform root, external roots added by the administrator or listed in
 *   PKI_TRUSTED_ROOTS (a PEM bundle); intermediates: the issuing CA and imported ones.
 * - Revocation: certificates the platform revoked (its CRL at /api/pki/crl) and CRLs imported
 *   for external CAs. Every instance reloads trust on NOTIFY when any of it changes.
 * - Signatures are CMS SignedData (src/lib/cms); the math is native, the path checks are
 *   src/lib/pki/chain.ts.
 */
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { and, eq, isNotNull, desc, sql } from 'drizzle-orm'
import fp from 'fastify-plugin'
import { certificates, revocationLists, trustedAuthorities } from '../../schema/index.ts'
import { createSignedData, parseSignedData, verifySignedData } from '../lib/cms/index.ts'
import { createPathValidator, type TrustStore, type VerifiedPath } from '../lib/pki/chain.ts'
import type { Signer } from '../lib/pki/crypto-provider.ts'
import { createCrl, issueCertificate, randomSerial, spkiOf, type CertificateTemplate, type Issuer } from '../lib/pki/issuance.ts'
import { encodeName } from '../lib/pki/names.ts'
import { nodeCrypto, nodeSigner } from '../lib/pki/node-crypto.ts'
import { certificateParts, pemToDer } from '../lib/pki/x509-parts.ts'
import type { MasterKey } from '../lib/master-key.ts'
import type { Database, Queryable } from './db.ts'
import { ensurePlatformKey } from './platform-keys.ts'

export interface VerifiedSigner {
  certificateDer: Uint8Array
  fingerprint: string
  subject: string
  serialHex: string
  issuerFingerprint: string
  notAfter: Date
}

export interface VerifiedSignatureResult {
  signer: VerifiedSigner
  signingTime: Date | null
  /** the signed content, for attached signatures */
  content: Uint8Array | null
}

export interface Pki {
  readonly rootCertificate: Uint8Array
  readonly issuingCertificate: Uint8Array
  readonly signerCertificate: Uint8Array
  /** the platform's document signer (receipts, records) */
  readonly signer: Signer
  /** Certifies a key with the issuing CA; the caller records the certificate. */
  issue (template: Omit<CertificateTemplate, 'serial' | 'crlUrl'>): Uint8Array
  /** Path to a trust anchor, validity at `at`, revocation; throws CERTIFICATE_* errors. */
  verifyPath (certificateDer: Uint8Array, supplied?: Uint8Array[], at?: Date): VerifiedPath
  /** A CMS signature (attached, or detached over `content` / its SHA-256) by a trusted, valid, unrevoked certificate. */
  verifySignature (input: { cms: Uint8Array, content?: Uint8Array, contentDigest?: Uint8Array, at?: Date }): Promise<VerifiedSignatureResult>
  /** Signs as the platform (CMS, with the issuing CA certificate included). */
  sign (input: { content?: Uint8Array, contentDigest?: Uint8Array, detached: boolean }): Promise<Uint8Array>
  /** The platform CRL (DER), re-signed when revocations change or it nears its next update. */
  crl (): Promise<Uint8Array>
  /** Call inside the transaction that changed trust or revocation: every instance reloads at commit. */
  announceChange (tx: Queryable): Promise<void>
  /** Reloads trust here and now (after that transaction committed), so this instance never lags. */
  refresh (): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    pki: Pki
  }
}

export interface PkiPluginOptions {
  masterKey: MasterKey
  hallName: string
  publicUrl: string
  trustedRootsFile: string | undefined
}

const NOTIFY_CHANNEL = 'openhall_pki'
const DAY = 86_400_000
const CRL_HOURS = 24

/** A certificate's SHA-256 fingerprint (lowercase hex of its DER), without parsing it. */
export function fingerprintOf (der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex')
}

async function createAuthorities (db: Database, masterKey: MasterKey, hallName: string) {
  const now = new Date()
  const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const rootSubject = encodeName([['C', 'CN'], ['O', hallName], ['CN', `${hallName} Root CA`]])
  const root = await ensurePlatformKey(db, masterKey, 'ca-root', () => ({
    privateKey: ecKey(),
    algorithm: 'ecdsa-p256',
    certificate: (privateKey) => issueCertificate({
      serial: randomSerial(),
      subjectDer: rootSubject,
      spkiDer: spkiOf(privateKey),
      notBefore: now,
      notAfter: new Date(now.getTime() + 20 * 365 * DAY),
      ca: {},
      keyUsage: ['keyCertSign', 'cRLSign']
    }, 'self', privateKey)
  }))
  const rootIssuer: Issuer = {
    certificateDer: root.certificate!, subjectDer: certificateParts(root.certificate!).subjectDer, spkiDer: spkiOf(root.privateKey), privateKey: root.privateKey
  }
  const issuingSubject = encodeName([['C', 'CN'], ['O', hallName], ['CN', `${hallName} Issuing CA`]])
  const issuing = await ensurePlatformKey(db, masterKey, 'ca-issuing', () => ({
    privateKey: ecKey(),
    algorithm: 'ecdsa-p256',
    certificate: (privateKey) => issueCertificate({
      serial: randomSerial(),
      subjectDer: issuingSubject,
      spkiDer: spkiOf(privateKey),
      notBefore: now,
      notAfter: new Date(now.getTime() + 10 * 365 * DAY),
      ca: { pathLength: 0 },
      keyUsage: ['keyCertSign', 'cRLSign']
    }, rootIssuer)
  }))
  const issuingIssuer: Issuer = {
    certificateDer: issuing.certificate!, subjectDer: certificateParts(issuing.certificate!).subjectDer, spkiDer: spkiOf(issuing.privateKey), privateKey: issuing.privateKey
  }
  const signerSubject = encodeName([['C', 'CN'], ['O', hallName], ['CN', `${hallName} 平台签名 Platform Signer`]])
  const signer = await ensurePlatformKey(db, masterKey, 'platform-signer', () => ({
    privateKey: ecKey(),
    algorithm: 'ecdsa-p256',
    certificate: (privateKey) => issueCertificate({
      serial: randomSerial(),
      subjectDer: signerSubject,
      spkiDer: spkiOf(privateKey),
      notBefore: now,
      notAfter: new Date(now.getTime() + 5 * 365 * DAY),
      keyUsage: ['digitalSignature', 'nonRepudiation']
    }, issuingIssuer)
  }))
  return { root, issuingIssuer, signer }
}

export default fp<PkiPluginOptions>(async function pkiPlugin (app, options) {
  const db = app.db
  // instances starting together create the authorities once
  const authorities = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7260004)`)
    return createAuthorities(db, options.masterKey, options.hallName)
  })
  const rootCertificate = authorities.root.certificate!
  const issuingCertificate = authorities.issuingIssuer.certificateDer
  const issuingFingerprint = fingerprintOf(issuingCertificate)
  const signerCertificate = authorities.signer.certificate!
  const signer = nodeSigner(signerCertificate, authorities.signer.privateKey)
  const configuredRoots = options.trustedRootsFile
    ? pemToDer(await readFile(options.trustedRootsFile, 'utf8')).map((der) => new X509Certificate(der))
    : []

  let trust: TrustStore
  let crlCache: { der: Uint8Array, until: number } | null = null
  let loads = 0
  let latestLoad: Promise<void> = Promise.resolve()

  /** Reloads trust; when reloads overlap, only the one started last may install its result. */
  function loadTrust (): Promise<void> {
    latestLoad = readTrust(++loads)
    return latestLoad
  }

  /** Reloads and returns once the newest reload (ours, or one a NOTIFY started meanwhile) is in place. */
  async function refresh (): Promise<void> {
    await loadTrust()
    for (let current = latestLoad; ; current = latestLoad) {
      await current
      if (current === latestLoad) return
    }
  }

  async function readTrust (load: number): Promise<void> {
    const external = await db.select().from(trustedAuthorities).where(eq(trustedAuthorities.active, true))
    const revokedHere = await db.select({ serialHex: certificates.serialHex }).from(certificates)
      .where(and(eq(certificates.issuerFingerprint, issuingFingerprint), isNotNull(certificates.revokedAt)))
    const lists = await db.selectDistinctOn([revocationLists.issuerFingerprint], { issuer: revocationLists.issuerFingerprint, serials: revocationLists.revokedSerials })
      .from(revocationLists).orderBy(revocationLists.issuerFingerprint, desc(revocationLists.thisUpdate))
    const revoked = new Map<string, Set<string>>(lists.map((list) => [list.issuer, new Set(list.serials as string[])]))
    revoked.set(issuingFingerprint, new Set(revokedHere.map((row) => row.serialHex)))
    if (load !== loads) return
    trust = {
      anchors: [new X509Certificate(rootCertificate), ...configuredRoots, ...external.filter((a) => a.role === 'root').map((a) => new X509Certificate(a.certificate))],
      intermediates: [new X509Certificate(issuingCertificate), ...external.filter((a) => a.role === 'intermediate').map((a) => new X509Certificate(a.certificate))],
      isRevoked: (issuer, serial) => revoked.get(issuer.fingerprint256.replace(/:/g, '').toLowerCase())?.has(serial) ?? false
    }
    crlCache = null
  }
  await loadTrust()
  const verifyPath = createPathValidator(() => trust)
  const listener = await db.$client.listen(NOTIFY_CHANNEL, () => {
    loadTrust().catch((error: unknown) => app.log.error({ err: error }, 'reloading trust failed'))
  }, () => { loadTrust().catch(() => {}) })

  const pki: Pki = {
    rootCertificate,
    issuingCertificate,
    signerCertificate,
    signer,
    issue (template) {
      return issueCertificate({ ...template, serial: randomSerial(), crlUrl: `${options.publicUrl}/api/pki/crl` }, authorities.issuingIssuer)
    },
    verifyPath (certificateDer, supplied = [], at = app.clock.now()) {
      return verifyPath(certificateDer, supplied, at)
    },
    async verifySignature (input) {
      const parsed = parseSignedData(input.cms)
      const [signed] = await verifySignedData({ provider: nodeCrypto, parsed, content: input.content, contentDigest: input.contentDigest })
      const { chain } = verifyPath(signed!.certificateDer, parsed.certificates, input.at ?? app.clock.now())
      const parts = certificateParts(signed!.certificateDer)
      return {
        signer: {
          certificateDer: signed!.certificateDer,
          fingerprint: fingerprintOf(signed!.certificateDer),
          subject: chain[0]!.subject.replace(/\n/g, ', '),
          serialHex: parts.serialHex,
          issuerFingerprint: chain[1] ? fingerprintOf(chain[1].raw) : fingerprintOf(signed!.certificateDer),
          notAfter: parts.notAfter
        },
        signingTime: signed!.signingTime ?? null,
        content: signed!.content ?? null
      }
    },
    async sign (input) {
      return createSignedData({
        provider: nodeCrypto,
        signer,
        content: input.content,
        contentDigest: input.contentDigest,
        detached: input.detached,
        signingTime: app.clock.now(),
        extraCertificates: [issuingCertificate]
      })
    },
    async crl () {
      const now = app.clock.now()
      if (crlCache && crlCache.until > now.getTime()) return crlCache.der
      const revoked = await db.select({ certificate: certificates.certificate, revokedAt: certificates.revokedAt, reason: certificates.revocationReason })
        .from(certificates).where(and(eq(certificates.issuerFingerprint, issuingFingerprint), isNotNull(certificates.revokedAt)))
      const der = createCrl(authorities.issuingIssuer, {
        number: BigInt(now.getTime()),
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + CRL_HOURS * 3_600_000),
        revoked: revoked.map((row) => ({ serial: certificateParts(row.certificate).serialBytes, revokedAt: row.revokedAt!, reason: row.reason ?? undefined }))
      })
      // served for an hour at most, well inside its 24-hour validity
      crlCache = { der, until: now.getTime() + 3_600_000 }
      return der
    },
    async announceChange (tx) {
      await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, 'changed')`)
    },
    refresh
  }
  app.decorate('pki', pki)
  app.addHook('preClose', async () => { await listener.unlisten().catch(() => {}) })
}, { name: 'pki', dependencies: ['db', 'clock'] })
