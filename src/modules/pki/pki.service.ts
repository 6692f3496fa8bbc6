import { X509Certificate } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { canonicalJson } from '../../lib/canonical-json.ts'
import { parseSignedData } from '../../lib/cms/index.ts'
import { randomToken } from '../../lib/crypto-bits.ts'
import { isClientError } from '../../lib/errors.ts'
import { CrlInvalid } from '../../lib/pki/errors.ts'
import { readCrl, readCsr, verifyCrlSignature } from '../../lib/pki/issuance.ts'
import { encodeName } from '../../lib/pki/names.ts'
import { certificateParts, derToPem, pemToDer } from '../../lib/pki/x509-parts.ts'
import { canAccess, hasRole } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import { fingerprintOf, type Pki, type VerifiedSignatureResult } from '../../plugins/pki.ts'
import type { AccountsService } from '../accounts/accounts.service.ts'
import type { DepartmentsService } from '../departments/departments.service.ts'
import {
  AuthorityNotFound, CertificateAlreadyLinked, CertificateAlreadyRevoked, CertificateNotFound, CertificateSubjectMismatch,
  ChallengeInvalid, ChallengeMismatch, NotACertificateAuthority, PemInvalid, ProfileMismatch
} from './pki.errors.ts'
import * as repo from './pki.repository.ts'
import { CHALLENGE_MINUTES, CHALLENGE_PREFIX, keyUsagesFor, profileProblem, subjectFor, subjectNamesCreditCode } from './pki.rules.ts'
import type { AddAuthority, CertificateView, RequestCertificate, SignedChallenge } from './pki.schemas.ts'

export interface PkiDeps {
  db: Database
  audit: Audit
  pki: Pki
  clock: Clock
  accounts: AccountsService
  departments: DepartmentsService
  hallName: string
  certificateDays: number
  publicUrl: string
}

/** RFC 5280 CRLReason codes */
const REASONS = { unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const

export function toCertificateView (row: repo.CertificateRow): CertificateView {
  return {
    id: row.id,
    profile: row.profile,
    source: row.source,
    accountId: row.accountId,
    departmentId: row.departmentId,
    fingerprint: row.fingerprint,
    serialHex: row.serialHex,
    subject: row.subject,
    notBefore: row.notBefore.toISOString(),
    notAfter: row.notAfter.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    certificatePem: derToPem(row.certificate)
  }
}

function singlePem (pem: string, label: string): Uint8Array {
  const [der] = pemToDer(pem, label)
  if (!der) throw new PemInvalid(label)
  return der
}

const fromBase64 = (value: string) => new Uint8Array(Buffer.from(value, 'base64'))

export function createPkiService ({ db, audit, pki, clock, accounts, departments, hallName, certificateDays, publicUrl }: PkiDeps) {
  function caInfo () {
    return {
      root: derToPem(pki.rootCertificate),
      issuing: derToPem(pki.issuingCertificate),
      platformSigner: derToPem(pki.signerCertificate),
      crlUrl: `${publicUrl}/api/pki/crl`
    }
  }

  /** Certifies the requester's key (from its CSR) for the identity OpenHall knows. */
  async function requestCertificate (actor: Actor, input: RequestCertificate): Promise<CertificateView> {
    const csr = readCsr(singlePem(input.csr, 'CERTIFICATE REQUEST'))
    const account = await accounts.getAccount(actor.principal.accountId)
    let department: { id: string, name: string } | undefined
    if (input.profile === 'seal') {
      if (!input.departmentId) throw new ProfileMismatch('a seal certificate names its department')
      // a department's seal is requested by its administrator (or the hall's)
      if (!canAccess(actor.principal, 'certificates.seal', { departmentId: input.departmentId })) throw new ProfileMismatch('only the department\'s administrator requests its seal certificate')
      department = await departments.getDepartment(input.departmentId)
    } else {
      const problem = profileProblem(input.profile, account.kind)
      if (problem) throw new ProfileMismatch(problem)
    }
    const now = clock.now()
    const notAfter = new Date(now.getTime() + certificateDays * 86_400_000)
    const der = pki.issue({
      subjectDer: encodeName(subjectFor(input.profile, { account, hallName, department })),
      spkiDer: csr.spkiDer,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      keyUsage: keyUsagesFor(csr.keyType),
      extendedKeyUsage: ['clientAuth', 'emailProtection']
    })
    const x509 = new X509Certificate(der)
    return db.transaction(async (tx) => {
      const row = await repo.insertCertificate(tx, {
        accountId: input.profile === 'seal' ? null : account.id,
        departmentId: department?.id ?? null,
        profile: input.profile,
        source: 'issued',
        fingerprint: fingerprintOf(der),
        issuerFingerprint: fingerprintOf(pki.issuingCertificate),
        serialHex: certificateParts(der).serialHex,
        subject: x509.subject.replace(/\n/g, ', '),
        certificate: Buffer.from(der),
        notBefore: certificateParts(der).notBefore,
        notAfter: certificateParts(der).notAfter
      })
      await audit.append(tx, auditRecord(actor, 'certificate.issued', 'certificate', row!.id, {
        profile: input.profile, serialHex: row!.serialHex, fingerprint: row!.fingerprint, departmentId: department?.id ?? null, keyType: csr.keyType
      }))
      return toCertificateView(row!)
    })
  }

  function mayManage (actor: Actor, row: repo.CertificateRow): boolean {
    if (row.accountId === actor.principal.accountId) return true
    if (hasRole(actor.principal, 'hall_admin')) return true
    return row.departmentId !== null && canAccess(actor.principal, 'certificates.seal', { departmentId: row.departmentId })
  }

  async function getCertificate (actor: Actor, id: string) {
    const row = await repo.findCertificate(db, id)
    if (!row || !mayManage(actor, row)) throw new CertificateNotFound(id)
    return toCertificateView(row)
  }

  async function listCertificates (actor: Actor, accountId?: string) {
    const owner = accountId && hasRole(actor.principal, 'hall_admin') ? accountId : actor.principal.accountId
    return (await repo.listCertificates(db, owner)).map(toCertificateView)
  }

  /** Runs a trust-changing transaction, then reloads trust on this instance (others reload on NOTIFY). */
  async function changingTrust<T> (work: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await db.transaction(async (tx) => {
      const value = await work(tx)
      await pki.announceChange(tx)
      return value
    })
    await pki.refresh()
    return result
  }

  async function revokeCertificate (actor: Actor, id: string, reason: keyof typeof REASONS) {
    return changingTrust(async (tx) => {
      const row = await repo.findCertificate(tx, id)
      if (!row || !mayManage(actor, row)) throw new CertificateNotFound(id)
      const revoked = await repo.revokeCertificate(tx, id, REASONS[reason], clock.now())
      if (!revoked) throw new CertificateAlreadyRevoked()
      await audit.append(tx, auditRecord(actor, 'certificate.revoked', 'certificate', id, { reason, serialHex: row.serialHex }))
      return toCertificateView(revoked)
    })
  }

  async function createChallenge () {
    const now = clock.now()
    const expiresAt = new Date(now.getTime() + CHALLENGE_MINUTES * 60_000)
    const challenge = `${CHALLENGE_PREFIX}${randomToken()}:${expiresAt.toISOString()}`
    const row = await repo.insertChallenge(db, challenge, expiresAt)
    return { challengeId: row.id, challenge, expiresAt: expiresAt.toISOString() }
  }

  /**
   * Checks a signed challenge in the caller's transaction: used once, unexpired, signed over
   * exactly its text by a trusted, valid, unrevoked certificate.
   */
  async function verifySignedChallenge (tx: Queryable, input: SignedChallenge): Promise<VerifiedSignatureResult> {
    const challenge = await repo.consumeChallenge(tx, input.challengeId, clock.now())
    if (!challenge) throw new ChallengeInvalid()
    const content = new TextEncoder().encode(challenge.challenge)
    const signature = fromBase64(input.signature)
    const signed = parseSignedData(signature).content
    if (signed && Buffer.compare(Buffer.from(signed), Buffer.from(content)) !== 0) throw new ChallengeMismatch()
    return pki.verifySignature({ cms: signature, content: signed ? undefined : content })
  }

  /** The account a certificate signs in as (linked at issuance or registration). */
  async function holderOf (tx: Queryable, fingerprint: string) {
    const row = await repo.findCertificateByFingerprint(tx, fingerprint)
    return row?.accountId && !row.revokedAt ? row.accountId : null
  }

  /** The department whose seal (电子印章) certificate this is, or null for any other or a revoked one. */
  async function sealDepartmentOf (tx: Queryable, fingerprint: string) {
    const row = await repo.findCertificateByFingerprint(tx, fingerprint)
    return row?.profile === 'seal' && row.departmentId && !row.revokedAt ? row.departmentId : null
  }

  /**
   * The certificate a sealed envelope for this account should be addressed to: its newest
   * unrevoked RSA certificate that is trusted and valid now (EC keys sign but cannot receive).
   */
  async function encryptionCertificateOf (accountId: string): Promise<Uint8Array | null> {
    for (const row of await repo.listCertificates(db, accountId)) {
      if (row.revokedAt || new X509Certificate(row.certificate).publicKey.asymmetricKeyType !== 'rsa') continue
      try {
        pki.verifyPath(row.certificate)
        return new Uint8Array(row.certificate)
      } catch {
        // expired or no longer trusted: try an older one
      }
    }
    return null
  }

  /** Links a certificate from a trusted external CA to the signed-in account (proof of possession: a signed challenge). */
  async function registerExternalCertificate (actor: Actor, input: SignedChallenge) {
    const account = await accounts.getAccount(actor.principal.accountId)
    return db.transaction(async (tx) => {
      const verified = await verifySignedChallenge(tx, input)
      if (await repo.findCertificateByFingerprint(tx, verified.signer.fingerprint)) throw new CertificateAlreadyLinked()
      if (account.kind === 'organisation' && !subjectNamesCreditCode(verified.signer.subject, account.creditCode ?? '')) {
        throw new CertificateSubjectMismatch(`the certificate subject does not name ${account.creditCode ?? 'the organisation'}`)
      }
      const parts = certificateParts(verified.signer.certificateDer)
      const row = await repo.insertCertificate(tx, {
        accountId: account.id,
        profile: account.kind,
        source: 'registered',
        fingerprint: verified.signer.fingerprint,
        issuerFingerprint: verified.signer.issuerFingerprint,
        serialHex: parts.serialHex,
        subject: verified.signer.subject,
        certificate: Buffer.from(verified.signer.certificateDer),
        notBefore: parts.notBefore,
        notAfter: parts.notAfter
      })
      if (!row) throw new CertificateAlreadyLinked()
      await audit.append(tx, auditRecord(actor, 'certificate.registered', 'certificate', row.id, { fingerprint: row.fingerprint, subject: row.subject }))
      return toCertificateView(row)
    })
  }

  async function addTrustedAuthority (actor: Actor, input: AddAuthority) {
    const der = singlePem(input.certificate, 'CERTIFICATE')
    let certificate: X509Certificate
    try {
      certificate = new X509Certificate(der)
    } catch {
      throw new PemInvalid('CERTIFICATE') // a PEM block whose content is no certificate
    }
    if (!certificate.ca) throw new NotACertificateAuthority()
    // an intermediate is trusted only through a root the hall trusts
    if (input.role === 'intermediate') pki.verifyPath(der)
    return changingTrust(async (tx) => {
      const row = await repo.insertAuthority(tx, {
        fingerprint: fingerprintOf(der),
        role: input.role,
        subject: certificate.subject.replace(/\n/g, ', '),
        certificate: Buffer.from(der),
        notAfter: new Date(certificate.validTo),
        addedBy: actor.principal.accountId
      })
      await audit.append(tx, auditRecord(actor, 'trust.authority_added', 'authority', row.fingerprint, { role: input.role, subject: row.subject }))
      return row
    })
  }

  async function deactivateTrustedAuthority (actor: Actor, fingerprint: string) {
    await changingTrust(async (tx) => {
      const row = await repo.deactivateAuthority(tx, fingerprint)
      if (!row) throw new AuthorityNotFound(fingerprint)
      await audit.append(tx, auditRecord(actor, 'trust.authority_removed', 'authority', fingerprint, { subject: row.subject }))
    })
  }

  /** Imports a CRL of a trusted external CA (its signature is checked against that CA). */
  async function importRevocationList (actor: Actor, text: string) {
    const der = text.includes('-----BEGIN') ? singlePem(text, 'X509 CRL') : fromBase64(text)
    const crl = readCrl(der)
    const authorities = await repo.listAuthorities(db)
    const issuer = authorities.find((authority) => authority.active &&
      Buffer.compare(Buffer.from(certificateParts(authority.certificate).subjectDer), Buffer.from(crl.issuerDer)) === 0 &&
      verifyCrlSignature(crl, new X509Certificate(authority.certificate).publicKey))
    if (!issuer) throw new CrlInvalid('not signed by a trusted authority the hall knows')
    return changingTrust(async (tx) => {
      const row = await repo.insertRevocationList(tx, {
        issuerFingerprint: issuer.fingerprint,
        thisUpdate: crl.thisUpdate,
        nextUpdate: crl.nextUpdate,
        crl: Buffer.from(der),
        revokedSerials: crl.revokedSerials,
        importedBy: actor.principal.accountId
      })
      await audit.append(tx, auditRecord(actor, 'trust.crl_imported', 'authority', issuer.fingerprint, { revoked: crl.revokedSerials.length, thisUpdate: crl.thisUpdate.toISOString() }))
      return { id: row.id, issuerFingerprint: row.issuerFingerprint, thisUpdate: row.thisUpdate.toISOString(), nextUpdate: row.nextUpdate?.toISOString() ?? null, revokedCount: crl.revokedSerials.length }
    })
  }

  /** Anyone may check a signature: the report says valid, or the code of what is wrong. */
  async function verify (input: { signature: string, content?: string }) {
    try {
      const result = await pki.verifySignature({ cms: fromBase64(input.signature), content: input.content ? fromBase64(input.content) : undefined })
      return {
        valid: true,
        code: null,
        detail: null,
        signer: { subject: result.signer.subject, fingerprint: result.signer.fingerprint, serialHex: result.signer.serialHex, notAfter: result.signer.notAfter.toISOString() },
        signingTime: result.signingTime?.toISOString() ?? null,
        content: result.content ? Buffer.from(result.content).toString('base64') : null
      }
    } catch (error) {
      if (!isClientError(error)) throw error
      return { valid: false, code: error.code, detail: error.message, signer: null, signingTime: null, content: null }
    }
  }

  /**
   * A platform receipt: canonical JSON signed by the platform (CMS, attached), verifiable offline
   * with OpenSSL and the root certificate (README, "Receipts").
   */
  async function signReceipt (receipt: Record<string, string | number>) {
    const json = canonicalJson(receipt)
    const cms = await pki.sign({ content: new TextEncoder().encode(json), detached: false })
    return { json, cms }
  }

  return {
    caInfo,
    requestCertificate,
    getCertificate,
    listCertificates,
    revokeCertificate,
    createChallenge,
    verifySignedChallenge,
    holderOf,
    sealDepartmentOf,
    encryptionCertificateOf,
    registerExternalCertificate,
    addTrustedAuthority,
    listTrustedAuthorities: () => repo.listAuthorities(db),
    deactivateTrustedAuthority,
    importRevocationList,
    verify,
    signReceipt,
    crl: () => pki.crl()
  }
}

export type PkiService = ReturnType<typeof createPkiService>
